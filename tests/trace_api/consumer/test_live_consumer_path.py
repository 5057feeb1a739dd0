"""The consumer path end to end on the real system (`traceledger up --dev`, SQLite and PostgreSQL):

an enterprise registers a product, prints a batch (serials commissioned as EPCIS events),
every label decodes with zxing-cpp to exactly its URI, the URI resolves on the API's own
host (303 / linkset / walk-up / 404), and the consumer view shows product, authenticity,
timeline with anchor status, sensors against thresholds, a recall from the chain, and the
clone alarm; bad input gives 400 / 403 / 409 / 413 problems.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.trace_api.labels.decode import decode_pdf_pages, decode_svg

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ANCHOR_TIMEOUT_S = 90


@dataclass
class World:
    system: LiveSystem
    farm: RegisteredEnterprise
    gtin: str
    gln: str
    uris: list[str]
    commissioning: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return self.system.auth(self.farm.api_key)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.system.api_url + path, timeout=60, **kwargs)

    def lookup(self, uri: str, **params: str) -> httpx.Response:
        return self.get("/v1/public/lookup", params={"uri": uri, **params})


@pytest.fixture(scope="module")
def world(live_system: LiveSystem) -> World:
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "100")
    prefix_holder = live_system.enterprise(name="Fujian Apple Farm Co.", custody="custodial",
                                           prefixes=[prefix], glns=[gln])
    gtin = "0" + with_check_digit(prefix + "001")
    headers = live_system.auth(prefix_holder.api_key)
    product = {
        "gtin": gtin, "productClass": "chilled", "category": "fresh fruit",
        "name": {"zh": "有机苹果", "en": "Organic apples"},
        "description": {"zh": "闽侯果园", "en": "From the Minhou orchard"},
        "origin": {"name": "Minhou, Fujian", "gln": gln},
        "certifications": [{"standard": "GB/T 19630 organic", "agency": "CQC", "value": "certified",
                            "identification": "CQC-ORG-2026-001"}],
    }
    response = httpx.post(f"{live_system.api_url}/v1/products", json=product, headers=headers, timeout=60)
    assert response.status_code == 201, response.text
    response = httpx.post(f"{live_system.api_url}/v1/labels/batch", headers=headers, timeout=120, json={
        "gtin": gtin, "lot": "L1", "serials": "1-25", "expiry": "2027-01-31", "format": "pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    commissioning = response.headers["tl-commissioning-events"].split(", ")
    pages = decode_pdf_pages(response.content, dpi=150)
    return World(live_system, prefix_holder, gtin, gln, [uri for page in pages for uri in page],
                 commissioning)


def test_batch_labels_decode_to_authenticated_uris_on_our_host(world: World) -> None:
    base = world.system.api_url
    assert len(world.uris) == 25
    assert len(world.commissioning) == 1 and world.commissioning[0].startswith("ni:///sha-256;")
    expected_prefixes = [f"{base}/01/{world.gtin}/10/L1/21/{n}?17=270131&auth=" for n in range(1, 26)]
    assert sorted(uri.split("&auth=")[0] for uri in world.uris) == sorted(
        p.split("&auth=")[0] for p in expected_prefixes)
    assert all(len(uri.split("&auth=")[1]) == 8 for uri in world.uris)


def test_reprinting_commissions_nothing_new(world: World) -> None:
    response = httpx.post(f"{world.system.api_url}/v1/labels/batch", headers=world.headers, timeout=120,
                          json={"gtin": world.gtin, "lot": "L1", "serials": "20-25",
                                "expiry": "2027-01-31", "format": "zip-svg"})
    assert response.status_code == 200, response.text
    assert response.headers["tl-commissioning-events"] == ""
    assert response.headers["content-type"] == "application/zip"


def test_single_label_for_a_recorded_serial(world: World) -> None:
    uri = f"{world.system.api_url}/01/{world.gtin}/10/L1/21/3?17=270131"
    response = world.get("/v1/labels", params={"uri": uri, "format": "svg"}, headers=world.headers)
    assert response.status_code == 200, response.text
    (decoded,) = decode_svg(response.text)
    assert decoded in world.uris  # same authenticator as the batch printed
    unrecorded = f"{world.system.api_url}/01/{world.gtin}/10/L1/21/999"
    response = world.get("/v1/labels", params={"uri": unrecorded}, headers=world.headers)
    assert response.status_code == 409
    assert response.json()["type"] == "https://traceledger.dev/problems/serial-not-commissioned"


def test_resolver_redirects_browsers_and_serves_linksets(world: World) -> None:
    uri = world.uris[0]
    path = uri[len(world.system.api_url):]
    response = world.get(path, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == f"{world.system.api_url}/scan?uri={quote(uri, safe='')}"
    linkset = world.get(path.split("?")[0], headers={"Accept": "application/linkset+json"})
    assert linkset.status_code == 200
    assert linkset.json()["linkset"][0]["anchor"] == uri.split("?")[0]
    walked = world.get(f"/01/{world.gtin}/10/L1/21/999?linkType=all")
    assert walked.json()["linkset"][0]["anchor"] == f"{world.system.api_url}/01/{world.gtin}/10/L1"
    unknown = world.get(f"/01/{_other_gtin(world.gtin)}/10/L1", headers=BROWSER)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def _other_gtin(gtin: str) -> str:
    return with_check_digit(gtin[:-2] + ("9" if gtin[-2] != "9" else "8"))


def _capture(world: World, events: list[dict[str, Any]]) -> None:
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-21T00:00:00Z", "epcisBody": {"eventList": events}}
    response = httpx.post(f"{world.system.api_url}/v1/capture", json=document,
                          headers=world.headers, timeout=60)
    assert response.status_code == 202, response.text


def test_consumer_view_of_a_label(world: World) -> None:
    serial_uri = next(uri for uri in world.uris if "/21/2?" in uri)
    item = f"https://id.gs1.org/01/{world.gtin}/21/2"
    shipped = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    first, second = (shipped.isoformat().replace("+00:00", "Z"),
                     (shipped + dt.timedelta(minutes=30)).isoformat().replace("+00:00", "Z"))
    _capture(world, [{
        "type": "ObjectEvent", "eventTime": first, "eventTimeZoneOffset": "+08:00",
        "epcList": [item], "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
        "bizLocation": {"id": f"https://id.gs1.org/414/{world.gln}"},
        "sensorElementList": [{"sensorMetadata": {"time": first}, "sensorReport": [
            {"type": "gs1:Temperature", "value": 4.5, "uom": "CEL"},
            {"type": "gs1:Temperature", "value": 7.0, "uom": "CEL", "time": second}]}],
    }])
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while True:
        response = world.lookup(serial_uri, place="fz")
        assert response.status_code == 200, response.text
        view = response.json()
        if all(entry["status"] == "anchored" for entry in view["timeline"]) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert view["uri"] == serial_uri
    assert view["canonicalUri"] == f"https://id.gs1.org/01/{world.gtin}/10/L1/21/2?17=270131"
    assert view["kind"] == "food"
    assert view["identifier"] == {"gtin": world.gtin, "lot": "L1", "serial": "2", "expiry": "2027-01-31",
                                  "sscc": None, "giai": None}
    assert view["product"]["name"] == {"zh": "有机苹果", "en": "Organic apples"}
    assert view["product"]["producer"] == {"name": "Fujian Apple Farm Co.", "enterpriseId": world.farm.id}
    assert view["product"]["origin"] == {"name": "Minhou, Fujian", "gln": world.gln}
    assert view["product"]["dates"]["expiry"] == "2027-01-31"
    assert view["authenticity"]["authenticator"] == "valid"
    assert view["authenticity"]["cloneAlarm"] is False
    assert view["recall"] is None
    steps = [(entry["bizStep"], entry["eventType"]) for entry in view["timeline"]]
    assert steps == [("commissioning", "ObjectEvent"), ("shipping", "ObjectEvent")]
    assert view["timeline"][0]["eventHashId"] == world.commissioning[0]
    assert view["timeline"][1]["location"] == {"id": f"https://id.gs1.org/414/{world.gln}",
                                               "name": "Fujian Apple Farm Co."}
    assert {entry["status"] for entry in view["timeline"]} == {"anchored"}
    assert view["timeline"][0]["proofUrl"] == "/v1/events/" + quote(world.commissioning[0], safe="") + "/proof"
    assert view["sensors"] == [
        {"time": first.replace("Z", ".000Z"), "type": "Temperature", "value": 4.5, "uom": "CEL"},
        {"time": second.replace("Z", ".000Z"), "type": "Temperature", "value": 7.0, "uom": "CEL"}]
    assert view["thresholds"] == {"Temperature": {"min": 0.0, "max": 5.0, "uom": "CEL"}}
    assert view["certifications"] == [{"standard": "GB/T 19630 organic", "agency": "CQC",
                                       "value": "certified", "identification": "CQC-ORG-2026-001"}]
    assert view["equipment"] is None
    assert view["chain"] == {"rpcUrl": "/v1/chain/rpc", "chainId": world.system.chain_id,
                             "traceAnchor": world.system.contract_address("TraceAnchor")}
    # Outside `evidence` (the signed bodies and proofs the page verifies itself, issue 15;
    # tests/trace_api/consumer/test_lookup_evidence_live.py) nothing internal leaks.
    summary = json.dumps({name: value for name, value in view.items() if name != "evidence"})
    for secret_ish in ("epcList", "sensorElementList", "submitter", "price", "signature"):
        assert secret_ish not in summary
    assert "price" not in response.text


def test_authenticator_states(world: World) -> None:
    uri = next(uri for uri in world.uris if "/21/4?" in uri)
    forged = uri[:-8] + ("AAAAAAAA" if not uri.endswith("AAAAAAAA") else "BBBBBBBB")
    assert world.lookup(forged).json()["authenticity"]["authenticator"] == "invalid"
    bare = uri.split("&auth=")[0]
    assert world.lookup(bare).json()["authenticity"]["authenticator"] == "absent"
    guessed = f"{world.system.api_url}/01/{world.gtin}/10/L1/21/777?auth=ABCDEFGH"
    view = world.lookup(guessed).json()  # walks up to the lot: shown, but flagged
    assert view["authenticity"]["authenticator"] == "invalid"
    first = view["timeline"][0]
    assert (first["bizStep"], first["eventHashId"]) == ("commissioning", world.commissioning[0])


def _lookup_from(world: World, network: int, uri: str, **params: str) -> dict[str, Any]:
    """The authenticity part of a lookup sent from 127.0.<network>.1: loopback is a /8, so each
    `network` is another /24 — another place — as the server sees it."""
    transport = httpx.HTTPTransport(local_address=f"127.0.{network}.1")
    with httpx.Client(transport=transport, timeout=60) as client:
        response = client.get(world.system.api_url + "/v1/public/lookup",
                              params={"uri": uri, **params})
    assert response.status_code == 200, response.text
    return response.json()["authenticity"]  # type: ignore[no-any-return]


def test_clone_alarm_when_one_serial_is_scanned_from_many_places(world: World) -> None:
    uri = next(uri for uri in world.uris if "/21/5?" in uri)
    seen = []
    for network in (11, 12, 13, 14):
        for _ in range(2):
            authenticity = _lookup_from(world, network, uri)
            seen.append((authenticity["scanCount"], authenticity["distinctPlaces"], authenticity["cloneAlarm"]))
    # Repeats from one place within 10 minutes count once: 4 counted scans, 4 places.
    assert seen == [(1, 1, False), (1, 1, False), (2, 2, False), (2, 2, False),
                    (3, 3, False), (3, 3, False), (4, 4, False), (4, 4, False)]
    for network in (15, 16, 17, 18):
        authenticity = _lookup_from(world, network, uri)
    assert authenticity == {"authenticator": "valid", "cloneAlarm": True, "scanCount": 8,
                            "distinctPlaces": 8}


def test_varying_the_place_parameter_from_one_address_counts_once(world: World) -> None:
    uri = next(uri for uri in world.uris if "/21/6?" in uri)
    for place in ("fz", "xm", "sh", "bj", "gz", "sz", "hz", "nj", "wh", "cd"):
        authenticity = _lookup_from(world, 21, uri, place=place)
    assert authenticity == {"authenticator": "valid", "cloneAlarm": False, "scanCount": 1,
                            "distinctPlaces": 1}


def test_scans_without_a_valid_authenticator_never_raise_the_alarm(world: World) -> None:
    uri = next(uri for uri in world.uris if "/21/7?" in uri)
    forged = uri[:-8] + ("AAAAAAAA" if not uri.endswith("AAAAAAAA") else "BBBBBBBB")
    bare = uri.split("&auth=")[0]
    for network in range(31, 41):
        for code, state in ((forged, "invalid"), (bare, "absent")):
            authenticity = _lookup_from(world, network, code, place=f"city-{network}")
            assert authenticity == {"authenticator": state, "cloneAlarm": False, "scanCount": 0,
                                    "distinctPlaces": 0}
    # The genuine label is then counted from scratch: none of the 20 made-up scans stuck.
    assert _lookup_from(world, 41, uri)["scanCount"] == 1


def test_open_recall_from_the_chain(world: World) -> None:
    """A regulator recalls lot L1 (`POST /v1/recalls` puts it on `RecallRegistry`); a scan of
    one of its serials shows the recall once the indexer has mirrored it."""
    lot_uri = f"https://id.gs1.org/01/{world.gtin}/10/L1"
    response = httpx.post(f"{world.system.api_url}/v1/recalls", timeout=60,
                          headers=world.system.auth(world.system.regulator_token()),
                          json={"uri": lot_uri, "class": "I", "reason": "Listeria found in lot L1"})
    assert response.status_code == 201, response.text + world.system.log_text()[-6000:]
    subject = "0x" + hashlib.sha256(lot_uri.encode()).hexdigest()
    uri = next(uri for uri in world.uris if "/21/6?" in uri)
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while (recall := world.lookup(uri).json()["recall"]) is None and time.monotonic() < deadline:
        time.sleep(1)
    assert recall is not None
    assert {k: v for k, v in recall.items() if k != "openedAt"} == {
        "status": "open", "class": 1, "reason": "Listeria found in lot L1", "subject": subject}
    assert recall["openedAt"].endswith("Z")
    status = world.get("/v1/public/recall", params={"uri": uri}).json()
    assert status["recalled"] is True and status["recall"] == recall
    other_lot = world.get("/v1/public/recall", params={"uri": f"{world.system.api_url}/01/{world.gtin}/10/L2"})
    assert other_lot.json() == {"uri": f"{world.system.api_url}/01/{world.gtin}/10/L2",
                                "canonicalUri": f"https://id.gs1.org/01/{world.gtin}/10/L2",
                                "recalled": False, "recall": None}


def test_recall_straight_on_chain_reaches_the_gtin_level(world: World) -> None:
    """A recall written on chain without the API (another consortium member's tool) of the
    whole GTIN still shows, with no reason text on this platform."""
    gtin_uri = f"https://id.gs1.org/01/{world.gtin}"
    subject = hashlib.sha256(gtin_uri.encode()).digest()
    world.system.open_recall_on_chain(subject, 2, b"\x01" * 32)
    uri = f"{world.system.api_url}/01/{world.gtin}/10/L9/21/1"  # another lot: only the GTIN recall covers it
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while (status := world.get("/v1/public/recall", params={"uri": uri}).json())["recall"] is None \
            and time.monotonic() < deadline:
        time.sleep(1)
    recall = status["recall"]
    assert recall is not None
    assert (recall["class"], recall["reason"], recall["subject"]) == (2, None, "0x" + subject.hex())


def test_bad_input_problems(world: World, live_system: LiveSystem) -> None:
    api = world.system.api_url
    batch = {"gtin": world.gtin, "lot": "L2", "serials": "1-10001"}
    response = httpx.post(f"{api}/v1/labels/batch", json=batch, headers=world.headers, timeout=60)
    assert response.status_code == 413
    assert response.json()["limit"] == 10_000
    assert response.json()["type"] == "https://traceledger.dev/problems/too-many-labels"
    assert response.json()["requested"] == 10_001
    response = httpx.post(f"{api}/v1/labels/batch", headers=world.headers, timeout=60,
                          json={"gtin": world.gtin, "lot": "L2", "serials": "3-1"})
    assert response.status_code == 400
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-label-request"
    assert response.json()["detail"] == "serial range '3-1' runs backwards"
    bad_gtin = world.gtin[:-1] + str((int(world.gtin[-1]) + 1) % 10)
    response = httpx.post(f"{api}/v1/labels/batch", headers=world.headers, timeout=60,
                          json={"gtin": bad_gtin, "lot": "L2", "serials": "1-3"})
    assert response.status_code == 400
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-check-digit"
    response = httpx.post(f"{api}/v1/labels/batch", headers=world.headers, timeout=60,
                          json={"gtin": world.gtin, "lot": "L 2", "serials": "1-3"})
    assert response.status_code == 400
    assert response.json()["ai"] == "10"
    other = live_system.enterprise(name="Another Farm Co.", custody="custodial")
    response = httpx.post(f"{api}/v1/labels/batch", headers=live_system.auth(other.api_key), timeout=60,
                          json={"gtin": world.gtin, "lot": "L2", "serials": "1-3"})
    assert response.status_code == 403
    assert response.json()["type"] == "https://traceledger.dev/problems/not-your-company-prefix"
    response = httpx.post(f"{api}/v1/products", headers=live_system.auth(other.api_key), timeout=60,
                          json={"gtin": world.gtin, "productClass": "frozen", "name": {"en": "x"}})
    assert response.status_code == 403
    response = world.lookup(f"{api}/01/{world.gtin}/10/L%201")
    assert response.status_code == 400 and response.json()["ai"] == "10"
    response = world.lookup(f"https://id.gs1.org/01/{_other_gtin(world.gtin)}")
    assert response.status_code == 404
    assert response.json()["type"] == "https://traceledger.dev/problems/unknown-identifier"
    self_custody = live_system.enterprise(name="Self Signing Farm Co.", custody="self")
    own_gtin = "0" + with_check_digit(self_custody.company_prefixes[0] + "001")
    response = httpx.post(f"{api}/v1/labels/batch", headers=live_system.auth(self_custody.api_key),
                          timeout=60, json={"gtin": own_gtin, "lot": "S1", "serials": "1-2"})
    assert response.status_code == 409
    document = response.json()["commissioningDocument"]
    assert document["epcisBody"]["eventList"][0]["epcList"] == [
        f"https://id.gs1.org/01/{own_gtin}/21/1", f"https://id.gs1.org/01/{own_gtin}/21/2"]


def test_equipment_lookup_and_label(world: World) -> None:
    """A lift: made, installed, inspected; its GIAI label and the consumer view of it."""
    from gs1 import giai_from_registration_code

    prefix = world.farm.company_prefixes[0]
    giai = giai_from_registration_code(prefix, "梯11京A00123")
    lift = f"https://id.gs1.org/8004/{giai}"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def at(minutes: int) -> str:
        return (now + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")

    site = {"id": f"https://id.gs1.org/414/{world.gln}"}  # capture admits events only where one stands

    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                     {"tl": "https://traceledger.dev/ns/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": at(0),
        "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "eventTime": at(0), "eventTimeZoneOffset": "+08:00", "epcList": [lift],
             "action": "ADD", "bizStep": "commissioning",
             "ilmd": {"tl:equipmentType": "lift", "tl:registrationCode": "梯11京A00123"}},
            {"type": "ObjectEvent", "eventTime": at(1), "eventTimeZoneOffset": "+08:00", "epcList": [lift],
             "action": "OBSERVE", "bizStep": "installing", "tl:emergencyCode": "96333",
             "bizLocation": site},
            {"type": "ObjectEvent", "eventTime": at(2), "eventTimeZoneOffset": "+08:00", "epcList": [lift],
             "action": "OBSERVE", "bizStep": "inspecting", "disposition": "conformant",
             "bizLocation": site},
        ]},
    }
    response = httpx.post(f"{world.system.api_url}/v1/capture", json=document, headers=world.headers,
                          timeout=60)
    assert response.status_code == 202, response.text
    view = world.lookup(f"{world.system.api_url}/8004/{giai}").json()
    assert view["kind"] == "equipment"
    assert view["identifier"]["giai"] == giai
    assert view["product"] is None
    equipment = view["equipment"]
    assert equipment["registrationCode"] == "梯11京A00123"
    assert equipment["emergencyCode"] == "96333"
    assert equipment["maker"] == "Fujian Apple Farm Co."
    assert equipment["lastInspection"] == {"date": now.date().isoformat(), "result": "pass",
                                           "inspector": "Fujian Apple Farm Co."}
    assert equipment["inspectionOverdue"] is False
    assert [entry["bizStep"] for entry in view["timeline"]] == ["commissioning", "installing", "inspecting"]
    label = world.get("/v1/labels", params={"uri": lift, "format": "svg"}, headers=world.headers)
    assert label.status_code == 200, label.text
    assert giai == prefix + "T1111A00123"
    assert decode_svg(label.text) == [f"{world.system.api_url}/8004/{giai}"]
    assert "Reg. code 梯11京A00123" in label.text and "Emergency 96333" in label.text


def test_product_routes(world: World) -> None:
    api = world.system.api_url
    gtin = "0" + with_check_digit(world.farm.company_prefixes[0] + "002")
    body = {"gtin": gtin, "productClass": "frozen", "name": {"zh": "速冻饺子", "en": "Frozen dumplings"}}
    response = httpx.post(f"{api}/v1/products", json=body, headers=world.system.admin_headers, timeout=60)
    assert response.status_code == 400  # an admin names the producer
    response = httpx.post(f"{api}/v1/products", json={**body, "enterpriseId": world.farm.id},
                          headers=world.system.admin_headers, timeout=60)
    assert response.status_code == 201, response.text
    registered = response.json()
    assert registered.pop("masterData")["version"] == 1  # tests/trace_api/products/test_master_data_live.py
    assert registered == {
        "gtin": gtin, "enterpriseId": world.farm.id, "name": {"zh": "速冻饺子", "en": "Frozen dumplings"},
        "description": {"zh": "", "en": ""}, "productClass": "frozen", "category": "", "origin": None,
        "certifications": []}
    response = httpx.post(f"{api}/v1/products", json=body, headers=world.headers, timeout=60)
    assert response.status_code == 200  # the owner replaces it
    assert httpx.post(f"{api}/v1/products", json=body, timeout=60).status_code == 401
    regulator = world.system.auth(world.system.regulator_token())
    assert httpx.post(f"{api}/v1/products", json=body, headers=regulator, timeout=60).status_code == 403
    listed = world.get("/v1/products", params={"enterprise": world.farm.id}).json()
    assert [p["gtin"] for p in listed["products"]] == sorted([world.gtin, gtin])
    assert listed["nextAfter"] is None
    assert world.get(f"/v1/products/{world.gtin}/certifications").json() == [
        {"standard": "GB/T 19630 organic", "agency": "CQC", "value": "certified",
         "identification": "CQC-ORG-2026-001"}]
    assert world.get(f"/v1/products/{world.gtin[1:]}").json()["gtin"] == world.gtin  # GTIN-13 accepted
    assert world.get("/v1/products/12345").status_code == 400

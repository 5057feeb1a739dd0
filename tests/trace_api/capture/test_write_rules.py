"""Who may write what, end to end with two enterprises on the real system (SQLite and
PostgreSQL): A (custodial, the server signs) and B (self-custody), each with its own GS1
Company Prefix and a GLN under it. Each rule of capture/README.md "Who may write what"
has its positive and negative case here; the same rules on single events are in
`test_authority.py`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.trace_api.capture.documents import document
from tests.trace_api.capture.kit import hash_ids, quoted, record_domain, signed

NOT_YOUR_RECORD = "https://traceledger.dev/problems/not-your-record"


@dataclass(frozen=True)
class Party:
    enterprise: RegisteredEnterprise
    prefix: str
    gln: str

    @property
    def place(self) -> dict[str, str]:
        return {"id": f"https://id.gs1.org/414/{self.gln}"}

    @property
    def party(self) -> str:
        return f"https://id.gs1.org/417/{self.gln}"

    def gtin(self, item: str = "001") -> str:
        """A GTIN-14 under the prefix (9 digits, so a 3-digit item reference)."""
        return with_check_digit("0" + self.prefix + item)

    def lot(self, lot: str) -> str:
        return f"https://id.gs1.org/01/{self.gtin()}/10/{lot}"


@dataclass(frozen=True)
class Two:
    live: LiveSystem
    a: Party
    b: Party

    def post(self, who: Party, events: list[dict[str, Any]], **headers: str) -> httpx.Response:
        doc = document(events)
        if who.enterprise.custody == "self":
            doc = signed(doc, who.enterprise, record_domain(self.live))
        return httpx.post(f"{self.live.api_url}/v1/capture", content=json.dumps(doc).encode(),
                          headers={**self.live.auth(who.enterprise.api_key),
                                   "Content-Type": "application/ld+json", **headers}, timeout=60)

    def stored(self, hash_id: str) -> int:
        """Status of reading the record as a regulator (who sees every record)."""
        return httpx.get(f"{self.live.api_url}/v1/events/{quoted(hash_id)}", timeout=30,
                         headers=self.live.auth(self.live.regulator_token())).status_code


@pytest.fixture(scope="module")
def two(live_system: LiveSystem) -> Two:
    parties = []
    for name, custody in (("Enterprise A (farm)", "custodial"), ("Enterprise B (shop)", "self")):
        prefix = random_company_prefix()
        gln = with_check_digit(prefix + "100")
        enterprise = live_system.enterprise(name=name, custody=custody, prefixes=[prefix],
                                            glns=[gln])
        parties.append(Party(enterprise, prefix, gln))
    return Two(live_system, *parties)


def _event(**members: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00.000Z",
            "eventTimeZoneOffset": "+08:00", **members}


def _unique() -> str:
    return "L" + uuid.uuid4().hex[:10].upper()


def _commission_lot(party: Party, lot: str) -> dict[str, Any]:
    return _event(action="ADD", bizStep="commissioning", bizLocation=party.place,
                  quantityList=[{"epcClass": party.lot(lot), "quantity": 100, "uom": "KGM"}])


def _refused(response: httpx.Response, pointers: list[tuple[int, str]]) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    problem: dict[str, Any] = response.json()
    assert problem["type"] == NOT_YOUR_RECORD
    assert [(e["eventIndex"], e["pointer"]) for e in problem["errors"]] == pointers
    return problem


# ------------------------------------------------------------------ rule 1: creation


def test_only_the_prefix_holder_commissions_a_lot(two: Two) -> None:
    lot = _unique()
    by_b = _commission_lot(two.a, lot) | {"bizLocation": two.b.place}
    problem = _refused(two.post(two.b, [by_b]),
                       [(0, "/epcisBody/eventList/0/quantityList/0/epcClass")])
    assert problem["errors"][0]["message"].startswith(
        f"{two.a.lot(lot)} is not under your GS1 Company Prefixes ({two.b.prefix})")
    assert two.stored(hash_ids(document([by_b]))[0]) == 404
    response = two.post(two.a, [_commission_lot(two.a, lot)])
    assert response.status_code == 202, response.text
    assert [e["status"] for e in response.json()["events"]] == ["accepted"]


def test_only_the_prefix_holder_makes_transformation_outputs(two: Two) -> None:
    a_lot, b_lot = two.a.lot(_unique()), two.b.lot(_unique())
    juice = {"type": "TransformationEvent", "eventTime": "2026-11-21T08:00:00.000Z",
             "eventTimeZoneOffset": "+08:00", "bizLocation": two.b.place,
             "inputQuantityList": [{"epcClass": a_lot, "quantity": 100, "uom": "KGM"}],
             "outputQuantityList": [{"epcClass": b_lot, "quantity": 80, "uom": "LTR"}]}
    # B turns A's lot it bought into B's own product: B speaks for the outputs.
    assert two.post(two.b, [juice]).status_code == 202
    # A cannot claim to have made B's product, wherever it says it happened.
    _refused(two.post(two.a, [juice | {"bizLocation": two.a.place}]),
             [(0, "/epcisBody/eventList/0/outputQuantityList/0/epcClass")])


# ------------------------------------------------------------------ rule 2: place or party


def test_enterprise_b_cannot_capture_into_a_lot(two: Two) -> None:
    """The issue's probe: B's OBSERVE naming A's lot at A's GLN is refused; B's receiving
    event naming itself as destination is accepted."""
    lot = two.a.lot(_unique())
    inspecting = _event(action="OBSERVE", bizStep="inspecting", readPoint=two.a.place,
                        bizLocation=two.a.place,
                        quantityList=[{"epcClass": lot, "quantity": 1, "uom": "KGM"}])
    _refused(two.post(two.b, [inspecting]), [(0, "/epcisBody/eventList/0/readPoint/id")])
    assert two.stored(hash_ids(document([inspecting]))[0]) == 404
    nowhere = {k: v for k, v in inspecting.items() if k not in ("readPoint", "bizLocation")}
    _refused(two.post(two.b, [nowhere]), [(0, "/epcisBody/eventList/0")])
    receiving = _event(action="OBSERVE", bizStep="receiving", disposition="in_progress",
                       quantityList=[{"epcClass": lot, "quantity": 1, "uom": "KGM"}],
                       sourceList=[{"type": "owning_party", "source": two.a.party}],
                       destinationList=[{"type": "owning_party", "destination": two.b.party}])
    response = two.post(two.b, [receiving])
    assert response.status_code == 202, response.text
    assert two.stored(response.json()["events"][0]["eventHashId"]) == 200


def test_each_side_records_the_handover_at_its_own_place(two: Two) -> None:
    lot = two.a.lot(_unique())
    quantity = [{"epcClass": lot, "quantity": 10, "uom": "KGM"}]
    shipping = _event(action="OBSERVE", bizStep="shipping", readPoint=two.a.place,
                      quantityList=quantity,
                      destinationList=[{"type": "location", "destination": two.b.place["id"]}])
    receiving = _event(action="OBSERVE", bizStep="receiving", readPoint=two.b.place,
                       bizLocation=two.b.place, quantityList=quantity)
    assert two.post(two.a, [shipping]).status_code == 202
    assert two.post(two.b, [receiving]).status_code == 202
    _refused(two.post(two.b, [shipping]), [(0, "/epcisBody/eventList/0/readPoint/id")])
    _refused(two.post(two.a, [receiving]), [(0, "/epcisBody/eventList/0/readPoint/id")])


def test_naming_itself_does_not_open_someone_elses_premises(two: Two) -> None:
    sneaky = _event(action="OBSERVE", bizStep="inspecting", readPoint=two.a.place,
                    quantityList=[{"epcClass": two.a.lot(_unique()), "quantity": 1}],
                    destinationList=[{"type": "owning_party", "destination": two.b.party}])
    _refused(two.post(two.b, [sneaky]), [(0, "/epcisBody/eventList/0/readPoint/id")])


def test_a_registered_gln_under_another_prefix_is_the_enterprises_place(
        live_system: LiveSystem, two: Two) -> None:
    leased = with_check_digit(random_company_prefix() + "555")  # a warehouse it rents
    tenant = live_system.enterprise(name="Tenant", custody="custodial", glns=[leased])
    observing = _event(action="OBSERVE", bizStep="storing", readPoint={"id": f"https://id.gs1.org/414/{leased}"},
                       quantityList=[{"epcClass": two.a.lot(_unique()), "quantity": 1}])
    tenant_party = Party(tenant, tenant.company_prefixes[0], leased)
    assert two.post(tenant_party, [observing]).status_code == 202
    _refused(two.post(two.b, [observing]), [(0, "/epcisBody/eventList/0/readPoint/id")])


# ------------------------------------------------------------------ how refusals are reported


def test_proceed_records_the_rest_and_reports_not_your_record_per_event(two: Two) -> None:
    own = _commission_lot(two.b, _unique())
    foreign = _commission_lot(two.a, _unique()) | {"bizLocation": two.b.place}
    response = two.post(two.b, [own, foreign], **{"GS1-Capture-Error-Behaviour": "proceed"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert [(e["status"], e["problem"]) for e in job["events"]] == [
        ("accepted", None), ("rejected", "not-your-record")]
    assert [(e["type"], e["status"], e["eventIndex"]) for e in job["errors"]] == [
        (NOT_YOUR_RECORD, 403, 1)]
    again = httpx.get(f"{two.live.api_url}{response.headers['location']}", timeout=30,
                      headers=two.live.auth(two.b.enterprise.api_key)).json()
    assert [e["problem"] for e in again["events"]] == [None, "not-your-record"]
    assert two.stored(hash_ids(document([foreign]))[0]) == 404


def test_rollback_with_mixed_reasons_is_a_400_naming_each_reason(two: Two) -> None:
    own = _commission_lot(two.b, _unique())
    foreign = _commission_lot(two.a, _unique()) | {"bizLocation": two.b.place}
    broken = _commission_lot(two.b, _unique()) | {"action": "SHOUT"}
    doc = document([own, foreign, broken])  # the broken event cannot be hashed, so not signed
    doc["tl:signatures"] = signed(document([own, foreign]), two.b.enterprise,
                                  record_domain(two.live))["tl:signatures"]
    response = httpx.post(f"{two.live.api_url}/v1/capture", json=doc, timeout=60,
                          headers=two.live.auth(two.b.enterprise.api_key))
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"] == "https://traceledger.dev/problems/invalid-epcis"
    assert [(e["eventIndex"], e["type"].rsplit("/", 1)[1]) for e in problem["errors"]] == [
        (1, "not-your-record"), (2, "invalid-epcis")]
    assert two.stored(hash_ids(document([own]))[0]) == 404  # rollback: nothing stored

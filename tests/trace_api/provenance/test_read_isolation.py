"""Who may read what, through the API of the real system (`traceledger up --dev`, SQLite
and PostgreSQL): issue 13's probe and the one-step-back-one-step-forward rules on
`/v1/trace`, `/v1/events`, `/v1/events/{id}`, proof bundles and the consumer page.

Enterprise A commissions a lot and ships it to customer C (with a purchase order and its
own cold-chain reading); C receives it and ships it on to D (not a member); outsider B
records an "inspecting" event naming A's lot, with a 99 °C reading. The records are
written through the lower layer (records + log entry + graph rows in one transaction, as
capture does), so B's event exists however capture's write rules would judge it: the read
side must hold on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
from tests.trace_api.proofs.support import record_events
from trace_api.context import ApiContext

DL = "https://id.gs1.org"


@dataclass
class Chain:
    live: LiveSystem
    a: RegisteredEnterprise
    b: RegisteredEnterprise
    c: RegisteredEnterprise
    lot: str
    po_a_c: str
    po_c_d: str
    gln_c: str
    gln_d: str
    ids: dict[str, str]  # event name -> Event Hash ID

    def get(self, path: str, who: RegisteredEnterprise | str | None, **params: Any) -> httpx.Response:
        if isinstance(who, RegisteredEnterprise):
            headers = self.live.auth(who.api_key)
        elif who == "regulator":
            headers = self.live.auth(self.live.regulator_token())
        else:
            headers = {}
        return httpx.get(f"{self.live.api_url}{path}", params=params, headers=headers, timeout=60)


def _event(step: str, minute: int, lot: str, **extra: Any) -> dict[str, Any]:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "ObjectEvent", "eventTime": f"2026-05-01T08:{minute:02d}:00.000Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": step,
            "quantityList": [{"epcClass": lot, "quantity": 5, "uom": "KGM"}], **extra}


def _sensor(value: float) -> list[dict[str, Any]]:
    return [{"sensorMetadata": {"time": "2026-05-01T08:30:00.000Z"},
             "sensorReport": [{"type": "gs1:Temperature", "value": value, "uom": "CEL"}]}]


@pytest.fixture(scope="module")
def chain(live_system: LiveSystem) -> Iterator[Chain]:
    import trace_api.app  # noqa: F401  (registers every api_* table before the context opens)

    prefixes = {name: random_company_prefix() for name in "ABCD"}
    glns = {name: with_check_digit(prefix + "100") for name, prefix in prefixes.items()}
    a = live_system.enterprise(name="Enterprise A", prefixes=[prefixes["A"]], glns=[glns["A"]])
    b = live_system.enterprise(name="Outsider B", prefixes=[prefixes["B"]], glns=[glns["B"]])
    c = live_system.enterprise(name="Customer C", prefixes=[prefixes["C"]], glns=[glns["C"]])
    gtin = "0" + with_check_digit(prefixes["A"] + "001")
    lot = f"{DL}/01/{gtin}/10/L1"
    po_a_c = f"urn:epcglobal:cbv:bt:{glns['A']}:PO-A-C-1"
    po_c_d = f"urn:epcglobal:cbv:bt:{glns['C']}:PO-C-D-1"

    def parties(kind: str, *names: str) -> list[dict[str, str]]:
        return [{"type": "owning_party", kind: f"{DL}/417/{glns[name]}"} for name in names]

    def site(name: str) -> dict[str, str]:
        return {"id": f"{DL}/414/{glns[name]}"}

    plan = [
        ("A commissions", a, _event("commissioning", 0, lot, action="ADD", bizLocation=site("A"))),
        ("A ships to C", a, _event("shipping", 1, lot, bizLocation=site("A"), sourceList=parties("source", "A"),
                                   destinationList=parties("destination", "C"),
                                   bizTransactionList=[{"type": "po", "bizTransaction": po_a_c}],
                                   sensorElementList=_sensor(3.0))),
        ("C receives from A", c, _event("receiving", 2, lot, bizLocation=site("C"),
                                        sourceList=parties("source", "A"), destinationList=parties("destination", "C"))),
        ("C ships to D", c, _event("shipping", 3, lot, bizLocation=site("C"), sourceList=parties("source", "C"),
                                   destinationList=parties("destination", "D"),
                                   bizTransactionList=[{"type": "po", "bizTransaction": po_c_d}])),
        ("B inspects", b, _event("inspecting", 4, lot, bizLocation=site("B"), sensorElementList=_sensor(99.0))),
    ]
    ids: dict[str, str] = {}
    ctx = ApiContext.open(live_system.settings())
    with contextlib.closing(ctx):
        for name, who, event in plan:
            assert who.account is not None
            (leaf,) = record_events(ctx, [event], private_key=bytes(who.account.key),
                                    submitter=who.account.address, enterprise_id=who.id, with_graph=True)
            with ctx.log_store.db.transaction(write=False) as cursor:
                ids[name] = str(cursor.execute("SELECT event_hash_id FROM api_events WHERE leaf_index = ?",
                                               (leaf,)).fetchone()[0])
    yield Chain(live_system, a, b, c, lot, po_a_c, po_c_d, f"{DL}/417/{glns['C']}", f"{DL}/417/{glns['D']}", ids)


def _trace(chain: Chain, who: RegisteredEnterprise | str) -> dict[str, Any]:
    response = chain.get("/v1/trace", who, id=chain.lot)
    assert response.status_code == 200, response.text
    return response.json()


def _named(chain: Chain, hash_ids: list[str]) -> set[str]:
    by_id = {hash_id: name for name, hash_id in chain.ids.items()}
    return {by_id[hash_id] for hash_id in hash_ids if hash_id in by_id}


def test_outsider_trace_of_anothers_lot_shows_only_its_own_event(chain: Chain) -> None:
    """Issue 13's probe: B's trace of A's lot returns neither A's commissioning nor its
    shipping, nor A's customer's GLN, nor A's purchase-order id."""
    body = _trace(chain, chain.b)
    assert _named(chain, [e["eventHashId"] for e in body["events"]]) == {"B inspects"}
    assert body["scope"] == "own-and-adjacent"
    text = str(body)
    for leaked in (chain.ids["A commissions"], chain.ids["A ships to C"], chain.gln_c, chain.po_a_c,
                   chain.po_c_d, chain.a.id.lower()):
        assert leaked not in text, leaked


def test_enterprise_trace_shows_own_events_and_its_customers_receipt(chain: Chain) -> None:
    body = _trace(chain, chain.a)
    assert _named(chain, [e["eventHashId"] for e in body["events"]]) == {
        "A commissions", "A ships to C", "C receives from A"}
    targets = {edge["target"] for edge in body["edges"]}
    assert chain.po_a_c in targets and chain.gln_c in targets  # the adjacent hop, both sides
    assert chain.po_c_d not in targets and chain.gln_d not in targets  # C's customer: a step too far


def test_customer_trace_shows_its_suppliers_shipment_not_its_commissioning(chain: Chain) -> None:
    body = _trace(chain, chain.c)
    assert _named(chain, [e["eventHashId"] for e in body["events"]]) == {
        "A ships to C", "C receives from A", "C ships to D"}


def test_regulator_trace_shows_everything(chain: Chain) -> None:
    body = _trace(chain, "regulator")
    assert _named(chain, [e["eventHashId"] for e in body["events"]]) == set(chain.ids)
    assert body["scope"] == "all"


def test_event_queries_follow_the_same_rules(chain: Chain) -> None:
    def listed(who: RegisteredEnterprise | str) -> set[str]:
        response = chain.get("/v1/events", who, MATCH_anyEPCClass=chain.lot)
        assert response.status_code == 200, response.text
        return _named(chain, [record["eventHashId"] for record in response.json()["events"]])

    assert listed(chain.a) == {"A commissions", "A ships to C", "C receives from A"}
    assert listed(chain.b) == {"B inspects"}
    assert listed(chain.c) == {"A ships to C", "C receives from A", "C ships to D"}
    assert listed("regulator") == set(chain.ids)


def test_event_by_id_is_404_unless_readable(chain: Chain) -> None:
    def status(name: str, who: RegisteredEnterprise) -> int:
        return chain.get(f"/v1/events/{quote(chain.ids[name], safe='')}", who).status_code

    assert status("A ships to C", chain.c) == 200  # its supplier's shipment to it
    assert status("A commissions", chain.c) == 404  # a step too far back
    assert status("A ships to C", chain.b) == 404
    assert status("C ships to D", chain.a) == 404  # a step too far forward
    assert status("B inspects", chain.b) == 200


def test_proof_bundle_carries_the_body_only_for_readers(chain: Chain) -> None:
    def bundle(name: str, who: RegisteredEnterprise | None) -> dict[str, Any]:
        response = chain.get(f"/v1/events/{quote(chain.ids[name], safe='')}/proof", who)
        assert response.status_code == 200, response.text
        return response.json()

    assert bundle("A ships to C", chain.c)["event"]["bizStep"] == "shipping"
    assert "event" not in bundle("A ships to C", chain.b)
    assert "event" not in bundle("A commissions", chain.c)
    assert "event" not in bundle("A commissions", None)
    assert bundle("A commissions", chain.a)["event"]["bizStep"] == "commissioning"


def test_consumer_page_shows_the_custody_chain_only(chain: Chain) -> None:
    """A's public page: A's events and its confirmed customer C's, not B's "inspecting"
    nor B's 99 °C reading in the cold-chain chart."""
    response = chain.get("/v1/public/lookup", None, uri=chain.lot)
    assert response.status_code == 200, response.text
    view = response.json()
    shown = _named(chain, [entry["eventHashId"] for entry in view["timeline"]])
    assert shown == {"A commissions", "A ships to C", "C receives from A", "C ships to D"}
    assert "inspecting" not in [entry["bizStep"] for entry in view["timeline"]]
    assert [reading["value"] for reading in view["sensors"]] == [3.0]
    assert "Outsider B" not in str(view)

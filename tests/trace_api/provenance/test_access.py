"""Who may read what (`trace_api/provenance/access.py`), on SQLite and PostgreSQL.

The world (`access_world.py`): supplier S -> M -> customer C -> D, S also ships to Z, and an
outsider B observes M's lot. Each rule of README "Who may read what" has a positive and a
negative case here; `test_read_isolation.py` holds the same rules through the HTTP API.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session

from gs1.keys import gln_of
from tests.trace_api.provenance.access_world import (
    EVENTS,
    ID,
    LM,
    LS,
    NAMES,
    PO,
    PREFIX,
    key_of,
    party,
    registered,
    site,
)
from tests.trace_api.provenance.graphdb import GraphDb
from trace_api.enterprises.store import EnterpriseRow
from trace_api.provenance.access import (
    SERVICE_STEPS,
    Directory,
    Party,
    ReadScope,
    custody_leaves,
    custody_members,
    party_of,
    readable_leaves,
)
from trace_api.provenance.graph import BACKWARD, BOTH, FORWARD
from trace_api.provenance.impact import compute_impact
from trace_api.provenance.reader import SqlGraphReader
from trace_api.provenance.trace import TraceResult, trace_graph

# What each enterprise reads of EVENTS (rules 1-3); regulators read everything.
READS = {
    "M": {"M receives LS from S", "M makes LM from LS", "M ships LM to C",  # rule 1: its own
          "S ships LS to M",  # rule 2: its supplier's shipment names it as destination
          "C receives LM from M",  # rule 2: its customer's receipt names it as source
          "B claims LM came from M",  # rule 2: B chose to name M (it reveals B's event, nothing of M's)
          "C ships LM to M's rented site",  # rule 2 by a registered GLN outside its prefix
          "B observes LM at M's site"},  # rule 3: bizLocation is M's
    "B": {"B inspects LM", "B observes LM at M's site", "B reads LM at a read point of M",
          "B claims LM came from M"},  # its own only: nobody names B
    "C": {"C receives LM from M", "C ships LM to D", "C ships LM to M's rented site", "M ships LM to C"},
    "S": {"S commissions LS", "S ships LS to M", "S ships LS to Z", "M receives LS from S"},
}


@pytest.fixture
def world(graph_db: GraphDb) -> dict[str, int]:
    """EVENTS loaded as captured records: event name -> leaf index; enterprises registered."""
    leaves = {}
    for name, who, event in EVENTS:
        (leaves[name],) = graph_db.load([event], enterprise_id=ID[who])
    with Session(graph_db.engine) as session:
        for who in PREFIX:
            me = registered(who)
            session.add(EnterpriseRow(
                enterprise_id=ID[who], uscc=f"91350100MA{who * 7}X", name=f"Enterprise {who}",
                sectors_json='["food"]', prefixes_json=json.dumps(list(me.prefixes)),
                glns_json=json.dumps(sorted(me.glns)), custody="self", signing_address="0x" + "0" * 40,
                status="active", registered_at_ms=0, updated_at_ms=0))
        session.commit()
    return leaves


def _trace(graph_db: GraphDb, identifier: str, scope: ReadScope | None, direction: str = BOTH) -> TraceResult:
    with graph_db.connect() as connection:
        return trace_graph(connection, identifier, direction, scope=scope)


def _names(world: dict[str, int], leaves: set[int]) -> set[str]:
    return {name for name in NAMES if world[name] in leaves}


def _event_names(world: dict[str, int], result: TraceResult) -> set[str]:
    return _names(world, {event.facts.leaf_index for event in result.events})


@pytest.mark.parametrize("reader", sorted(READS))
def test_trace_shows_own_events_and_the_adjacent_hop_only(graph_db: GraphDb, world: dict[str, int],
                                                          reader: str) -> None:
    """Rules 1-3 through `/v1/trace`'s engine: the whole chain LS -> LM is reached, and the
    answer holds exactly the events `reader` may read."""
    result = _trace(graph_db, LM, ReadScope(party_of(graph_db.engine, ID[reader])))
    assert _event_names(world, result) == READS[reader]
    everything = _trace(graph_db, LM, ReadScope.everything())
    assert _event_names(world, everything) == set(NAMES)


def test_outsider_probe_reveals_nothing_of_the_chain(graph_db: GraphDb, world: dict[str, int]) -> None:
    """Issue 13's probe: B recorded an event naming M's lot; B's trace of that lot shows B's
    events only: none of M's (commissioning, shipping), not M's customer, no PO id, not the
    lot it was made from, no enterprise but B."""
    result = _trace(graph_db, LM, ReadScope(registered("B")))
    assert {e.facts.enterprise_id for e in result.events} == {ID["B"]}
    node_ids = {node.id for node in result.nodes}
    targets = {edge.target for edge in result.edges}
    for leaked in (key_of(party("C")), key_of(party("D")), key_of(site("C")), key_of(LS),
                   *PO.values(), f"urn:traceledger:enterprise:{ID['M']}"):
        assert leaked not in node_ids and leaked not in targets, leaked
    assert key_of(LM) in node_ids and result.cycles == []


def test_adjacent_events_bring_their_places_but_nothing_beyond(graph_db: GraphDb,
                                                               world: dict[str, int]) -> None:
    """M sees its supplier's PO with it (in the adjacent shipment) and its customer C, but
    not C's customer D, S's other customer Z, or their purchase orders."""
    result = _trace(graph_db, LM, ReadScope(registered("M")))
    targets = {edge.target for edge in result.edges}
    assert {PO["S-M"], PO["M-C"], key_of(party("S")), key_of(party("C"))} <= targets
    for hidden in (PO["C-D"], PO["S-Z"], key_of(party("D")), key_of(party("Z"))):
        assert hidden not in targets
    assert {n.id for n in result.nodes if n.kind == "enterprise"} == {
        f"urn:traceledger:enterprise:{ID[who]}" for who in ("S", "M", "C", "B")}


def test_backward_path_is_walked_across_hidden_events(graph_db: GraphDb, world: dict[str, int]) -> None:
    """C may not read M's transformation, yet its trace still starts from what it holds;
    the lot LM was made from stays hidden (only the hidden transformation names it)."""
    result = _trace(graph_db, LM, ReadScope(registered("C")), BACKWARD)
    assert key_of(LS) not in {node.id for node in result.nodes}
    as_regulator = _trace(graph_db, LM, ReadScope.everything(), BACKWARD)
    assert key_of(LS) in {node.id for node in as_regulator.nodes}


def test_read_point_objects_and_transactions_never_make_an_event_readable(graph_db: GraphDb,
                                                                         world: dict[str, int]) -> None:
    """Negative of rules 2-3: a readPoint at M's site, M's lot among the objects, or M's
    PO among the transactions do not make another party's event M's to read."""
    probes = ["B reads LM at a read point of M", "B inspects LM", "C ships LM to D"]
    with graph_db.connect() as connection:
        seen = readable_leaves(connection, ReadScope(registered("M")), [(world[n], ID["B"]) for n in probes])
    assert seen == set()
    positive = "B observes LM at M's site"
    with graph_db.connect() as connection:
        assert readable_leaves(connection, ReadScope(registered("M")), [(world[positive], ID["B"])]) == {
            world[positive]}


def test_registered_glns_and_prefixes_name_an_enterprise() -> None:
    me = registered("M")
    assert me.named_by(key_of(site("M"))) and me.named_by(key_of(party("M")))
    assert me.named_by(key_of("urn:epc:id:sgln:4000099.00007.0"))  # registered outside its prefix
    assert not me.named_by(key_of(site("C")))
    assert not me.named_by(key_of("urn:epc:id:sgln:4000099.00008.0"))  # same foreign prefix, not registered
    assert not me.named_by("https://id.gs1.org/01/04000002543215")  # a product is not a place
    assert gln_of(None) is None and gln_of("urn:uuid:x") is None
    # Longest prefix wins, as in capture's write rule: a prefix nested in M's is not M's.
    nested = Party.of(ID["M"], [], [PREFIX["M"]], [PREFIX["M"], PREFIX["M"] + "1"])
    assert nested.named_by(key_of(site("M")))
    assert not nested.named_by(key_of(f"urn:epc:id:sgln:{PREFIX['M']}1.0001.0"))


def test_sql_prefilter_is_a_superset_of_the_rule(graph_db: GraphDb, world: dict[str, int]) -> None:
    """`/v1/events` pages with `sql_prefilter`, then applies `may_read`: the SQL must keep
    every readable event (here it keeps exactly those)."""
    for reader, expected in READS.items():
        scope = ReadScope(registered(reader))
        condition, params = scope.sql_prefilter("e")
        with graph_db.database.transaction(write=False) as cursor:
            rows = cursor.execute(f"SELECT e.leaf_index FROM api_prov_events e WHERE {condition}",
                                  params).fetchall()
        assert _names(world, {int(row[0]) for row in rows}) >= expected
        with graph_db.connect() as connection:
            exact = readable_leaves(connection, scope, [(world[n], ID[who]) for n, who, _e in EVENTS])
        assert _names(world, exact) == expected
    assert ReadScope.everything().sql_prefilter() == ("1 = 1", [])


def test_record_without_graph_row_is_its_recorders_only(graph_db: GraphDb) -> None:
    with graph_db.connect() as connection:
        assert readable_leaves(connection, ReadScope(registered("M")), [(999, ID["M"]), (998, ID["C"])]) == {999}


def test_recall_impact_for_an_enterprise_lists_only_what_it_may_read(graph_db: GraphDb,
                                                                     world: dict[str, int]) -> None:
    """S recalls LS: its impact lists what it may read - LS, and from M's receipt (which
    names S) M and M's site; LM (named only by M's transformation and onward events), C,
    D and B stay in the regulator's impact."""
    with graph_db.connect() as connection:
        full = compute_impact(connection, key_of(LS))
        mine = compute_impact(connection, key_of(LS), scope=ReadScope(registered("S")))
    full_ids = {entry.id for entry in full.entries}
    mine_ids = {entry.id for entry in mine.entries}
    assert {key_of(LM), key_of(party("D")), key_of(site("C"))} <= full_ids
    assert key_of(LS) in mine_ids and key_of(site("M")) in mine_ids and ID["M"] in mine_ids
    assert not {key_of(LM), key_of(party("D")), key_of(site("C")), ID["C"], ID["B"]} & mine_ids


def _facts(graph_db: GraphDb, world: dict[str, int], names: list[str]) -> list:  # type: ignore[type-arg]
    with graph_db.connect() as connection:
        found = SqlGraphReader(connection).events([world[name] for name in names])
    return [found[world[name]] for name in names]


def test_custody_chain_follows_confirmed_hand_offs(graph_db: GraphDb, world: dict[str, int]) -> None:
    """Consumer rule: from the prefix owner M, S joins (S shipped to M, M received from S)
    and C joins (M shipped to C, C received from M); B, who only claims to have received
    from M, does not; D and Z never confirmed anything."""
    directory = Directory.load(graph_db.engine)
    assert directory.owners_of_key("01", "04000002543215") == {ID["M"]}
    facts = _facts(graph_db, world, NAMES)
    members = custody_members(facts, {ID["M"]}, directory)
    assert members == {ID["S"], ID["M"], ID["C"]}
    one_sided = _facts(graph_db, world, ["M receives LS from S", "M ships LM to C", "B claims LM came from M"])
    assert custody_members(one_sided, {ID["M"]}, directory) == {ID["M"]}  # no confirmations
    assert custody_members(facts, set(), directory) == set()  # no prefix owner: nobody vouches


def test_custody_leaves_drop_the_outsider(graph_db: GraphDb, world: dict[str, int]) -> None:
    shown = custody_leaves(graph_db.engine, "01", "04000002543215", list(world.values()))
    assert not {name for name in _names(world, shown) if name.startswith("B ")}
    assert {"S ships LS to M", "M ships LM to C", "C receives LM from M"} <= _names(world, shown)


def test_equipment_service_needs_a_members_engagement(graph_db: GraphDb) -> None:
    """Equipment: an inspection by a party a custody member's event names counts; one by a
    party nobody engaged does not, even on the same lift."""
    maker, inspector, stranger = ID["S"], ID["C"], ID["B"]
    lift = f"urn:epc:id:giai:{PREFIX['S']}.LIFT1"

    def on_lift(step: str, day: int, **extra: object) -> dict:  # type: ignore[type-arg]
        return {"type": "ObjectEvent", "eventTime": f"2026-04-{day:02d}T08:00:00.000Z",
                "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": step, "epcList": [lift], **extra}

    leaves = graph_db.load([on_lift("installing", 1, destinationList=[
        {"type": "possessing_party", "destination": party("C")}])], maker)
    leaves += graph_db.load([on_lift("inspecting", 2)], inspector)
    leaves += graph_db.load([on_lift("inspecting", 3)], stranger)
    with Session(graph_db.engine) as session:
        for who in ("S", "C", "B"):
            me = registered(who)
            session.add(EnterpriseRow(
                enterprise_id=ID[who], uscc=f"91350100MB{who * 7}X", name=who, sectors_json='["special_equipment"]',
                prefixes_json=json.dumps(list(me.prefixes)), glns_json="[]", custody="self",
                signing_address="0x" + "0" * 40, status="active", registered_at_ms=0, updated_at_ms=0))
        session.commit()
    giai = PREFIX["S"] + "LIFT1"
    assert custody_leaves(graph_db.engine, "8004", giai, leaves, service_steps=SERVICE_STEPS) == set(leaves[:2])
    assert custody_leaves(graph_db.engine, "8004", giai, leaves) == {leaves[0]}  # food: no service steps


def test_regulator_scope_and_party_of_unknown_enterprise(graph_db: GraphDb) -> None:
    assert ReadScope.everything().unrestricted and ReadScope.everything().name == "all"
    unknown = party_of(graph_db.engine, "0x" + "f" * 64)
    assert unknown == Party.of("0x" + "f" * 64)
    assert ReadScope(unknown).name == "own-and-adjacent"


@pytest.mark.parametrize("direction", [BACKWARD, FORWARD])
def test_trace_verdict_and_counts_cover_readable_events_only(graph_db: GraphDb, world: dict[str, int],
                                                             direction: str) -> None:
    result = _trace(graph_db, LM, ReadScope(registered("B")), direction)
    assert all(e.facts.enterprise_id == ID["B"] for e in result.events)
    assert {edge.leaf_index for edge in result.edges} <= {e.facts.leaf_index for e in result.events}

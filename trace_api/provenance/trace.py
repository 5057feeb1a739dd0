"""`trace(ctx, identifier, direction, depth, at) -> TraceResult`: a product's provenance.

Walks the graph (`graph.walk`) backward, forward or both from one identifier, then reads
the events that made the traversed links and those naming each reached identifier, and
shapes the answer as nodes (identifiers, transformation joints, locations, parties,
transactions, enterprises) and edges (each made by one event), with every event's
verification state and one chain verdict: `verified` only if every event verifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Connection

from gs1.errors import IdentifierError
from gs1.keys import (
    ENTERPRISE,
    LOCATION,
    PARTY,
    PRODUCT,
    TRANSACTION,
    enterprise_key,
    kind_of_key,
    parse_identifier,
)
from trace_api.context import ApiContext
from trace_api.provenance.access import ReadScope
from trace_api.provenance.errors import ProvenanceError
from trace_api.provenance.event_states import UNCHECKED, EventVerification, event_states
from trace_api.provenance.graph import BACKWARD, BOTH, DIRECTIONS, FORWARD, Link, find_cycles, walk
from trace_api.provenance.reader import EventFacts, SqlGraphReader

DEFAULT_DEPTH = 10
MAX_DEPTH = 25
"""Deeper than any real food or equipment chain (farm to shelf is ~6-8 hops); a bound, not a goal."""
MAX_NODES = 10_000
"""Identifier nodes per trace; a larger answer is cut and says so (`truncated`)."""


class UnknownIdentifierError(ProvenanceError):
    """No captured event names this identifier (HTTP 404)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no captured event names {key}")
        self.key = key


EventChecker = Callable[[list[EventFacts]], dict[int, EventVerification]]
"""Gives the verification state of events, by leaf index (`event_states.event_states`)."""


@dataclass(frozen=True)
class TraceNode:
    id: str
    kind: str
    depth: dict[str, int] = field(default_factory=dict)  # direction -> hops from the start


class TraceEdge(NamedTuple):
    """An edge made by event `leaf_index`; `quantity`/`uom` for class-level identifiers."""

    source: str
    target: str
    relation: str
    leaf_index: int
    quantity: float | None = None
    uom: str | None = None


@dataclass(frozen=True)
class TraceEvent:
    facts: EventFacts
    verification: EventVerification


@dataclass(frozen=True)
class TraceResult:
    """A trace: what it started from, what it reached, how it verifies, and whether it was cut."""

    root: str
    root_kind: str
    direction: str
    depth: int
    at_ms: int | None
    nodes: list[TraceNode]
    edges: list[TraceEdge]
    events: list[TraceEvent]
    cycles: list[list[str]]
    truncated: bool
    truncation_reason: str | None

    @property
    def verdict(self) -> str:
        """`verified` only if every event on the chain verifies; else `unverified`."""
        return "verified" if self.events and all(e.verification.verified for e in self.events) \
            else "unverified"

    @property
    def identifier_nodes(self) -> list[TraceNode]:
        return [n for n in self.nodes if n.kind not in (LOCATION, PARTY, TRANSACTION, ENTERPRISE)]


MAX_AT_DIGITS = 15
"""Milliseconds up to the year 33658: enough, and far below int()'s 4,300-digit limit."""


def parse_at(text: str | None) -> int | None:
    """`at` as ms since the epoch: an RFC 3339 date-time (with offset) or integer ms."""
    if text is None or text == "":
        return None
    digits = text.removeprefix("-")
    if digits.isascii() and digits.isdigit():
        if len(digits) > MAX_AT_DIGITS:
            raise IdentifierError(text, f"`at` in milliseconds has at most {MAX_AT_DIGITS} digits")
        return int(text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise IdentifierError(text, "`at` must be an RFC 3339 date-time or milliseconds") from exc
    if parsed.tzinfo is None:
        raise IdentifierError(text, "`at` needs a time zone offset (e.g. Z or +08:00)")
    return round(parsed.timestamp() * 1000)


@dataclass(frozen=True)
class Reach:
    """What the walks reached: node depths by direction, traversed links, why cut."""

    root: str
    root_kind: str
    depths: dict[str, dict[str, int]]
    links: set[Link]
    truncation_reason: str | None


def reach(reader: SqlGraphReader, identifier: str, direction: str, depth: int, at_ms: int | None,
          max_nodes: int) -> Reach:
    """Walk from `identifier` (both directions for `both`). Raises as `trace_graph`."""
    if direction not in DIRECTIONS:
        raise IdentifierError(direction, "direction must be backward, forward or both")
    if not 0 <= depth <= MAX_DEPTH:
        raise IdentifierError(str(depth), f"depth must be between 0 and {MAX_DEPTH}")
    parsed = parse_identifier(identifier)
    # A GTIN names every lot and item of it: they all start the walk.
    starts = [parsed.key] + (reader.keys_under(parsed.key) if parsed.kind == PRODUCT else [])
    if len(starts) == 1 and not reader.known(starts):
        raise UnknownIdentifierError(parsed.key)
    walks = {d: walk(reader, starts, d, max_depth=depth, max_nodes=max_nodes, at_ms=at_ms)
             for d in ((BACKWARD, FORWARD) if direction == BOTH else (direction,))}
    depths: dict[str, dict[str, int]] = {}
    links: set[Link] = set()
    for name, result in walks.items():
        links |= result.links
        for key, hops in result.depths.items():
            depths.setdefault(key, {})[name] = hops
    reasons = {r.truncation_reason for r in walks.values() if r.truncated}
    reason = "size" if "size" in reasons else ("depth" if reasons else None)
    return Reach(parsed.key, parsed.kind, depths, links, reason)


def trace_graph(
    connection: Connection,
    identifier: str,
    direction: str = BOTH,
    depth: int = DEFAULT_DEPTH,
    at_ms: int | None = None,
    *,
    max_nodes: int = MAX_NODES,
    event_checker: EventChecker | None = None,
    scope: ReadScope | None = None,
) -> TraceResult:
    """Trace `identifier` over the graph tables `connection` reads.

    The walk crosses every event; the result holds only what `scope` may read
    (`access.py`; None: everything): its events, the edges and places they make, the
    identifiers they name (and the start), cycles among their links. An unreadable event
    leaves no trace in the answer, not even a count.

    Raises `IdentifierError` (malformed identifier or arguments) and
    `UnknownIdentifierError` (no event names it). Without `event_checker` every event is
    reported `UNCHECKED` (benchmarks and graph-only callers).
    """
    reader = SqlGraphReader(connection)
    reached = reach(reader, identifier, direction, depth, at_ms, max_nodes)
    return _assemble(reader, reached, direction, depth, at_ms, event_checker, scope)


def _assemble(reader: SqlGraphReader, reached: Reach, direction: str, depth: int, at_ms: int | None,
              event_checker: EventChecker | None, scope: ReadScope | None = None) -> TraceResult:
    root, depths, links = reached.root, reached.depths, reached.links
    identifiers = sorted(depths)
    node_events = reader.node_events(identifiers, at_ms)  # (node, leaf, role, time, quantity, uom)
    leaf_indexes = {link.leaf_index for link in links} | {row[1] for row in node_events}
    facts = reader.events(sorted(leaf_indexes))
    if scope is not None and not scope.unrestricted:
        facts = {leaf: event for leaf, event in facts.items() if scope.may_read(event)}
        links = {link for link in links if link.leaf_index in facts}
        node_events = [row for row in node_events if row[1] in facts]
        named = {row[0] for row in node_events} | {end for link in links for end in (link.src, link.dst)}
        identifiers = [key for key in identifiers if key in named or key == root]
    places = {leaf: list(places_of(event)) for leaf, event in facts.items()}
    nodes: dict[str, TraceNode] = {key: TraceNode(key, kind_of_key(key), depths[key]) for key in identifiers}
    nodes[root] = TraceNode(root, reached.root_kind, depths[root])
    edges: set[TraceEdge] = {TraceEdge(link.src, link.dst, link.relation, link.leaf_index, link.quantity, link.uom)
                             for link in links}
    for node, leaf_index, _role, _time, quantity, uom in node_events:
        for relation, target, kind in places[leaf_index]:
            if target not in nodes:
                nodes[target] = TraceNode(target, kind)
            edges.add(TraceEdge(node, target, relation, leaf_index, quantity, uom))
    for event in facts.values():
        key = enterprise_key(event.enterprise_id)
        nodes.setdefault(key, TraceNode(key, ENTERPRISE))
    ordered = sorted(facts.values(), key=lambda e: (e.event_time_ms, e.leaf_index))
    states = event_checker(ordered) if event_checker is not None else {}
    events = [TraceEvent(e, states.get(e.leaf_index, UNCHECKED)) for e in ordered]
    return TraceResult(
        root=root, root_kind=reached.root_kind, direction=direction, depth=depth, at_ms=at_ms,
        nodes=sorted(nodes.values(), key=lambda n: (n.kind, n.id)),
        edges=sorted(edges, key=_EDGE_ORDER), events=events, cycles=find_cycles(links),
        truncated=reached.truncation_reason is not None, truncation_reason=reached.truncation_reason,
    )


_EDGE_ORDER = itemgetter(3, 2, 0, 1)
"""Edges by event (leaf), relation, source, target: the int first settles most comparisons
of ~10^4 edges whose keys share long URL prefixes."""


def places_of(event: EventFacts) -> Iterable[tuple[str, str, str]]:
    """(relation, target, target kind) of the places, parties and transactions an event names."""
    if event.biz_location is not None:
        yield "biz_location", event.biz_location, LOCATION
    if event.read_point is not None and event.read_point != event.biz_location:
        yield "read_point", event.read_point, LOCATION
    for relation, target in event.refs:
        if relation.startswith("transaction:"):
            yield relation, target, TRANSACTION
        else:
            yield relation, target, LOCATION if relation.endswith(":location") else PARTY


def trace(ctx: ApiContext, identifier: str, direction: str = BOTH, depth: int = DEFAULT_DEPTH,
          at: int | None = None, *, max_nodes: int = MAX_NODES, scope: ReadScope | None = None) -> TraceResult:
    """Trace `identifier` in the API's database, with each readable event's verification
    state (only those are verified and judged in the verdict).

    `at` is ms since the epoch (the graph as of then) or None. Raises as `trace_graph`.
    """
    with ctx.engine.connect() as connection:
        return trace_graph(connection, identifier, direction, depth, at, max_nodes=max_nodes,
                           event_checker=lambda events: event_states(ctx, events), scope=scope)

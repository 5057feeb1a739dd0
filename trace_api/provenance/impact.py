"""What a recall reaches: the forward trace from its subject, as lists by category.

Every downstream lot (GTIN + lot, or a whole GTIN), serialised item, logistic unit
(SSCC), asset, location, party and recording enterprise, each once, sorted. CSV rows
are `category,id,depth` (depth in identifier hops from the recalled thing; empty for
places and enterprises, which are where things went rather than things).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from gs1.keys import (
    ASSET,
    ENTERPRISE,
    ITEM,
    LOCATION,
    LOGISTIC_UNIT,
    LOT,
    OTHER,
    PARTY,
    PRODUCT,
    RETURNABLE_ASSET,
    kind_of_key,
)
from trace_api.csv_cells import csv_writer
from trace_api.provenance.access import ReadScope
from trace_api.provenance.graph import FORWARD, is_transformation
from trace_api.provenance.reader import SqlGraphReader
from trace_api.provenance.trace import MAX_DEPTH, UnknownIdentifierError, places_of, reach

IMPACT_MAX_NODES = 500_000
"""A recall must list everything it reaches; this only guards against a runaway graph."""

CATEGORY_OF_KIND = {LOT: "lot", PRODUCT: "lot", ITEM: "item", LOGISTIC_UNIT: "logistic_unit",
                    ASSET: "asset", RETURNABLE_ASSET: "asset", OTHER: "other", LOCATION: "location",
                    PARTY: "party", ENTERPRISE: "enterprise"}
CATEGORIES = ("lot", "item", "logistic_unit", "asset", "other", "location", "party", "enterprise")


@dataclass(frozen=True)
class ImpactEntry:
    category: str
    id: str
    depth: int | None


@dataclass(frozen=True)
class Impact:
    """The affected things, by category, and whether the walk was cut (it should not be)."""

    start: str
    entries: list[ImpactEntry]
    truncated: bool
    truncation_reason: str | None

    def by_category(self) -> dict[str, list[ImpactEntry]]:
        grouped: dict[str, list[ImpactEntry]] = {category: [] for category in CATEGORIES}
        for entry in self.entries:
            grouped[entry.category].append(entry)
        return grouped

    def counts(self) -> dict[str, int]:
        return {category: len(entries) for category, entries in self.by_category().items()}


def compute_impact(connection: Connection, node_key: str, *, max_nodes: int = IMPACT_MAX_NODES,
                   scope: ReadScope | None = None) -> Impact:
    """The forward walk from `node_key` at full depth, flattened into impact entries: the
    identifiers reached, and the places, parties and enterprises of their events.

    With a restricted `scope` (an enterprise: `access.py`) the walk still crosses every
    event, but only identifiers named by events it may read (and the start), and the
    places, parties and enterprises of those events, are listed.

    Raises as `trace.trace_graph` (unknown or malformed identifier). Builds no edges and
    checks no signatures: a recall list is about what, where and who, quickly.
    """
    reader = SqlGraphReader(connection)
    reached = reach(reader, node_key, FORWARD, MAX_DEPTH, None, max_nodes)
    identifiers = [key for key in reached.depths if not is_transformation(key)]
    restricted = scope is not None and not scope.unrestricted
    if restricted:
        assert scope is not None
        rows = reader.node_events(identifiers, None)
        events = {leaf: event for leaf, event in reader.events(sorted({row[1] for row in rows})).items()
                  if scope.may_read(event)}
        shown = {row[0] for row in rows if row[1] in events} | {reached.root}
        shown |= {end for link in reached.links if link.leaf_index in events for end in (link.src, link.dst)}
    else:
        events = reader.events(sorted(reader.leaves_naming(identifiers)))
        shown = set(reached.depths)
    entries: dict[tuple[str, str], ImpactEntry] = {}
    for key, depths in reached.depths.items():
        kind = reached.root_kind if key == reached.root else kind_of_key(key)
        category = CATEGORY_OF_KIND.get(kind)
        if category is not None and key in shown:  # transformation joints are not affected things
            entries[(category, key)] = ImpactEntry(category, key, depths.get(FORWARD))
    for event in events.values():
        entries.setdefault(("enterprise", event.enterprise_id.lower()),
                           ImpactEntry("enterprise", event.enterprise_id.lower(), None))
        for _relation, target, kind in places_of(event):
            category = CATEGORY_OF_KIND.get(kind)
            if category is not None:  # transactions are documents, not places
                entries.setdefault((category, target), ImpactEntry(category, target, None))
    ordered = sorted(entries.values(), key=lambda e: (CATEGORIES.index(e.category), e.id))
    return Impact(start=reached.root, entries=ordered, truncated=reached.truncation_reason is not None,
                  truncation_reason=reached.truncation_reason)


def impact_in_scope(engine: Engine, node_key: str, scope: ReadScope) -> Impact | None:
    """`compute_impact` of `node_key` as `scope` may see it, or None when no event names it
    (a recall of something never captured here has no downstream)."""
    try:
        with engine.connect() as connection:
            return compute_impact(connection, node_key, scope=scope)
    except UnknownIdentifierError:
        return None


def format_impact_csv(impact: Impact) -> str:
    """CSV (RFC 4180, CRLF line ends) with a header row: category,id,depth."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(("category", "id", "depth"))
    for entry in impact.entries:
        writer.writerow((entry.category, entry.id, "" if entry.depth is None else entry.depth))
    return out.getvalue()

"""Turn captured EPCIS 2.0 events into provenance-graph rows, inside the capture transaction.

Capture computes each event's rows with `event_graph_rows` in its worker processes (where the
event is already decoded, before its leaf is known), sets the leaf with `with_leaf_index` and
inserts them with `insert_graph_rows` using the cursor of the transaction that stores the
records and their log leaves, so a record and its graph rows exist together or not at all.
`write_graph(cursor, events)` does both steps for callers holding whole events (tests,
benches). Rows are computed in Python (no query per event) and inserted in bulk
(`Cursor.insert_rows`: COPY on PostgreSQL), because capture aims at ~20,000 events/s.

What each EPCIS construct becomes (EPCIS 2.0 §7.4; README.md has the full table):

- every identifier an event names (epcList, quantityList, parentID, childEPCs,
  childQuantityList, input/output lists) -> a node-event row with its role and quantity;
- AggregationEvent / AssociationEvent / TransactionEvent with a parentID -> `contains`
  links child -> parent (ADD and DELETE alike: both say the child was in the parent);
- TransformationEvent -> `input` links input -> T and `output` links T -> output, where T
  is one node per transformationID (so inputs and outputs captured in separate events
  join) or per event when it has none;
- a serialised item whose lot is known (ILMD `cbvmda:lotNumber` on commissioning or a
  transformation output, or a Digital Link with /10/) -> `member` link item -> lot class;
- readPoint, bizLocation, sourceList, destinationList, bizTransactionList and the
  capturing enterprise -> columns of the event row (leaf nodes of a trace, never walked).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from anchoring.store.db import Cursor
from gs1.keys import TRANSFORMATION_PREFIX, identifier_key, identify, lot_key_of_item
from trace_api.provenance.models import (
    EVENT_COLUMNS,
    LINK_COLUMNS,
    NODE_EVENT_COLUMNS,
    ProvEvent,
    ProvLink,
    ProvNodeEvent,
)
from trace_api.records.columns import parse_time_ms
from trace_api.records.models import CapturedEvent

# CBV 2.0 vocabulary prefixes: bare words, URNs (EPCIS 1.x style) and Web URIs name the
# same step / disposition.
_VOCABULARY_PREFIXES = (
    "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", "cbv:BizStep-",
    "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", "cbv:Disp-",
    "urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-", "cbv:BTT-",
    "urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-", "cbv:SDT-",
)
LOT_NUMBER_KEYS = ("cbvmda:lotNumber", "lotNumber", "https://ref.gs1.org/cbv/cbvmda#lotNumber")

EventRow = tuple[Any, ...]
LinkRow = tuple[Any, ...]


@lru_cache(maxsize=4096)
def short_vocabulary(value: str) -> str:
    """`shipping` for any CBV spelling of it; a non-CBV URI is kept as it is."""
    for prefix in _VOCABULARY_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


_EVENT_TIMES_MAX = 1 << 16
_event_times: dict[str, int] = {}
"""Parsed `eventTime`s. A dict of strings and ints is never tracked by the cyclic GC, where
an `lru_cache` is walked entry by entry in every full collection (a pause on some request)."""


def event_time_ms(text: str) -> int:
    """Milliseconds since the Unix epoch of an EPCIS `eventTime` (xsd:dateTime with offset)."""
    known = _event_times.get(text)
    if known is not None:
        return known
    parsed = parse_time_ms(text, bare_is_utc=True)
    if len(_event_times) >= _EVENT_TIMES_MAX:
        _event_times.clear()
    known = _event_times[text] = parsed
    return known


def _lot_number(ilmd: Any) -> str | None:
    if not isinstance(ilmd, dict):
        return None
    for key in LOT_NUMBER_KEYS:
        value = ilmd.get(key)
        if isinstance(value, str | int) and str(value):
            return str(value)
    return None


class _EventRows:
    """Collects the link and node-event rows of one event, numbering them."""

    __slots__ = ("_link_ordinal", "_node_ordinal", "leaf_index", "links", "nodes", "time_ms")

    def __init__(self, leaf_index: int, time_ms: int, links: list[LinkRow], nodes: list[LinkRow]) -> None:
        self.leaf_index = leaf_index
        self.time_ms = time_ms
        self.links = links
        self.nodes = nodes
        self._link_ordinal = 0
        self._node_ordinal = 0

    def node(self, key: str, role: str, quantity: float | None = None, uom: str | None = None) -> None:
        self.nodes.append((self.leaf_index, self._node_ordinal, key, role, self.time_ms, quantity, uom))
        self._node_ordinal += 1

    def link(self, relation: str, src: str, dst: str,
             quantity: float | None = None, uom: str | None = None) -> None:
        self.links.append((self.leaf_index, self._link_ordinal, relation, src, dst, self.time_ms,
                           quantity, uom))
        self._link_ordinal += 1

    def epcs(self, uris: Any, role: str, lot: str | None = None) -> list[str]:
        """Record instance identifiers; link items to their lot class. Returns the keys."""
        keys: list[str] = []
        for uri in uris if isinstance(uris, list) else ():
            if not isinstance(uri, str):
                continue
            ident = identify(uri)
            self.node(ident.key, role)
            lot_key = ident.lot_key or (lot_key_of_item(ident.key, lot) if lot and ident.kind == "item"
                                        else None)
            if lot_key is not None:
                self.link("member", ident.key, lot_key)
            keys.append(ident.key)
        return keys

    def quantities(self, elements: Any, role: str) -> list[tuple[str, float | None, str | None]]:
        """Record class-level identifiers with quantities. Returns (key, quantity, uom)."""
        found: list[tuple[str, float | None, str | None]] = []
        for element in elements if isinstance(elements, list) else ():
            if not isinstance(element, dict) or not isinstance(element.get("epcClass"), str):
                continue
            key = identifier_key(element["epcClass"])
            quantity = element.get("quantity")
            quantity = float(quantity) if isinstance(quantity, int | float) else None
            uom = element.get("uom") if isinstance(element.get("uom"), str) else None
            self.node(key, role, quantity, uom)
            found.append((key, quantity, uom))
        return found


def _refs(event: Mapping[str, Any]) -> list[list[str]]:
    refs: list[list[str]] = []
    for member, relation, value_key in (("sourceList", "source", "source"),
                                        ("destinationList", "destination", "destination")):
        for entry in event.get(member) or ():
            if isinstance(entry, dict) and isinstance(entry.get(value_key), str):
                kind = short_vocabulary(str(entry.get("type", "")))
                refs.append([f"{relation}:{kind}", identifier_key(entry[value_key])])
    for entry in event.get("bizTransactionList") or ():
        if isinstance(entry, dict) and isinstance(entry.get("bizTransaction"), str):
            kind = short_vocabulary(str(entry.get("type", "")))
            refs.append([f"transaction:{kind}", entry["bizTransaction"]])
    return refs


def _location(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return identifier_key(value["id"])
    return None


def graph_rows(events: Iterable[CapturedEvent]) -> tuple[list[EventRow], list[LinkRow], list[LinkRow]]:
    """The (event, link, node-event) rows of `events`, in the column order of `models`."""
    event_rows: list[EventRow] = []
    links: list[LinkRow] = []
    nodes: list[LinkRow] = []
    for captured in events:
        event_rows.append(_append_rows(captured.leaf_index, captured.event_hash_id,
                                       captured.enterprise_id, captured.event, links, nodes))
    return event_rows, links, nodes


def event_graph_rows(leaf_index: int, event_hash_id: str, enterprise_id: str,
                     event: Mapping[str, Any]) -> tuple[EventRow, list[LinkRow], list[LinkRow]]:
    """The (event row, link rows, node-event rows) of one event, as `graph_rows` makes them.

    Capture computes these in its worker processes, where the event is already decoded,
    with a placeholder `leaf_index` (the leaf is assigned at commit); `with_leaf_index`
    then sets the real one. Every row starts with the leaf index.
    """
    links: list[LinkRow] = []
    nodes: list[LinkRow] = []
    event_row = _append_rows(leaf_index, event_hash_id, enterprise_id, event, links, nodes)
    return event_row, links, nodes


def with_leaf_index(rows: Iterable[tuple[Any, ...]], leaf_index: int) -> list[tuple[Any, ...]]:
    """`rows` (from `event_graph_rows`) with their first column set to `leaf_index`."""
    return [(leaf_index, *row[1:]) for row in rows]


def _append_rows(leaf_index: int, event_hash_id: str, enterprise_id: str, event: Mapping[str, Any],
                 links: list[LinkRow], nodes: list[LinkRow]) -> EventRow:
    """Append the event's link and node-event rows to `links` / `nodes`; return its event row."""
    event_type = str(event.get("type", ""))
    time_ms = event_time_ms(event["eventTime"])
    rows = _EventRows(leaf_index, time_ms, links, nodes)
    action = event.get("action") if isinstance(event.get("action"), str) else None
    lot = _lot_number(event.get("ilmd"))
    if event_type == "TransformationEvent":
        _transformation(rows, event_hash_id, event, lot)
    else:
        epcs = rows.epcs(event.get("epcList"), "epc", lot)
        quantities = rows.quantities(event.get("quantityList"), "quantity")
        parent = event.get("parentID")
        if isinstance(parent, str):
            parent_key = identifier_key(parent)
            rows.node(parent_key, "parent")
            for child in rows.epcs(event.get("childEPCs"), "child"):
                rows.link("contains", child, parent_key)
            for child, quantity, uom in rows.quantities(event.get("childQuantityList"), "child"):
                rows.link("contains", child, parent_key, quantity, uom)
            if event_type == "TransactionEvent":  # its parentID (a pallet) carries its EPCs
                for child in epcs:
                    rows.link("contains", child, parent_key)
                for child, quantity, uom in quantities:
                    rows.link("contains", child, parent_key, quantity, uom)
        else:
            rows.epcs(event.get("childEPCs"), "child")
            rows.quantities(event.get("childQuantityList"), "child")
    biz_step = event.get("bizStep")
    disposition = event.get("disposition")
    refs = _refs(event)
    return (
        leaf_index, event_hash_id, enterprise_id, event_type, action,
        short_vocabulary(biz_step) if isinstance(biz_step, str) else None,
        short_vocabulary(disposition) if isinstance(disposition, str) else None,
        time_ms, _location(event.get("readPoint")), _location(event.get("bizLocation")),
        # most events have no sources, destinations or transactions: skip the encoder
        json.dumps(refs, separators=(",", ":")) if refs else "[]",
    )


def _transformation(rows: _EventRows, event_hash_id: str, event: Mapping[str, Any], lot: str | None) -> None:
    transformation_id = event.get("transformationID")
    hub = TRANSFORMATION_PREFIX + (
        transformation_id if isinstance(transformation_id, str) and transformation_id
        else event_hash_id
    )
    for key in rows.epcs(event.get("inputEPCList"), "input"):
        rows.link("input", key, hub)
    for key, quantity, uom in rows.quantities(event.get("inputQuantityList"), "input"):
        rows.link("input", key, hub, quantity, uom)
    for key in rows.epcs(event.get("outputEPCList"), "output", lot):
        rows.link("output", hub, key)
    for key, quantity, uom in rows.quantities(event.get("outputQuantityList"), "output"):
        rows.link("output", hub, key, quantity, uom)


def write_graph(cursor: Cursor, events: Sequence[CapturedEvent]) -> None:
    """Insert the provenance rows of `events` using `cursor` (the capture transaction's).

    Promises: no query per event (three bulk inserts), no commit (the caller's transaction
    commits or rolls back everything). Requires every event to have a valid `eventTime`
    (capture validated it) and leaf indexes not yet in the graph.
    """
    if not events:
        return
    insert_graph_rows(cursor, *graph_rows(events))


def insert_graph_rows(cursor: Cursor, event_rows: Sequence[EventRow], links: Sequence[LinkRow],
                      nodes: Sequence[LinkRow]) -> None:
    """Insert rows made by `graph_rows` / `event_graph_rows` (three bulk inserts, no commit)."""
    cursor.insert_rows(ProvEvent.__tablename__, EVENT_COLUMNS, event_rows)
    cursor.insert_rows(ProvLink.__tablename__, LINK_COLUMNS, links)
    cursor.insert_rows(ProvNodeEvent.__tablename__, NODE_EVENT_COLUMNS, nodes)

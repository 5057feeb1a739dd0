"""Batched reads of the provenance tables: one query per frontier (chunk), never per node.

`SqlGraphReader(connection)` reads through the DB-API connection under a SQLAlchemy
connection: traces fetch tens of thousands of rows, and SQLAlchemy's result rows cost
~10 µs each where the driver's tuples cost ~1 µs (measured with `bench trace`).
PostgreSQL gets `= ANY(%s)` with one array parameter (one plan, any frontier size);
SQLite gets `IN (?, ...)` in chunks of `IN_CHUNK`, within its parameter limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection

from trace_api.provenance.graph import Link

IN_CHUNK = 900
"""Keys per SQLite `IN (...)`: below its historic 999-parameter limit."""

_LINK_COLUMNS = "src, dst, relation, leaf_index, event_time_ms, quantity, uom"
_NODE_EVENT_COLUMNS = "node, leaf_index, role, event_time_ms, quantity, uom"
_EVENT_COLUMNS = ("leaf_index, event_hash_id, enterprise_id, event_type, action, biz_step, disposition,"
                  " event_time_ms, read_point, biz_location, refs")


class NodeEvent(NamedTuple):
    """An identifier named by an event, with its role there. `node_events` returns the
    driver's plain tuples in this field order (a trace reads ~10^4 of them)."""

    node: str
    leaf_index: int
    role: str
    event_time_ms: int
    quantity: float | None
    uom: str | None


@dataclass(frozen=True)
class EventFacts:
    """An `api_prov_events` row, refs decoded."""

    leaf_index: int
    event_hash_id: str
    enterprise_id: str
    event_type: str
    action: str | None
    biz_step: str | None
    disposition: str | None
    event_time_ms: int
    read_point: str | None
    biz_location: str | None
    refs: tuple[tuple[str, str], ...]


class SqlGraphReader:
    """`GraphReader` plus the reads a trace result needs, over one SQLAlchemy connection."""

    def __init__(self, connection: Connection) -> None:
        self._driver: Any = connection.connection.driver_connection
        self._postgres = connection.dialect.name == "postgresql"

    def _rows(self, select_from: str, column: str, keys: Sequence[Any], where: str = "",
              extra: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of `SELECT <select_from> WHERE <column> IN keys <where>` (`?` in `where`)."""
        if not keys:
            return
        cursor = self._driver.cursor()
        try:
            if self._postgres:
                cursor.execute(f"SELECT {select_from} WHERE {column} = ANY(%s){where.replace('?', '%s')}",
                               [list(keys), *extra])
                yield from cursor.fetchall()
                return
            for offset in range(0, len(keys), IN_CHUNK):
                chunk = list(keys[offset:offset + IN_CHUNK])
                marks = ",".join("?" * len(chunk))
                cursor.execute(f"SELECT {select_from} WHERE {column} IN ({marks}){where}", [*chunk, *extra])
                yield from cursor.fetchall()
        finally:
            cursor.close()

    def _links(self, column: str, nodes: Sequence[str], at_ms: int | None,
               relations: frozenset[str] | None) -> list[Link]:
        where, extra = "", []
        if at_ms is not None:
            where, extra = " AND event_time_ms <= ?", [at_ms]
        if relations is not None:  # relation names are our constants, never input
            where += " AND relation IN (" + ",".join(f"'{r}'" for r in sorted(relations)) + ")"
        return [Link(*row) for row in self._rows(f"{_LINK_COLUMNS} FROM api_prov_links", column, nodes,
                                                 where, extra)]

    def links_from(self, nodes: Sequence[str], at_ms: int | None,
                   relations: frozenset[str] | None = None) -> list[Link]:
        return self._links("src", nodes, at_ms, relations)

    def links_to(self, nodes: Sequence[str], at_ms: int | None,
                 relations: frozenset[str] | None = None) -> list[Link]:
        return self._links("dst", nodes, at_ms, relations)

    def node_events(self, nodes: Sequence[str], at_ms: int | None) -> list[NodeEvent]:
        """Every (node, event) pair for `nodes`, events at or before `at_ms` if given, as
        tuples in `NodeEvent` field order (index them; they are not `NodeEvent` objects)."""
        where, extra = (" AND event_time_ms <= ?", [at_ms]) if at_ms is not None else ("", [])
        return list(self._rows(f"{_NODE_EVENT_COLUMNS} FROM api_prov_node_events", "node", nodes,
                               where, extra))  # type: ignore[arg-type]

    def leaves_naming(self, nodes: Sequence[str]) -> set[int]:
        """Leaf indexes of the events that name any of `nodes`."""
        return {row[0] for row in self._rows("leaf_index FROM api_prov_node_events", "node", nodes)}

    def events(self, leaf_indexes: Sequence[int]) -> dict[int, EventFacts]:
        """The event rows of `leaf_indexes`, by leaf index."""
        out: dict[int, EventFacts] = {}
        for row in self._rows(f"{_EVENT_COLUMNS} FROM api_prov_events", "leaf_index",
                              sorted(set(leaf_indexes))):
            refs = tuple((relation, key) for relation, key in json.loads(row[10]))
            out[row[0]] = EventFacts(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                                     row[9], refs)
        return out

    def keys_under(self, key: str) -> list[str]:
        """Keys that extend `key` by a path (`key/...`): a GTIN's lots and serialised items.

        A range on the indexed column (`/` is 0x2F, `0` is 0x30) rather than LIKE, which
        neither database would serve from a plain b-tree index on text.
        """
        mark = "%s" if self._postgres else "?"
        cursor = self._driver.cursor()
        try:
            cursor.execute(
                f"SELECT node FROM api_prov_node_events WHERE node > {mark} AND node < {mark}"
                f" UNION SELECT dst FROM api_prov_links WHERE dst > {mark} AND dst < {mark}",
                [key + "/", key + "0"] * 2)
            return sorted(row[0] for row in cursor.fetchall())
        finally:
            cursor.close()

    def known(self, nodes: Sequence[str]) -> set[str]:
        """Which of `nodes` some event names (as identifier, class or link end)."""
        found = {row[0] for row in self._rows("node FROM api_prov_node_events", "node", nodes)}
        found.update(row[0] for row in self._rows("dst FROM api_prov_links", "dst", nodes))
        return found

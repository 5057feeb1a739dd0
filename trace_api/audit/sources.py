"""Reading what the audit needs from SQL: records (`api_events`, `api_event_epcs`, written
by `trace_api.records`) and chain facts from the indexer mirror (`chain_*`).

Tables are addressed by the column names of the trace_api README contract through
SQLAlchemy Core, and read in batches with server-side cursors, so a scan of millions of
records holds one batch in memory. The mirror is read, never written.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, and_, column, or_, select, table

from contracts.anchored_head import AnchoredHead
from trace_api.anchors import anchors_from_mirror
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import RecallChange, StatusChange

BATCH_ROWS = 2_000
"""Rows fetched per round trip: large enough to amortise it, small enough to bound memory."""

LEAF_CHUNK = 1_000
"""Leaf indexes per `IN (...)` list: far below SQLite's and PostgreSQL's parameter limits."""

api_events = table(
    "api_events", column("leaf_index"), column("event_hash_id"), column("enterprise_id"),
    column("submitter"), column("entry"), column("received_at_ms"), column("event_time_ms"),
    column("event_type"), column("biz_step"), column("body"),
)
api_event_epcs = table("api_event_epcs", column("leaf_index"), column("epc"), column("role"))
chain_blocks = table("chain_blocks", column("number"), column("timestamp"))
chain_enterprise_history = table(
    "chain_enterprise_history", column("enterprise_id"), column("status"), column("block_number"),
    column("log_index"), column("transaction_hash"),
)
chain_recall_history = table(
    "chain_recall_history", column("subject"), column("sequence"), column("status"),
    column("recall_class"), column("block_number"), column("log_index"),
)


@dataclass(frozen=True, kw_only=True)
class EventFilter:
    """Which records to read. Times are event times in ms, `to_ms` exclusive."""

    enterprise_id: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    leaf_indexes: Sequence[int] | None = None
    epcs: Sequence[str] | None = None
    epc_suffix: str | None = None
    """Also match any `epc` ending with this text (a Digital Link path on any host)."""


def _event(row: Any) -> AuditEvent:
    entry = row.entry
    return AuditEvent(
        leaf_index=int(row.leaf_index), event_hash_id=row.event_hash_id,
        enterprise_id=str(row.enterprise_id).lower(), submitter=row.submitter,
        received_at_ms=int(row.received_at_ms), body=json.loads(row.body),  # Text column
        entry=bytes(entry) if entry is not None else None,
    )


def _conditions(where: EventFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.enterprise_id is not None:
        conditions.append(api_events.c.enterprise_id == where.enterprise_id.lower())
    if where.from_ms is not None:
        conditions.append(api_events.c.event_time_ms >= where.from_ms)
    if where.to_ms is not None:
        conditions.append(api_events.c.event_time_ms < where.to_ms)
    if where.leaf_indexes is not None:
        conditions.append(api_events.c.leaf_index.in_(list(where.leaf_indexes)))
    if where.epcs is not None or where.epc_suffix is not None:
        matches = []
        if where.epcs:
            matches.append(api_event_epcs.c.epc.in_(list(where.epcs)))
        if where.epc_suffix:
            matches.append(api_event_epcs.c.epc.like("%" + _escape_like(where.epc_suffix),
                                                     escape="\\"))
        if not matches:
            return [api_events.c.leaf_index.is_(None)]  # asked for no identifiers: nothing
        conditions.append(api_events.c.leaf_index.in_(
            select(api_event_epcs.c.leaf_index).where(or_(*matches)).distinct()))
    return conditions


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def iter_events(engine: Engine, where: EventFilter) -> Iterator[AuditEvent]:
    """Records matching `where`, in log order, fetched `BATCH_ROWS` at a time (keyset
    pagination on leaf_index, so each query is short and memory stays bounded)."""
    if where.leaf_indexes is not None and len(where.leaf_indexes) > LEAF_CHUNK:
        ordered = sorted(set(where.leaf_indexes))
        for start in range(0, len(ordered), LEAF_CHUNK):
            chunk = replace(where, leaf_indexes=ordered[start:start + LEAF_CHUNK])
            yield from iter_events(engine, chunk)
        return
    after = -1
    conditions = _conditions(where)
    while True:
        statement = (
            select(api_events).where(and_(api_events.c.leaf_index > after, *conditions))
            .order_by(api_events.c.leaf_index).limit(BATCH_ROWS)
        )
        with engine.connect() as connection:
            rows = connection.execute(statement).fetchall()
        for row in rows:
            yield _event(row)
        if len(rows) < BATCH_ROWS:
            return
        after = int(rows[-1].leaf_index)


def enterprise_history(mirror: Engine, enterprise_ids: Iterable[str] | None = None) -> dict[str, list[StatusChange]]:
    """Status changes (registered/suspended/reinstated/revoked) per enterprise, in chain
    order, timed by their block."""
    statement = (
        select(chain_enterprise_history.c.enterprise_id, chain_enterprise_history.c.status,
               chain_enterprise_history.c.transaction_hash, chain_blocks.c.timestamp)
        .join(chain_blocks, chain_blocks.c.number == chain_enterprise_history.c.block_number)
        .where(chain_enterprise_history.c.status.is_not(None))
        .order_by(chain_enterprise_history.c.block_number, chain_enterprise_history.c.log_index)
    )
    if enterprise_ids is not None:
        statement = statement.where(
            chain_enterprise_history.c.enterprise_id.in_([e.lower() for e in enterprise_ids]))
    history: dict[str, list[StatusChange]] = defaultdict(list)
    with mirror.connect() as connection:
        for row in connection.execute(statement):
            history[str(row.enterprise_id).lower()].append(
                StatusChange(int(row.timestamp) * 1000, str(row.status), row.transaction_hash))
    return dict(history)


def recall_history(mirror: Engine) -> dict[str, list[RecallChange]]:
    """Every recall change per subject (0x-hex SHA-256), in chain order, timed by block."""
    statement = (
        select(chain_recall_history.c.subject, chain_recall_history.c.status,
               chain_recall_history.c.recall_class, chain_recall_history.c.sequence,
               chain_blocks.c.timestamp)
        .join(chain_blocks, chain_blocks.c.number == chain_recall_history.c.block_number)
        .order_by(chain_recall_history.c.block_number, chain_recall_history.c.log_index)
    )
    history: dict[str, list[RecallChange]] = defaultdict(list)
    with mirror.connect() as connection:
        for row in connection.execute(statement):
            history[str(row.subject).lower()].append(RecallChange(
                int(row.timestamp) * 1000, str(row.status),
                None if row.recall_class is None else int(row.recall_class), int(row.sequence)))
    return dict(history)


def anchor_heads(mirror: Engine, leaf_indexes: Iterable[int]) -> dict[int, AnchoredHead | None]:
    """leaf index -> the first anchored head containing it (None: pending), via the
    contract function `trace_api.anchors.anchors_from_mirror` (three queries a batch)."""
    return {
        leaf: None if info is None else info.anchored_head
        for leaf, info in anchors_from_mirror(mirror, leaf_indexes).items()
    }

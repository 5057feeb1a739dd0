"""Finding trace records: one by Event Hash ID, or pages by EPCIS query parameters.

Who sees what (`trace_api.provenance.access`, README "Who may read what"): an enterprise
sees its own records and those of the hop adjacent to it (events naming it as source or
destination, or at its places); regulators and admins see all. Records come back as JSON-ready dicts (`record_json`), with status and anchor derived
from the anchored heads at read time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from anchoring.core.entry import decode_entry
from trace_api.anchors import anchors_for
from trace_api.auth import Principal
from trace_api.context import ApiContext
from trace_api.errors import NotFound
from trace_api.provenance.access import ReadScope, readable_leaves, scope_for
from trace_api.query.parameters import EventQuery, invalid_parameter
from trace_api.query.tokens import InvalidPageToken, decode_page_token, encode_page_token, token_key
from trace_api.records.columns import format_time_ms
from trace_api.records.models import StoredRecord
from trace_api.records.repository import records_where
from trace_api.records.status import anchor_json

_decoder = msgspec.json.Decoder()


@dataclass(frozen=True)
class EventPage:
    """One page of records and the token of the next page (None on the last page)."""

    records: list[dict[str, Any]]
    next_page_token: str | None


MAX_RECORDS_PER_EVENT = 1_000
"""Records of one Event Hash ID considered (one per enterprise; far more than ever seen)."""


def _readable(ctx: ApiContext, scope: ReadScope, records: list[StoredRecord]) -> list[StoredRecord]:
    """`records` the scope may read: one batched read of their event rows, no per-record query."""
    if scope.unrestricted or not records:
        return records
    with ctx.engine.connect() as connection:
        allowed = readable_leaves(connection, scope, [(r.leaf_index, r.enterprise_id) for r in records])
    return [record for record in records if record.leaf_index in allowed]


def get_record(ctx: ApiContext, principal: Principal, event_hash_id: str) -> dict[str, Any]:
    """The record of `event_hash_id` the caller may read (its own record first, else the
    earliest readable one); NotFound otherwise, as if unknown."""
    scope = scope_for(ctx.engine, principal)
    records = _readable(ctx, scope, records_where(ctx.log_store.db, "e.event_hash_id = ?",
                                                  [event_hash_id], MAX_RECORDS_PER_EVENT))
    own = [r for r in records if scope.party is not None
           and r.enterprise_id.lower() == scope.party.enterprise_id]
    if not records:
        raise NotFound("not-found", "Not found", f"no record of {event_hash_id}")
    return record_json(ctx, [(own or records)[0]])[0]


def find_records(ctx: ApiContext, principal: Principal, query: EventQuery) -> EventPage:
    """A page of the records matching `query` that the caller may read, ascending by leaf
    index. A page may hold fewer than `perPage` records while `nextPageToken` is set (the
    SQL prefilter is wider than the exact rule applied after it)."""
    scope = scope_for(ctx.engine, principal)
    reader = (scope.party.enterprise_id if scope.party is not None else "*").encode("ascii")
    fingerprint = query.fingerprint + reader
    key = ctx.shared(token_key)
    conditions, params = list(query.conditions), list(query.params)
    if not scope.unrestricted:
        condition, extra = scope.sql_prefilter("e")
        conditions.append(condition)
        params.extend(extra)
    if query.page_token is not None:
        try:
            after = decode_page_token(key, query.page_token, fingerprint)
        except InvalidPageToken as exc:
            raise invalid_parameter("nextPageToken", str(exc)) from None
        conditions.append("e.leaf_index > ?")
        params.append(after)
    where = " AND ".join(conditions) or "1 = 1"
    # One more than a page tells whether another page exists without a COUNT.
    records = records_where(ctx.log_store.db, where, params, query.per_page + 1)
    more = len(records) > query.per_page
    records = records[:query.per_page]
    token = encode_page_token(key, records[-1].leaf_index, fingerprint) if more else None
    return EventPage(record_json(ctx, _readable(ctx, scope, records)), token)


def record_json(ctx: ApiContext, records: list[StoredRecord]) -> list[dict[str, Any]]:
    """Records as the API shows them (`eventHashId`, `event`, `submitter`, ... `anchor`)."""
    anchors = anchors_for(ctx, [record.leaf_index for record in records])
    shown = []
    for record in records:
        anchor = anchors.get(record.leaf_index)
        entry = decode_entry(record.entry)
        shown.append({
            "eventHashId": record.event_hash_id,
            "eventType": record.event_type,
            "enterpriseId": record.enterprise_id,
            "submitter": record.submitter,
            "signature": "0x" + entry.signature.hex(),
            "receivedAt": format_time_ms(record.received_at_ms),
            "captureId": record.capture_id,
            "leafIndex": record.leaf_index,
            "status": "pending" if anchor is None else "anchored",
            "anchor": anchor_json(ctx, anchor),
            "event": _decoder.decode(record.body),
        })
    return shown

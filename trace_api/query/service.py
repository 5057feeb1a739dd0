"""Finding trace records: one by Event Hash ID, or pages by EPCIS query parameters.

Who sees what: an enterprise sees its own records; regulators and admins see all.
Records come back as JSON-ready dicts (`record_json`), with status and anchor derived
from the anchored heads at read time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from anchoring.core.entry import decode_entry
from trace_api.auth import Principal, Role
from trace_api.context import ApiContext
from trace_api.problems import Problem
from trace_api.query.parameters import EventQuery, invalid_parameter
from trace_api.query.tokens import InvalidPageToken, decode_page_token, encode_page_token, token_key
from trace_api.records.columns import format_time_ms
from trace_api.records.models import StoredRecord
from trace_api.records.repository import record_by_hash_id, records_where
from trace_api.records.status import anchor_json, record_anchors

_decoder = msgspec.json.Decoder()


@dataclass(frozen=True)
class EventPage:
    """One page of records and the token of the next page (None on the last page)."""

    records: list[dict[str, Any]]
    next_page_token: str | None


def visible_enterprise(principal: Principal) -> str | None:
    """The enterprise whose records `principal` may see; None means all of them."""
    if principal.role in (Role.ADMIN, Role.REGULATOR):
        return None
    if principal.enterprise_id is None:  # an enterprise-role key without an enterprise
        raise Problem(403, "forbidden", "Not allowed", "this credential names no enterprise")
    return principal.enterprise_id


def get_record(ctx: ApiContext, principal: Principal, event_hash_id: str) -> dict[str, Any]:
    """The record of `event_hash_id` the caller may see; Problem 404 otherwise."""
    record = record_by_hash_id(ctx.log_store.db, event_hash_id,
                               enterprise_id=visible_enterprise(principal))
    if record is None:
        raise Problem(404, "not-found", "Not found", f"no record of {event_hash_id}")
    return record_json(ctx, [record])[0]


def find_records(ctx: ApiContext, principal: Principal, query: EventQuery) -> EventPage:
    """A page of the caller's visible records matching `query`, ascending by leaf index."""
    enterprise_id = visible_enterprise(principal)
    scope = (enterprise_id or "*").encode("ascii")
    fingerprint = query.fingerprint + scope
    key = token_key(ctx)
    conditions, params = list(query.conditions), list(query.params)
    if enterprise_id is not None:
        conditions.append("e.enterprise_id = ?")
        params.append(enterprise_id)
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
    return EventPage(record_json(ctx, records), token)


def record_json(ctx: ApiContext, records: list[StoredRecord]) -> list[dict[str, Any]]:
    """Records as the API shows them (`eventHashId`, `event`, `submitter`, ... `anchor`)."""
    anchors = record_anchors(ctx, [record.leaf_index for record in records])
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

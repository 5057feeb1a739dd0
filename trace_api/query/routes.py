"""`/v1/events`: trace records by Event Hash ID and by EPCIS 2.0 query parameters.

Enterprises see their own records and the adjacent hop (`trace_api.provenance.access`),
regulators and admins all; anonymous callers get 401
(the public consumer view is `/v1/public/lookup`). The list answers
`{"events": [...], "nextPageToken": ...}` and, as the EPCIS REST binding does, a
`Link: <...>; rel="next"` header while more pages exist.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

import trace_api.records.event_hash_id_path  # noqa: F401  (registers the event_hash_id convertor)
from trace_api.auth import CurrentPrincipal
from trace_api.context import ContextDep
from trace_api.problems import Problem
from trace_api.query.parameters import (
    DEFAULT_PER_PAGE,
    EQ_COLUMNS,
    MATCH_ROLES,
    MAX_PER_PAGE,
    TIME_BOUNDS,
    parse_event_query,
)
from trace_api.query.service import find_records, get_record

router = APIRouter(tags=["events"])

_encoder = msgspec.json.Encoder()


class RecordOut(BaseModel):
    """A trace record: the event, who submitted it, when, and its anchoring status."""


    event_hash_id: str = Field(serialization_alias="eventHashId")
    event_type: str = Field(serialization_alias="eventType")
    enterprise_id: str = Field(serialization_alias="enterpriseId")
    submitter: str
    signature: str = Field(description="EIP-712 signature (0x hex) over TraceRecord.")
    received_at: str = Field(serialization_alias="receivedAt")
    capture_id: str = Field(serialization_alias="captureId")
    leaf_index: int = Field(serialization_alias="leafIndex")
    status: str = Field(description="pending | anchored")
    anchor: dict[str, Any] | None
    event: dict[str, Any] = Field(description="The event as standalone JSON-LD.")


class EventListOut(BaseModel):
    """A page of records, ascending by leaf index."""


    events: list[RecordOut]
    next_page_token: str | None = Field(serialization_alias="nextPageToken")


def _parameter_docs() -> list[dict[str, Any]]:
    def doc(name: str, description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "description": description,
                "schema": {"type": "string"}}

    docs = [doc(name, "RFC 3339 date-time with offset.") for name in TIME_BOUNDS]
    docs += [doc(name, "Pipe-delimited values; any matches.") for name in EQ_COLUMNS]
    docs += [doc(name, "Pipe-delimited URIs or patterns (trailing *, urn:epc:idpat:...).")
             for name in MATCH_ROLES]
    docs.append({"name": "perPage", "in": "query", "required": False,
                 "description": f"Page size, default {DEFAULT_PER_PAGE}.",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}})
    docs.append(doc("nextPageToken", "The token of the previous page's response."))
    return docs


@router.get("/v1/events", response_model=EventListOut, response_model_by_alias=True,
            summary="Query trace records with EPCIS 2.0 query parameters",
            openapi_extra={"parameters": _parameter_docs()},
            responses={400: {"description": "Invalid query parameter (named)"},
                       401: {"description": "Not signed in"}})
async def list_events(request: Request, ctx: ContextDep, principal: CurrentPrincipal) -> Response:
    """Records matching every given parameter, a page at a time."""
    query = parse_event_query(request.query_params.multi_items())
    page = await run_in_threadpool(find_records, ctx, principal, query)
    headers: dict[str, str] = {}
    if page.next_page_token is not None:
        next_url = request.url.include_query_params(nextPageToken=page.next_page_token)
        headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    body = _encoder.encode({"events": page.records, "nextPageToken": page.next_page_token})
    return Response(body, media_type="application/json", headers=headers)


@router.get("/v1/events/{event_hash_id:event_hash_id}", response_model=RecordOut,
            response_model_by_alias=True, summary="One trace record by its Event Hash ID",
            responses={401: {"description": "Not signed in"},
                       404: {"description": "No record the caller may see"}})
def get_event(event_hash_id: str, request: Request, ctx: ContextDep,
              principal: CurrentPrincipal) -> Response:
    """The record; `eventHashId` percent-encoded (`ni%3A%2F%2F%2Fsha-256%3B...`) or raw."""
    for name, value in request.query_params.multi_items():
        # a raw `?ver=CBV2.0` is the tail of the ID, split off as a query string
        if not (name == "ver" and value == "CBV2.0"):
            raise Problem(400, "invalid-query-parameter", "Invalid query parameter",
                          f"{name}: unknown parameter", extensions={"parameter": name})
    return Response(_encoder.encode(get_record(ctx, principal, event_hash_id)),
                    media_type="application/json")

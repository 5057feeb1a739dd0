"""`/v1/trace` and `/v1/recalls`: thin routes over `trace`, `recalls` and `impact`.

Who sees what: regulators and admins trace anything; an enterprise traces identifiers that
one of its own events names (other identifiers answer 404, as if unknown, so existence does
not leak), and its answer holds only the events it may read — its own and the adjacent hop
(`access.py`, README "Who may read what"); anonymous callers get 401. A trace carries the audit findings on its events (`findings_for_trace`, judged at
`at` when given); an enterprise sees the findings on its own events only, as in
`/v1/audit/findings`. Recalls: anyone signed in lists them (recalls are public notices); regulators open,
change and close any, enterprises those of their own GS1 company prefixes; impact is for
regulators, admins and the recall's issuing enterprise.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from gs1.errors import IdentifierError
from gs1.keys import parse_identifier
from trace_api.audit.service import findings_for_trace
from trace_api.auth import CurrentPrincipal, Principal, Role
from trace_api.context import ApiContext, ContextDep
from trace_api.problems import Problem
from trace_api.provenance import recalls as recall_service
from trace_api.provenance.access import (
    ReadScope,
    enterprise_names_node,
    scope_for,
)
from trace_api.provenance.graph import BOTH
from trace_api.provenance.impact import format_impact_csv, impact_in_scope
from trace_api.provenance.trace import (
    DEFAULT_DEPTH,
    MAX_DEPTH,
    TraceResult,
    UnknownIdentifierError,
    parse_at,
    trace,
)
from trace_api.provenance.views import (
    ImpactJson,
    RecallJson,
    RecallListJson,
    RecallReceiptJson,
    TraceJson,
    impact_json,
    recall_json,
    receipt_json,
    trace_json,
)

router = APIRouter(tags=["provenance"])


def _bad_identifier(exc: IdentifierError) -> Problem:
    return Problem(400, "bad-identifier", "Invalid identifier", exc.reason,
                   extensions={"identifier": exc.identifier})


def _unknown(key: str) -> Problem:
    return Problem(404, "unknown-identifier", "Unknown identifier",
                   f"no captured event you may see names {key}", extensions={"identifier": key})


def _enterprise_may_trace(ctx: ApiContext, principal: Principal, key: str) -> bool:
    if principal.role in (Role.REGULATOR, Role.ADMIN):
        return True
    return enterprise_names_node(ctx.engine, principal.enterprise_id, key)


@router.get("/v1/trace", response_model=TraceJson, summary="Trace an identifier backward, forward or both")
def get_trace(
    ctx: ContextDep,
    principal: CurrentPrincipal,
    id: Annotated[str, Query(description="EPC URI, EPC class URI or GS1 Digital Link URI", max_length=2000)],
    direction: Annotated[str, Query(pattern="^(backward|forward|both)$")] = BOTH,
    depth: Annotated[int, Query(ge=0, le=MAX_DEPTH)] = DEFAULT_DEPTH,
    at: Annotated[str | None, Query(description="RFC 3339 date-time or epoch ms: the graph as of then")] = None,
    findings: Annotated[bool, Query(description="include audit findings on the traced events")] = True,
) -> Response:
    """Nodes (identifiers, locations, parties, enterprises), edges (each made by one
    event), events with their verification state, cycles, one chain verdict, and the
    audit findings on the traced events."""
    scope = scope_for(ctx.engine, principal)
    result = _trace(ctx, principal, scope, id, direction, depth, at)
    found = [finding.to_json() for finding in _trace_findings(ctx, principal, result)] if findings else []
    return JSONResponse(trace_json(result, found, scope=scope.name))


def _trace_findings(ctx: ApiContext, principal: Principal, result: TraceResult) -> list[Any]:
    own_only = principal.role not in (Role.REGULATOR, Role.ADMIN)
    leaf_indexes = [e.facts.leaf_index for e in result.events
                    if not own_only or e.facts.enterprise_id == principal.enterprise_id]
    if not leaf_indexes:
        return []
    return findings_for_trace(ctx, leaf_indexes, at_ms=result.at_ms)


def _trace(ctx: ApiContext, principal: Principal, scope: ReadScope, identifier: str, direction: str,
           depth: int, at: str | None) -> TraceResult:
    try:
        key = parse_identifier(identifier).key
        at_ms = parse_at(at)
        if not _enterprise_may_trace(ctx, principal, key):
            raise _unknown(key)
        return trace(ctx, identifier, direction, depth, at_ms, scope=scope)
    except IdentifierError as exc:
        raise _bad_identifier(exc) from exc
    except UnknownIdentifierError as exc:
        raise _unknown(exc.key) from exc


# --- recalls -------------------------------------------------------------------------------


class NewRecall(BaseModel):
    uri: str = Field(max_length=2000, description="GS1 Digital Link URI or EPC class URI (GTIN + lot)")
    recall_class: str | int = Field(alias="class", description="I, II or III (or 1, 2, 3)")
    reason: str = Field(max_length=recall_service.MAX_REASON_CHARS)
    signedTransaction: str | None = Field(default=None, description="self-custody enterprises: 0x raw tx")


class RecallChange(BaseModel):
    recall_class: str | int = Field(alias="class")
    reason: str = Field(max_length=recall_service.MAX_REASON_CHARS)
    signedTransaction: str | None = None


class RecallClosing(BaseModel):
    reason: str = Field(max_length=recall_service.MAX_REASON_CHARS)
    signedTransaction: str | None = None


def _require_writer(principal: Principal) -> None:
    if principal.role == Role.ENTERPRISE and principal.enterprise_id is None:
        raise Problem(403, "forbidden", "Not allowed", "this key belongs to no enterprise")


@router.post("/v1/recalls", status_code=201, response_model=RecallReceiptJson, summary="Open a recall on chain")
def post_recall(ctx: ContextDep, principal: CurrentPrincipal, body: NewRecall) -> dict[str, Any]:
    _require_writer(principal)
    try:
        receipt = recall_service.open_recall(ctx, principal, body.uri, body.recall_class, body.reason,
                                             signed_transaction=body.signedTransaction)
    except IdentifierError as exc:
        raise _bad_identifier(exc) from exc
    return receipt_json(receipt, "open")


@router.get("/v1/recalls", response_model=RecallListJson, summary="Recalls mirrored from the chain")
def get_recalls(
    ctx: ContextDep, principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(open|updated|closed)$")] = None,
) -> dict[str, Any]:
    views = recall_service.list_recalls(ctx, status=status)
    return {"recalls": [recall_json(view) for view in views]}


@router.get("/v1/recalls/{recall_id}", response_model=RecallJson, summary="One recall and its history")
def get_one_recall(ctx: ContextDep, principal: CurrentPrincipal, recall_id: str) -> dict[str, Any]:
    return recall_json(recall_service.get_recall(ctx, recall_id))


@router.patch("/v1/recalls/{recall_id}", response_model=RecallReceiptJson, summary="Change an open recall's class and reason")
def patch_recall(ctx: ContextDep, principal: CurrentPrincipal, recall_id: str, body: RecallChange) -> dict[str, Any]:
    _require_writer(principal)
    receipt = recall_service.update_recall(ctx, principal, recall_id, body.recall_class, body.reason,
                                           signed_transaction=body.signedTransaction)
    return receipt_json(receipt, "updated")


@router.post("/v1/recalls/{recall_id}/close", response_model=RecallReceiptJson, summary="Close an open recall")
def post_close(ctx: ContextDep, principal: CurrentPrincipal, recall_id: str, body: RecallClosing) -> dict[str, Any]:
    _require_writer(principal)
    receipt = recall_service.close_recall(ctx, principal, recall_id, body.reason,
                                          signed_transaction=body.signedTransaction)
    return receipt_json(receipt, "closed")


@router.get("/v1/recalls/{recall_id}/impact", response_model=ImpactJson,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
            summary="Everything downstream of a recall (JSON or CSV)")
def get_impact(
    ctx: ContextDep, principal: CurrentPrincipal, request: Request, recall_id: str,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> Response:
    view = recall_service.get_recall(ctx, recall_id)
    if principal.role == Role.ENTERPRISE and view.opened_by_enterprise != principal.enterprise_id:
        raise Problem(403, "forbidden", "Not your recall",
                      "an enterprise sees the impact of the recalls it opened; regulators see all")
    if view.node_key is None:
        raise Problem(404, "unknown-recall", "Recall opened elsewhere",
                      "this recall's subject was not opened through this API, so its identifier is unknown here")
    scope = scope_for(ctx.engine, principal)
    impact = impact_in_scope(ctx.engine, view.node_key, scope)
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        body = format_impact_csv(impact) if impact is not None else "category,id,depth\r\n"
        return Response(body, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="recall-{view.subject[2:14]}-impact.csv"'})
    return JSONResponse(impact_json(view, impact))

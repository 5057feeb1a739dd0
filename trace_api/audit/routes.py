"""`/v1/audit/rules`, `/v1/audit/findings`, `/v1/audit/export` (regulators and admins see
everything; an enterprise sees its own records only)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from gs1.errors import IdentifierError
from trace_api.audit.export.bundle import stream_bundle
from trace_api.audit.export.kde import COLUMNS, NUMERIC_COLUMNS
from trace_api.audit.export.rows import export_rows
from trace_api.audit.export.tabular import stream_csv, stream_xlsx
from trace_api.audit.model import Severity
from trace_api.audit.rules import ALL_RULES, RULES_BY_NAME
from trace_api.audit.service import FindingsQuery, find, now_ms, trace_leaf_indexes
from trace_api.audit.sources import EventFilter, iter_events
from trace_api.auth import CurrentPrincipal, Principal, Role
from trace_api.context import ApiContext, ContextDep
from trace_api.problems import Problem
from trace_api.proofs.service import build_bundle, log_verifier_key
from trace_api.provenance.trace import UnknownIdentifierError
from trace_api.records.columns import format_time_ms

router = APIRouter(tags=["audit"])

_ENTERPRISE_ID = re.compile(r"0x[0-9a-fA-F]{64}")
MAX_FINDINGS = 10_000
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RuleJson(BaseModel):
    name: str
    severity: str
    family: str
    summary: str


class FindingJson(BaseModel):
    rule: str
    severity: str
    message: str
    eventHashId: str | None
    leafIndex: int | None
    enterpriseId: str | None
    subject: str | None
    details: dict[str, Any]


class FindingsJson(BaseModel):
    asOf: str = Field(description="The time overdue and SLA rules were judged at.")
    rules: list[str]
    scanned: int = Field(description="Records in scope that were audited.")
    truncated: bool = Field(description="True if the scope had more records than one audit "
                            "scans; narrow it with enterprise, id, from and to.")
    total: int
    count: int
    findings: list[FindingJson]


def bad_parameter(name: str, detail: str) -> Problem:
    return Problem(400, "invalid-parameter", f"Invalid parameter '{name}'", detail,
                   extensions={"parameter": name})


def parse_time_parameter(name: str, text: str | None) -> int | None:
    """RFC 3339 date-time (offset required) or a date (midnight UTC) -> ms; 400 otherwise."""
    if text is None or text == "":
        return None
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(value.replace("z", "Z"))
            if moment.tzinfo is None:
                raise ValueError("no offset")
    except ValueError:
        raise bad_parameter(name, "expected an RFC 3339 date-time with offset "
                            "(2026-11-26T12:00:00Z) or a date (2026-11-26)") from None
    return int(moment.timestamp() * 1000)


def scoped_enterprise(principal: Principal, requested: str | None) -> str | None:
    """The enterprise filter to apply: an enterprise caller is held to its own id."""
    if requested is not None and not _ENTERPRISE_ID.fullmatch(requested.strip()):
        raise bad_parameter("enterprise", "expected an enterprise id: 0x followed by 64 hex digits")
    wanted = requested.strip().lower() if requested else None
    if principal.role in (Role.ADMIN, Role.REGULATOR):
        return wanted
    own = (principal.enterprise_id or "").lower()
    if not own:
        raise Problem(403, "forbidden", "Not allowed", "this credential belongs to no enterprise")
    if wanted is not None and wanted != own:
        raise Problem(403, "forbidden", "Not allowed",
                      "an enterprise may audit and export only its own records")
    return own


def _time_window(from_: str | None, to: str | None) -> tuple[int | None, int | None]:
    from_ms = parse_time_parameter("from", from_)
    to_ms = parse_time_parameter("to", to)
    if from_ms is not None and to_ms is not None and to_ms <= from_ms:
        raise bad_parameter("to", "'to' must be later than 'from'")
    return from_ms, to_ms


def _trace_scope(ctx: ApiContext, identifier: str | None) -> list[int] | None:
    if identifier is None or identifier == "":
        return None
    try:
        return trace_leaf_indexes(ctx, identifier.strip())
    except UnknownIdentifierError as exc:
        raise Problem(404, "unknown-identifier", "Unknown identifier", str(exc),
                      extensions={"parameter": "id"}) from exc
    except IdentifierError as exc:
        raise bad_parameter("id", str(exc)) from exc


@router.get("/v1/audit/rules", response_model=list[RuleJson], summary="The audit rules")
def list_rules(principal: CurrentPrincipal) -> list[RuleJson]:
    return [RuleJson(name=rule.name, severity=rule.severity.label, family=rule.family,
                     summary=rule.summary) for rule in ALL_RULES]


@router.get(
    "/v1/audit/findings", response_model=FindingsJson, summary="Audit findings",
    responses={400: {"description": "A malformed parameter (named in `parameter`)"},
               403: {"description": "Another enterprise's records"},
               404: {"description": "No record names `id`"}},
)
def get_findings(
    ctx: ContextDep,
    principal: CurrentPrincipal,
    rule: Annotated[str | None, Query(description="Rule names, comma-separated (default: all).")] = None,
    severity: Annotated[str | None, Query(description="Minimum severity: low, medium, high, critical.")] = None,
    enterprise: Annotated[str | None, Query(description="Records of this enterprise id.")] = None,
    id: Annotated[str | None, Query(description="An identifier: the records on its backward and forward trace.")] = None,
    from_: Annotated[str | None, Query(alias="from", description="Event time from (inclusive).")] = None,
    to: Annotated[str | None, Query(description="Event time to (exclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FINDINGS)] = 1_000,
) -> FindingsJson:
    rules = list(ALL_RULES)
    if rule:
        names = [name.strip() for name in rule.split(",") if name.strip()]
        unknown = [name for name in names if name not in RULES_BY_NAME]
        if unknown or not names:
            raise bad_parameter("rule", f"unknown rule {', '.join(unknown) or rule!r}; known: "
                                + ", ".join(RULES_BY_NAME))
        rules = [RULES_BY_NAME[name] for name in names]
    try:
        min_severity = Severity.parse(severity) if severity else Severity.LOW
    except ValueError:
        raise bad_parameter("severity", "expected low, medium, high or critical") from None
    enterprise_id = scoped_enterprise(principal, enterprise)
    from_ms, to_ms = _time_window(from_, to)
    at = now_ms()
    query = FindingsQuery(rules=rules, min_severity=min_severity, enterprise_id=enterprise_id,
                          leaf_indexes=_trace_scope(ctx, id), from_ms=from_ms, to_ms=to_ms)
    report = find(ctx, query, at_ms=at)
    shown = report.findings[:limit]
    return FindingsJson(
        asOf=format_time_ms(at), rules=[r.name for r in rules], scanned=report.scanned,
        truncated=report.truncated, total=len(report.findings), count=len(shown),
        findings=[FindingJson(**finding.to_json()) for finding in shown],
    )


@router.get(
    "/v1/audit/export", summary="Evidence export: FSMA 204 KDEs (CSV, XLSX) or a proof bundle (ZIP)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}, "application/zip": {}},
                     "description": "The export, streamed"},
               400: {"description": "A malformed parameter (named in `parameter`)"},
               403: {"description": "Another enterprise's records"},
               404: {"description": "No record names `id`"}},
)
def get_export(
    ctx: ContextDep,
    principal: CurrentPrincipal,
    enterprise: Annotated[str | None, Query(description="Records of this enterprise id.")] = None,
    id: Annotated[str | None, Query(description="An identifier: the records on its trace.")] = None,
    from_: Annotated[str | None, Query(alias="from", description="Event time from (inclusive).")] = None,
    to: Annotated[str | None, Query(description="Event time to (exclusive).")] = None,
    format: Annotated[str, Query(description="csv, xlsx or bundle.")] = "csv",
) -> StreamingResponse:
    if format not in ("csv", "xlsx", "bundle"):
        raise bad_parameter("format", "expected csv, xlsx or bundle")
    enterprise_id = scoped_enterprise(principal, enterprise)
    from_ms, to_ms = _time_window(from_, to)
    leaves = _trace_scope(ctx, id)
    where = EventFilter(enterprise_id=enterprise_id, from_ms=from_ms, to_ms=to_ms,
                        leaf_indexes=leaves)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    if format == "bundle":
        log_verifier_key(ctx)  # 503 now, before the stream starts, if the log key is missing
        filters = {name: value for name, value in (("enterprise", enterprise_id), ("id", id),
                                                    ("from", from_), ("to", to)) if value}
        body = stream_bundle(
            iter_events(ctx.engine, where),
            lambda leaf: build_bundle(ctx, leaf, include_event=True),
            chain_id=ctx.deployment.chain_id, trace_anchor=ctx.deployment.trace_anchor,
            filters=filters)
        return StreamingResponse(body, media_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="traceledger-evidence-{stamp}.zip"'})
    rows = export_rows(ctx.engine, ctx.mirror_engine, where)
    if format == "xlsx":
        return StreamingResponse(
            stream_xlsx(COLUMNS, rows, numeric=NUMERIC_COLUMNS), media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="traceledger-kde-{stamp}.xlsx"'})
    return StreamingResponse(
        stream_csv(COLUMNS, rows), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="traceledger-kde-{stamp}.csv"'})

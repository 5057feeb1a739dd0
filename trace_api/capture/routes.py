"""`/v1/capture`: EPCIS 2.0 capture, following the EPCIS 2.0 REST binding where it applies.

- OPTIONS / HEAD advertise `GS1-EPCIS-Capture-Limit`, `GS1-EPCIS-Capture-File-Size-Limit`
  and `GS1-Capture-Error-Behaviour: all` (both behaviours supported); every capture
  response carries the two limits as well.
- POST takes `application/json` or `application/ld+json`, at most the file size limit
  (the body-limit middleware checks Content-Length and counts while reading, before any
  parsing, and answers `capture-too-large`: `app.route_body_limits`), honours
  `GS1-Capture-Error-Behaviour: rollback | proceed` and answers 202 with `Location:
  /v1/capture/{captureID}` once everything accepted is committed.
- GET /v1/capture/{captureID}: the job with per-event results and record status.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from trace_api.auth import CurrentPrincipal, Principal, Role
from trace_api.capture import jobs
from trace_api.capture.results import BEHAVIOURS, PROBLEM_STATUS, CaptureJob
from trace_api.capture.service import capture_document
from trace_api.context import ApiContext, ContextDep
from trace_api.enterprises.guard import active_writer
from trace_api.errors import PROBLEM_TYPE_BASE, DomainError
from trace_api.problems import Problem, problem_from
from trace_api.records.columns import format_time_ms
from trace_api.records.status import record_status

router = APIRouter(tags=["capture"])

CAPTURE_MEDIA_TYPES = ("application/json", "application/ld+json")
BEHAVIOUR_HEADER = "GS1-Capture-Error-Behaviour"

EnterpriseCaller = Annotated[Principal, Depends(active_writer(Role.ENTERPRISE))]
"""An enterprise whose enterprise is active: a suspended one is refused before its body is read."""


class EventResultOut(BaseModel):
    """The outcome for one event of the captured document."""


    index: int = Field(description="Position in epcisBody.eventList.")
    event_hash_id: str | None = Field(serialization_alias="eventHashId")
    status: str = Field(description="accepted | duplicate | rejected")
    leaf_index: int | None = Field(serialization_alias="leafIndex",
                                   description="The record's log leaf (accepted, duplicate).")
    record_status: str | None = Field(serialization_alias="recordStatus",
                                      description="pending | anchored (accepted, duplicate).")
    reason: str | None = None
    pointer: str | None = Field(default=None, description="RFC 6901 pointer into the document.")
    problem: str | None = Field(
        default=None, description="Why it was rejected: invalid-epcis | invalid-signature | "
                                  "not-your-record (trace_api/capture/README.md).")


class CaptureJobOut(BaseModel):
    """EPCIS 2.0 REST binding CaptureJob, with per-event results."""


    capture_id: str = Field(serialization_alias="captureID")
    created_at: str = Field(serialization_alias="createdAt")
    finished_at: str = Field(serialization_alias="finishedAt")
    running: bool
    success: bool
    capture_error_behaviour: str = Field(serialization_alias="captureErrorBehaviour")
    enterprise_id: str = Field(serialization_alias="enterpriseId")
    event_count: int = Field(serialization_alias="eventCount")
    accepted: int
    duplicates: int
    rejected: int
    errors: list[dict[str, Any]]
    events: list[EventResultOut]


def limit_headers(ctx: ApiContext) -> dict[str, str]:
    """The capture limits every /v1/capture response advertises."""
    return {
        "GS1-EPCIS-Capture-Limit": str(ctx.settings.capture_limit),
        "GS1-EPCIS-Capture-File-Size-Limit": str(ctx.settings.capture_file_size_limit),
    }


@router.options("/v1/capture", status_code=204, summary="Discover the capture limits")
def capture_options(ctx: ContextDep) -> Response:
    """EPCIS 2.0 REST binding discovery: limits and supported error behaviours."""
    return Response(status_code=204, headers=_discovery_headers(ctx))


@router.head("/v1/capture", status_code=204, summary="Capture limits (headers only)")
def capture_head(ctx: ContextDep) -> Response:
    """Same headers as OPTIONS."""
    return Response(status_code=204, headers=_discovery_headers(ctx))


def _discovery_headers(ctx: ApiContext) -> dict[str, str]:
    return {**limit_headers(ctx), BEHAVIOUR_HEADER: "all", "GS1-EPCIS-Version": "2.0.0",
            "GS1-CBV-Version": "2.0.0", "Allow": "OPTIONS, HEAD, POST"}


_REQUEST_BODY = {
    "required": True,
    "description": "An EPCISDocument (EPCIS 2.0 JSON / JSON-LD). Self-custody enterprises put "
                   "one EIP-712 signature per event in the document member `tl:signatures`.",
    "content": {media: {"schema": {"type": "object"}} for media in CAPTURE_MEDIA_TYPES},
}


@router.post(
    "/v1/capture", status_code=202, response_model=CaptureJobOut, response_model_by_alias=True,
    summary="Capture an EPCIS 2.0 document",
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={400: {"description": "Invalid document, or (rollback) a rejected event"},
               403: {"description": "Not an enterprise, suspended, or (rollback) only events "
                                    "it may not write (not-your-record)"},
               413: {"description": "Over GS1-EPCIS-Capture-Limit or -File-Size-Limit"},
               415: {"description": "Not application/json or application/ld+json"}},
)
async def capture(
    request: Request, ctx: ContextDep, principal: EnterpriseCaller,
    behaviour: Annotated[str | None, Header(alias=BEHAVIOUR_HEADER)] = None,
) -> Response:
    """Record every event of the document; 202 once durable, with the job's Location."""
    headers = limit_headers(ctx)
    try:
        chosen = _behaviour(behaviour)
        _check_media_type(request.headers.get("content-type"))
        body = await request.body()  # bounded by the body-limit middleware
        if principal.enterprise_id is None:
            raise Problem(403, "forbidden", "Not allowed", "this key is not an enterprise's")
        job = await run_in_threadpool(capture_document, ctx, principal.enterprise_id, body,
                                      behaviour=chosen)
    except DomainError as error:
        problem = problem_from(error)
        problem.headers = {**headers, **problem.headers}
        raise problem from error
    except Problem as problem:
        problem.headers = {**headers, **problem.headers}
        raise
    out = _job_out(ctx, job)
    return Response(
        out.model_dump_json(by_alias=True), status_code=202, media_type="application/json",
        headers={**headers, "Location": f"/v1/capture/{job.capture_id}"},
    )


@router.get("/v1/capture/{capture_id}", response_model=CaptureJobOut,
            response_model_by_alias=True, summary="A capture job and its per-event results",
            responses={401: {"description": "Not signed in"},
                       404: {"description": "No job the caller may see"}})
def capture_job(capture_id: str, ctx: ContextDep, principal: CurrentPrincipal) -> Response:
    """The job; enterprises see their own jobs, regulators and admins all."""
    job = jobs.read_job(ctx.log_store.db, capture_id)
    if job is None or (principal.role == Role.ENTERPRISE
                       and job.enterprise_id != principal.enterprise_id):
        raise Problem(404, "not-found", "Not found", f"no capture job {capture_id!r}")
    out = _job_out(ctx, job)
    return Response(out.model_dump_json(by_alias=True), media_type="application/json",
                    headers=limit_headers(ctx))


def _behaviour(value: str | None) -> str:
    chosen = (value or "rollback").strip().lower()
    if chosen not in BEHAVIOURS:
        raise Problem(400, "invalid-capture-behaviour", "Unknown capture error behaviour",
                      f"{BEHAVIOUR_HEADER} must be rollback or proceed, not {value!r}")
    return chosen


def _check_media_type(content_type: str | None) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in CAPTURE_MEDIA_TYPES:
        raise Problem(415, "unsupported-media-type", "Unsupported media type",
                      f"capture takes {' or '.join(CAPTURE_MEDIA_TYPES)}, not {media or 'nothing'}")


def _job_out(ctx: ApiContext, job: CaptureJob) -> CaptureJobOut:
    leaves = [r.leaf_index for r in job.results if r.leaf_index is not None]
    statuses = record_status(ctx, leaves)
    rejected = [r for r in job.results if r.status == "rejected"]
    created = format_time_ms(job.created_at_ms)
    return CaptureJobOut(
        capture_id=job.capture_id, created_at=created, finished_at=created, running=False,
        success=not rejected, capture_error_behaviour=job.behaviour,
        enterprise_id=job.enterprise_id, event_count=len(job.results),
        accepted=job.count("accepted"), duplicates=job.count("duplicate"),
        rejected=len(rejected),
        errors=[{"type": PROBLEM_TYPE_BASE + (r.problem or "event-rejected"),
                 "title": "Event rejected", "status": PROBLEM_STATUS.get(r.problem or "", 400),
                 "detail": r.reason, "eventIndex": r.index, "pointer": r.pointer}
                for r in rejected],
        events=[EventResultOut(
            index=r.index, event_hash_id=r.event_hash_id, status=r.status,
            leaf_index=r.leaf_index,
            record_status=None if r.leaf_index is None else statuses[r.leaf_index],
            reason=r.reason, pointer=r.pointer, problem=r.problem,
        ) for r in job.results],
    )

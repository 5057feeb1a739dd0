"""RFC 9457 problem details: the one shape every error of the API has.

Domain code raises `trace_api.errors.DomainError` subclasses (no HTTP status); one
handler maps them to problems here. HTTP-layer code (middleware, routes) may raise
`Problem` directly. Either becomes `application/problem+json`. Request validation errors and unexpected exceptions are
mapped to problems too, so a client never sees a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from trace_api.errors import PROBLEM_TYPE_BASE, DomainError, http_status

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An HTTP problem: status, a stable `kind` (becomes the `type` URI), title and detail.

    `extensions` are extra members of the problem object (e.g. `errors` with per-event
    JSON pointers); `headers` go on the response (e.g. `Retry-After`, `WWW-Authenticate`).
    """

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extensions = extensions or {}
        self.headers = headers or {}

    def to_dict(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


def problem_from(error: DomainError) -> Problem:
    """The HTTP problem for a domain error: its class gives the status (errors.HTTP_STATUS)."""
    headers: dict[str, str] = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    return Problem(http_status(error), error.kind, error.title, error.detail,
                   extensions=error.extensions, headers=headers)


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    return JSONResponse(
        problem.to_dict(instance), status_code=problem.status, media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


_STATUS_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
}


def install_problem_handlers(app: FastAPI) -> None:
    """Map `Problem`, HTTP errors, request validation errors and anything else to problems."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(problem_from(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind, title = _STATUS_KINDS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(
            Problem(exc.status_code, kind, title, detail, headers=headers), request.url.path
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "location": "/".join(str(part) for part in error.get("loc", ())),
                "message": str(error.get("msg", "")),
            }
            for error in exc.errors()
        ]
        return problem_response(
            Problem(400, "invalid-request", "Invalid request", "the request does not match "
                    "the API's schema", extensions={"errors": errors}),
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            Problem(500, "internal-error", "Internal error",
                    "the server failed; nothing was partially stored"),
            request.url.path,
        )


PROBLEM_SCHEMA_NAME = "ProblemDetails"
_PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_SCHEMA_NAME,
    "description": "RFC 9457 problem details; `type` names the problem kind. Extra members "
    "(e.g. `errors`, `chainError`) depend on the kind.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "additionalProperties": True,
}
_STATUS_DESCRIPTIONS = {status: title for status, (_kind, title) in _STATUS_KINDS.items()} | {
    422: "Unprocessable content", 500: "Internal error", 503: "Service unavailable",
    504: "Gateway timeout",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these statuses answer with a problem document."""
    return {
        status: {"description": _STATUS_DESCRIPTIONS.get(status, "Problem"),
                 "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
        for status in statuses
    }


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the handlers do: request validation answers 400
    (not FastAPI's 422) with a problem; every operation may answer 429 (rate limit); an
    operation with security may answer 401 and 403, one with a request body 413 and 415
    (`trace_api.body_limits`). Problem responses are
    `application/problem+json` with the `ProblemDetails` schema."""
    openapi.setdefault("components", {}).setdefault("schemas", {})[PROBLEM_SCHEMA_NAME] = (
        _PROBLEM_SCHEMA
    )
    for path_item in openapi.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            if _is_fastapi_validation_response(responses.get("422")):
                del responses["422"]
            statuses = [400, 429] + ([401, 403] if operation.get("security") else [])
            if "requestBody" in operation:  # bounded, typed and screened (body_limits.py)
                statuses += [413, 415]
            for status, response in problem_responses(*statuses).items():
                responses.setdefault(str(status), response)
            for response in responses.values():
                content = response.get("content", {})
                if PROBLEM_JSON in content:
                    content.pop("application/json", None)
    _drop_unreferenced_validation_schemas(openapi)
    return openapi


_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _is_fastapi_validation_response(response: dict[str, Any] | None) -> bool:
    """FastAPI's own 422 (request validation); a 422 a route documents itself stays."""
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/HTTPValidationError"))


def _drop_unreferenced_validation_schemas(openapi: dict[str, Any]) -> None:
    """FastAPI's validation error schemas describe a body this API never sends."""
    schemas = openapi["components"]["schemas"]
    text = json.dumps({key: value for key, value in openapi.items() if key != "components"})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        others = json.dumps({key: value for key, value in schemas.items() if key != name})
        if name in schemas and f"/schemas/{name}\"" not in text + others:
            del schemas[name]

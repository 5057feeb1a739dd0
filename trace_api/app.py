"""`create_app(settings)`: the FastAPI app of the trace API and the scan page.

Each package contributes one `APIRouter` (module attribute `router`), listed in
`ROUTERS` in the order they appear in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from scanner_app import routes as scanner_routes
from trace_api import chain_proxy, health
from trace_api.audit import routes as audit_routes
from trace_api.auth import routes as auth_routes
from trace_api.auth.dependencies import rate_limiter
from trace_api.body_limits import BodyLimitMiddleware, RouteLimit, route_policies
from trace_api.capture import routes as capture_routes
from trace_api.capture.routes import limit_headers
from trace_api.capture.service import too_large
from trace_api.chain_proxy import MAX_BODY_BYTES
from trace_api.consumer import routes as consumer_routes
from trace_api.context import ApiContext
from trace_api.cors import PublicCorsMiddleware
from trace_api.enterprises import routes as enterprise_routes
from trace_api.labels import routes as label_routes
from trace_api.problems import Problem, document_problems, install_problem_handlers, problem_from
from trace_api.products import routes as product_routes
from trace_api.proofs import routes as proof_routes
from trace_api.provenance import routes as provenance_routes
from trace_api.query import routes as query_routes
from trace_api.ratelimit import RateLimitMiddleware
from trace_api.resolver import routes as resolver_routes
from trace_api.settings import ApiSettings
from trace_api.url_screen import ControlCharacterMiddleware
from trace_api.verification import routes as verification_routes

API_VERSION = "1.0.0"

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth_routes.router,
    enterprise_routes.router,
    proof_routes.router,  # before query: /v1/events/{id}/proof must win over /v1/events/{id}
    verification_routes.router,
    chain_proxy.router,
    capture_routes.router,
    query_routes.router,
    product_routes.router,
    label_routes.router,
    provenance_routes.router,
    audit_routes.router,
    consumer_routes.router,
    resolver_routes.router,  # GS1 Digital Link paths (/01/..., /00/..., /8004/..., /414/...)
    scanner_routes.router,  # /scan: the consumer scan page and its assets
)
"""Every router of the app; each package adds its own line. Importing them (above) also
defines the `api_*` tables that opening the context creates."""


def create_app(settings: ApiSettings, *, context: ApiContext | None = None) -> FastAPI:
    """The API app over `settings` (or an already opened `context`, e.g. in tests)."""
    ctx = context or ApiContext.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if context is None:
            ctx.close()

    app = FastAPI(
        title="TraceLedger API",
        version=API_VERSION,
        description=(
            "Tamper-evident trace records for food and special equipment: EPCIS 2.0 "
            "capture, proofs anchored on a permissioned EVM chain, provenance, recalls, "
            "GS1 Digital Link labels and resolver."
        ),
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # Added last = outermost: public reads get CORS on every answer (trace_api/cors.py),
    # the rate limiter answers before any body is read, a URL with a control character is
    # refused, then every body is bounded, typed and screened before FastAPI parses it.
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes,
                       policies=route_policies(app.routes, default_limit=settings.max_body_bytes,
                                               limits=route_body_limits(ctx)))
    app.add_middleware(ControlCharacterMiddleware)
    app.add_middleware(RateLimitMiddleware, buckets=ctx.shared(rate_limiter))
    app.add_middleware(PublicCorsMiddleware)
    _document_problems(app)
    return app


def route_body_limits(ctx: ApiContext) -> dict[str, RouteLimit]:
    """Routes whose bodies have a limit of their own (the rest: `max_body_bytes`)."""
    capture_headers = limit_headers(ctx)

    def capture_too_large(size: int, limit: int) -> Problem:
        # The EPCIS 2.0 REST binding's own 413, with the limits every capture answer carries.
        problem = problem_from(too_large(size, limit))
        problem.headers = {**capture_headers, **problem.headers}
        return problem

    return {"/v1/capture": RouteLimit(ctx.settings.capture_file_size_limit, capture_too_large),
            "/v1/chain/rpc": RouteLimit(MAX_BODY_BYTES),
            "/v1/verify": RouteLimit(verification_routes.MAX_VERIFY_BODY_BYTES)}


def _document_problems(app: FastAPI) -> None:
    """Build the OpenAPI document once, with the problem responses the handlers give."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

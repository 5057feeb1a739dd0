"""`create_app(settings)`: the FastAPI app of the trace API and the scan page.

Each package contributes one `APIRouter` (module attribute `router`), listed in
`ROUTER_MODULES` in the order they appear in the OpenAPI document.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from trace_api.context import ApiContext
from trace_api.problems import install_problem_handlers
from trace_api.settings import ApiSettings

API_VERSION = "1.0.0"

ROUTER_MODULES: tuple[str, ...] = (
    "trace_api.health",
)
"""Modules exposing `router`; each package adds its own line."""


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
    for module_name in ROUTER_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    return app

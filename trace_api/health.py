"""`GET /healthz`: the API answers and its databases are reachable."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from trace_api.context import ContextDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    chain_id: int
    tree_size: int


@router.get("/healthz", response_model=Health)
def healthz(ctx: ContextDep) -> Health:
    """200 when the records database answers; reports the log's integrated tree size."""
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return Health(status="ok", chain_id=ctx.deployment.chain_id,
                  tree_size=ctx.log_store.head().tree_size)

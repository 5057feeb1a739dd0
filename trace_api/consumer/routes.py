"""`/v1/public/*`: what anyone holding a code may see (no credentials needed).

`GET /v1/public/lookup?uri=` is the scan page's one request per scan (and counts an
authenticated scan for the clone alarm); `GET /v1/public/recall?uri=` is the resolver's
`gs1:recallStatus` link. Responses are never cached by shared caches: recalls change.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from trace_api.consumer.schemas import ConsumerView, RecallStatusView
from trace_api.consumer.view import lookup, recall_status
from trace_api.context import ContextDep

router = APIRouter(prefix="/v1/public", tags=["consumer"])

UriParam = Annotated[str, Query(min_length=1, max_length=2000, description="A GS1 Digital Link URI")]
NO_SHARED_CACHE = "private, no-cache"


@router.get("/lookup", response_model=ConsumerView, response_model_by_alias=True)
def public_lookup(
    request: Request,
    response: Response,
    ctx: ContextDep,
    uri: UriParam,
) -> ConsumerView:
    """The consumer view of one scanned code: product, authenticity, recall, timeline,
    sensors, certifications, equipment and the chain to verify against. 400 for an
    invalid code, 404 when nothing about it is known. A scan of a label with a valid
    authenticator counts toward the clone alarm from the place the server derives from
    the client address (`trace_api.consumer.clone`); nothing the client sends chooses it."""
    response.headers["Cache-Control"] = NO_SHARED_CACHE
    return lookup(ctx, uri, request.client.host if request.client else None)


@router.get("/recall", response_model=RecallStatusView, response_model_by_alias=True)
def public_recall(response: Response, ctx: ContextDep, uri: UriParam) -> RecallStatusView:
    """Whether an open recall in `RecallRegistry` covers the code (serial, lot or GTIN)."""
    response.headers["Cache-Control"] = NO_SHARED_CACHE
    return recall_status(ctx, uri)

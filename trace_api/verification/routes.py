"""`POST /v1/verify`: a step-by-step verdict for one event (and optionally its bundle).

Open to anyone, like the proof bundles: verifying reveals nothing the caller did not
send. Without a bundle, the API's own bundle of the event's recomputed hash is used
(the caller's own record when several enterprises recorded it, or `leafIndex`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from trace_api.auth import OptionalPrincipal
from trace_api.context import ContextDep
from trace_api.errors import Unavailable
from trace_api.proofs.service import select_leaf
from trace_api.verification.api_verifier import api_record_verifier
from trace_api.verification.service import ChainReadError, TraceRecordVerifier, verify
from trace_api.verification.steps import StepFailed, compute_event_hash_id

router = APIRouter(tags=["verification"])

MAX_VERIFY_BODY_BYTES = 1024 * 1024
"""An event plus its bundle is a few KB; a megabyte leaves room for large sensor lists.
Enforced while the body streams, by the body-limit middleware (`app.route_body_limits`)."""


class VerifyRequest(BaseModel):
    """An EPCIS 2.0 event (as captured, or as in its proof bundle's `event`) and,
    optionally, the bundle to check it against."""

    event: dict[str, Any] = Field(description="One EPCIS 2.0 event (JSON / JSON-LD).")
    bundle: dict[str, Any] | None = Field(
        default=None, description="A traceledger.proof/v1 bundle; fetched by hash when absent."
    )
    context: Any = Field(
        default=None,
        description="The @context of the document the event came from, if the event has none.",
    )
    leafIndex: int | None = Field(default=None, ge=0, le=2**63 - 1)


class StepJson(BaseModel):
    number: int
    name: str
    title: str
    status: str = Field(description="ok | failed | pending | skipped")
    detail: str


class FailedStepJson(BaseModel):
    number: int
    name: str


class VerifiedAnchor(BaseModel):
    """The anchored head as read from the chain during this verification."""

    chainId: int
    contract: str
    headIndex: int
    treeSize: int
    rootHash: str
    blockNumber: int
    blockTime: int
    transactionHash: str | None


class VerdictJson(BaseModel):
    verdict: str = Field(description="verified | pending | failed")
    eventHashId: str | None
    leafIndex: int | None
    treeSize: int | None
    failedStep: FailedStepJson | None
    steps: list[StepJson]
    anchor: VerifiedAnchor | None


def _record_verifier(ctx: ContextDep) -> TraceRecordVerifier:
    return ctx.shared(api_record_verifier)


RecordVerifierDep = Annotated[TraceRecordVerifier, Depends(_record_verifier)]


@router.post(
    "/v1/verify",
    response_model=VerdictJson,
    summary="Verify an event step by step against its proof bundle and the chain",
    responses={413: {"description": "Body larger than 1 MiB"},
               503: {"description": "The ledger node could not be asked"}},
)
def post_verify(
    ctx: ContextDep, verifier: RecordVerifierDep, principal: OptionalPrincipal, body: VerifyRequest
) -> JSONResponse:
    leaf_index = body.leafIndex
    if body.bundle is None and leaf_index is None and principal is not None and principal.enterprise_id:
        # The caller's own record, when several enterprises recorded the same event.
        try:
            hash_id: str | None = compute_event_hash_id(body.event, body.context)
        except StepFailed:
            hash_id = None
        if hash_id is not None:
            leaf_index = select_leaf(ctx, hash_id, enterprise_id=principal.enterprise_id)
    try:
        verdict = verify(verifier, body.event, body.bundle, context=body.context, leaf_index=leaf_index)
    except ChainReadError as exc:
        raise Unavailable("chain-unavailable", "The chain is unavailable",
                          "the chain could not be asked, so no verdict can be given",
                          retry_after_s=5) from exc
    # The verdict is built by our own code to the documented shape: skip re-validating it
    # through the response model on every call (verification is on the hot path).
    return JSONResponse(verdict.to_json())

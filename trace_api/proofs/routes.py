"""`GET /v1/events/{eventHashId}/proof`: the record's `traceledger.proof/v1` bundle.

Anyone may fetch the public bundle (no `event` member): the scan page needs it, and it
reveals nothing but the record's salted leaf. Admins and regulators also get the event
body, and so does an enterprise that may read the event (`trace_api.provenance.access`:
its own, or one naming it as source or destination or at its places).

The Event Hash ID goes in the path percent-encoded (`ni%3A%2F%2F%2Fsha-256%3B...`), or
as its bare 64-digit hex digest.

`GET /v1/master-data/{recordHashId}/proof`: the same bundle for a master-data record
(`traceledger.masterdata/v1`, in the same log; `eventHashId` is the record hash ID), and
`GET /v1/master-data/{recordHashId}` the record itself. Master data is public.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from trace_api.auth import OptionalPrincipal
from trace_api.context import ContextDep
from trace_api.problems import Problem
from trace_api.products.master_data import canonical_record_hash_id, record_by_hash_id
from trace_api.proofs.service import build_bundle, bundle_for_entry, load_record, select_leaf
from trace_api.provenance.access import may_read_record
from trace_api.records.event_hash_id_path import canonical_event_hash_id

router = APIRouter(tags=["proofs"])


class EntryFieldsJson(BaseModel):
    """The entry's fields, decoded for reading; the `entry` bytes are what counts."""

    eventHash: str
    submitter: str
    signature: str
    receivedAt: str
    salt: str


class LogJson(BaseModel):
    origin: str
    verifierKey: str


class WitnessJson(BaseModel):
    name: str
    verifierKey: str


class AnchorJson(BaseModel):
    """Where the tree head is on chain (checkable with eth_call)."""

    chainId: int
    contract: str
    headIndex: int
    treeSize: int
    rootHash: str
    transactionHash: str
    blockNumber: int
    blockHash: str
    blockTime: int | None
    witnessedBy: list[str]


class ProofBundleJson(BaseModel):
    """A `traceledger.proof/v1` bundle (trace_api/README.md, "Proof bundle")."""

    model_config = ConfigDict(json_schema_extra={"description": "traceledger.proof/v1"})

    format: str = Field(description="Always `traceledger.proof/v1`.")
    eventHashId: str
    status: str = Field(description="`anchored` or `pending`.")
    entry: str = Field(description="Base64 of the 158-byte version 1 log entry.")
    entryFields: EntryFieldsJson
    leafIndex: int
    treeSize: int | None = Field(description="Anchored head's size, or the latest checkpoint's.")
    leafHash: str
    rootHash: str | None
    inclusionProof: list[str] | None
    checkpoint: str | None = Field(description="C2SP signed note with witness cosignatures.")
    log: LogJson
    witnesses: list[WitnessJson]
    anchor: AnchorJson | None
    event: dict[str, Any] | None = Field(
        default=None, description="The event body; only for callers allowed to see it."
    )


def parse_event_hash_id(value: str) -> str:
    """`ni:///sha-256;<hex>?ver=CBV2.0` from any spelling the other `/v1/events/{id}` routes
    accept (`records.event_hash_id_path.canonical_event_hash_id`); 400 otherwise."""
    try:
        return canonical_event_hash_id(value.strip())
    except ValueError:
        raise Problem(400, "invalid-event-hash-id", "Invalid Event Hash ID",
                      "expected ni:///sha-256;<64 lowercase hex>?ver=CBV2.0 (percent-encoded) or "
                      "the 64-digit hex digest") from None


@router.get(
    "/v1/events/{eventHashId:path}/proof",
    response_model=ProofBundleJson,
    response_model_exclude_unset=True,
    summary="Proof bundle of a record (traceledger.proof/v1)",
    responses={400: {"description": "Malformed Event Hash ID"},
               404: {"description": "No record of this event"}},
)
def get_proof(
    ctx: ContextDep,
    principal: OptionalPrincipal,
    eventHashId: Annotated[str, Path(description="Event Hash ID, percent-encoded, or its hex digest.")],
    leafIndex: Annotated[int | None, Query(ge=0, le=2**63 - 1, description="Pick one record when several enterprises recorded the event.")] = None,
) -> dict[str, Any]:
    hash_id = parse_event_hash_id(eventHashId)
    leaf = select_leaf(
        ctx, hash_id, enterprise_id=principal.enterprise_id if principal else None,
        leaf_index=leafIndex,
    )
    if leaf is None:
        raise Problem(404, "not-found", "No such record",
                      f"no record of {hash_id}" + (f" at leaf {leafIndex}" if leafIndex is not None else ""))
    record = load_record(ctx, leaf)
    return build_bundle(ctx, leaf, include_event=may_read_record(ctx.engine, principal, leaf, record.enterprise_id)).to_json()


class MasterDataJson(BaseModel):
    """A stored master-data record version and who signed it."""

    kind: str
    recordHashId: str
    version: int
    enterpriseId: str
    submitter: str
    leafIndex: int
    record: dict[str, Any] = Field(description="The signed traceledger.masterdata/v1 document.")


def _master_data(ctx: ContextDep, value: str) -> Any:
    try:
        record_hash_id = canonical_record_hash_id(value)
    except ValueError:
        raise Problem(400, "invalid-record-hash-id", "Invalid master-data record hash ID",
                      "expected ni:///sha-256;<64 lowercase hex>?format=traceledger.masterdata/v1 "
                      "(percent-encoded) or the 64-digit hex digest") from None
    record = record_by_hash_id(ctx.log_store.db, record_hash_id)
    if record is None:
        raise Problem(404, "not-found", "No such record", f"no master-data record {record_hash_id}")
    return record


@router.get(
    "/v1/master-data/{recordHashId:path}/proof",
    response_model=ProofBundleJson,
    response_model_exclude_unset=True,
    summary="Proof bundle of a master-data record (traceledger.proof/v1)",
    responses={400: {"description": "Malformed record hash ID"},
               404: {"description": "No such master-data record"}},
)
def get_master_data_proof(
    ctx: ContextDep,
    recordHashId: Annotated[str, Path(description="Record hash ID, percent-encoded, or its hex digest.")],
) -> dict[str, Any]:
    record = _master_data(ctx, recordHashId)
    return bundle_for_entry(ctx, record.leaf_index, record.record_hash_id, record.entry).to_json()


@router.get(
    "/v1/master-data/{recordHashId:path}",
    response_model=MasterDataJson,
    summary="A master-data record version (traceledger.masterdata/v1)",
    responses={400: {"description": "Malformed record hash ID"},
               404: {"description": "No such master-data record"}},
)
def get_master_data(
    ctx: ContextDep,
    recordHashId: Annotated[str, Path(description="Record hash ID, percent-encoded, or its hex digest.")],
) -> MasterDataJson:
    record = _master_data(ctx, recordHashId)
    return MasterDataJson(kind=record.kind, recordHashId=record.record_hash_id,
                          version=record.version, enterpriseId=record.enterprise_id,
                          submitter=record.submitter, leafIndex=record.leaf_index,
                          record=record.document)

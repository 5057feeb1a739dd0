"""`/v1/enterprises`: registration (admin), listing, suspension and reinstatement
(regulator), key rotation (admin or the enterprise itself).

Self-custody key rotation: the enterprise signs, with its current key, an ordinary
Ethereum transaction calling `MemberRegistry.rotateSigningKey(newKey)` (gas price 0 on
this chain; nonce from `eth_getTransactionCount`) and posts it as `signedTransaction`; the
API checks signer and call and relays it. Custodial rotation needs no body: the server
makes the new key and signs the rotation with the old one.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from trace_api.auth import CurrentPrincipal, Principal, Role, require_roles
from trace_api.auth.routes import ApiKeyIssued, key_public
from trace_api.context import ContextDep
from trace_api.enterprises import rotation, service
from trace_api.enterprises.guard import active_writer, verify_enterprise_active
from trace_api.enterprises.store import (
    EnterpriseActionRow,
    EnterpriseRow,
    list_actions,
    list_enterprises,
)
from trace_api.problems import Problem, problem_responses

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

EnterpriseIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-f]{64}$",
                                       description="MemberRegistry id: keccak256 of the USCC.")]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Regulator = Annotated[Principal, Depends(require_roles(Role.REGULATOR))]
Staff = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.REGULATOR))]
Sector = Literal["food", "special_equipment"]
ON_CHAIN = problem_responses(404, 409, 503, 504)
"""What a route that sends a transaction may answer besides its own validation."""


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class EnterpriseCreate(_Camel):
    name: str = Field(min_length=1, max_length=200)
    uscc: str = Field(min_length=1, max_length=64,
                      description="Unified Social Credit Code (GB 32100, 18 characters).")
    sectors: list[Sector] = Field(min_length=1, max_length=2)
    company_prefixes: list[Annotated[str, Field(pattern=r"^[0-9]{4,12}$")]] = Field(
        default_factory=list, max_length=50, description="GS1 company prefixes (4-12 digits).")
    glns: list[Annotated[str, Field(pattern=r"^[0-9]{13}$")]] = Field(
        default_factory=list, max_length=200, description="GLNs of the enterprise's locations.")
    custody: Literal["self", "custodial"] = Field(
        description="self: the enterprise holds its key and gives signingAddress; custodial: "
        "the server makes and keeps the key (encrypted).")
    signing_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")


class EnterpriseAction(_Camel):
    action: str
    reason: str | None
    reason_hash: str | None
    actor: str
    transaction_hash: str | None
    block_number: int | None
    at: dt.datetime


class EnterprisePublic(_Camel):
    enterprise_id: str
    name: str
    uscc: str
    sectors: list[str]
    company_prefixes: list[str]
    glns: list[str]
    custody: str
    signing_address: str
    status: str
    registered_at: dt.datetime
    registration_transaction: str | None


class EnterpriseDetail(EnterprisePublic):
    history: list[EnterpriseAction]


class EnterpriseRegistered(EnterprisePublic):
    api_key: ApiKeyIssued = Field(description="The enterprise's first API key; shown only here.")


class StatusChange(_Camel):
    reason: str = Field(min_length=1, max_length=2000,
                        description="Why; its keccak256 goes on chain, the text stays here.")


class Reinstatement(_Camel):
    reason: str | None = Field(default=None, min_length=1, max_length=2000)


class KeyRotation(_Camel):
    signed_transaction: str | None = Field(
        default=None, pattern=r"^0x[0-9a-fA-F]+$", max_length=4096,
        description="Self-custody only: the raw signed rotateSigningKey(newKey) transaction.")


def _when(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def _public(row: EnterpriseRow) -> EnterprisePublic:
    return EnterprisePublic(
        enterprise_id=row.enterprise_id, name=row.name, uscc=row.uscc, sectors=row.sectors,
        company_prefixes=row.prefixes, glns=row.glns, custody=row.custody,
        signing_address=row.signing_address, status=row.status,
        registered_at=_when(row.registered_at_ms), registration_transaction=row.registration_tx,
    )


def _action(row: EnterpriseActionRow) -> EnterpriseAction:
    return EnterpriseAction(action=row.action, reason=row.reason, reason_hash=row.reason_hash,
                            actor=row.actor, transaction_hash=row.transaction_hash,
                            block_number=row.block_number, at=_when(row.at_ms))


def _actor(principal: Principal) -> str:
    return f"{principal.via}:{principal.subject}"


def _may_see(principal: Principal, enterprise_id: str) -> None:
    if principal.role is Role.ENTERPRISE and principal.enterprise_id != enterprise_id:
        raise Problem(404, "not-found", "Not found", f"no enterprise {enterprise_id}")


@router.post("", status_code=201, response_model=EnterpriseRegistered,
             responses=problem_responses(409, 503, 504))
def register(body: EnterpriseCreate, ctx: ContextDep, principal: Admin) -> EnterpriseRegistered:
    """Register an enterprise on chain and return it with its first API key (shown once)."""
    registration = service.register_enterprise(ctx, service.NewEnterprise(
        name=body.name, uscc=body.uscc, sectors=body.sectors,
        company_prefixes=body.company_prefixes, glns=body.glns, custody=body.custody,
        signing_address=body.signing_address,
    ), actor=_actor(principal))
    issued = registration.api_key
    return EnterpriseRegistered(
        **_public(registration.enterprise).model_dump(),
        api_key=ApiKeyIssued(**key_public(issued.row).model_dump(), key=issued.key),
    )


@router.get("", response_model=list[EnterprisePublic])
def list_all(
    ctx: ContextDep, _principal: Staff,
    status: Annotated[Literal["active", "suspended", "revoked"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[EnterprisePublic]:
    """Registered enterprises, oldest first (admins and regulators)."""
    return [_public(row)
            for row in list_enterprises(ctx.engine, status=status, limit=limit, offset=offset)]


@router.get("/{enterprise_id}", response_model=EnterpriseDetail,
            responses=problem_responses(404))
def detail(enterprise_id: EnterpriseIdPath, ctx: ContextDep,
           principal: CurrentPrincipal) -> EnterpriseDetail:
    """One enterprise with its on-chain history (staff, or the enterprise itself)."""
    _may_see(principal, enterprise_id)
    row = service.require_enterprise(ctx, enterprise_id)
    return EnterpriseDetail(**_public(row).model_dump(),
                            history=[_action(a) for a in list_actions(ctx.engine, enterprise_id)])


@router.post("/{enterprise_id}/suspension", response_model=EnterprisePublic, responses=ON_CHAIN)
def suspend(enterprise_id: EnterpriseIdPath, body: StatusChange, ctx: ContextDep,
            principal: Regulator) -> EnterprisePublic:
    """Suspend (regulators): on chain with the reason's hash; capture stops at once."""
    row = service.suspend_enterprise(ctx, enterprise_id, body.reason, actor=_actor(principal))
    return _public(row)


@router.post("/{enterprise_id}/reinstatement", response_model=EnterprisePublic, responses=ON_CHAIN)
def reinstate(enterprise_id: EnterpriseIdPath, ctx: ContextDep, principal: Regulator,
              body: Annotated[Reinstatement | None, Body()] = None) -> EnterprisePublic:
    """Reinstate a suspended enterprise (regulators)."""
    row = service.reinstate_enterprise(ctx, enterprise_id, body.reason if body else None,
                                       actor=_actor(principal))
    return _public(row)


@router.post("/{enterprise_id}/key-rotation", response_model=EnterprisePublic, responses=ON_CHAIN)
def rotate_key(enterprise_id: EnterpriseIdPath, ctx: ContextDep,
               principal: Annotated[Principal, Depends(active_writer(Role.ADMIN, Role.ENTERPRISE))],
               body: Annotated[KeyRotation | None, Body()] = None) -> EnterprisePublic:
    """Rotate the signing key: custodial (no body, the server signs) or self-custody
    (`signedTransaction`, relayed). Admins, or the enterprise itself; only while it is
    active (403 `enterprise-suspended`: `trace_api.enterprises.guard`)."""
    _may_see(principal, enterprise_id)
    verify_enterprise_active(ctx, enterprise_id)  # admins too: the chain would refuse it
    row = service.require_enterprise(ctx, enterprise_id)
    signed = body.signed_transaction if body else None
    if row.custody == service.CUSTODY_CUSTODIAL:
        if signed is not None:
            raise Problem(400, "invalid-request", "Invalid request",
                          "custodial enterprises rotate without signedTransaction")
        row = rotation.rotate_custodial_key(ctx, enterprise_id, actor=_actor(principal))
    else:
        if signed is None or len(signed) % 2:
            raise Problem(400, "invalid-request", "Invalid request",
                          "self-custody rotation needs signedTransaction (0x + even hex)")
        row = rotation.relay_key_rotation(ctx, enterprise_id, bytes.fromhex(signed[2:]),
                                         actor=_actor(principal))
    return _public(row)

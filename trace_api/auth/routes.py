"""`/v1/api-keys`: issue, list and revoke API keys.

Admins manage every key; an enterprise manages the keys of its own enterprise (always
with the enterprise role). A new key's secret is in the creation response and nowhere
else, ever.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from trace_api.auth.api_keys import (
    ApiKeyRow,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)
from trace_api.auth.dependencies import ApiKeyVerifierDep, require_roles
from trace_api.auth.principal import Principal, Role
from trace_api.context import ContextDep
from trace_api.enterprises.guard import active_writer
from trace_api.enterprises.store import get_enterprise
from trace_api.problems import Problem, problem_responses

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])

ENTERPRISE_ID_PATTERN = r"^0x[0-9a-f]{64}$"
KeyManager = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.ENTERPRISE))]
KeyIssuer = Annotated[Principal, Depends(active_writer(Role.ADMIN, Role.ENTERPRISE))]
"""Issuing a key is a write of the enterprise: refused while it is suspended
(`trace_api.enterprises.guard`); listing and revoking stay open."""


class _CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ApiKeyCreate(_CamelModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="What the key is for.")
    role: Role = Field(default=Role.ENTERPRISE, description="The one role the key carries.")
    enterprise_id: str | None = Field(
        default=None, pattern=ENTERPRISE_ID_PATTERN,
        description="For enterprise keys: the MemberRegistry id (an enterprise's own keys "
        "are always bound to it).",
    )


class ApiKeyPublic(_CamelModel):
    key_id: str
    name: str
    role: Role
    enterprise_id: str | None
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None


class ApiKeyIssued(ApiKeyPublic):
    key: str = Field(description="The secret API key. Shown only in this response.")


def _when(ms: int | None) -> dt.datetime | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def key_public(row: ApiKeyRow) -> ApiKeyPublic:
    return ApiKeyPublic(
        key_id=row.key_id, name=row.name, role=Role(row.role), enterprise_id=row.enterprise_id,
        created_at=_when(row.created_at_ms), created_by=row.created_by,  # type: ignore[arg-type]
        revoked_at=_when(row.revoked_at_ms),
    )


@router.post("", status_code=201, response_model=ApiKeyIssued,
             responses=problem_responses(404))
def create_key(body: ApiKeyCreate, ctx: ContextDep, principal: KeyIssuer) -> ApiKeyIssued:
    """Issue a key. Admins: any role (enterprise keys name their enterprise). Enterprises:
    another key of their own enterprise, only while it is active (403 enterprise-suspended)."""
    role, enterprise_id = body.role, body.enterprise_id
    if principal.role is Role.ENTERPRISE:
        if role is not Role.ENTERPRISE or enterprise_id not in (None, principal.enterprise_id):
            raise Problem(403, "forbidden", "Not allowed",
                          "an enterprise may only create keys of its own enterprise")
        enterprise_id = principal.enterprise_id
    elif role is Role.ENTERPRISE:
        if enterprise_id is None:
            raise Problem(400, "invalid-request", "Invalid request",
                          "an enterprise key needs enterpriseId")
        if get_enterprise(ctx.engine, enterprise_id) is None:
            raise Problem(404, "not-found", "Not found", f"no enterprise {enterprise_id}")
    elif enterprise_id is not None:
        raise Problem(400, "invalid-request", "Invalid request",
                      "only enterprise keys are bound to an enterprise")
    issued = create_api_key(ctx.engine, role=role, name=body.name, enterprise_id=enterprise_id,
                            created_by=f"{principal.via}:{principal.subject}")
    return ApiKeyIssued(**key_public(issued.row).model_dump(), key=issued.key)


@router.get("", response_model=list[ApiKeyPublic])
def list_keys(
    ctx: ContextDep, principal: KeyManager,
    enterprise_id: Annotated[
        str | None, Query(alias="enterpriseId", pattern=ENTERPRISE_ID_PATTERN)
    ] = None,
) -> list[ApiKeyPublic]:
    """Keys without their secrets: all (admins, optionally of one enterprise) or the caller's
    enterprise's."""
    if principal.role is Role.ENTERPRISE:
        enterprise_id = principal.enterprise_id
    return [key_public(row) for row in list_api_keys(ctx.engine, enterprise_id=enterprise_id)]


@router.delete("/{key_id}", status_code=204, response_class=Response,
               responses=problem_responses(404))
def revoke_key(key_id: str, ctx: ContextDep, principal: KeyManager,
               verifier: ApiKeyVerifierDep) -> Response:
    """Revoke a key at once (idempotent). Enterprises may revoke only their own keys."""
    row = get_api_key(ctx.engine, key_id)
    if row is None or (principal.role is Role.ENTERPRISE
                       and row.enterprise_id != principal.enterprise_id):
        # Another enterprise's key is reported as absent: its existence is not theirs to know.
        raise Problem(404, "not-found", "Not found", f"no API key {key_id}")
    revoke_api_key(ctx.engine, key_id)
    verifier.forget(key_id)
    return Response(status_code=204)

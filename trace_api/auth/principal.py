"""Who is calling: a `Principal` with one `Role`; unauthenticated callers have none."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The three roles of the API. Consumers are unauthenticated (no principal)."""

    ADMIN = "admin"
    REGULATOR = "regulator"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller.

    `subject` is the API key id or the OIDC `sub`; `enterprise_id` (0x-hex bytes32, the
    MemberRegistry id) is set exactly for enterprise keys; `via` says how they signed in.
    """

    role: Role
    subject: str
    via: str  # "api-key" | "oidc"
    enterprise_id: str | None = None
    name: str | None = None

"""Suspension blocks every write of an enterprise: one dependency for every write route.

A regulator's suspension (`MemberRegistry.suspendEnterprise`) must stop the enterprise
at once from adding anything attributed to it: records (capture), recalls, API keys,
product master data, labels (single and batch) and key rotations. Every such route
takes its caller through `active_writer(...)`; the check is
`service.capture_identity`, answered from the identity cache that this process's own
suspensions invalidate at once (a suspension sent by another tool is seen within
`identity_cache_ttl_s`).

What stays open to a suspended enterprise: reading, and revoking its own API keys (it
only ever reduces what the enterprise can do). What stays open to admins acting for it:
issuing API keys (they can write nothing while it is suspended). Writes an admin makes
*as* the enterprise are refused like the enterprise's own (`verify_enterprise_active`):
product master data registered for it, and key rotation — the chain's admission refuses
a suspended enterprise's transactions anyway, so a leaked key is rotated right after
reinstatement (suspension already stops it from writing anything here).
"""

from __future__ import annotations

from collections.abc import Callable

from trace_api.auth import CurrentPrincipal, Principal, Role, require_roles
from trace_api.context import ApiContext, ContextDep
from trace_api.enterprises.service import capture_identity
from trace_api.errors import NotAllowed


def verify_enterprise_active(ctx: ApiContext, enterprise_id: str) -> None:
    """Return if `enterprise_id` is active on chain; else raise NotAllowed
    `enterprise-suspended` (suspended or revoked), 404 if it is unknown."""
    capture_identity(ctx, enterprise_id)


def active_writer(*roles: Role) -> Callable[[ApiContext, Principal], Principal]:
    """A dependency returning the caller if their role is one of `roles` (else 403
    `forbidden`) and, for an enterprise caller, its enterprise is active (else 403
    `enterprise-suspended`)."""
    has_role = require_roles(*roles)

    def dependency(ctx: ContextDep, principal: CurrentPrincipal) -> Principal:
        has_role(principal)
        if principal.role is Role.ENTERPRISE:
            if principal.enterprise_id is None:
                raise NotAllowed("forbidden", "Not allowed", "this key is not an enterprise's")
            verify_enterprise_active(ctx, principal.enterprise_id)
        return principal

    return dependency

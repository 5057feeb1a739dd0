"""Every restricted function, called by every account that lacks the role it needs, reverts
with `NotAuthorized(caller, requiredRole)` and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils import keccak

from tests.contracts.kit import (
    ADMIN,
    ANCHORER,
    ENTERPRISE,
    REGULATOR,
    WITNESS,
    Chain,
    Deployment,
)

SUBJECT = keccak(b"subject")
ROOT = keccak(b"root")

# name -> (required role, roles allowed to call, build the call)
RESTRICTED: dict[str, tuple[int, set[int], Callable[[Deployment], Any]]] = {
    "MemberRegistry.proposeRoleChange": (
        ADMIN,
        {ADMIN},
        lambda s: s.registry.functions.proposeRoleChange(s.spare[0], WITNESS),
    ),
    "MemberRegistry.approveRoleChange": (
        ADMIN,
        {ADMIN},
        lambda s: s.registry.functions.approveRoleChange(0),
    ),
    "MemberRegistry.registerEnterprise": (
        ADMIN,
        {ADMIN},
        lambda s: s.registry.functions.registerEnterprise(keccak(b"x"), s.spare[0], 1, [], ROOT),
    ),
    "MemberRegistry.assignCompanyPrefix": (
        ADMIN,
        {ADMIN},
        lambda s: s.registry.functions.assignCompanyPrefix(Deployment.ENTERPRISE_A_ID, "7777777"),
    ),
    "MemberRegistry.suspendEnterprise": (
        REGULATOR,
        {REGULATOR},
        lambda s: s.registry.functions.suspendEnterprise(Deployment.ENTERPRISE_A_ID, ROOT),
    ),
    "MemberRegistry.reinstateEnterprise": (
        REGULATOR,
        {REGULATOR},
        lambda s: s.registry.functions.reinstateEnterprise(Deployment.ENTERPRISE_A_ID),
    ),
    "MemberRegistry.rotateSigningKey": (
        ENTERPRISE,
        {ENTERPRISE},
        lambda s: s.registry.functions.rotateSigningKey(s.spare[0]),
    ),
    "MemberRegistry.updateMetadata": (
        ENTERPRISE,
        {ENTERPRISE},
        lambda s: s.registry.functions.updateMetadata(ROOT),
    ),
    "TraceAnchor.anchor": (ANCHORER, {ANCHORER}, lambda s: s.anchor.functions.anchor(1, ROOT, [])),
    "TraceAnchor.witness": (WITNESS, {WITNESS}, lambda s: s.anchor.functions.witness(1, ROOT)),
    "RecallRegistry.openRecall": (
        ENTERPRISE,
        {REGULATOR, ENTERPRISE},
        lambda s: s.recalls.functions.openRecall(SUBJECT, 1, ROOT, Deployment.PREFIX_A),
    ),
    "RecallRegistry.updateRecall": (
        ENTERPRISE,
        {REGULATOR, ENTERPRISE},
        lambda s: s.recalls.functions.updateRecall(SUBJECT, 2, ROOT),
    ),
    "RecallRegistry.closeRecall": (
        ENTERPRISE,
        {REGULATOR, ENTERPRISE},
        lambda s: s.recalls.functions.closeRecall(SUBJECT, ROOT),
    ),
}


def _callers(system: Deployment) -> dict[str, tuple[str, int | None]]:
    return {
        "admin": (system.admins[1], ADMIN),
        "regulator": (system.regulator, REGULATOR),
        "anchorer": (system.anchorer, ANCHORER),
        "witness": (system.witnesses[0], WITNESS),
        "enterprise": (system.enterprise_a, ENTERPRISE),
        "outsider": (system.outsider, None),
    }


@pytest.mark.parametrize("function", sorted(RESTRICTED))
def test_callers_without_the_role_are_rejected(
    chain: Chain, system: Deployment, function: str
) -> None:
    required, allowed, build = RESTRICTED[function]
    state_before = _state(system)
    rejected = 0
    for caller, role in _callers(system).values():
        if role in allowed:
            continue
        chain.expect_revert(build(system), caller, "NotAuthorized", caller, required)
        rejected += 1
    assert rejected >= 4
    assert _state(system) == state_before


def test_suspended_enterprise_and_revoked_staff_are_rejected(
    chain: Chain, system: Deployment
) -> None:
    registry = system.registry
    chain.transact(
        registry.functions.suspendEnterprise(Deployment.ENTERPRISE_A_ID, ROOT), system.regulator
    )
    chain.expect_revert(
        system.recalls.functions.openRecall(SUBJECT, 1, ROOT, Deployment.PREFIX_A),
        system.enterprise_a,
        "NotAuthorized",
        system.enterprise_a,
        ENTERPRISE,
    )
    chain.transact(registry.functions.proposeRoleChange(system.regulator, 0), system.admins[0])
    chain.expect_revert(
        registry.functions.reinstateEnterprise(Deployment.ENTERPRISE_A_ID),
        system.regulator,
        "NotAuthorized",
        system.regulator,
        REGULATOR,
    )
    chain.transact(registry.functions.proposeRoleChange(system.admins[2], 0), system.admins[0])
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.spare[0], WITNESS),
        system.admins[2],
        "NotAuthorized",
        system.admins[2],
        ADMIN,
    )


def _state(system: Deployment) -> tuple[Any, ...]:
    registry = system.registry
    return (
        registry.functions.proposalCount().call(),
        registry.functions.enterprise(Deployment.ENTERPRISE_A_ID).call(),
        registry.functions.companyPrefixes(Deployment.ENTERPRISE_A_ID).call(),
        registry.functions.roleOf(system.spare[0]).call(),
        system.anchor.functions.headCount().call(),
        system.recalls.functions.isRecalled(SUBJECT).call(),
    )

"""MemberRegistry: roles, M-of-N role changes, enterprises, suspension, key rotation."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from tests.contracts.kit import (
    ADMIN,
    ANCHORER,
    ENTERPRISE,
    NONE,
    REGULATOR,
    REVERT_ERRORS,
    WITNESS,
    Chain,
    Deployment,
    deploy_system,
)

# EnterpriseStatus and AccountState values, as in MemberRegistry.sol.
ACTIVE, SUSPENDED, REVOKED = 1, 2, 3
ACCOUNT_ACTIVE, ACCOUNT_REVOKED, ACCOUNT_ROTATED = 1, 2, 3
ZERO32 = b"\x00" * 32


def test_initial_members_and_roles(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    expected = {
        **{admin: ADMIN for admin in system.admins},
        system.regulator: REGULATOR,
        system.anchorer: ANCHORER,
        system.witnesses[0]: WITNESS,
        system.witnesses[1]: WITNESS,
        system.enterprise_a: ENTERPRISE,
        system.enterprise_b: ENTERPRISE,
    }
    for account, role in expected.items():
        assert registry.functions.roleOf(account).call() == role
        assert registry.functions.isMember(account).call() is True
        assert registry.functions.hasRole(account, role).call() is True
    assert registry.functions.roleOf(system.outsider).call() == NONE
    assert registry.functions.isMember(system.outsider).call() is False
    assert registry.functions.hasRole(system.outsider, NONE).call() is False
    assert registry.functions.adminCount().call() == 3
    assert registry.functions.approvalThreshold().call() == 1


def test_constructor_defaults_to_sender_as_single_admin(chain: Chain) -> None:
    registry = chain.deploy("MemberRegistry", [], 1, sender=chain.accounts[5])
    assert registry.functions.roleOf(chain.accounts[5]).call() == ADMIN
    assert registry.functions.adminCount().call() == 1


@pytest.mark.parametrize(("admin_count", "threshold"), [(3, 0), (3, 4), (0, 2)])
def test_constructor_rejects_bad_threshold(chain: Chain, admin_count: int, threshold: int) -> None:
    from contracts.artifacts import load_artifact

    artifact = load_artifact("MemberRegistry")
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    with pytest.raises(REVERT_ERRORS) as caught:
        factory.constructor(chain.accounts[:admin_count], threshold).estimate_gas(
            {"from": chain.accounts[0]}
        )
    assert chain.decode_error(caught.value) == (
        "InvalidThreshold",
        (threshold, max(admin_count, 1)),
    )


def test_single_approval_executes_at_once_with_events(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    account = system.spare[0]
    proposal_id = registry.functions.proposalCount().call()
    receipt = chain.transact(
        registry.functions.proposeRoleChange(account, WITNESS), system.admins[1]
    )
    assert chain.event_names(registry, receipt) == [
        "RoleChangeProposed",
        "RoleChangeApproved",
        "RoleGranted",
        "RoleChangeExecuted",
    ]
    assert chain.events(registry, receipt, "RoleChangeProposed") == [
        {
            "proposalId": proposal_id,
            "proposer": system.admins[1],
            "account": account,
            "role": WITNESS,
        }
    ]
    assert chain.events(registry, receipt, "RoleChangeApproved") == [
        {"proposalId": proposal_id, "admin": system.admins[1], "approvals": 1}
    ]
    assert chain.events(registry, receipt, "RoleGranted") == [{"account": account, "role": WITNESS}]
    assert chain.events(registry, receipt, "RoleChangeExecuted") == [
        {"proposalId": proposal_id, "account": account, "role": WITNESS}
    ]
    assert registry.functions.roleOf(account).call() == WITNESS
    assert registry.functions.proposal(proposal_id).call() == [account, WITNESS, 1, True, False]


def test_two_of_three_approvals(chain: Chain) -> None:
    system = deploy_system(chain, threshold=2)
    registry = system.registry
    admin_1, admin_2, admin_3 = system.admins
    account = system.spare[0]
    proposal_id = registry.functions.proposalCount().call()

    receipt = chain.transact(registry.functions.proposeRoleChange(account, REGULATOR), admin_1)
    assert chain.event_names(registry, receipt) == ["RoleChangeProposed", "RoleChangeApproved"]
    assert registry.functions.roleOf(account).call() == NONE
    assert registry.functions.proposal(proposal_id).call() == [account, REGULATOR, 1, False, False]
    assert registry.functions.hasApproved(proposal_id, admin_1).call() is True

    chain.expect_revert(
        registry.functions.approveRoleChange(proposal_id),
        admin_1,
        "AlreadyApproved",
        proposal_id,
        admin_1,
    )
    chain.expect_revert(
        registry.functions.approveRoleChange(proposal_id + 1),
        admin_2,
        "UnknownProposal",
        proposal_id + 1,
    )
    chain.expect_revert(
        registry.functions.approveRoleChange(proposal_id), account, "NotAuthorized", account, ADMIN
    )
    assert registry.functions.roleOf(account).call() == NONE

    receipt = chain.transact(registry.functions.approveRoleChange(proposal_id), admin_2)
    assert chain.event_names(registry, receipt) == [
        "RoleChangeApproved",
        "RoleGranted",
        "RoleChangeExecuted",
    ]
    assert chain.events(registry, receipt, "RoleChangeApproved") == [
        {"proposalId": proposal_id, "admin": admin_2, "approvals": 2}
    ]
    assert registry.functions.roleOf(account).call() == REGULATOR
    chain.expect_revert(
        registry.functions.approveRoleChange(proposal_id),
        admin_3,
        "ProposalAlreadyExecuted",
        proposal_id,
    )

    # Revoking needs two approvals too; the third admin can be revoked, then no more.
    revoke_id = registry.functions.proposalCount().call()
    chain.transact(registry.functions.proposeRoleChange(admin_3, NONE), admin_1)
    assert registry.functions.roleOf(admin_3).call() == ADMIN
    receipt = chain.transact(registry.functions.approveRoleChange(revoke_id), admin_2)
    assert chain.events(registry, receipt, "RoleRevoked") == [{"account": admin_3, "role": ADMIN}]
    assert registry.functions.roleOf(admin_3).call() == NONE
    assert registry.functions.isMember(admin_3).call() is False
    assert registry.functions.adminCount().call() == 2
    chain.expect_revert(
        registry.functions.proposeRoleChange(admin_2, NONE), admin_1, "AdminQuorumUnreachable", 1, 2
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.spare[1], ANCHORER),
        admin_3,
        "NotAuthorized",
        admin_3,
        ADMIN,
    )


def test_proposal_goes_stale_when_an_admin_is_revoked(chain: Chain) -> None:
    system = deploy_system(chain, threshold=2)
    registry = system.registry
    admin_1, admin_2, admin_3 = system.admins
    pending_id = registry.functions.proposalCount().call()
    chain.transact(registry.functions.proposeRoleChange(system.spare[0], ANCHORER), admin_3)
    revoke_id = pending_id + 1
    chain.transact(registry.functions.proposeRoleChange(admin_3, NONE), admin_1)
    chain.transact(registry.functions.approveRoleChange(revoke_id), admin_2)
    assert registry.functions.proposal(pending_id).call()[4] is True  # stale
    chain.expect_revert(
        registry.functions.approveRoleChange(pending_id), admin_1, "ProposalStale", pending_id
    )
    assert registry.functions.roleOf(system.spare[0]).call() == NONE


def test_role_change_preconditions(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    admin = system.admins[0]
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.spare[0], ENTERPRISE),
        admin,
        "InvalidRole",
        ENTERPRISE,
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.anchorer, WITNESS),
        admin,
        "AccountAlreadyUsed",
        system.anchorer,
        ANCHORER,
        ACCOUNT_ACTIVE,
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange("0x" + "00" * 20, WITNESS), admin, "ZeroValue"
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.spare[0], NONE),
        admin,
        "AccountNotActive",
        system.spare[0],
        0,
    )
    count = registry.functions.proposalCount().call()
    # Revoked accounts stay burnt.
    chain.transact(registry.functions.proposeRoleChange(system.anchorer, NONE), admin)
    assert registry.functions.roleOf(system.anchorer).call() == NONE
    assert registry.functions.accountOf(system.anchorer).call() == [
        ANCHORER,
        ACCOUNT_REVOKED,
        ZERO32,
    ]
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.anchorer, ANCHORER),
        admin,
        "AccountAlreadyUsed",
        system.anchorer,
        ANCHORER,
        ACCOUNT_REVOKED,
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange(system.anchorer, NONE),
        admin,
        "AccountNotActive",
        system.anchorer,
        ACCOUNT_REVOKED,
    )
    assert registry.functions.proposalCount().call() == count + 1  # failed proposals not stored


def test_revoking_an_enterprise_key_revokes_the_enterprise(
    chain: Chain, system: Deployment
) -> None:
    registry = system.registry
    receipt = chain.transact(
        registry.functions.proposeRoleChange(system.enterprise_a, NONE), system.admins[0]
    )
    assert chain.events(registry, receipt, "EnterpriseRevoked") == [
        {"enterpriseId": Deployment.ENTERPRISE_A_ID}
    ]
    assert registry.functions.enterprise(Deployment.ENTERPRISE_A_ID).call()[0] == REVOKED
    assert registry.functions.isMember(system.enterprise_a).call() is False
    chain.expect_revert(
        registry.functions.reinstateEnterprise(Deployment.ENTERPRISE_A_ID),
        system.regulator,
        "EnterpriseNotSuspended",
        Deployment.ENTERPRISE_A_ID,
        REVOKED,
    )
    chain.expect_revert(
        registry.functions.assignCompanyPrefix(Deployment.ENTERPRISE_A_ID, "12345678"),
        system.admins[0],
        "EnterpriseNotActive",
        Deployment.ENTERPRISE_A_ID,
        REVOKED,
    )


def test_register_enterprise_stores_entry_and_emits(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    enterprise_id = keccak(text="91440300MA5DC1234X")
    key = system.spare[0]
    receipt = chain.transact(
        registry.functions.registerEnterprise(
            enterprise_id, key, 2, ["4006381", "69012345"], b"\x33" * 32
        ),
        system.admins[2],
    )
    assert chain.event_names(registry, receipt) == [
        "EnterpriseRegistered",
        "CompanyPrefixAssigned",
        "CompanyPrefixAssigned",
    ]
    assert chain.events(registry, receipt, "EnterpriseRegistered") == [
        {
            "enterpriseId": enterprise_id,
            "signingKey": key,
            "sectors": 2,
            "metadataHash": b"\x33" * 32,
        }
    ]
    assert [
        event["prefix"] for event in chain.events(registry, receipt, "CompanyPrefixAssigned")
    ] == [
        "4006381",
        "69012345",
    ]
    assert registry.functions.enterprise(enterprise_id).call() == [ACTIVE, 2, b"\x33" * 32, key]
    assert registry.functions.keyHistory(enterprise_id).call() == [key]
    assert registry.functions.companyPrefixes(enterprise_id).call() == ["4006381", "69012345"]
    assert registry.functions.companyPrefixOwner("4006381").call() == enterprise_id
    assert registry.functions.companyPrefixOwner("400638").call() == ZERO32
    assert registry.functions.holdsCompanyPrefix(key, "69012345").call() is True
    assert registry.functions.holdsCompanyPrefix(key, Deployment.PREFIX_A).call() is False
    assert registry.functions.enterpriseOf(key).call() == enterprise_id
    assert registry.functions.roleOf(key).call() == ENTERPRISE

    receipt = chain.transact(
        registry.functions.assignCompanyPrefix(enterprise_id, "123456789012"), system.admins[0]
    )
    assert chain.events(registry, receipt, "CompanyPrefixAssigned") == [
        {"enterpriseId": enterprise_id, "prefix": "123456789012"}
    ]
    chain.expect_revert(
        registry.functions.assignCompanyPrefix(keccak(text="nobody"), "1234567"),
        system.admins[0],
        "UnknownEnterprise",
        keccak(text="nobody"),
    )


def test_register_enterprise_rejects_bad_input(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    admin = system.admins[0]
    fresh_id = keccak(text="91310000MA1FL1234A")
    key = system.spare[0]

    def register(enterprise_id: bytes, account: str, sectors: int, prefixes: list[str]):  # type: ignore[no-untyped-def]
        return registry.functions.registerEnterprise(
            enterprise_id, account, sectors, prefixes, ZERO32
        )

    chain.expect_revert(
        register(Deployment.ENTERPRISE_A_ID, key, 1, []),
        admin,
        "EnterpriseAlreadyRegistered",
        Deployment.ENTERPRISE_A_ID,
    )
    chain.expect_revert(register(ZERO32, key, 1, []), admin, "ZeroValue")
    chain.expect_revert(register(fresh_id, key, 0, []), admin, "InvalidSectors", 0)
    chain.expect_revert(register(fresh_id, key, 4, []), admin, "InvalidSectors", 4)
    chain.expect_revert(
        register(fresh_id, system.anchorer, 1, []),
        admin,
        "AccountAlreadyUsed",
        system.anchorer,
        ANCHORER,
        ACCOUNT_ACTIVE,
    )
    for prefix in ("123", "1234567890123", "12a4567", "", "12 4567"):
        chain.expect_revert(
            register(fresh_id, key, 1, [prefix]), admin, "InvalidCompanyPrefix", prefix
        )
    chain.expect_revert(
        register(fresh_id, key, 1, ["7654321", Deployment.PREFIX_A]),
        admin,
        "CompanyPrefixTaken",
        Deployment.PREFIX_A,
        Deployment.ENTERPRISE_A_ID,
    )
    chain.expect_revert(
        register(fresh_id, key, 1, ["7654321", "7654321"]),
        admin,
        "CompanyPrefixTaken",
        "7654321",
        fresh_id,
    )
    # Nothing of the failed registrations was stored.
    chain.expect_revert(
        registry.functions.enterprise(fresh_id), admin, "UnknownEnterprise", fresh_id, mine=False
    )
    assert registry.functions.companyPrefixOwner("7654321").call() == ZERO32
    assert registry.functions.roleOf(key).call() == NONE


def test_regulator_suspends_and_reinstates(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    enterprise_id = Deployment.ENTERPRISE_A_ID
    key = system.enterprise_a
    receipt = chain.transact(
        registry.functions.suspendEnterprise(enterprise_id, b"\x44" * 32), system.regulator
    )
    assert chain.events(registry, receipt, "EnterpriseSuspended") == [
        {"enterpriseId": enterprise_id, "regulator": system.regulator, "reasonHash": b"\x44" * 32}
    ]
    assert registry.functions.enterprise(enterprise_id).call()[0] == SUSPENDED
    assert registry.functions.isMember(key).call() is False
    assert registry.functions.hasRole(key, ENTERPRISE).call() is False
    assert registry.functions.roleOf(key).call() == ENTERPRISE  # still its role; not a member
    assert registry.functions.holdsCompanyPrefix(key, Deployment.PREFIX_A).call() is False
    chain.expect_revert(
        registry.functions.suspendEnterprise(enterprise_id, ZERO32),
        system.regulator,
        "EnterpriseNotActive",
        enterprise_id,
        SUSPENDED,
    )
    chain.expect_revert(
        registry.functions.updateMetadata(b"\x01" * 32), key, "NotAuthorized", key, ENTERPRISE
    )

    receipt = chain.transact(
        registry.functions.reinstateEnterprise(enterprise_id), system.regulator
    )
    assert chain.events(registry, receipt, "EnterpriseReinstated") == [
        {"enterpriseId": enterprise_id, "regulator": system.regulator}
    ]
    assert registry.functions.isMember(key).call() is True
    chain.expect_revert(
        registry.functions.reinstateEnterprise(enterprise_id),
        system.regulator,
        "EnterpriseNotSuspended",
        enterprise_id,
        ACTIVE,
    )
    unknown = keccak(text="unknown")
    chain.expect_revert(
        registry.functions.suspendEnterprise(unknown, ZERO32),
        system.regulator,
        "UnknownEnterprise",
        unknown,
    )


def test_enterprise_updates_its_metadata(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    receipt = chain.transact(registry.functions.updateMetadata(b"\x55" * 32), system.enterprise_b)
    assert chain.events(registry, receipt, "EnterpriseMetadataUpdated") == [
        {"enterpriseId": Deployment.ENTERPRISE_B_ID, "metadataHash": b"\x55" * 32}
    ]
    assert registry.functions.enterprise(Deployment.ENTERPRISE_B_ID).call()[2] == b"\x55" * 32


def test_key_rotation_keeps_history(chain: Chain, system: Deployment) -> None:
    registry = system.registry
    enterprise_id = Deployment.ENTERPRISE_A_ID
    old_key, new_key, newest_key = system.enterprise_a, system.spare[0], system.spare[1]

    receipt = chain.transact(registry.functions.rotateSigningKey(new_key), old_key)
    assert chain.events(registry, receipt, "SigningKeyRotated") == [
        {"enterpriseId": enterprise_id, "oldKey": old_key, "newKey": new_key}
    ]
    assert registry.functions.keyHistory(enterprise_id).call() == [old_key, new_key]
    assert registry.functions.enterprise(enterprise_id).call()[3] == new_key
    assert registry.functions.isMember(old_key).call() is False
    assert registry.functions.roleOf(old_key).call() == NONE
    assert registry.functions.accountOf(old_key).call() == [
        ENTERPRISE,
        ACCOUNT_ROTATED,
        enterprise_id,
    ]
    assert registry.functions.enterpriseOf(old_key).call() == enterprise_id  # still attributable
    assert registry.functions.isMember(new_key).call() is True
    assert registry.functions.roleOf(new_key).call() == ENTERPRISE
    assert registry.functions.holdsCompanyPrefix(new_key, Deployment.PREFIX_A).call() is True
    assert registry.functions.holdsCompanyPrefix(old_key, Deployment.PREFIX_A).call() is False

    chain.expect_revert(
        registry.functions.rotateSigningKey(newest_key),
        old_key,
        "NotAuthorized",
        old_key,
        ENTERPRISE,
    )
    chain.expect_revert(
        registry.functions.rotateSigningKey(old_key),
        new_key,
        "AccountAlreadyUsed",
        old_key,
        ENTERPRISE,
        ACCOUNT_ROTATED,
    )
    chain.expect_revert(
        registry.functions.rotateSigningKey(system.enterprise_b),
        new_key,
        "AccountAlreadyUsed",
        system.enterprise_b,
        ENTERPRISE,
        ACCOUNT_ACTIVE,
    )
    chain.expect_revert(
        registry.functions.proposeRoleChange(old_key, WITNESS),
        system.admins[0],
        "AccountAlreadyUsed",
        old_key,
        ENTERPRISE,
        ACCOUNT_ROTATED,
    )

    # A suspended enterprise may still rotate (e.g. after a key compromise).
    chain.transact(registry.functions.suspendEnterprise(enterprise_id, ZERO32), system.regulator)
    chain.transact(registry.functions.rotateSigningKey(newest_key), new_key)
    assert registry.functions.keyHistory(enterprise_id).call() == [old_key, new_key, newest_key]
    assert registry.functions.isMember(newest_key).call() is False
    chain.transact(registry.functions.reinstateEnterprise(enterprise_id), system.regulator)
    assert registry.functions.isMember(newest_key).call() is True

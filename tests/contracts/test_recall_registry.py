"""RecallRegistry: the recall lifecycle, who may recall what, and the events."""

from __future__ import annotations

from hashlib import sha256

from tests.contracts.kit import ENTERPRISE, Chain, Deployment

OPEN, UPDATED, CLOSED = 1, 2, 3
ZERO32 = b"\x00" * 32
REASON_1, REASON_2, REASON_3 = (sha256(text).digest() for text in (b"r1", b"r2", b"r3"))


def subject_of(uri: str) -> bytes:
    """The recall key: SHA-256 of the canonical GS1 Digital Link URI's UTF-8 bytes."""
    return sha256(uri.encode("utf-8")).digest()


LOT_A = subject_of("https://id.gs1.org/01/06901234000017/10/LOT42")
GTIN_B = subject_of("https://id.gs1.org/01/00614141000036")
LIFT = subject_of("https://id.gs1.org/8004/6901234LIFT0001")


def block_time(chain: Chain, receipt) -> int:  # type: ignore[no-untyped-def]
    return int(chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def test_enterprise_recall_lifecycle(chain: Chain, system: Deployment) -> None:
    recalls = system.recalls
    issuer = system.enterprise_a
    assert recalls.functions.isRecalled(LOT_A).call() is False
    chain.expect_revert(
        recalls.functions.recallOf(LOT_A), issuer, "UnknownSubject", LOT_A, mine=False
    )

    receipt = chain.transact(
        recalls.functions.openRecall(LOT_A, 2, REASON_1, Deployment.PREFIX_A), issuer
    )
    opened_at = block_time(chain, receipt)
    assert chain.events(recalls, receipt, "RecallOpened") == [
        {
            "subject": LOT_A,
            "sequence": 1,
            "recallClass": 2,
            "reasonHash": REASON_1,
            "enterpriseId": Deployment.ENTERPRISE_A_ID,
            "issuer": issuer,
            "companyPrefix": Deployment.PREFIX_A,
        }
    ]
    assert recalls.functions.isRecalled(LOT_A).call() is True
    assert list(recalls.functions.recallOf(LOT_A).call()) == [
        OPEN,
        2,
        1,
        opened_at,
        0,
        0,
        REASON_1,
        Deployment.ENTERPRISE_A_ID,
        issuer,
    ]
    chain.expect_revert(
        recalls.functions.openRecall(LOT_A, 1, REASON_2, Deployment.PREFIX_A),
        issuer,
        "RecallAlreadyOpen",
        LOT_A,
    )

    receipt = chain.transact(recalls.functions.updateRecall(LOT_A, 1, REASON_2), issuer)
    updated_at = block_time(chain, receipt)
    assert chain.events(recalls, receipt, "RecallUpdated") == [
        {
            "subject": LOT_A,
            "sequence": 1,
            "recallClass": 1,
            "reasonHash": REASON_2,
            "issuer": issuer,
        }
    ]
    assert list(recalls.functions.recallOf(LOT_A).call()) == [
        UPDATED,
        1,
        1,
        opened_at,
        updated_at,
        0,
        REASON_2,
        Deployment.ENTERPRISE_A_ID,
        issuer,
    ]
    assert recalls.functions.isRecalled(LOT_A).call() is True
    chain.expect_revert(
        recalls.functions.openRecall(LOT_A, 1, REASON_2, Deployment.PREFIX_A),
        issuer,
        "RecallAlreadyOpen",
        LOT_A,
    )

    receipt = chain.transact(recalls.functions.closeRecall(LOT_A, REASON_3), issuer)
    closed_at = block_time(chain, receipt)
    assert chain.events(recalls, receipt, "RecallClosed") == [
        {"subject": LOT_A, "sequence": 1, "reasonHash": REASON_3, "issuer": issuer}
    ]
    assert list(recalls.functions.recallOf(LOT_A).call()) == [
        CLOSED,
        1,
        1,
        opened_at,
        updated_at,
        closed_at,
        REASON_2,
        Deployment.ENTERPRISE_A_ID,
        issuer,
    ]
    assert recalls.functions.isRecalled(LOT_A).call() is False
    chain.expect_revert(
        recalls.functions.closeRecall(LOT_A, REASON_3), issuer, "RecallIsClosed", LOT_A
    )
    chain.expect_revert(
        recalls.functions.updateRecall(LOT_A, 1, REASON_3), issuer, "RecallIsClosed", LOT_A
    )

    # The same subject can be recalled again; the sequence counts the openings.
    receipt = chain.transact(
        recalls.functions.openRecall(LOT_A, 3, REASON_3, Deployment.PREFIX_A), issuer
    )
    assert chain.events(recalls, receipt, "RecallOpened")[0]["sequence"] == 2
    reopened = recalls.functions.recallOf(LOT_A).call()
    assert (reopened[0], reopened[2], reopened[4], reopened[5]) == (OPEN, 2, 0, 0)


def test_regulator_recalls_anything(chain: Chain, system: Deployment) -> None:
    recalls = system.recalls
    regulator = system.regulator
    receipt = chain.transact(recalls.functions.openRecall(GTIN_B, 1, REASON_1, ""), regulator)
    assert chain.events(recalls, receipt, "RecallOpened") == [
        {
            "subject": GTIN_B,
            "sequence": 1,
            "recallClass": 1,
            "reasonHash": REASON_1,
            "enterpriseId": ZERO32,
            "issuer": regulator,
            "companyPrefix": "",
        }
    ]
    # The enterprise owning the prefix may not change a regulator's recall.
    chain.expect_revert(
        recalls.functions.closeRecall(GTIN_B, REASON_2),
        system.enterprise_b,
        "NotRecallIssuer",
        GTIN_B,
        system.enterprise_b,
    )
    # A regulator may update and close an enterprise's recall.
    chain.transact(
        recalls.functions.openRecall(LIFT, 2, REASON_1, Deployment.PREFIX_A), system.enterprise_a
    )
    chain.transact(recalls.functions.updateRecall(LIFT, 1, REASON_2), regulator)
    chain.transact(recalls.functions.closeRecall(LIFT, REASON_3), regulator)
    assert recalls.functions.recallOf(LIFT).call()[0] == CLOSED
    chain.transact(recalls.functions.closeRecall(GTIN_B, REASON_2), regulator)
    assert recalls.functions.isRecalled(GTIN_B).call() is False


def test_enterprise_may_recall_only_under_its_own_prefix(chain: Chain, system: Deployment) -> None:
    recalls = system.recalls
    issuer = system.enterprise_a
    for prefix in (Deployment.PREFIX_B, "", "9999999", Deployment.PREFIX_A + "0"):
        chain.expect_revert(
            recalls.functions.openRecall(GTIN_B, 1, REASON_1, prefix),
            issuer,
            "CompanyPrefixNotHeld",
            issuer,
            prefix,
        )
    chain.transact(
        recalls.functions.openRecall(GTIN_B, 1, REASON_1, Deployment.PREFIX_B), system.enterprise_b
    )
    chain.expect_revert(
        recalls.functions.updateRecall(GTIN_B, 2, REASON_2),
        issuer,
        "NotRecallIssuer",
        GTIN_B,
        issuer,
    )
    chain.expect_revert(
        recalls.functions.closeRecall(GTIN_B, REASON_2), issuer, "NotRecallIssuer", GTIN_B, issuer
    )
    assert recalls.functions.recallOf(GTIN_B).call()[0] == OPEN


def test_invalid_input_and_unknown_subjects(chain: Chain, system: Deployment) -> None:
    recalls = system.recalls
    regulator = system.regulator
    for recall_class in (0, 4, 255):
        chain.expect_revert(
            recalls.functions.openRecall(LOT_A, recall_class, REASON_1, ""),
            regulator,
            "InvalidRecallClass",
            recall_class,
        )
    chain.expect_revert(
        recalls.functions.openRecall(ZERO32, 1, REASON_1, ""), regulator, "ZeroSubject"
    )
    chain.expect_revert(
        recalls.functions.updateRecall(LOT_A, 1, REASON_1), regulator, "UnknownSubject", LOT_A
    )
    chain.expect_revert(
        recalls.functions.closeRecall(LOT_A, REASON_1), regulator, "UnknownSubject", LOT_A
    )
    chain.transact(recalls.functions.openRecall(LOT_A, 1, REASON_1, ""), regulator)
    chain.expect_revert(
        recalls.functions.updateRecall(LOT_A, 0, REASON_2), regulator, "InvalidRecallClass", 0
    )
    recall = recalls.functions.recallOf(LOT_A).call()
    assert (recall[0], recall[1], recall[6]) == (
        OPEN,
        1,
        REASON_1,
    )  # reverted update stored nothing


def test_recall_survives_key_rotation(chain: Chain, system: Deployment) -> None:
    recalls, registry = system.recalls, system.registry
    old_key, new_key = system.enterprise_a, system.spare[0]
    chain.transact(recalls.functions.openRecall(LOT_A, 2, REASON_1, Deployment.PREFIX_A), old_key)
    chain.transact(registry.functions.rotateSigningKey(new_key), old_key)
    chain.expect_revert(
        recalls.functions.closeRecall(LOT_A, REASON_2),
        old_key,
        "NotAuthorized",
        old_key,
        ENTERPRISE,
    )
    receipt = chain.transact(recalls.functions.closeRecall(LOT_A, REASON_2), new_key)
    assert chain.events(recalls, receipt, "RecallClosed")[0]["issuer"] == new_key
    assert recalls.functions.recallOf(LOT_A).call()[8] == old_key  # openedBy keeps history

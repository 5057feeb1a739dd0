"""Clique votes that could halt the chain are refused (issue 13, ledger_node/vote_policy.py),
and no vote can crash the tally or the sealer's choice of vote (the ZeroDivisionError that
dropping the only signer used to cause)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from ledger_node.clique_votes import (
    CliqueError,
    Snapshot,
    Vote,
    cast_vote,
    choose_seal,
    choose_vote,
)
from ledger_node.errors import SERVER_ERROR, RpcError
from ledger_node.rpc.admin import admin_rpc
from ledger_node.vote_policy import VoteRefused, verify_proposal
from testing.devnet import Backend, rpc
from tests.ledger_node.sealing import assert_alive_and_sealing, sealing_dev_node

A, B, C, D, X = (bytes([n]) * 20 for n in (1, 2, 3, 4, 0xEE))
EPOCH = 30_000


# ------------------------------------------------------------------ the tally cannot crash


def test_dropping_the_only_signer_never_crashes_the_tally() -> None:
    lone = Snapshot(number=5, signers=(A,))
    # The sealer's choice skips a vote that would empty the set (it used to divide by zero).
    assert choose_vote(lone, A, {A: False}, EPOCH) is None
    assert choose_vote(lone, A, {A: False, B: True}, EPOCH) == (B, True)
    # A header from elsewhere that does empty the set: the snapshot says so, and asking it
    # for a sealer is a CliqueError, not an arithmetic error.
    emptied = cast_vote(Snapshot(number=6, signers=(A,)), Vote(A, A, False))
    assert emptied.signers == ()
    with pytest.raises(CliqueError, match="no Clique signers"):
        emptied.in_turn_signer(7)
    with pytest.raises(CliqueError):
        choose_seal(emptied, {A})


# ------------------------------------------------------------------ the policy


@pytest.mark.parametrize(
    ("signers", "held", "known", "candidate", "authorize", "refusal"),
    [
        ((A,), {A}, set(), A, False, "would leave no Clique signer"),
        ((A,), {A}, set(), X, True, "neither a key this node holds nor a known authority"),
        ((A,), {A}, set(), A, True, "already a signer"),
        ((A,), {A}, set(), X, False, "not a signer"),
        ((A,), {B}, {A}, B, True, "holds no key of a current Clique signer"),
        # 3 signers, this node holds A only, nobody known: dropping B leaves 2 signers of
        # which 1 is reachable, and Clique needs 2 (SIGNER_LIMIT = 2 // 2 + 1).
        ((A, B, C), {A}, set(), B, False, "Clique needs 2 to keep sealing"),
        # Adding known D to (A, B, C) with only A held: 4 signers need 3 reachable (A, D).
        ((A, B, C), {A}, {D}, D, True, "Clique needs 3 to keep sealing"),
    ],
)
def test_refused_votes(signers: tuple[bytes, ...], held: set[bytes], known: set[bytes],
                       candidate: bytes, authorize: bool, refusal: str) -> None:
    snapshot = Snapshot(number=1, signers=tuple(sorted(signers)))
    with pytest.raises(VoteRefused, match=refusal) as refused:
        verify_proposal(snapshot, candidate, authorize, held, known)
    assert refused.value.code == SERVER_ERROR


@pytest.mark.parametrize(
    ("signers", "held", "known", "candidate", "authorize"),
    [
        ((A,), {A, B}, set(), B, True),  # a second key this node holds
        ((A,), {A}, {D}, D, True),  # a known authority: 2 signers, both reachable
        ((A, B), {A, B}, set(), B, False),  # 2 -> 1, still held
        ((A, B, C), {A}, {B, C}, C, False),  # 3 -> 2, both reachable
    ],
)
def test_accepted_votes(signers: tuple[bytes, ...], held: set[bytes], known: set[bytes],
                        candidate: bytes, authorize: bool) -> None:
    verify_proposal(Snapshot(number=1, signers=tuple(sorted(signers))), candidate, authorize,
                    held, known)


# ------------------------------------------------------------------ on a running node

@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from sealing_dev_node(tmp_path_factory.mktemp("votes"))


def test_vote_dropping_last_signer_refused(node: Backend) -> None:
    assert node.data_dir is not None
    sealer = node.accounts["sealer"]["address"]
    with pytest.raises(RpcError) as refused:
        admin_rpc(node.data_dir, "clique_propose", [sealer, False])
    assert refused.value.code == SERVER_ERROR
    assert refused.value.message == f"vote refused: dropping {sealer.lower()} would leave no Clique signer"
    assert admin_rpc(node.data_dir, "clique_getProposals", []) == {}
    assert rpc(node.url, "clique_getSigners") == [sealer]
    assert_alive_and_sealing(node)


def test_vote_adding_unreachable_signer_refused(node: Backend) -> None:
    assert node.data_dir is not None
    outsider = Account.create().address
    with pytest.raises(RpcError) as refused:
        admin_rpc(node.data_dir, "clique_propose", [outsider, True])
    assert refused.value.code == SERVER_ERROR
    assert "neither a key this node holds nor a known authority" in refused.value.message
    assert admin_rpc(node.data_dir, "clique_getProposals", []) == {}
    assert rpc(node.url, "clique_getSigners") == [node.accounts["sealer"]["address"]]
    assert_alive_and_sealing(node)

"""TxPool rules in isolation: ordering, queueing, replacement, settling a block, and
resetting to a head that moved without the pool (property test against a naive reference)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_node.errors import TxRejected
from ledger_node.transactions import decode_signed_transaction
from ledger_node.txpool import MAX_QUEUED_PER_SENDER, PoolView, TxPool

CHAIN_ID = 7331


def _tx(account: Account, nonce: int, gas_price: int = 0, value: int = 0):  # type: ignore[no-untyped-def]
    signed = account.sign_transaction({"to": account.address, "value": value, "gas": 21_000,
                                       "gasPrice": gas_price, "nonce": nonce, "chainId": CHAIN_ID})
    return decode_signed_transaction(bytes(signed.raw_transaction))


@pytest.fixture
def accounts() -> list[Account]:
    return [Account.create() for _ in range(3)]


def _pool(members: set[bytes], nonces: dict[bytes, int] | None = None) -> TxPool:
    return TxPool(PoolView(
        chain_id=CHAIN_ID, gas_limit=lambda: 30_000_000,
        state_nonce=lambda sender: (nonces or {}).get(sender, 0),
        balance=lambda sender: 10**18, may_send=lambda sender: sender in members,
    ))


def test_arrival_order_with_per_sender_nonce_order(accounts: list[Account]) -> None:
    a, b, _ = accounts
    pool = _pool({bytes.fromhex(x.address[2:]) for x in accounts})
    pool.add(_tx(a, 1))  # queued: gap
    pool.add(_tx(b, 0))
    pool.add(_tx(a, 0))  # fills the gap; a1 is promoted after it
    batch = pool.take_batch(10)
    assert [(s.sender, s.nonce) for s in batch] == [
        (bytes.fromhex(b.address[2:]), 0), (bytes.fromhex(a.address[2:]), 0),
        (bytes.fromhex(a.address[2:]), 1)]
    assert pool.pending_nonce(bytes.fromhex(a.address[2:])) == 2


def test_non_member_and_chain_id(accounts: list[Account]) -> None:
    a, b, _ = accounts
    pool = _pool({bytes.fromhex(a.address[2:])})
    with pytest.raises(TxRejected, match="not a member"):
        pool.add(_tx(b, 0))
    wrong = a.sign_transaction({"to": a.address, "value": 0, "gas": 21_000, "gasPrice": 0,
                                "nonce": 0, "chainId": 1})
    with pytest.raises(TxRejected, match="chain id"):
        pool.add(decode_signed_transaction(bytes(wrong.raw_transaction)))


def test_duplicates_replacements_and_in_flight(accounts: list[Account]) -> None:
    a, _, _ = accounts
    pool = _pool({bytes.fromhex(a.address[2:])})
    first = _tx(a, 0)
    pool.add(first)
    with pytest.raises(TxRejected, match="already known"):
        pool.add(first)
    with pytest.raises(TxRejected, match="underpriced"):
        pool.add(_tx(a, 0, gas_price=0, value=1))
    better = _tx(a, 0, gas_price=10)
    pool.add(better)
    (taken,) = pool.take_batch(10)
    assert taken.hash == better.hash
    with pytest.raises(TxRejected, match="already known"):
        pool.add(better)  # in flight in the open block
    with pytest.raises(TxRejected, match="nonce too low"):
        pool.add(_tx(a, 0, gas_price=100))  # cannot replace what a block already took


def test_queue_bound_and_settle(accounts: list[Account]) -> None:
    a, _, _ = accounts
    sender = bytes.fromhex(a.address[2:])
    pool = _pool({sender})
    for nonce in range(1, MAX_QUEUED_PER_SENDER + 1):
        pool.add(_tx(a, nonce))
    with pytest.raises(TxRejected, match="txpool is full"):
        pool.add(_tx(a, MAX_QUEUED_PER_SENDER + 1))
    pool.add(_tx(a, 0))  # promotes all queued
    assert len(pool) == MAX_QUEUED_PER_SENDER + 1 and pool.queued_count == 0
    batch = pool.take_batch(3)
    # Block dropped tx 1 (e.g. balance): the sender's later pending txs are dropped too,
    # its nonce is re-read from state; tx 2 was deferred by the gas limit.
    pool.settle(included=[batch[0]], deferred=[batch[2]], dropped=[batch[1]])
    assert len(pool) == 0
    assert pool.pending_nonce(sender) == 0  # state says 0 in this fake view


# ---------------------------------------------------------------------- reset_to_head
# A peer's block or a reorg moves the head without the pool's batch: `reset_to_head`
# re-derives every sender's pending run from the new state nonce. Held to a naive
# reference: per sender, the transactions the pool holds at or above the state nonce; the
# pending ones are exactly the consecutive run starting at the state nonce, the rest wait
# as queued, everything below the state nonce is gone, and so is the batch in flight.

POOL_SENDERS = [Account.from_key(bytes([seed]) * 32) for seed in range(1, 4)]


@functools.cache
def _signed(sender_index: int, nonce: int):  # type: ignore[no-untyped-def]
    return _tx(POOL_SENDERS[sender_index], nonce)


@st.composite
def _pool_histories(draw: st.DrawFn) -> dict[str, Any]:
    """Per sender: a state nonce when the txs arrived, the nonces it sent (at or above it),
    and the state nonce after the head moved (below, at or above: a reorg can lower it);
    the order all of them arrived in, and how many a block being built took."""
    senders = []
    for index in range(len(POOL_SENDERS)):
        before = draw(st.integers(0, 4))
        offsets = draw(st.sets(st.integers(0, 8), max_size=7))
        senders.append({"index": index, "before": before,
                        "nonces": sorted(before + k for k in offsets),
                        "after": draw(st.integers(0, 14))})
    arrivals = draw(st.permutations([(s["index"], n) for s in senders for n in s["nonces"]]))
    return {"senders": senders, "arrivals": arrivals,
            "taken": draw(st.integers(0, len(arrivals)))}


def _address(index: int) -> bytes:
    return bytes.fromhex(POOL_SENDERS[index].address[2:])


@given(_pool_histories())
@settings(max_examples=150, deadline=None)
def test_reset_to_head_matches_the_naive_reference(history: dict[str, Any]) -> None:
    nonces = {_address(s["index"]): s["before"] for s in history["senders"]}
    pool = _pool({_address(i) for i in range(len(POOL_SENDERS))}, nonces)
    for index, nonce in history["arrivals"]:
        pool.add(_signed(index, nonce))
    in_flight = {(s.sender, s.nonce) for s in pool.take_batch(history["taken"])}
    for s in history["senders"]:
        nonces[_address(s["index"])] = s["after"]

    pool.reset_to_head()

    # The naive reference, sender by sender.
    expected_pending: dict[bytes, list[int]] = {}
    expected_queued: dict[bytes, set[int]] = {}
    for s in history["senders"]:
        sender, state = _address(s["index"]), s["after"]
        held = {n for n in s["nonces"] if (sender, n) not in in_flight and n >= state}
        run = []
        while state + len(run) in held:
            run.append(state + len(run))
        expected_pending[sender] = run
        expected_queued[sender] = held - set(run)
        assert pool.pending_nonce(sender) == state + len(run)
        for nonce in s["nonces"]:
            kept = nonce in held
            assert (pool.get(_signed(s["index"], nonce).hash) is not None) == kept, (
                sender.hex(), nonce, state)
    assert len(pool) == sum(len(run) for run in expected_pending.values())
    assert pool.queued_count == sum(len(q) for q in expected_queued.values())
    # Idempotent: the head did not move again.
    pool.reset_to_head()
    assert len(pool) == sum(len(run) for run in expected_pending.values())
    assert pool.queued_count == sum(len(q) for q in expected_queued.values())

    batch = pool.take_batch(10_000)
    assert len(pool) == 0
    taken: dict[bytes, list[int]] = {sender: [] for sender in expected_pending}
    for signed in batch:
        taken[signed.sender].append(signed.nonce)  # per sender, in the order taken
    assert taken == expected_pending  # exactly the runs, each in nonce order

    # The state it re-derived works on: a sender's gap filled promotes its queued txs.
    readded = set()
    for s in history["senders"]:
        sender = _address(s["index"])
        gap = s["after"] + len(expected_pending[sender])
        queued = expected_queued[sender]
        if not queued:
            continue
        pool.add(_signed(s["index"], gap))
        readded.add((sender, gap))
        promoted = [gap]
        while promoted[-1] + 1 in queued:
            promoted.append(promoted[-1] + 1)
        assert [t.nonce for t in pool.take_batch(10_000)] == promoted
        assert pool.queued_count == sum(len(q) for q in expected_queued.values()) - (
            len(promoted) - 1)
        expected_queued[sender] = queued - set(promoted)
    # What was in flight is forgotten, not remembered as known: a block that did not
    # include it (discarded for a peer's) may have it sent again.
    after = {_address(s["index"]): s["after"] for s in history["senders"]}
    for s in history["senders"]:
        sender = _address(s["index"])
        for nonce in s["nonces"]:
            if (sender, nonce) in in_flight - readded and nonce >= after[sender]:
                try:
                    pool.add(_signed(s["index"], nonce))
                except TxRejected as refused:
                    assert str(refused) != "already known", (sender.hex(), nonce)


@given(_pool_histories())
@settings(max_examples=100, deadline=None)
def test_reset_to_head_takes_a_replaced_blocks_transactions_back_without_gaps(
    history: dict[str, Any]
) -> None:
    """The batch taken went into a block that a reorg then replaced: its transactions come
    back in the same reset, so they fill the nonce gaps instead of leaving later ones
    queued (and the queue full)."""
    nonces = {_address(s["index"]): s["before"] for s in history["senders"]}
    pool = _pool({_address(i) for i in range(len(POOL_SENDERS))}, nonces)
    for index, nonce in history["arrivals"]:
        pool.add(_signed(index, nonce))
    orphaned = pool.take_batch(history["taken"])
    for s in history["senders"]:
        nonces[_address(s["index"])] = s["after"]

    pool.reset_to_head(returning=orphaned)

    for s in history["senders"]:
        sender, state = _address(s["index"]), s["after"]
        held = {n for n in s["nonces"] if n >= state}  # the orphans are held again
        run = 0
        while state + run in held:
            run += 1
        assert pool.pending_nonce(sender) == state + run
        for nonce in s["nonces"]:
            assert (pool.get(_signed(s["index"], nonce).hash) is not None) == (nonce in held)

"""TxPool rules in isolation: ordering, queueing, replacement, settling a block."""

from __future__ import annotations

import pytest
from eth_account import Account

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

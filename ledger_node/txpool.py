"""Admission and the transaction pool: who may send, in which order, and what waits.

Checks, in geth's order and with geth's messages (so clients that match on them work):
  1. decodes, signature valid, EIP-155 replay protection, our chain id;
  2. size, intrinsic gas, block gas limit;
  3. sender is a member (`MemberRegistry.isMember` at the head) or a Clique authority;
  4. already known / nonce too low / replacement underpriced / queue limits;
  5. balance covers value + gas * fee cap (gas is free at base fee 0, value is not).
Accepted transactions are "pending" (the next nonces of their sender, taken by the next
block in arrival order) or "queued" (a future nonce, promoted when the gap closes).

Not thread-safe: used from the event loop only; the block builder gets a taken batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from eth_utils import to_checksum_address

from ledger_node.errors import TxRejected
from ledger_node.transactions import SignedTx

logger = logging.getLogger(__name__)

# Limits, geth's defaults where geth has one.
MAX_PENDING_TOTAL = 50_000  # pending txs across senders; beyond, "txpool is full"
MAX_QUEUED_PER_SENDER = 64  # geth AccountQueue
MAX_QUEUED_TOTAL = 1_024  # geth GlobalQueue
PRICE_BUMP_PERCENT = 10  # geth PriceBump: a replacement pays at least 10% more


# Gas is free for members and a block holds 1e9 gas, so gas alone does not bound what one
# transaction costs the sealer. 30M (Ethereum mainnet's block gas limit, EIP-7825 caps a
# transaction at 2**24) is far above any TraceLedger call (a first anchor() ~46k gas) and
# keeps one transaction to a small share of a block; the sealer's time budget
# (ledger_node/chain.py) covers what gas misprices.
MAX_TX_GAS = 30_000_000


@dataclass
class PoolView:
    """What admission reads from the chain: the head's numbers and a few state lookups."""

    chain_id: int
    gas_limit: Callable[[], int]
    state_nonce: Callable[[bytes], int]
    balance: Callable[[bytes], int]
    may_send: Callable[[bytes], bool]  # member or authority, at the head


class TxPool:
    """Pending and queued transactions per sender, with geth's admission rules."""

    def __init__(self, view: PoolView) -> None:
        self._view = view
        self._order: dict[bytes, SignedTx] = {}  # pending, in arrival order (for blocks)
        self._pending: dict[bytes, dict[int, SignedTx]] = {}  # sender -> nonce -> tx
        self._queued: dict[bytes, dict[int, SignedTx]] = {}
        self._next_nonce: dict[bytes, int] = {}  # sender -> nonce after its last pending tx
        self._in_flight: set[bytes] = set()  # hashes taken by the block being built
        self._queued_total = 0

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._order)

    @property
    def queued_count(self) -> int:
        return self._queued_total

    def pending_nonce(self, sender: bytes) -> int:
        """The nonce the sender's next transaction should carry (eth_getTransactionCount
        "pending")."""
        nonce = self._next_nonce.get(sender)
        return self._view.state_nonce(sender) if nonce is None else nonce

    def get(self, tx_hash: bytes) -> SignedTx | None:
        """A pending or queued transaction by hash."""
        found = self._order.get(tx_hash)
        if found is not None:
            return found
        for by_nonce in self._queued.values():
            for signed in by_nonce.values():
                if signed.hash == tx_hash:
                    return signed
        return None

    # ------------------------------------------------------------------ admission
    def add(self, signed: SignedTx) -> None:
        """Admit `signed` as pending or queued, or raise TxRejected with geth's message."""
        tx = signed.tx
        if signed.hash in self._order or signed.hash in self._in_flight or self._is_queued(signed):
            raise TxRejected("already known")
        chain_id = getattr(tx, "chain_id", None)
        if chain_id is None:
            raise TxRejected("only replay-protected (EIP-155) transactions allowed over RPC")
        if chain_id != self._view.chain_id:
            raise TxRejected(f"invalid chain id: have {chain_id} want {self._view.chain_id}")
        intrinsic = tx.intrinsic_gas
        if tx.gas < intrinsic:
            raise TxRejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {intrinsic}")
        if tx.gas > self._view.gas_limit():
            raise TxRejected("exceeds block gas limit")
        if tx.gas > MAX_TX_GAS:
            raise TxRejected(
                f"gas limit exceeds the per-transaction cap: gas {tx.gas}, cap {MAX_TX_GAS}")
        if signed.gas_tip_cap > signed.gas_fee_cap:
            raise TxRejected("max priority fee per gas higher than max fee per gas")
        if not self._view.may_send(signed.sender):
            raise TxRejected(
                f"sender {to_checksum_address(signed.sender)} is not a member of the "
                "MemberRegistry (only members may send transactions)"
            )
        next_nonce = self.pending_nonce(signed.sender)
        state_nonce = next_nonce if signed.sender in self._next_nonce else None
        if signed.nonce < next_nonce:
            self._replace_pending(signed, state_nonce)
            return
        cost = tx.value + tx.gas * signed.gas_fee_cap
        if cost and self._view.balance(signed.sender) < cost:
            raise TxRejected("insufficient funds for gas * price + value")
        if signed.nonce == next_nonce:
            if len(self._order) >= MAX_PENDING_TOTAL:
                raise TxRejected("txpool is full")
            self._append_pending(signed)
            self._promote(signed.sender)
        else:
            self._enqueue(signed)

    def _is_queued(self, signed: SignedTx) -> bool:
        queued = self._queued.get(signed.sender, {}).get(signed.nonce)
        return queued is not None and queued.hash == signed.hash

    def _replace_pending(self, signed: SignedTx, _known: int | None) -> None:
        old = self._pending.get(signed.sender, {}).get(signed.nonce)
        if old is None:
            raise TxRejected("nonce too low")
        if not _outbids(signed, old):
            raise TxRejected("replacement transaction underpriced")
        # Same position in the block order as the one it replaces.
        self._order = {
            (signed.hash if h == old.hash else h): (signed if h == old.hash else t)
            for h, t in self._order.items()
        }
        self._pending[signed.sender][signed.nonce] = signed
        logger.debug("replaced tx 0x%s by 0x%s", old.hash.hex(), signed.hash.hex())

    def _append_pending(self, signed: SignedTx) -> None:
        self._order[signed.hash] = signed
        self._pending.setdefault(signed.sender, {})[signed.nonce] = signed
        self._next_nonce[signed.sender] = signed.nonce + 1

    def _enqueue(self, signed: SignedTx) -> None:
        queue = self._queued.setdefault(signed.sender, {})
        old = queue.get(signed.nonce)
        if old is not None:
            if not _outbids(signed, old):
                raise TxRejected("replacement transaction underpriced")
            queue[signed.nonce] = signed
            return
        if len(queue) >= MAX_QUEUED_PER_SENDER or self._queued_total >= MAX_QUEUED_TOTAL:
            raise TxRejected("txpool is full: too many queued transactions with future nonces")
        queue[signed.nonce] = signed
        self._queued_total += 1

    def _promote(self, sender: bytes) -> None:
        queue = self._queued.get(sender)
        while queue:
            nonce = self._next_nonce[sender]
            signed = queue.pop(nonce, None)
            if signed is None:
                break
            self._queued_total -= 1
            self._append_pending(signed)
        if queue is not None and not queue:
            del self._queued[sender]

    # ------------------------------------------------------------------ blocks
    def take_batch(self, max_count: int) -> list[SignedTx]:
        """Remove and return up to `max_count` pending transactions in arrival order (per
        sender in nonce order) for the next block; they are "in flight" until `settle`."""
        batch: list[SignedTx] = []
        for tx_hash in list(self._order)[:max_count]:
            signed = self._order.pop(tx_hash)
            by_nonce = self._pending[signed.sender]
            del by_nonce[signed.nonce]
            if not by_nonce:
                del self._pending[signed.sender]
            self._in_flight.add(tx_hash)
            batch.append(signed)
        return batch

    def settle(
        self,
        included: Iterable[SignedTx],
        deferred: Iterable[SignedTx],
        dropped: Iterable[SignedTx],
    ) -> None:
        """Account for the block built from the last batch: deferred transactions go back to
        the front; a dropped transaction's sender loses its later pending transactions
        (their nonces can no longer be valid) and its nonce is re-read from state."""
        self._in_flight.clear()
        deferred_list = list(deferred)
        if deferred_list:
            front = {s.hash: s for s in deferred_list}
            for signed in deferred_list:
                self._pending.setdefault(signed.sender, {})[signed.nonce] = signed
            self._order = {**front, **self._order}
        for signed in dropped:
            sender = signed.sender
            for later in self._pending.pop(sender, {}).values():
                self._order.pop(later.hash, None)
            self._next_nonce.pop(sender, None)

    def forget_in_flight(self, batch: Iterable[SignedTx]) -> None:
        """A block build failed: put the batch back at the front of the pending order."""
        self.settle((), batch, ())

    def pending_raw(self, limit: int) -> list[bytes]:
        """The raw bytes of up to `limit` pending transactions, in block order (to hand
        to a peer that was unreachable when they were admitted)."""
        return [s.raw for s in list(self._order.values())[:limit]]

    def reset_to_head(self, returning: Iterable[SignedTx] = ()) -> None:
        """The head moved without this pool's batch (a peer's block, a reorg): drop what the
        chain now includes (nonces below the state's) and re-derive each sender's pending
        run, which must start at the state nonce; what follows a gap waits as queued.
        `returning` are the transactions of blocks a reorg replaced: they join the pool in
        the same pass (a transaction already held for that nonce stays), so they close the
        nonce gaps they would otherwise leave."""
        self._in_flight.clear()
        returned: dict[bytes, dict[int, SignedTx]] = {}
        for signed in returning:
            returned.setdefault(signed.sender, {})[signed.nonce] = signed
        for sender in set(self._pending) | set(self._queued) | set(self._next_nonce) | set(
                returned):
            state_nonce = self._view.state_nonce(sender)
            pending = self._pending.pop(sender, {})
            queued = self._queued.pop(sender, {})
            self._queued_total -= len(queued)
            self._next_nonce.pop(sender, None)
            for signed in pending.values():
                self._order.pop(signed.hash, None)
            held = {**returned.get(sender, {}), **queued, **pending}
            waiting = {n: s for n, s in held.items() if n >= state_nonce}
            if not waiting:
                continue
            self._next_nonce[sender] = state_nonce
            run = state_nonce
            while run in waiting:  # back in the order, at the end: they waited already
                self._append_pending(waiting.pop(run))
                run += 1
            if waiting:
                self._queued[sender] = waiting
                self._queued_total += len(waiting)
            if not self._pending.get(sender):
                self._next_nonce.pop(sender, None)


def _outbids(new: SignedTx, old: SignedTx) -> bool:
    # geth: both caps strictly higher and at least PRICE_BUMP_PERCENT higher.
    def bumped(old_value: int, new_value: int) -> bool:
        return new_value > old_value and new_value * 100 >= old_value * (100 + PRICE_BUMP_PERCENT)

    return bumped(old.gas_fee_cap, new.gas_fee_cap) and bumped(old.gas_tip_cap, new.gas_tip_cap)

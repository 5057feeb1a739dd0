"""The running node: store + chain + pool + the block production loop + block listeners.

Blocks are built by a sealer (ledger_node/sealer.py): a child process by default, so
py-evm's CPU-bound execution runs on its own core, or a worker thread; admission, the pool
and the RPC run on the event loop. Admitted transactions are streamed into the sealer's
open block as they arrive; the block is sealed once its period is over. A block is
produced every `period` seconds while transactions are pending (and every period
regardless with `empty_blocks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from eth_keys import keys as eth_keys
from eth_utils import to_canonical_address

from ledger_node.chain import LedgerChain, load_config
from ledger_node.errors import TxRejected
from ledger_node.execution import is_member
from ledger_node.genesis import STORE_FILE
from ledger_node.hashing import use_fast_keccak
from ledger_node.keys import load_sealer_keys
from ledger_node.replica import Replica
from ledger_node.sealer import SealedBlock, SealerProcess, SealerThread
from ledger_node.store import LedgerStore
from ledger_node.transactions import SignedTx
from ledger_node.txpool import PoolView, TxPool
from ledger_node.vote_policy import verify_proposal

logger = logging.getLogger(__name__)

# Upper bound on transactions per block, so one block's build stays near a second.
MAX_TXS_PER_BLOCK = 3_000

SWITCH_INTERVAL_S = 0.00005
FOLLOW_POLL_S = 0.25  # a follower asks its upstream for new blocks this often when idle

BlockListener = Callable[[SealedBlock], None]


@dataclass(frozen=True)
class NodeSettings:
    """How to run a node over an initialised data directory."""

    data_dir: Path
    passphrase_file: Path | None = None
    empty_blocks: bool = False
    max_txs_per_block: int = MAX_TXS_PER_BLOCK
    sealer_process: bool = True  # build blocks in a child process (see ledger_node/sealer.py)
    # Authority addresses other nodes seal with (`run --known-authority`): votes may add
    # them (ledger_node/vote_policy.py).
    known_authorities: frozenset[bytes] = frozenset()
    # Upstream JSON-RPC URLs: run as a read-only follower replica (`run --follow`) that
    # verifies and stores their blocks and seals nothing (ledger_node/replica.py).
    follow: tuple[str, ...] = ()


class LedgerNode:
    """One node process's chain state and block production."""

    def __init__(self, settings: NodeSettings) -> None:
        self.settings = settings
        logger.info("keccak backend: %s", use_fast_keccak())
        self.store = LedgerStore(settings.data_dir / STORE_FILE)
        self.config = load_config(self.store)
        # A follower holds no key: it verifies blocks others seal.
        sealers = [] if settings.follow else load_sealer_keys(
            settings.data_dir, settings.passphrase_file)
        self._sealer_keys = [k.private_key for k in sealers]
        self.held_signers = frozenset(to_canonical_address(k.address) for k in sealers)
        self.chain = LedgerChain(
            self.store,
            self.config,
            None if settings.sealer_process or settings.follow
            else [eth_keys.PrivateKey(k) for k in self._sealer_keys],
            signer=to_canonical_address(sealers[0].address) if sealers else None,
        )
        self.replica = Replica.over(self.chain, settings.follow) if settings.follow else None
        # Clique votes this node's signers cast (EIP-225), as geth's `clique.proposals`:
        # candidate -> authorize; kept until discarded, in memory only.
        self.proposals: dict[bytes, bool] = {}
        self._sealer: SealerProcess | SealerThread | None = None
        registry = self.store.get_meta("member_registry")
        self.member_registry = to_canonical_address(registry) if registry else None
        self._member_cache: dict[bytes, bool] = {}
        self._member_cache_block = -1
        self.pool = TxPool(
            PoolView(
                chain_id=self.config.chain_id,
                gas_limit=lambda: int(self.chain.head_header.gas_limit),
                state_nonce=self._state_nonce,
                balance=self._balance,
                may_send=self.may_send,
            )
        )
        self.listeners: list[BlockListener] = []
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sealer")
        self._work = asyncio.Event()
        self._stopping = False
        head = self.chain.head_header
        logger.info(
            "node open at block %d 0x%s chain id %d",
            head.block_number, head.hash.hex(), self.config.chain_id,
        )

    # ------------------------------------------------------------------ admission view
    def _state_nonce(self, sender: bytes) -> int:
        return int(self.chain.state_at(self.chain.head_header).get_nonce(sender))

    def _balance(self, sender: bytes) -> int:
        return int(self.chain.state_at(self.chain.head_header).get_balance(sender))

    def signers_at_head(self) -> tuple[bytes, ...]:
        """The Clique signers after the head block (EIP-225 snapshot), sorted."""
        return self.chain.snapshots.at(self.chain.head_header.block_number).signers

    def may_send(self, sender: bytes) -> bool:
        """True if `sender` is a Clique authority or `isMember` at the head (cached per block)."""
        if sender in self.signers_at_head():
            return True
        if self.member_registry is None:
            return False
        head = self.chain.head_header
        if head.block_number != self._member_cache_block:
            self._member_cache = {}
            self._member_cache_block = head.block_number
        cached = self._member_cache.get(sender)
        if cached is None:
            cached = is_member(self.chain, head, self.member_registry, sender)
            self._member_cache[sender] = cached
        return cached

    def propose(self, candidate: bytes, authorize: bool) -> None:
        """Have this node's signers vote to authorize (or drop) `candidate` in the blocks
        they seal, until discarded (geth's clique_propose). Raises VoteRefused (-32000) if
        the vote could not count or could halt the chain (ledger_node/vote_policy.py)."""
        snapshot = self.chain.snapshots.at(self.chain.head_header.block_number)
        verify_proposal(snapshot, candidate, authorize, self.held_signers,
                        self.settings.known_authorities)
        self.proposals[candidate] = authorize
        self._work.set()

    def discard(self, candidate: bytes) -> None:
        """Drop the proposal about `candidate`, if any (geth's clique_discard)."""
        self.proposals.pop(candidate, None)

    def submit(self, signed: SignedTx) -> None:
        """Admit a transaction (raises TxRejected) and wake the block producer."""
        if self.replica is not None:
            raise TxRejected("this node is a read-only follower: send transactions to an "
                             "authority node")
        self.pool.add(signed)
        self._work.set()

    # ------------------------------------------------------------------ production
    async def run_producer(self) -> None:
        """Produce blocks until `stop()`; returns after the block in progress is committed.
        A follower instead pulls and verifies its upstreams' blocks."""
        if self.replica is not None:
            await self._run_replica(self.replica)
            return
        loop = asyncio.get_running_loop()
        period = self.config.period
        # With the in-process sealer, its thread holds the GIL while the event loop admits
        # transactions; every C call that releases the GIL (secp256k1 in coincurve, SQLite)
        # then waits up to the switch interval to get it back. 5 ms (the default) made
        # admission ~10x slower under load; 50 us keeps both threads moving.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        if self.settings.sealer_process:
            self._sealer = await loop.run_in_executor(
                self._executor, SealerProcess, self.store.path, self._sealer_keys
            )
        else:
            self._sealer = SealerThread(self.chain)
        sealer = self._sealer
        open_batch: list[SignedTx] = []  # sent to the sealer, in the open block
        block_full = False
        max_txs = self.settings.max_txs_per_block
        while not self._stopping:
            due = self.chain.head_header.timestamp + period
            # 1. Seal when the period is over (EIP-225: timestamp >= parent + period), before
            #    streaming more, so a steady stream cannot postpone the block.
            if (open_batch or self.settings.empty_blocks) and time.time() >= due:
                try:
                    sealed = await loop.run_in_executor(
                        self._executor, sealer.seal, max(due, int(time.time())),
                        dict(self.proposals),
                    )
                except Exception:
                    logger.exception("block seal failed; its transactions return to the pool")
                    self.pool.forget_in_flight(open_batch)
                    open_batch, block_full = [], False
                    await asyncio.sleep(period)
                    continue
                self._settle(open_batch, sealed)
                open_batch, block_full = [], False
                continue
            # 2. Stream newly admitted transactions into the open block: they execute while
            #    the period runs, so sealing at `due` has little left to do.
            if len(self.pool) and not block_full and len(open_batch) < max_txs:
                batch = self.pool.take_batch(max_txs - len(open_batch))
                open_batch.extend(batch)
                try:
                    deferred = await loop.run_in_executor(
                        self._executor, sealer.add, batch, max(due, int(time.time())),
                        dict(self.proposals),
                    )
                except Exception:
                    logger.exception("open block lost; its transactions return to the pool")
                    self.pool.forget_in_flight(open_batch)
                    open_batch, block_full = [], False
                    await asyncio.sleep(period)
                    continue
                block_full = bool(deferred)
                continue
            # 3. Wait for work or for the end of the period.
            self._work.clear()
            if len(self.pool) and not block_full and len(open_batch) < max_txs:
                continue
            timeout = max(0.0, due - time.time()) if open_batch or self.settings.empty_blocks else 0.5
            try:
                await asyncio.wait_for(self._work.wait(), timeout=timeout)
            except TimeoutError:
                pass

    async def _run_replica(self, replica: Replica) -> None:
        """Follow the upstreams until `stop()`: each round's verified blocks go to the
        listeners (subscriptions, filters) as if sealed here."""
        loop = asyncio.get_running_loop()
        while not self._stopping:
            try:
                committed = await loop.run_in_executor(self._executor, replica.step)
            except Exception:
                logger.exception("follower round failed; retrying")
                committed = []
            for sealed in committed:
                self._publish(sealed)
            if not committed:
                self._work.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._work.wait(), timeout=FOLLOW_POLL_S)

    def _settle(self, batch: list[SignedTx], sealed: SealedBlock) -> None:
        header = sealed.header
        self.chain.head_header = header  # first: the pool re-reads nonces at the new head
        by_hash = {s.hash: s for s in batch}
        self.pool.settle(
            [by_hash[h] for h in sealed.included],
            [by_hash[h] for h in sealed.deferred],
            [by_hash[h] for h, _ in sealed.dropped],
        )
        for tx_hash, reason in sealed.dropped:
            logger.warning("block %d dropped tx 0x%s: %s", header.block_number, tx_hash.hex(), reason)
        self._publish(sealed)

    def _publish(self, sealed: SealedBlock) -> None:
        """Make `sealed` the head and tell the listeners (subscriptions, filters)."""
        header = sealed.header
        self.chain.head_header = header
        for listener in list(self.listeners):
            try:
                listener(sealed)
            except Exception:
                logger.exception("block listener failed at block %d", header.block_number)

    def stop(self) -> None:
        """Ask the producer to stop after its current block."""
        self._stopping = True
        self._work.set()

    def close(self) -> None:
        """Stop the sealer, release the worker thread and the store."""
        if self._sealer is not None:
            self._sealer.close()
        if self.replica is not None:
            self.replica.close()
        self._executor.shutdown(wait=True)
        self.store.close()

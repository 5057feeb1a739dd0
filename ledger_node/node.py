"""The running node: store + chain + pool + the block production loop + block listeners.

In a consortium (`run --peers`), the loop also takes in what peers send (their blocks,
imported or synced by `_take_peer_work`, whose importing discards the open block), seals
only when EIP-225 lets one of its keys seal, out of turn after geth's random delay, and
tells its peers each block it seals and each transaction it admits (peer_protocol.py).

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
import random
import sys
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coincurve import PrivateKey
from eth_keys import keys as eth_keys
from eth_utils import to_canonical_address

from ledger_node.block_encoding import block_rlp_from_parts
from ledger_node.chain import LedgerChain, is_better_head, load_config
from ledger_node.clique_votes import DIFF_IN_TURN, CliqueError, choose_seal
from ledger_node.errors import BlockRejectedError, RpcError, TxRejected, UnknownParentError
from ledger_node.execution import is_member
from ledger_node.genesis import STORE_FILE
from ledger_node.hashing import use_fast_keccak
from ledger_node.keys import load_node_key, load_sealer_keys
from ledger_node.peer_link import PeerLink, PeerUnavailable
from ledger_node.peer_messages import (
    MessageOpener,
    MessageSigner,
    Peer,
    PeerBook,
    PeerMessageError,
    node_id,
)
from ledger_node.peer_protocol import (
    MAX_ANSWER_BYTES,
    MAX_BLOCKS_PER_ANSWER,
    MAX_HASHES_PER_ANSWER,
    MAX_TXS_PER_MESSAGE,
    PeerProtocol,
    hex_bytes,
    members,
    natural,
    to_hex,
)
from ledger_node.replica import Replica
from ledger_node.sealer import (
    ImportedBranch,
    SealedBlock,
    SealerError,
    SealerProcess,
    SealerThread,
)
from ledger_node.store import LedgerStore
from ledger_node.transactions import SignedTx, decode_signed_transaction
from ledger_node.txpool import PoolView, TxPool
from ledger_node.vote_policy import verify_proposal

logger = logging.getLogger(__name__)

# Upper bound on transactions per block, so one block's build stays near a second.
MAX_TXS_PER_BLOCK = 3_000

SWITCH_INTERVAL_S = 0.00005
FOLLOW_POLL_S = 0.25  # a follower asks its upstream for new blocks this often when idle
WIGGLE_S = 0.5  # geth's Clique wiggleTime: out-of-turn delay unit per half of the signers
NOT_OUR_TURN_POLL_S = 0.5
STATUS_INTERVAL_S = 2.0  # how often a node compares heads with its peers
STATUS_TIMEOUT_S = 3.0
TX_FORWARD_DELAY_S = 0.02  # admitted transactions are forwarded in batches this often
MAX_PEER_INBOX = 1_024
MAX_BRANCH_BYTES = 256 * 1024 * 1024  # a fork fetched before it is known to beat ours
MAX_REORG_DEPTH = 100_000  # blocks; deeper forks are not followed (a person decides)
REJECTIONS_KEPT = 50

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
    # The consortium's other nodes (`run --peers peers.json`), reached on the peer link.
    peers: tuple[Peer, ...] = ()
    # Hold no key and seal nothing: a follower that verifies its peers' blocks (`--follower`).
    verify_only: bool = False


class LedgerNode:
    """One node process's chain state and block production."""

    def __init__(self, settings: NodeSettings) -> None:
        self.settings = settings
        logger.info("keccak backend: %s", use_fast_keccak())
        self.store = LedgerStore(settings.data_dir / STORE_FILE)
        self.config = load_config(self.store)
        # A follower holds no key: it verifies blocks others seal.
        self.read_only = bool(settings.follow) or settings.verify_only
        sealers = [] if self.read_only else load_sealer_keys(
            settings.data_dir, settings.passphrase_file)
        self._sealer_keys = [k.private_key for k in sealers]
        self.held_signers = frozenset(to_canonical_address(k.address) for k in sealers)
        self.chain = LedgerChain(
            self.store,
            self.config,
            None if settings.sealer_process or self.read_only
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
        self._stopped = asyncio.Event()
        genesis = self.store.block_by_number(0)
        assert genesis is not None  # LedgerChain opened the store
        self.genesis_hash = genesis.hash
        # Addresses other nodes seal with: `--known-authority` and the peers' `authority`.
        self.known_authorities = settings.known_authorities | frozenset(
            to_canonical_address(p.authority) for p in settings.peers if p.authority)
        self.link: PeerLink | None = None
        if settings.peers:
            node_key = PrivateKey(load_node_key(settings.data_dir))
            book = PeerBook(settings.peers)
            network = self.genesis_hash.hex()  # messages for another chain do not open
            self.link = PeerLink(MessageSigner(node_key, network),
                                 MessageOpener(node_id(node_key), network, book), book)
            logger.info("node id %s; %d peers", node_id(node_key), len(settings.peers))
        self.protocol = PeerProtocol(self)
        # Peer blocks to import (peer, block RLP) and peers to sync from (peer, None).
        self._peer_inbox: deque[tuple[Peer, bytes | None]] = deque()
        self._outgoing_txs: list[bytes] = []
        self._tx_ready = asyncio.Event()
        self.peer_rejections: deque[dict[str, Any]] = deque(maxlen=REJECTIONS_KEPT)
        self._wiggle: tuple[int, float] = (-1, 0.0)  # (block number, delay) out of turn
        self._tasks: list[asyncio.Task[None]] = []
        self._sending: set[asyncio.Task[Any]] = set()  # one-way messages in flight
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
                        self.known_authorities)
        self.proposals[candidate] = authorize
        self._work.set()

    def discard(self, candidate: bytes) -> None:
        """Drop the proposal about `candidate`, if any (geth's clique_discard)."""
        self.proposals.pop(candidate, None)

    def submit(self, signed: SignedTx) -> None:
        """Admit a transaction (raises TxRejected), wake the block producer and pass it on
        to the peers, so whichever authority seals next includes it."""
        if self.read_only:
            raise TxRejected("this node is a read-only follower: send transactions to an "
                             "authority node")
        self.pool.add(signed)
        self._work.set()
        if self.link is not None:
            self._outgoing_txs.append(signed.raw)
            self._tx_ready.set()

    # ------------------------------------------------------------------ from peers
    def receive_peer_block(self, peer: Peer, block_rlp: bytes, _td: int) -> None:
        """A peer sealed a block: import it (or sync from the peer) in the producer loop.
        Its claimed total difficulty is not trusted: import_branch recomputes it."""
        if len(self._peer_inbox) >= MAX_PEER_INBOX:
            self._peer_inbox.popleft()  # the status rounds catch up with what is dropped
        self._peer_inbox.append((peer, block_rlp))
        self._work.set()

    def receive_peer_txs(self, peer: Peer, raws: list[bytes]) -> None:
        """Transactions another authority admitted: our own admission decides again."""
        if self.read_only:
            return
        admitted = 0
        for raw in raws:
            try:
                self.pool.add(decode_signed_transaction(raw))
            except RpcError:  # already known, included meanwhile, not a member: not ours
                continue
            admitted += 1
        if admitted:
            self._work.set()
        logger.debug("%d of %d transactions from %s admitted", admitted, len(raws), peer.name)

    # ------------------------------------------------------------------ production
    async def run_producer(self) -> None:
        """Produce blocks until `stop()`; returns after the block in progress is committed.
        A follower instead pulls and verifies its upstreams' (or its peers') blocks."""
        if self.replica is not None:
            await self._run_replica(self.replica)
            return
        loop = asyncio.get_running_loop()
        if self.link is not None:
            self._tasks = [asyncio.create_task(self._status_rounds()),
                           asyncio.create_task(self._forward_txs())]
        if self.read_only:
            self._sealer = SealerThread(self.chain)  # imports only: it holds no key
            await self._run_peer_follower(self._sealer)
            return
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
            # 0. Peers' blocks first: importing one discards the open block.
            if self._peer_inbox:
                if open_batch:
                    self.pool.forget_in_flight(open_batch)
                    open_batch, block_full = [], False
                await self._take_peer_work(sealer)
                continue
            seal_at = self._seal_time()
            if seal_at is None:  # EIP-225: none of our keys may seal the next block now
                self._work.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._work.wait(), timeout=NOT_OUR_TURN_POLL_S)
                continue
            now = time.time()
            # 1. Seal when the period is over (EIP-225: timestamp >= parent + period), before
            #    streaming more, so a steady stream cannot postpone the block.
            if (open_batch or self.settings.empty_blocks) and now >= seal_at:
                timestamp = max(self.chain.head_header.timestamp + period, int(now))
                try:
                    sealed = await loop.run_in_executor(
                        self._executor, sealer.seal, timestamp, dict(self.proposals),
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
            #    the period runs, so sealing at `due` has little left to do. Out of turn, not
            #    before our delay is over: the in-turn block usually comes first.
            streaming = now >= seal_at or seal_at <= self._due()
            if streaming and len(self.pool) and not block_full and len(open_batch) < max_txs:
                batch = self.pool.take_batch(max_txs - len(open_batch))
                open_batch.extend(batch)
                timestamp = max(self.chain.head_header.timestamp + period, int(now))
                try:
                    deferred = await loop.run_in_executor(
                        self._executor, sealer.add, batch, timestamp, dict(self.proposals),
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
            if streaming and len(self.pool) and not block_full and len(open_batch) < max_txs:
                continue
            if self._peer_inbox:
                continue
            idle = not (open_batch or self.settings.empty_blocks or len(self.pool))
            timeout = 0.5 if idle else max(0.0, seal_at - time.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), timeout=timeout)

    def _due(self) -> float:
        """When the next block may be sealed (EIP-225: parent timestamp + period)."""
        return float(self.chain.head_header.timestamp + self.config.period)

    def _seal_time(self) -> float | None:
        """When this node seals the next block: at `_due()` in turn (or alone); out of turn
        after a random delay of up to (N/2 + 1) x 500 ms, as geth's Clique, so that two
        out-of-turn signers rarely seal the same height; None if no held key may seal now
        (not a signer, or signed one of the last N/2 + 1 blocks)."""
        head = self.chain.head_header
        try:
            _signer, difficulty = choose_seal(
                self.chain.snapshots.at(head.block_number), self.held_signers)
        except CliqueError:
            return None
        if difficulty == DIFF_IN_TURN or self.link is None:
            return self._due()
        number = head.block_number + 1
        if self._wiggle[0] != number:
            signers = len(self.signers_at_head())
            self._wiggle = (number, random.uniform(0, (signers // 2 + 1) * WIGGLE_S))
        return self._due() + self._wiggle[1]

    async def _run_peer_follower(self, importer: SealerThread) -> None:
        """A keyless node on the peer link: import what the peers seal until `stop()`."""
        while not self._stopping:
            if self._peer_inbox:
                await self._take_peer_work(importer)
                continue
            self._work.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._work.wait(), timeout=NOT_OUR_TURN_POLL_S)

    async def _take_peer_work(self, importer: SealerProcess | SealerThread) -> None:
        """Import the peers' blocks waiting in the inbox; sync from a peer whose block does
        not attach to our chain (or whose status round found a better chain)."""
        while self._peer_inbox and not self._stopping:
            peer, block_rlp = self._peer_inbox.popleft()
            try:
                if block_rlp is not None:
                    try:
                        await self._import(importer, peer, [block_rlp])
                        continue
                    except UnknownParentError:
                        pass  # we miss blocks before it, or it is on a fork: ask the peer
                await self._sync_from(peer, importer)
            except BlockRejectedError as exc:
                self._refuse_block(peer, exc)
            except (PeerUnavailable, UnknownParentError, SealerError) as exc:
                logger.warning("sync from %s stopped: %s", peer.name, exc)

    async def _import(self, importer: SealerProcess | SealerThread, peer: Peer,
                      block_rlps: list[bytes]) -> bool:
        """Have the importer verify and adopt `block_rlps` (the open block is discarded);
        False if they do not make a better chain."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, importer.import_branch, block_rlps)
        if result is None or not result.blocks:
            return False
        self._adopt(result)
        if result.replaced_after is not None:
            logger.warning("reorg to %s's chain: head %d 0x%s", peer.name,
                           self.chain.head_header.block_number, self.chain.head_header.hash.hex())
        return True

    async def _sync_from(self, peer: Peer, importer: SealerProcess | SealerThread) -> None:
        """If `peer` has a better chain, fetch it from where ours parts and adopt it."""
        assert self.link is not None
        status = await self.link.ask(peer, "status", {}, "status")
        number, their_hash, td = self._parse_status(peer, status)
        head = self.chain.head_header
        ours = (self.chain.total_difficulty(head.hash), head.block_number, head.hash)
        if not is_better_head((td, number, their_hash), ours):
            return
        ancestor = await self._common_ancestor(peer, min(number, head.block_number))
        branch: list[bytes] = []
        branch_bytes = 0
        next_number = ancestor + 1
        while next_number <= number and not self._stopping:
            answer = await self.link.ask(peer, "blocks", {"from": next_number,
                                                          "count": MAX_BLOCKS_PER_ANSWER}, "blocks")
            rlps = answer.get("rlp") if isinstance(answer, dict) else None
            if not isinstance(rlps, list) or not rlps or len(rlps) > MAX_BLOCKS_PER_ANSWER:
                raise PeerUnavailable(f"{peer.name} answered no blocks from {next_number}")
            try:
                blocks = [hex_bytes(r, "rlp[]", MAX_ANSWER_BYTES) for r in rlps]
            except PeerMessageError as exc:
                raise PeerUnavailable(f"{peer.name}: {exc}") from exc
            branch.extend(blocks)
            branch_bytes += sum(len(b) for b in blocks)
            next_number += len(blocks)
            if branch_bytes > MAX_BRANCH_BYTES:
                raise PeerUnavailable(f"{peer.name}'s branch from block {ancestor + 1} is over "
                                      f"{MAX_BRANCH_BYTES:,} bytes before it beats ours")
            if await self._import(importer, peer, branch):
                branch, branch_bytes = [], 0  # adopted: what follows extends the new head

    def _parse_status(self, peer: Peer, status: Any) -> tuple[int, bytes, int]:
        try:
            body = members(status, {"number", "hash", "td", "genesis"})
            if hex_bytes(body["genesis"], "genesis", 32) != self.genesis_hash:
                raise PeerUnavailable(f"{peer.name} is on another chain (genesis differs)")
            return (natural(body["number"], "number"), hex_bytes(body["hash"], "hash", 32),
                    natural(body["td"], "td"))
        except PeerMessageError as exc:
            raise PeerUnavailable(f"{peer.name}'s status: {exc}") from exc

    async def _common_ancestor(self, peer: Peer, top: int) -> int:
        """The highest block number at which `peer`'s chain and ours hold the same block."""
        assert self.link is not None
        high, span = top, 32
        while True:
            low = max(0, high - span + 1)
            answer = await self.link.ask(peer, "hashes", {"from": low, "count": high - low + 1},
                                         "hashes")
            hashes = answer.get("hashes") if isinstance(answer, dict) else None
            if not isinstance(hashes, list) or len(hashes) > high - low + 1:
                raise PeerUnavailable(f"{peer.name} answered a malformed hash list")
            for offset in range(len(hashes) - 1, -1, -1):
                row = self.store.block_by_number(low + offset)
                try:
                    theirs = hex_bytes(hashes[offset], "hashes[]", 32)
                except PeerMessageError as exc:
                    raise PeerUnavailable(f"{peer.name}: {exc}") from exc
                if row is not None and row.hash == theirs:
                    return low + offset
            if low == 0:
                raise PeerUnavailable(f"{peer.name} shares no block with us (another genesis)")
            if top - low >= MAX_REORG_DEPTH:
                raise PeerUnavailable(f"{peer.name}'s chain parts from ours more than "
                                      f"{MAX_REORG_DEPTH:,} blocks back; not followed")
            high, span = low - 1, min(span * 2, MAX_HASHES_PER_ANSWER)

    def _adopt(self, imported: ImportedBranch) -> None:
        """Our chain now ends with a peer's blocks: update the head, the pool (included
        transactions leave it, a replaced branch's come back) and the listeners."""
        if imported.replaced_after is not None:
            self.chain.snapshots.reset()
        self._member_cache_block = -1
        self.chain.head_header = imported.blocks[-1].header
        orphaned = []
        for raw, _sender in imported.orphaned:
            with contextlib.suppress(RpcError):  # the replaced block held it: it decodes
                orphaned.append(decode_signed_transaction(raw))
        self.pool.reset_to_head(returning=orphaned)
        for sealed in imported.blocks:
            self._publish(sealed)

    def _refuse_block(self, peer: Peer, exc: BlockRejectedError) -> None:
        self.peer_rejections.append({"peer": peer.name, "block": exc.block_number,
                                     "reason": exc.reason, "at": int(time.time())})
        logger.error("REFUSED block %d from peer %s: %s", exc.block_number, peer.name,
                     exc.reason)

    async def _status_rounds(self) -> None:
        """Ask every peer for its head now and then; sync from one with a better chain (a
        restart, a missed announcement, a healed partition)."""
        assert self.link is not None
        link = self.link
        reachable: set[str] = set()
        while not self._stopping:
            head = self.chain.head_header
            ours = (self.chain.total_difficulty(head.hash), head.block_number, head.hash)
            peers = link.peers
            answers = await asyncio.gather(
                *(link.ask(p, "status", {}, "status", timeout_s=STATUS_TIMEOUT_S) for p in peers),
                return_exceptions=True)
            queued = {p.node_id for p, rlp in self._peer_inbox if rlp is None}
            answered = {p.node_id for p, a in zip(peers, answers, strict=True)
                        if not isinstance(a, BaseException)}
            for peer in peers:  # back (or first seen): it missed what we forwarded meanwhile
                if peer.node_id in answered - reachable and not self.read_only:
                    self._resend_pending(peer)
            reachable = answered
            for peer, answer in zip(peers, answers, strict=True):
                if isinstance(answer, BaseException) or peer.node_id in queued:
                    continue
                try:
                    number, their_hash, td = self._parse_status(peer, answer)
                except PeerUnavailable as exc:
                    logger.warning("%s", exc)
                    continue
                if is_better_head((td, number, their_hash), ours):
                    self._peer_inbox.append((peer, None))
                    self._work.set()
                    break  # one sync at a time; the next round looks again
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), timeout=STATUS_INTERVAL_S)

    def _resend_pending(self, peer: Peer) -> None:
        """Hand our pending transactions to `peer` (as geth does to a new peer)."""
        assert self.link is not None
        raws = self.pool.pending_raw(MAX_TXS_PER_MESSAGE)
        if raws:
            task = asyncio.get_running_loop().create_task(
                self.link.tell(peer, "txs", {"raw": [to_hex(r) for r in raws]}))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _forward_txs(self) -> None:
        """Pass admitted transactions on to the peers in batches."""
        assert self.link is not None
        while not self._stopping:
            await self._tx_ready.wait()
            self._tx_ready.clear()
            await asyncio.sleep(TX_FORWARD_DELAY_S)  # gather a batch
            while self._outgoing_txs:
                batch = self._outgoing_txs[:MAX_TXS_PER_MESSAGE]
                del self._outgoing_txs[:MAX_TXS_PER_MESSAGE]
                await self.link.broadcast("txs", {"raw": [to_hex(r) for r in batch]})

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
        if self.link is not None:
            block_rlp = block_rlp_from_parts(sealed.header_rlp,
                                             [by_hash[h].raw for h in sealed.included])
            announcement = {"rlp": to_hex(block_rlp),
                            "td": self.chain.total_difficulty(header.hash)}
            task = asyncio.get_running_loop().create_task(
                self.link.broadcast("block", announcement))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

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
        self._tx_ready.set()
        self._stopped.set()

    async def stop_peer_tasks(self) -> None:
        """End the status rounds and the transaction forwarder; close the peer link."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.link is not None:
            await self.link.aclose()

    def close(self) -> None:
        """Stop the sealer, release the worker thread and the store."""
        if self._sealer is not None:
            self._sealer.close()
        if self.replica is not None:
            self.replica.close()
        self._executor.shutdown(wait=True)
        self.store.close()

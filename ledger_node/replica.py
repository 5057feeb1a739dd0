"""A follower replica (`node run --follow URL`): its own durable chain, pulled from upstream
nodes over standard JSON-RPC and verified block by block before it is adopted.

Each round asks the first upstream that is not cooling down for its head, fetches the next
blocks (headers first, then full blocks in small groups, so one answer stays bounded and
the next group downloads while this one is verified), recomputes every header hash from its
fields, and hands them to `LedgerChain.import_branch`: our EIP-225 snapshot (authorized,
not recent, checkpoints, votes), py-evm's Clique seal and difficulty, re-execution with
py-evm's unmodified Cancun executor, and the state, transactions and receipts roots. A
block that fails is never adopted; the rejection (upstream, block, reason) is logged at
ERROR and kept for `/health`, and that upstream cools down while the others are followed.

Reorganisations (several authorities: two out-of-turn signers seal the same height, a
partition heals): when the upstream's next block does not attach to our head, or its block
at our height is another one, the replica walks back comparing block hashes to the common
ancestor (at most MAX_REORG_DEPTH blocks below our head), fetches the upstream's branch
from there and offers it to `import_branch` as it grows, until it wins the fork choice
(total difficulty) and replaces our blocks above the ancestor in one store transaction, or
the upstream's head is reached without winning (then ours stays, and that upstream cools
down). The blocks adopted are returned like any others, for the node to publish.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eth.abc import BlockAPI

from contracts.rpc_client import JsonRpcClient, RpcClientError
from ledger_node.chain import LedgerChain
from ledger_node.errors import BlockRejectedError, UnknownParentError
from ledger_node.follower import block_from_json
from ledger_node.sealer import SealedBlock

logger = logging.getLogger(__name__)

HEADERS_PER_FETCH = 200
MAX_TXS_PER_FETCH = 4_000  # full blocks per request: about 4 MB of JSON at most
MAX_BLOCKS_PER_FETCH = 25  # small groups keep the download of the next overlapping
UPSTREAM_TIMEOUT_S = 30.0
MAX_ANSWER_BYTES = 64 * 1024 * 1024
COOL_DOWN_S = 10.0  # after an upstream served a bad block or did not answer
REJECTIONS_KEPT = 50
# A fork is held in memory until it beats ours, and it may need up to twice as many blocks
# as it replaces (ours all in turn, weight 2; its all out of turn, weight 1): deeper forks
# are not followed (logged at ERROR; a person decides, e.g. a fresh replica from genesis).
MAX_REORG_DEPTH = 10_000
MAX_BRANCH_TXS = 100_000  # transactions of a fork held before it beats ours: ~100 MB of JSON
ANCESTOR_FIRST_SPAN = 32  # hashes compared first when walking back; doubles each batch
# An upstream whose head is at or below ours: how often its head block is compared with ours
# while neither head moves (it may have reorganised to a fork of the same height or lower).
FORK_CHECK_S = 2.0


class _NotFollowed(Exception):
    """This upstream's chain cannot be followed (another genesis, a fork too deep or too
    large to hold); handled in this module: logged at ERROR, the upstream cools down."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ChangedWhileFetched(Exception):
    """The upstream's answers do not make one chain: it reorganised between our requests
    (or serves inconsistent answers). What chained before the break was offered first; the
    upstream cools down and is asked again later."""


@dataclass(frozen=True)
class Rejection:
    """A block an upstream served that did not verify."""

    upstream: str
    block_number: int
    reason: str
    at: float


@dataclass
class Upstream:
    """One node this replica follows, and how it has behaved."""

    url: str
    client: JsonRpcClient
    head: int | None = None
    cool_until: float = 0.0
    last_error: str | None = None
    # (number, hash, monotonic time): the upstream's block at `number` was last seen to be
    # ours, so its head is not asked for again while neither head moves (FORK_CHECK_S).
    agreed: tuple[int, bytes, float] | None = None

    def cool_down(self, reason: str) -> None:
        self.cool_until = time.monotonic() + COOL_DOWN_S
        self.last_error = reason


@dataclass
class Replica:
    """Pulls, verifies and commits blocks from `upstreams` into `chain` (one writer)."""

    chain: LedgerChain
    upstreams: list[Upstream]
    rejections: deque[Rejection] = field(default_factory=lambda: deque(maxlen=REJECTIONS_KEPT))

    @classmethod
    def over(cls, chain: LedgerChain, urls: Sequence[str]) -> Replica:
        clients = [Upstream(url, JsonRpcClient(url, timeout_s=UPSTREAM_TIMEOUT_S,
                                               max_response_bytes=MAX_ANSWER_BYTES))
                   for url in urls]
        return cls(chain, clients)

    def close(self) -> None:
        for upstream in self.upstreams:
            upstream.client.close()

    def step(self) -> list[SealedBlock]:
        """One round against the first upstream not cooling down: the blocks committed, in
        chain order. After a reorganisation they start at the common ancestor + 1 (at or
        below the previous head) and the chain's snapshot cache has been reset."""
        now = time.monotonic()
        for upstream in self.upstreams:
            if upstream.cool_until > now:
                continue
            try:
                return self._follow(upstream)
            except RpcClientError as exc:
                logger.warning("upstream %s: %s", upstream.url, exc)
                upstream.cool_down(str(exc))
        return []

    def _follow(self, upstream: Upstream) -> list[SealedBlock]:
        upstream.head = int(upstream.client.call("eth_blockNumber"), 16)
        head = self.chain.head_header
        if upstream.head > head.block_number:
            start = head.block_number + 1
            headers = self._headers(upstream, start)
            parent = _hash_field(headers[0], "parentHash") if headers else None
            # A missing or malformed header is not a fork: the full block is refused later.
            if parent is None or parent == head.hash:
                return self._pull(upstream, start, headers)
            logger.warning("upstream %s: its block %d does not extend our head %d 0x%s; "
                           "looking for the common ancestor", upstream.url, start,
                           head.block_number, head.hash.hex())
        elif self._agrees(upstream, upstream.head):
            upstream.last_error = None
            return []
        else:
            logger.warning("upstream %s: its head, block %d, is not ours; looking for the "
                           "common ancestor", upstream.url, upstream.head)
        try:
            ancestor = self._common_ancestor(upstream, min(upstream.head, head.block_number))
        except _NotFollowed as exc:
            logger.error("NOT FOLLOWING upstream %s: %s", upstream.url, exc.reason)
            upstream.cool_down(exc.reason)
            return []
        if ancestor < head.block_number:
            logger.warning("upstream %s: its chain parts from ours after block %d (our head "
                           "%d); fetching its branch", upstream.url, ancestor, head.block_number)
        return self._pull(upstream, ancestor + 1, None)

    def _agrees(self, upstream: Upstream, number: int) -> bool:
        """True if the upstream's block `number` (at or below our head) is ours. Asked at most
        every FORK_CHECK_S while that block of ours stays the same."""
        row = self.chain.store.block_by_number(number)
        assert row is not None  # at or below our head
        now = time.monotonic()
        if (upstream.agreed is not None and upstream.agreed[:2] == (number, row.hash)
                and now - upstream.agreed[2] < FORK_CHECK_S):
            return True
        answer = upstream.client.call("eth_getBlockByNumber", [hex(number), False])
        if _hash_field(answer, "hash") != row.hash:
            return False
        upstream.agreed = (number, row.hash, now)
        return True

    def _common_ancestor(self, upstream: Upstream, top: int) -> int:
        """The highest block number at or below `top` where the upstream's chain and ours
        hold the same block, comparing block hashes in batches that double as they go back.
        Raises _NotFollowed if there is none within MAX_REORG_DEPTH blocks of our head."""
        head_number = self.chain.head_header.block_number
        floor = max(0, head_number - MAX_REORG_DEPTH)
        high, span = top, ANCESTOR_FIRST_SPAN
        while high >= floor:
            low = max(floor, high - span + 1)
            answers = upstream.client.batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in range(low, high + 1)])
            for number in range(high, low - 1, -1):
                row = self.chain.store.block_by_number(number)
                if row is not None and _hash_field(answers[number - low], "hash") == row.hash:
                    return number
            high, span = low - 1, min(2 * span, HEADERS_PER_FETCH)
        if floor == 0:
            raise _NotFollowed("its chain shares no block with ours (another genesis)")
        raise _NotFollowed(f"its chain parts from ours more than {MAX_REORG_DEPTH:,} blocks "
                           f"below our head {head_number}; a reorganisation that deep is not "
                           "followed (MAX_REORG_DEPTH)")

    def _headers(self, upstream: Upstream, start: int) -> list[Any]:
        """The upstream's blocks from `start` (hashes only), at most HEADERS_PER_FETCH."""
        last = min(upstream.head or 0, start + HEADERS_PER_FETCH - 1)
        return upstream.client.batch(
            [("eth_getBlockByNumber", [hex(n), False]) for n in range(start, last + 1)])

    def _pull(self, upstream: Upstream, start: int, headers: list[Any] | None
              ) -> list[SealedBlock]:
        """Fetch the upstream's blocks from `start` (block start - 1 is on our chain) and
        adopt them: the blocks committed.

        They are offered to `import_branch` group by group, accumulated while they do not
        make a better chain than ours (a fork longer than one group); once adopted, the rest
        of the window extends the new head and the round ends. A fork not better than ours at
        the upstream's head is left, and the upstream cools down; so does one that serves a
        block that does not verify (recorded as a rejection), answers that do not chain, or
        no answer: the blocks committed before stay committed and are returned."""
        committed: list[SealedBlock] = []
        branch: list[BlockAPI] = []  # fetched, not adopted yet: not (yet) better than ours
        branch_txs = 0
        number = start
        try:
            while number <= (upstream.head or 0):
                groups = _groups_by_tx_count(
                    number, self._headers(upstream, number) if headers is None else headers)
                headers = None
                if not groups:
                    break
                with contextlib.closing(self._fetched(upstream, groups)) as fetched:
                    for blocks in fetched:
                        # Verify what chains up to a break first: a bad block there is refused
                        # for what it is, not for the break it causes.
                        linked = _linked(branch[-1] if branch else None, blocks)
                        branch.extend(linked)
                        branch_txs += sum(len(b.transactions) for b in linked)
                        result = self.chain.import_branch(branch) if linked else None
                        if result is not None:
                            committed.extend(SealedBlock.imported(a.block, a.logs)
                                             for a in result.adopted)
                            branch, branch_txs = [], 0
                        if len(linked) < len(blocks):
                            raise _ChangedWhileFetched
                        if branch_txs > MAX_BRANCH_TXS:
                            raise _NotFollowed(
                                f"its fork from block {start} holds over {MAX_BRANCH_TXS:,} "
                                "transactions before it beats ours; not followed "
                                "(MAX_BRANCH_TXS)")
                number = groups[-1][-1] + 1
                if not branch:
                    break  # adopted: the next round goes on from the new head
        except BlockRejectedError as exc:
            self._reject(upstream, exc)
            return committed
        except (UnknownParentError, _ChangedWhileFetched):
            logger.warning("upstream %s: its chain changed while we fetched it; asked again "
                           "later", upstream.url)
            upstream.cool_down("its chain changed while we fetched it")
            return committed
        except _NotFollowed as exc:
            logger.error("NOT FOLLOWING upstream %s: %s", upstream.url, exc.reason)
            upstream.cool_down(exc.reason)
            return committed
        except RpcClientError as exc:
            if not committed:
                raise
            logger.warning("upstream %s: %s", upstream.url, exc)
            upstream.cool_down(str(exc))
            return committed
        if branch:  # nothing wrong with it, but ours is better: the upstream may reorg too
            reason = (f"its fork from block {start} to {number - 1} is not better than our "
                      "chain (total difficulty)")
            logger.warning("upstream %s: %s; staying on ours", upstream.url, reason)
            upstream.cool_down(reason)
            return committed
        head = self.chain.head_header
        if committed:
            upstream.agreed = (head.block_number, head.hash, time.monotonic())
        upstream.last_error = None
        return committed

    def _fetched(self, upstream: Upstream, groups: list[list[int]]
                 ) -> Generator[list[BlockAPI], None, None]:
        """The full blocks of each group, parsed (BlockRejectedError if one is malformed or
        does not hash to its claimed hash). The next group downloads (the upstream builds
        its JSON in its own process) while this one is verified: about a third faster than
        one after the other."""

        def fetch(group: list[int]) -> list[Any]:
            return upstream.client.batch(
                [("eth_getBlockByNumber", [hex(n), True]) for n in group])

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch") as prefetch:
            pending: Future[list[Any]] | None = prefetch.submit(fetch, groups[0])
            try:
                for index, group in enumerate(groups):
                    assert pending is not None
                    answers = pending.result()
                    pending = (prefetch.submit(fetch, groups[index + 1])
                               if index + 1 < len(groups) else None)
                    yield [block_from_json(number, answer)
                           for number, answer in zip(group, answers, strict=True)]
            finally:
                if pending is not None:
                    pending.cancel()

    def _reject(self, upstream: Upstream, exc: BlockRejectedError) -> None:
        rejection = Rejection(upstream.url, exc.block_number, exc.reason, time.time())
        self.rejections.append(rejection)
        logger.error("REFUSED block %d from %s: %s", exc.block_number, upstream.url, exc.reason)
        upstream.cool_down(f"served block {exc.block_number} that does not verify: {exc.reason}")

    def status(self) -> dict[str, Any]:
        """What `/health` reports: each upstream and the latest rejections."""
        now = time.monotonic()
        return {
            "upstreams": [
                {"url": u.url, "head": u.head, "coolingDown": u.cool_until > now,
                 "lastError": u.last_error}
                for u in self.upstreams
            ],
            "rejections": [
                {"upstream": r.upstream, "block": r.block_number, "reason": r.reason,
                 "at": int(r.at)}
                for r in self.rejections
            ],
        }


def _groups_by_tx_count(first: int, headers: Sequence[Any]) -> list[list[int]]:
    """The numbers of `headers` (blocks `first`, `first` + 1, ...) in consecutive groups of
    at most MAX_BLOCKS_PER_FETCH blocks and MAX_TXS_PER_FETCH transactions (a block with more
    is a group of its own). Stops at the first header missing or of another block, so a
    round always moves forward."""
    groups: list[list[int]] = []
    current: list[int] = []
    count = 0
    for number, header in enumerate(headers, start=first):
        if (not isinstance(header, dict) or _quantity(header.get("number")) != number
                or not isinstance(header.get("transactions"), list)):
            break
        txs = len(header["transactions"])
        if current and (count + txs > MAX_TXS_PER_FETCH or len(current) == MAX_BLOCKS_PER_FETCH):
            groups.append(current)
            current, count = [], 0
        current.append(number)
        count += txs
    if current:
        groups.append(current)
    return groups


def _linked(previous: BlockAPI | None, blocks: Sequence[BlockAPI]) -> list[BlockAPI]:
    """The longest prefix of `blocks` in which each block is the child of the one before it
    (the first, of `previous` if given)."""
    linked: list[BlockAPI] = []
    for block in blocks:
        parent = linked[-1] if linked else previous
        if parent is not None and (block.header.parent_hash != parent.header.hash
                                   or block.header.block_number != parent.header.block_number + 1):
            break
        linked.append(block)
    return linked


def _hash_field(answer: Any, name: str) -> bytes | None:
    """The 32-byte hash `name` ("hash", "parentHash") of a block answer; None if the answer
    is not a block or the field not a hash."""
    value = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(value, str) or len(value) != 66 or not value.startswith("0x"):
        return None
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        return None


def _quantity(value: Any) -> int | None:
    """A JSON-RPC quantity ("0x1a") as an int; None if `value` is not one."""
    if not isinstance(value, str) or not value.startswith("0x"):
        return None
    try:
        return int(value, 16)
    except ValueError:
        return None

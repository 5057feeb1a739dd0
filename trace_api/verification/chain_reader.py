"""What verification asks the chain, over plain JSON-RPC (`eth_call`, `eth_getBlockByNumber`).

Verdicts rest on these answers, never on the SQL mirror (DESIGN.md, "Trust"). The reader
speaks standard JSON-RPC through the shared client (`contracts.rpc_client`, one keep-alive
connection pool), with selectors from `contracts.abi`, so a third party can point it at
any node (ours, Besu, anvil) or at the API's read-only proxy `/v1/chain/rpc`.

Caching keeps a verification within a few milliseconds, and only immutable answers are
cached: the root anchored at a tree size (TraceAnchor only appends; a second root for a
size reverts `ConflictingRoot`), a head's block and time, the registry address, the
timestamps of settled blocks, and a member's role at such a block (state at a past block
never changes). A block is settled `SETTLED_DEPTH` blocks below the head, or at once on
a Clique chain with a single sealer (`clique_getSigners`), which cannot fork.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode

from contracts.abi import Contract, MemberRole, error_selector, function_selector
from contracts.anchored_head import AnchoredHead
from contracts.rpc_client import JsonRpcClient, RpcClientError, RpcError

__all__ = ["AnchoredHead", "CallReverted", "ChainReadError", "ChainReader", "MemberStatus"]

RPC_TIMEOUT_S = 10.0
SETTLED_DEPTH = 2
"""Blocks this deep are treated as settled for caching. Clique with one sealer never
reorganises (depth 0 then); with several, EIP-225's difficulty rule settles forks within
a few blocks."""
CACHE_ENTRIES = 65_536
"""Per cache; a root is 32 bytes, a role answer a bool: a few MB when full."""

_ROOT_AT_SIZE = function_selector(Contract.TRACE_ANCHOR, "rootAtSize")
_HEAD_INDEX_BY_SIZE = function_selector(Contract.TRACE_ANCHOR, "headIndexBySize")
_HEAD_AT = function_selector(Contract.TRACE_ANCHOR, "headAt")
_HEAD_COUNT = function_selector(Contract.TRACE_ANCHOR, "headCount")
_REGISTRY = function_selector(Contract.TRACE_ANCHOR, "registry")
_HAS_WITNESSED = function_selector(Contract.TRACE_ANCHOR, "hasWitnessed")
_UNKNOWN_TREE_SIZE = error_selector(Contract.TRACE_ANCHOR, "UnknownTreeSize")
_HAS_ROLE = function_selector(Contract.MEMBER_REGISTRY, "hasRole")
_ENTERPRISE_OF = function_selector(Contract.MEMBER_REGISTRY, "enterpriseOf")


class ChainReadError(Exception):
    """The node could not be asked (down, bad answer); not a verdict about the record."""


def decode(types: list[str], data: bytes) -> tuple[Any, ...]:
    """ABI-decode a call result; a malformed answer is a `ChainReadError`."""
    try:
        return tuple(abi_decode(types, data))
    except Exception as exc:
        raise ChainReadError(f"undecodable call result 0x{data.hex()}: {exc}") from exc


class CallReverted(Exception):
    """An `eth_call` reverted; `data` holds the revert data (custom error)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(f"call reverted with 0x{data.hex()}")
        self.data = data


@dataclass(frozen=True)
class MemberStatus:
    """Whether `account` held the enterprise role at `block_number` (state after it)."""

    account: str
    block_number: int
    block_time: int
    active: bool
    enterprise_id: str


class _Lru(LRUCache[Any, Any]):
    """`cachetools.LRUCache` of `CACHE_ENTRIES` behind a lock (it is not thread-safe)."""

    def __init__(self) -> None:
        super().__init__(maxsize=CACHE_ENTRIES)
        self.lock = threading.Lock()

    def get_value(self, key: Any) -> Any:
        with self.lock:
            return self.get(key)  # a hit becomes the most recently used

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self[key] = value


class ChainReader:
    """Reads TraceAnchor and MemberRegistry state over JSON-RPC, caching what is immutable.

    Thread-safe (one shared-client connection pool, locked caches). `close()` releases
    the connection.
    """

    def __init__(self, rpc_url: str, *, client: JsonRpcClient | None = None) -> None:
        self.rpc_url = rpc_url
        self._client = client or JsonRpcClient(rpc_url, timeout_s=RPC_TIMEOUT_S)
        self._own_client = client is None
        self._chain_id: int | None = None
        self._last_head: int | None = None
        self._settled_depth: int | None = None
        self._registry: dict[str, str] = {}
        self._roots = _Lru()
        self._heads = _Lru()
        self._block_times = _Lru()
        self._roles = _Lru()
        self._enterprise_of = _Lru()
        self._witnessed = _Lru()
        self._at_time = _Lru()

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    # ------------------------------------------------------------------ JSON-RPC

    def _rpc(self, method: str, params: list[Any]) -> Any:
        try:
            return self._client.call(method, params)
        except RpcError as exc:
            revert = exc.revert_data if method == "eth_call" else None
            if revert is not None:
                raise CallReverted(revert) from exc
            raise ChainReadError(f"{method}: {exc.code}: {exc.message}") from exc
        except RpcClientError as exc:
            raise ChainReadError(f"{method} to {self.rpc_url} failed: {exc}") from exc

    def call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        """`eth_call` of `data` on `to` at `block`; raises `CallReverted` or `ChainReadError`."""
        tag = hex(block) if isinstance(block, int) else block
        result = self._rpc("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])
        if not isinstance(result, str) or not result.startswith("0x"):
            raise ChainReadError(f"eth_call returned {result!r}")
        return bytes.fromhex(result[2:])

    def chain_id(self) -> int:
        """`eth_chainId`, asked once."""
        if self._chain_id is None:
            self._chain_id = int(self._rpc("eth_chainId", []), 16)
        return self._chain_id

    def block_number(self) -> int:
        """The node's head block number (remembered for the caching rules)."""
        head = int(self._rpc("eth_blockNumber", []), 16)
        self._last_head = head
        return head

    def settled_depth(self) -> int:
        """0 on a single-sealer Clique chain (no fork is possible), else `SETTLED_DEPTH`.

        Asked once with `clique_getSigners`; a node without it (anvil, a read-only proxy)
        gets the cautious depth.
        """
        if self._settled_depth is None:
            try:
                signers = self._rpc("clique_getSigners", ["latest"])
            except ChainReadError:
                signers = None
            single = isinstance(signers, list) and len(signers) == 1
            self._settled_depth = 0 if single else SETTLED_DEPTH
        return self._settled_depth

    def block_time(self, number: int, head: int | None = None) -> int | None:
        """Timestamp of block `number`, None if the node has no such block yet."""
        cached = self._block_times.get_value(number)
        if cached is not None:
            return int(cached)
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if block is None:
            return None
        timestamp = int(block["timestamp"], 16)
        if head is not None and number <= head - self.settled_depth():
            self._block_times.put(number, timestamp)
        return timestamp

    # ------------------------------------------------------------------ TraceAnchor

    def registry(self, trace_anchor: str) -> str:
        """The MemberRegistry a TraceAnchor consults (immutable in the contract)."""
        address = self._registry.get(trace_anchor)
        if address is None:
            (raw,) = decode(["address"], self.call(trace_anchor, _REGISTRY))
            address = str(raw)
            self._registry[trace_anchor] = address
        return address

    def _by_size(self, trace_anchor: str, selector: bytes, result_type: str, tree_size: int) -> Any:
        """TraceAnchor's `selector(treeSize)` decoded as `result_type`; None when no head of
        that size is anchored (it reverts `UnknownTreeSize`)."""
        try:
            (value,) = decode([result_type], self.call(trace_anchor, selector + encode(["uint64"], [tree_size])))
        except CallReverted as exc:
            if exc.data[:4] == _UNKNOWN_TREE_SIZE:
                return None
            raise
        return value

    def _head_at(self, trace_anchor: str, head_index: int) -> AnchoredHead:
        """`TraceAnchor.headAt(headIndex)`."""
        tree_head = decode(
            ["(uint64,uint64,uint64,bytes32)"],
            self.call(trace_anchor, _HEAD_AT + encode(["uint256"], [head_index])),
        )[0]
        return AnchoredHead.from_tree_head(head_index, tree_head)

    def anchored_head(self, trace_anchor: str, tree_size: int) -> AnchoredHead | None:
        """The head anchored at exactly `tree_size`, or None if none is (yet)."""
        key = (trace_anchor, tree_size)
        cached = self._heads.get_value(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        head_index = self._by_size(trace_anchor, _HEAD_INDEX_BY_SIZE, "uint256", tree_size)
        if head_index is None:
            return None
        head = self._head_at(trace_anchor, int(head_index))
        self._heads.put(key, head)
        return head

    def latest_anchored_head(self, trace_anchor: str) -> AnchoredHead | None:
        """The newest anchored head (`headAt(headCount() - 1)`), None before the first.

        Not cached: it changes with every anchor. Heads only append, so the head read is
        one the count promised even if another was anchored between the two calls.
        """
        (count,) = decode(["uint256"], self.call(trace_anchor, _HEAD_COUNT))
        return None if count == 0 else self._head_at(trace_anchor, int(count) - 1)

    def root_at_size(self, trace_anchor: str, tree_size: int) -> bytes | None:
        """`TraceAnchor.rootAtSize(treeSize)`; None when no head of that size is anchored."""
        key = (trace_anchor, tree_size)
        cached = self._roots.get_value(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        root = self._by_size(trace_anchor, _ROOT_AT_SIZE, "bytes32", tree_size)
        if root is None:
            return None
        self._roots.put(key, bytes(root))
        return bytes(root)

    def has_witnessed(self, trace_anchor: str, head_index: int, witness: str) -> bool:
        """`TraceAnchor.hasWitnessed(headIndex, witness)`; a true answer never changes."""
        key = (trace_anchor, head_index, witness.lower())
        if self._witnessed.get_value(key):
            return True
        (result,) = decode(
            ["bool"],
            self.call(trace_anchor, _HAS_WITNESSED + encode(["uint256", "address"], [head_index, witness])),
        )
        if result:
            self._witnessed.put(key, True)
        return bool(result)

    # ------------------------------------------------------------------ MemberRegistry

    def block_at_time(
        self, timestamp: int, *, hint: Callable[[int], int | None] | None = None
    ) -> tuple[int, int] | None:
        """(number, time) of the last block with time <= `timestamp`; None if even block 0
        is later. `hint(timestamp)` may guess the number (e.g. from the SQL mirror); the
        guess is only used once the chain confirms it (its time <= timestamp < the next
        block's time), else a binary search over `eth_getBlockByNumber` decides."""
        cached = self._at_time.get_value(timestamp)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        head = self._last_head if self._last_head is not None else self.block_number()
        found = self._confirmed_hint(timestamp, hint, head) if hint is not None else None
        if found is None:
            head = self.block_number()
            found = self._search(timestamp, head)
        if found is not None and self._answer_settled(found, timestamp, head):
            self._at_time.put(timestamp, found)
        return found

    def _answer_settled(self, found: tuple[int, int], timestamp: int, head: int) -> bool:
        """Can no later block change "the last block with time <= timestamp"?

        Yes once the block after it is settled (its time is > timestamp), or once the
        answer itself is settled and its time equals `timestamp`: block times strictly
        increase (Yellow Paper: H_s > P(H)_s), so no later block can have that time.
        """
        number, block_time = found
        depth = self.settled_depth()
        needed = number if block_time == timestamp else number + 1
        if needed > head - depth:
            head = self.block_number()  # the remembered head may be stale: ask once
        return needed <= head - depth

    def _confirmed_hint(
        self, timestamp: int, hint: Callable[[int], int | None], head: int
    ) -> tuple[int, int] | None:
        guess = hint(timestamp)
        if guess is None or not 0 <= guess < head:
            return None
        guess_time = self.block_time(guess, head)
        next_time = self.block_time(guess + 1, head)
        if guess_time is None or next_time is None:
            return None
        if guess_time <= timestamp < next_time:
            return guess, guess_time
        return None

    def _search(self, timestamp: int, head: int) -> tuple[int, int] | None:
        head_time = self.block_time(head, head)
        if head_time is None:
            raise ChainReadError(f"the node has no block {head}, its own head")
        if head_time <= timestamp:
            return head, head_time
        first_time = self.block_time(0, head)
        if first_time is None or first_time > timestamp:
            return None
        low, high = 0, head
        while high - low > 1:  # time(low) <= timestamp < time(high)
            middle = (low + high) // 2
            middle_time = self.block_time(middle, head)
            if middle_time is not None and middle_time <= timestamp:
                low = middle
            else:
                high = middle
        low_time = self.block_time(low, head)
        assert low_time is not None
        return low, low_time

    def member_status_at(
        self, trace_anchor: str, account: str, timestamp: int, *,
        hint: Callable[[int], int | None] | None = None,
    ) -> MemberStatus | None:
        """Was `account` an active enterprise signing key (its enterprise not suspended or
        revoked, the key not rotated away) after the last block with time <= `timestamp`?

        Asks `MemberRegistry.hasRole(account, Enterprise)` by `eth_call` at that block.
        None when the chain has no block that early.
        """
        found = self.block_at_time(timestamp, hint=hint)
        if found is None:
            return None
        block_number, block_time = found
        registry = self.registry(trace_anchor)
        key = (registry, account.lower(), block_number)
        active = self._roles.get_value(key)
        if active is None:
            (result,) = decode(
                ["bool"],
                self.call(registry, _HAS_ROLE + encode(["address", "uint8"], [account, MemberRole.ENTERPRISE]),
                          block_number),
            )
            active = bool(result)
            settled = self._last_head is not None and (
                block_number <= self._last_head - self.settled_depth())
            if settled:
                self._roles.put(key, active)
        return MemberStatus(account, block_number, block_time, bool(active),
                            self.enterprise_of(registry, account))

    def enterprise_of(self, registry: str, account: str) -> str:
        """`MemberRegistry.enterpriseOf(account)` as 0x-hex; set once per address, ever."""
        key = (registry, account.lower())
        cached = self._enterprise_of.get_value(key)
        if cached is not None:
            return str(cached)
        (raw,) = decode(["bytes32"], self.call(registry, _ENTERPRISE_OF + encode(["address"], [account])))
        enterprise_id = "0x" + bytes(raw).hex()
        if any(raw):
            self._enterprise_of.put(key, enterprise_id)
        return enterprise_id

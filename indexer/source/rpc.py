"""The indexer's policy over the shared JSON-RPC client (`contracts.rpc_client`): bounded
retries, batches that shrink when a node refuses them, and node errors sorted into the
indexer's retryable and permanent errors.

Only standard Ethereum JSON-RPC is used, so the indexer runs unchanged against anvil,
Besu, geth or the project's own node.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from contracts.rpc_client import (
    JsonRpcClient,
    RpcBatchRefused,
    RpcMalformedAnswer,
    RpcResponseTooLarge,
    RpcTimeout,
    RpcTransportError,
)
from contracts.rpc_client import (
    RpcError as NodeRpcError,
)
from indexer.errors import (
    MalformedNodeDataError,
    NodeUnavailableError,
    RangeTooLargeError,
    RpcError,
    RpcRequestError,
)

logger = logging.getLogger(__name__)

#: Phrases nodes use when an eth_getLogs range is too wide or returns too much
#: (geth/anvil "query returned more than 10000 results", Besu "exceeds maximum",
#: Alchemy/Infura "block range is too wide", "limit exceeded", "response size").
_RANGE_PHRASES = (
    "range",
    "too many",
    "too large",
    "more than",
    "exceed",
    "limit",
    "response size",
    "timeout",
    "timed out",
)
#: JSON-RPC codes that mean "limit exceeded" (EIP-1474 -32005) or server busy.
_RANGE_CODES = frozenset({-32005})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: `attempts` tries, pauses base*2^k capped at `max_delay_s`."""

    attempts: int = 6
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Pause after failed attempt number `attempt` (0-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * (2**attempt)))


class RetryingRpcClient:
    """The shared `JsonRpcClient` with the indexer's retries and error classes.

    Promises: a returned result is the node's `result` member; a node-side error raises
    an `RpcError` subclass (`RangeTooLargeError` for eth_getLogs limits); a transport
    failure is retried per `retry` and then raises `NodeUnavailableError`.
    """

    def __init__(
        self,
        url: str,
        *,
        retry: RetryPolicy | None = None,
        timeout_s: float = 30.0,
        max_batch_size: int = 200,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.retry = retry or RetryPolicy()
        self.max_batch_size = max_batch_size
        self._rpc = JsonRpcClient(url, timeout_s=timeout_s, transport=transport)
        self._batches_supported = True

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._rpc.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call `method` once (with transport retries) and return its result."""
        return self._retrying(method, lambda: self._rpc.call(method, params))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Call every (method, params) and return the results in the same order.

        Sends JSON-RPC batches of at most `max_batch_size`; if the node refuses batches
        (or a batch of that size), halves the size, down to single calls.
        """
        results: list[Any] = []
        position = 0
        while position < len(calls):
            chunk = calls[position : position + self.max_batch_size]
            if not self._batches_supported or len(chunk) == 1:
                results.extend(self.call(method, params) for method, params in chunk)
            else:
                try:
                    results.extend(self._batch_with_retries(chunk))
                except RpcBatchRefused as refused:
                    smaller = max(1, self.max_batch_size // 2)
                    logger.warning(
                        "node refused a batch of %d (%s); using batches of %d",
                        len(chunk),
                        refused,
                        smaller,
                    )
                    if self.max_batch_size == 1:
                        self._batches_supported = False
                    self.max_batch_size = smaller
                    continue
            position += len(chunk)
        return results

    # ------------------------------------------------------------------ internals

    def _batch_with_retries(self, chunk: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        return list(self._retrying(f"batch of {len(chunk)} {chunk[0][0]}",
                                   lambda: self._rpc.batch(chunk)))

    def _retrying(self, label: str, send: Callable[[], Any]) -> Any:
        last_problem = ""
        for attempt in range(self.retry.attempts):
            try:
                return send()
            except NodeRpcError as exc:
                raise classify_error(exc.method, exc.code, exc.message, exc.data) from exc
            except (RpcMalformedAnswer, RpcResponseTooLarge) as exc:
                raise MalformedNodeDataError(str(exc)) from exc
            except RpcTimeout as exc:
                if label == "eth_getLogs":
                    # A node that cannot answer a wide range in time: split it instead of
                    # asking the same range again.
                    raise RangeTooLargeError("eth_getLogs", 0, f"read timeout: {exc}") from exc
                last_problem = str(exc)
            except RpcTransportError as exc:
                last_problem = str(exc)
            if attempt + 1 < self.retry.attempts:
                pause = self.retry.delay(attempt)
                logger.warning(
                    "node %s: %s failed (%s); retry %d/%d in %.1fs",
                    self.url,
                    label,
                    last_problem,
                    attempt + 1,
                    self.retry.attempts - 1,
                    pause,
                )
                time.sleep(pause)
        raise NodeUnavailableError(
            f"node {self.url} unavailable: {label} failed {self.retry.attempts} times ({last_problem})"
        )


def classify_error(method: str, code: int, message: str, data: object = None) -> RpcError:
    """Map a JSON-RPC error to `RangeTooLargeError` (eth_getLogs limits) or `RpcRequestError`."""
    lowered = message.lower()
    if method == "eth_getLogs" and (
        code in _RANGE_CODES or any(phrase in lowered for phrase in _RANGE_PHRASES)
    ):
        return RangeTooLargeError(method, code, message, data)
    return RpcRequestError(method, code, message, data)

"""A small JSON-RPC 2.0 client over HTTP: single and batched calls, bounded retries.

Only standard Ethereum JSON-RPC is used, so the indexer runs unchanged against anvil,
Besu, geth or the project's own node.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

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
#: HTTP statuses worth retrying: rate limiting and server-side failures.
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff: `attempts` tries, pauses base*2^k capped at `max_delay_s`."""

    attempts: int = 6
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0

    def delay(self, attempt: int) -> float:
        """Pause after failed attempt number `attempt` (0-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * (2**attempt)))


class JsonRpcClient:
    """JSON-RPC over HTTP POST. Thread-unsafe; one per thread.

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
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout_s, transport=transport)
        self._batches_supported = True

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call `method` once (with transport retries) and return its result."""
        request = {
            "jsonrpc": "2.0",
            "id": next(self._ids),
            "method": method,
            "params": list(params),
        }
        answer = self._post(request, label=method)
        if not isinstance(answer, dict):
            raise MalformedNodeDataError(f"{method}: answer is not a JSON object: {answer!r:.200}")
        return _result_of(method, answer)

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
                    results.extend(self._batch_once(chunk))
                except _BatchRefused as refused:
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

    def _batch_once(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        requests = [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
            for method, params in calls
        ]
        answer = self._post(requests, label=f"batch of {len(requests)} {calls[0][0]}")
        if isinstance(answer, dict):  # one error object for the whole batch
            error = answer.get("error") or {}
            raise _BatchRefused(f"{error.get('code')}: {error.get('message')}")
        if not isinstance(answer, list) or len(answer) != len(requests):
            raise _BatchRefused(
                f"answer has {len(answer) if isinstance(answer, list) else '?'} "
                f"items for {len(requests)} requests"
            )
        by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
        results = []
        for request in requests:
            item = by_id.get(request["id"])
            if item is None:
                raise MalformedNodeDataError(f"batch answer lacks id {request['id']}")
            results.append(_result_of(str(request["method"]), item))
        return results

    def _post(self, payload: Any, *, label: str) -> Any:
        last_problem = ""
        for attempt in range(self.retry.attempts):
            try:
                response = self._http.post(self.url, json=payload)
            except httpx.ReadTimeout as exc:
                if label == "eth_getLogs":
                    # A node that cannot answer a wide range in time: split it instead of
                    # asking the same range again.
                    raise RangeTooLargeError("eth_getLogs", 0, f"read timeout: {exc}") from exc
                last_problem = f"{type(exc).__name__}: {exc}"
            except httpx.TransportError as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in _RETRY_STATUSES:
                    last_problem = f"HTTP {response.status_code}"
                else:
                    try:
                        return response.json()
                    except ValueError as exc:
                        if response.status_code != 200:
                            last_problem = f"HTTP {response.status_code}"
                        else:
                            raise MalformedNodeDataError(
                                f"{label}: answer is not JSON: {response.text[:200]!r}"
                            ) from exc
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


class _BatchRefused(Exception):
    """The node would not answer this batch as a batch."""


def _result_of(method: str, answer: dict[str, Any]) -> Any:
    error = answer.get("error")
    if error is not None:
        code = int(error.get("code", 0)) if isinstance(error, dict) else 0
        message = str(error.get("message", error)) if isinstance(error, dict) else str(error)
        data = error.get("data") if isinstance(error, dict) else None
        raise classify_error(method, code, message, data)
    if "result" not in answer:
        raise MalformedNodeDataError(f"{method}: answer has neither result nor error")
    return answer["result"]


def classify_error(method: str, code: int, message: str, data: object = None) -> RpcError:
    """Map a JSON-RPC error to `RangeTooLargeError` (eth_getLogs limits) or `RpcRequestError`."""
    lowered = message.lower()
    if method == "eth_getLogs" and (
        code in _RANGE_CODES or any(phrase in lowered for phrase in _RANGE_PHRASES)
    ):
        return RangeTooLargeError(method, code, message, data)
    return RpcRequestError(method, code, message, data)

"""One small JSON-RPC 2.0 client over HTTP (httpx) for every reader of the chain.

Used by the indexer (with its retry and batch-splitting policy on top), verification's
chain reader, the follower, the API's read-only proxy and the benches. It lives in
`contracts`, the lowest layer all of them already import, and speaks only standard
JSON-RPC 2.0, so it works against our node, anvil, Besu or geth.

Promises:
- `call` returns the answer's `result` member; a JSON-RPC error object raises `RpcError`
  (code, message, data; `revert_data` for an `eth_call` revert).
- The node not answering (connection refused, timeout, an HTTP status that means "try
  later", a non-JSON error page) raises `RpcTransportError` (`RpcTimeout` for timeouts),
  never an httpx exception; an answer that is JSON but not JSON-RPC raises
  `RpcMalformedAnswer`; an answer longer than `max_response_bytes` raises
  `RpcResponseTooLarge` before more of it is read.
- No retries: a caller that wants them (the indexer) says how, around this client.
- Thread-safe: one `httpx.Client` (keep-alive), request ids from an atomic counter.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any, Self

import httpx

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT_S",
    "JsonRpcClient",
    "RpcBatchRefused",
    "RpcClientError",
    "RpcError",
    "RpcMalformedAnswer",
    "RpcResponseTooLarge",
    "RpcTimeout",
    "RpcTransportError",
]

DEFAULT_TIMEOUT_S = 10.0
"""Per request; a node that takes longer is treated as not answering."""
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""A batch of 200 full blocks or 10,000 logs stays well below this; a larger answer is a
misbehaving node, and reading it whole would let it exhaust our memory."""
RETRY_LATER_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses that say the node (or a proxy before it) cannot answer now."""


class RpcClientError(Exception):
    """Base class of what `JsonRpcClient` raises."""


class RpcTransportError(RpcClientError):
    """The node did not answer the request (down, refused, timed out, HTTP failure)."""


class RpcTimeout(RpcTransportError):
    """The node did not answer within the client's timeout."""


class RpcMalformedAnswer(RpcClientError):
    """The node answered, but not with JSON-RPC 2.0 (not JSON, no result nor error, ...)."""


class RpcResponseTooLarge(RpcClientError):
    """The answer is longer than the client's `max_response_bytes`."""


class RpcBatchRefused(RpcClientError):
    """The node would not answer a batch as a batch (one error object, wrong length)."""


class RpcError(RpcClientError):
    """The node answered a request with a JSON-RPC error object."""

    def __init__(self, method: str, code: int, message: str, data: object = None) -> None:
        super().__init__(f"{method}: JSON-RPC error {code}: {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data

    @property
    def revert_data(self) -> bytes | None:
        """The revert payload of an `eth_call`/`eth_estimateGas` (geth, anvil and our node
        put it in `data` as 0x-hex), or None."""
        data = self.data
        if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return bytes.fromhex(data[2:])
            except ValueError:
                return None
        return None


class JsonRpcClient:
    """JSON-RPC 2.0 over HTTP POST to `url` (see the module docstring for its promises)."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.max_response_bytes = max_response_bytes
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call `method` with `params` and return its result."""
        answer = self.post(self.request(method, params), label=method)
        if not isinstance(answer, dict):
            raise RpcMalformedAnswer(f"{method}: answer is not a JSON object: {answer!r:.200}")
        return result_of(method, answer)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send every (method, params) as one JSON-RPC batch; the results in call order.

        Raises `RpcBatchRefused` when the node does not answer it as a batch, and the
        first item's `RpcError` if any item failed.
        """
        if not calls:
            return []
        requests = [self.request(method, params) for method, params in calls]
        answer = self.post(requests, label=f"batch of {len(requests)} {calls[0][0]}")
        if isinstance(answer, dict):  # one error object for the whole batch
            error = answer.get("error") or {}
            code, message = (error.get("code"), error.get("message")) if isinstance(
                error, dict) else (None, error)
            raise RpcBatchRefused(f"{code}: {message}")
        if not isinstance(answer, list) or len(answer) != len(requests):
            raise RpcBatchRefused(
                f"answer has {len(answer) if isinstance(answer, list) else '?'} "
                f"items for {len(requests)} requests")
        by_id = {item.get("id"): item for item in answer if isinstance(item, dict)}
        results = []
        for request in requests:
            item = by_id.get(request["id"])
            if item is None:
                raise RpcMalformedAnswer(f"batch answer lacks id {request['id']}")
            results.append(result_of(str(request["method"]), item))
        return results

    def request(self, method: str, params: Sequence[Any] = ()) -> dict[str, Any]:
        """A JSON-RPC 2.0 request object with a fresh id."""
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method,
                "params": list(params)}

    def post(self, payload: Any, *, label: str = "request") -> Any:
        """POST `payload` (a request, a batch, or anything a proxy forwards) and return the
        decoded JSON answer, read up to `max_response_bytes`."""
        try:
            with self._http.stream("POST", self.url, json=payload) as response:
                if response.status_code in RETRY_LATER_STATUSES:
                    raise RpcTransportError(f"{label} to {self.url}: HTTP {response.status_code}")
                body = self._read_bounded(response, label)
        except httpx.TimeoutException as exc:
            raise RpcTimeout(f"{label} to {self.url}: {type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            raise RpcTransportError(
                f"{label} to {self.url}: {type(exc).__name__}: {exc}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            if response.status_code != 200:  # an error page from something before the node
                raise RpcTransportError(
                    f"{label} to {self.url}: HTTP {response.status_code}") from exc
            raise RpcMalformedAnswer(f"{label}: answer is not JSON: {body[:200]!r}") from exc

    def _read_bounded(self, response: httpx.Response, label: str) -> bytes:
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_response_bytes:
            raise RpcResponseTooLarge(
                f"{label}: answer of {declared} bytes exceeds {self.max_response_bytes}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self.max_response_bytes:
                raise RpcResponseTooLarge(
                    f"{label}: answer exceeds {self.max_response_bytes} bytes")
        return bytes(body)


def result_of(method: str, answer: dict[str, Any]) -> Any:
    """The `result` of one JSON-RPC answer object; its error as `RpcError`."""
    error = answer.get("error")
    if error is not None:
        if isinstance(error, dict):
            code = error.get("code", 0)
            raise RpcError(method, int(code) if isinstance(code, int) else 0,
                           str(error.get("message", error)), error.get("data"))
        raise RpcError(method, 0, str(error))
    if "result" not in answer:
        raise RpcMalformedAnswer(f"{method}: answer has neither result nor error")
    return answer["result"]

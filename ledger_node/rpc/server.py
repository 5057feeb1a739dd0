"""JSON-RPC 2.0 over HTTP (with batches) and WebSocket (with eth_subscribe) on one port.

Limits: a request body or WebSocket message of at most MAX_REQUEST_BYTES (geth: 5 MiB),
nested at most MAX_JSON_DEPTH deep (checked before parsing: issue 13), at most
MAX_BATCH_ITEMS calls per batch (geth: 1,000), MAX_WS_CONNECTIONS WebSockets at once.
Host, Origin and Content-Type are checked first (`ledger_node/rpc/guards.py`).
Browsers on any other origin may read (issue 15: a regulator's scan page checks records
against its own node; anvil allows the same): `BrowserReads` answers their CORS preflight
and lets through HTTP POSTs whose every call is in `BROWSER_READ_METHODS`, with
`Access-Control-Allow-Origin: *` and no credentials; a write (`eth_sendRawTransaction`,
filter installs) or a WebSocket from such an origin is still refused (403).
Administrative methods (Clique votes) are not served here, only on the admin socket
(`ledger_node/rpc/admin.py`): -32601 on this port. eth_call and eth_estimateGas run in
worker threads under a deadline (`ledger_node/execution.py`), never on the event loop.
Errors follow JSON-RPC 2.0 / EIP-1474:
-32700 parse error, -32600 invalid request, -32601 no such method, -32602 bad params,
-32603 internal, -32000 family for rejected transactions and state errors, 3 for reverts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from anchoring.core.errors import JsonTooDeepError
from anchoring.core.json_depth import MAX_JSON_DEPTH, check_json_depth
from ledger_node.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RpcError,
    invalid_params,
)
from ledger_node.node import LedgerNode
from ledger_node.rpc import format as fmt
from ledger_node.rpc.guards import RequestGuard, content_type_allowed
from ledger_node.rpc.methods import OFFLOADED_METHODS, EthApi
from ledger_node.sealer import SealedBlock

logger = logging.getLogger(__name__)

ADMIN_ONLY_METHODS = frozenset({"clique_propose", "clique_discard"})
"""Refused on this port (-32601): served only on the admin socket (`rpc/admin.py`)."""
MAX_REQUEST_BYTES = 5 * 1024 * 1024
MAX_BATCH_ITEMS = 1_000
MAX_SUBSCRIPTIONS_PER_CONNECTION = 100
WS_QUEUE_LIMIT = 10_000  # notifications buffered per slow WebSocket client before it is cut
# Each WebSocket holds a task, a queue of up to WS_QUEUE_LIMIT notifications and a block
# listener run on every block: bounded so a local process cannot exhaust the node with them.
MAX_WS_CONNECTIONS = 128
# eth_call / eth_estimateGas run in this many worker threads at most; the event loop (and
# so admission, every other RPC and the block producer) never waits for one.
CALL_CONCURRENCY = 2
# A call waits at most this long for a free worker, then gets -32005 instead of queueing
# without bound behind slow calls.
CALL_QUEUE_WAIT_S = 2.0
WS_CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455 §7.4.1 / IANA registry


BROWSER_READ_METHODS = frozenset({
    "web3_clientVersion", "web3_sha3", "net_version", "net_listening", "net_peerCount",
    "eth_chainId", "eth_syncing", "eth_blockNumber", "eth_gasPrice", "eth_maxPriorityFeePerGas",
    "eth_feeHistory", "eth_accounts", "clique_getSigners", "clique_getSignersAtHash",
    "clique_getProposals", "eth_getBalance", "eth_getTransactionCount", "eth_getCode",
    "eth_getStorageAt", "eth_call", "eth_estimateGas", "eth_getTransactionByHash",
    "eth_getTransactionReceipt", "eth_getBlockByNumber", "eth_getBlockByHash",
    "eth_getBlockTransactionCountByNumber", "eth_getBlockTransactionCountByHash", "eth_getLogs",
})
"""What a page on an origin not configured with `--cors-origin` may call: reads that leave
no state behind (no transactions, no filters kept for it)."""
PREFLIGHT_MAX_AGE_S = 600


def _error(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


class RpcDispatcher:
    """Turns parsed JSON-RPC messages into responses over a method table.

    Methods named in `offloaded` run in a worker thread (at most CALL_CONCURRENCY at once);
    the others are quick reads and run on the event loop."""

    def __init__(
        self, methods: dict[str, Any], offloaded: frozenset[str] = frozenset(),
        refused: frozenset[str] = frozenset(),
    ) -> None:
        self.methods = methods
        self.offloaded = offloaded
        self.refused = refused  # served elsewhere (the admin socket): -32601 here
        self._slots: asyncio.Semaphore | None = None
        self._workers: ThreadPoolExecutor | None = None

    def parse(self, body: bytes | str) -> tuple[Any, Any]:
        """(payload, None) for a JSON text nested at most MAX_JSON_DEPTH deep, else
        (None, error response). The depth check runs before the (recursive) parser."""
        try:
            check_json_depth(body)
        except JsonTooDeepError:
            return None, _error(None, RpcError(
                INVALID_REQUEST, f"request too deeply nested (limit {MAX_JSON_DEPTH})"))
        try:
            return json.loads(body), None
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None, _error(None, RpcError(PARSE_ERROR, "parse error"))

    async def handle_payload(self, payload: Any, extra: dict[str, Any] | None = None) -> Any:
        """Answer a parsed request or batch; None when nothing is to be sent (notifications)."""
        if isinstance(payload, list):
            if not payload:
                return _error(None, RpcError(INVALID_REQUEST, "empty batch"))
            if len(payload) > MAX_BATCH_ITEMS:
                return _error(None, RpcError(
                    INVALID_REQUEST, f"batch too large (limit {MAX_BATCH_ITEMS} requests)"))
            responses = [await self.handle_one(item, extra) for item in payload]
            return [r for r in responses if r is not None] or None
        return await self.handle_one(payload, extra)

    async def handle_one(self, message: Any, extra: dict[str, Any] | None = None) -> Any:
        """Answer one request object (None for a valid notification)."""
        if not isinstance(message, dict):
            return _error(None, RpcError(INVALID_REQUEST, "invalid request: not an object"))
        request_id = message.get("id")
        if request_id is not None and not isinstance(request_id, (str, int, float)):
            return _error(None, RpcError(INVALID_REQUEST, "invalid request: bad id"))
        method = message.get("method")
        if message.get("jsonrpc") != "2.0" or not isinstance(method, str):
            return _error(request_id, RpcError(INVALID_REQUEST, "invalid request"))
        params = message.get("params", [])
        try:
            if params is None:
                params = []
            if not isinstance(params, list):
                raise invalid_params("params must be an array")
            handler = (extra or {}).get(method) or (
                None if method in self.refused else self.methods.get(method))
            if handler is None:
                raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
            if method in self.offloaded:
                result = await self._run_in_worker(handler, params)
            else:
                result = handler(params)
        except RpcError as exc:
            response = _error(request_id, exc)
        except (KeyError, TypeError, ValueError) as exc:
            response = _error(request_id, invalid_params(f"invalid params: {exc}"))
        except Exception:
            logger.exception("internal error in %s", method)
            response = _error(request_id, RpcError(INTERNAL_ERROR, "internal error"))
        else:
            response = {"jsonrpc": "2.0", "id": request_id, "result": result}
        return None if "id" not in message else response

    async def _run_in_worker(self, handler: Any, params: list[Any]) -> Any:
        # The handler enforces its own wall-clock limit inside the thread (an execution
        # deadline), so a slot is never held longer than that limit.
        if self._slots is None:
            self._slots = asyncio.Semaphore(CALL_CONCURRENCY)
            self._workers = ThreadPoolExecutor(CALL_CONCURRENCY, thread_name_prefix="rpc-call")
        try:
            await asyncio.wait_for(self._slots.acquire(), CALL_QUEUE_WAIT_S)
        except TimeoutError:
            raise RpcError(LIMIT_EXCEEDED, "too many concurrent calls, try again") from None
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._workers, handler, params)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Release the worker threads."""
        if self._workers is not None:
            self._workers.shutdown(wait=False, cancel_futures=True)


async def _read_limited(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status,
        media_type="application/json",
    )


class Subscriptions:
    """eth_subscribe state of one WebSocket connection."""

    def __init__(self, api: EthApi) -> None:
        self.api = api
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(WS_QUEUE_LIMIT)
        self.active: dict[str, tuple[str, Any]] = {}  # id -> (kind, LogFilter | None)
        self.overflowed = False

    def subscribe(self, params: list[Any]) -> str:
        if not params or params[0] not in ("newHeads", "logs"):
            raise invalid_params("unsupported subscription (newHeads, logs)")
        if len(self.active) >= MAX_SUBSCRIPTIONS_PER_CONNECTION:
            raise RpcError(-32005, "too many subscriptions")
        kind = params[0]
        criteria = None
        if kind == "logs":
            obj = dict(params[1]) if len(params) > 1 and params[1] else {}
            obj.pop("fromBlock", None)
            obj.pop("toBlock", None)
            criteria = self.api.resolve_log_filter(obj)
        subscription_id = fmt.quantity(secrets.randbits(128))
        self.active[subscription_id] = (kind, criteria)
        return subscription_id

    def unsubscribe(self, params: list[Any]) -> bool:
        if len(params) != 1:
            raise invalid_params("expected 1 param")
        return self.active.pop(params[0], None) is not None

    def on_block(self, sealed: SealedBlock) -> None:
        header = sealed.header
        head_json: dict[str, Any] | None = None
        for subscription_id, (kind, criteria) in list(self.active.items()):
            if kind == "newHeads":
                if head_json is None:
                    row = self.api.store.block_by_number(header.block_number)
                    assert row is not None
                    head_json = fmt.header_json(header, row)
                    head_json.pop("uncles", None)
                self._push(subscription_id, head_json)
            else:
                for log in sealed.logs:
                    if criteria.matches(log):
                        self._push(subscription_id, fmt.log_json(log, header.hash))

    def _push(self, subscription_id: str, result: Any) -> None:
        message = {
            "jsonrpc": "2.0", "method": "eth_subscription",
            "params": {"subscription": subscription_id, "result": result},
        }
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class BrowserReads:
    """ASGI middleware: read-only JSON-RPC for browsers on origins not in `cors_origins`.

    Requests without Origin, or from a configured origin, pass untouched (the guard and
    `CORSMiddleware` handle them). From any other origin: a CORS preflight for POST with
    at most the Content-Type header is answered 204; a POST to `/` whose body is a call or
    batch of calls all in `BROWSER_READ_METHODS` is served as if it had no Origin (Host
    and Content-Type are still checked) with `Access-Control-Allow-Origin: *`; anything
    else goes on with its Origin, so the guard refuses it (403).
    """

    def __init__(self, app: Any, *, cors_origins: Sequence[str]) -> None:
        self.app = app
        self.cors_origins = frozenset(origin.rstrip("/") for origin in cors_origins)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        origin = _header(scope, b"origin") if scope["type"] == "http" else None
        if (origin is None or "*" in self.cors_origins
                or origin.rstrip("/") in self.cors_origins or scope["path"] != "/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, receive, send)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive, MAX_REQUEST_BYTES)
        replay = _replay(body, more, receive)
        if more or not _only_reads(body):
            await self.app(scope, replay, send)  # the guard refuses the foreign Origin
            return
        headers = [(name, value) for name, value in scope["headers"] if name.lower() != b"origin"]

        async def send_with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"access-control-allow-origin", b"*")]}
            await send(message)

        await self.app({**scope, "headers": headers}, replay, send_with_cors)

    async def _preflight(self, scope: Any, receive: Any, send: Any) -> None:
        method = (_header(scope, b"access-control-request-method") or "").upper()
        asked = {name.strip().lower() for name in
                 (_header(scope, b"access-control-request-headers") or "").split(",") if name.strip()}
        if method != "POST" or not asked <= {"content-type"}:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 204, "headers": [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"POST"),
            (b"access-control-allow-headers", b"content-type"),
            (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_S).encode()),
            (b"vary", b"Access-Control-Request-Headers")]})
        await send({"type": "http.response.body", "body": b""})


def _header(scope: Any, name: bytes) -> str | None:
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == name:
            return bytes(raw_value).decode("latin-1")
    return None


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    """The request body up to `limit` bytes, and whether more was left unread."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), False
        chunk = message.get("body", b"")
        size += len(chunk)
        parts.append(chunk)
        if size > limit:
            return b"".join(parts), True
        if not message.get("more_body", False):
            return b"".join(parts), False


def _replay(body: bytes, more: bool, receive: Any) -> Any:
    """A `receive` that hands the app `body` first, then the rest of the stream."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


def _only_reads(body: bytes) -> bool:
    """True if `body` is a JSON-RPC call, or a non-empty batch, naming only browser reads."""
    try:
        check_json_depth(body, MAX_JSON_DEPTH)
        payload = json.loads(body)
    except (JsonTooDeepError, ValueError):
        return False
    calls = payload if isinstance(payload, list) else [payload]
    return bool(calls) and all(isinstance(call, dict) and call.get("method") in BROWSER_READ_METHODS
                               for call in calls)


def create_app(
    node: LedgerNode, cors_origins: Sequence[str] = (), *, allowed_hosts: Sequence[str] = (),
) -> Starlette:
    """The ASGI app serving `node`'s public RPC; its lifespan runs the block producer.

    Browsers on `cors_origins` (geth's --http.corsdomain) may call it; any other Origin is
    refused (403). Host must be loopback or one of `allowed_hosts` (geth's --http.vhosts,
    include the listen host; "*" allows any) (403). See `ledger_node/rpc/guards.py`."""
    api = EthApi(node)
    dispatcher = RpcDispatcher(api.methods, offloaded=OFFLOADED_METHODS,
                               refused=ADMIN_ONLY_METHODS)
    ws_connections = 0

    async def http_endpoint(request: Request) -> Response:
        if not content_type_allowed(request.headers.get("content-type")):
            return _json_response(_error(None, RpcError(
                INVALID_REQUEST, "invalid content type, only application/json is supported")), 415)
        body = await _read_limited(request)
        if body is None:
            return _json_response(_error(None, RpcError(
                INVALID_REQUEST, f"request too large (limit {MAX_REQUEST_BYTES} bytes)")), 413)
        payload, problem = dispatcher.parse(body)
        if problem is not None:
            return _json_response(problem)
        response = await dispatcher.handle_payload(payload)
        if response is None:
            return Response(status_code=200)
        return _json_response(response)

    async def ws_endpoint(websocket: WebSocket) -> None:
        nonlocal ws_connections
        await websocket.accept()
        if ws_connections >= MAX_WS_CONNECTIONS:
            await websocket.close(
                code=WS_CLOSE_TRY_AGAIN_LATER,
                reason=f"too many connections (limit {MAX_WS_CONNECTIONS})")
            return
        ws_connections += 1
        try:
            await _serve_websocket(websocket)
        finally:
            ws_connections -= 1

    async def _serve_websocket(websocket: WebSocket) -> None:
        subscriptions = Subscriptions(api)
        extra = {"eth_subscribe": subscriptions.subscribe,
                 "eth_unsubscribe": subscriptions.unsubscribe}
        node.listeners.append(subscriptions.on_block)

        async def pump() -> None:
            while True:
                message = await subscriptions.queue.get()
                if subscriptions.overflowed:
                    await websocket.close(code=1008, reason="subscriber too slow")
                    return
                await websocket.send_text(json.dumps(message))

        pump_task = asyncio.create_task(pump())
        try:
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                # Text or binary frames (web3.py sends binary): both carry UTF-8 JSON.
                raw_frame = frame.get("text") or frame.get("bytes") or b""
                response: Any
                if len(raw_frame) > MAX_REQUEST_BYTES:  # uvicorn's ws_max_size closes first
                    response = _error(None, RpcError(INVALID_REQUEST, "request too large"))
                else:
                    payload, response = dispatcher.parse(raw_frame)
                    if response is None:
                        response = await dispatcher.handle_payload(payload, extra)
                if response is not None:
                    await websocket.send_text(json.dumps(response))
        except WebSocketDisconnect:
            pass
        finally:
            pump_task.cancel()
            with contextlib.suppress(ValueError):
                node.listeners.remove(subscriptions.on_block)

    async def health(_request: Request) -> Response:
        report: dict[str, Any] = {"ok": True, "head": api.store.head().number}  # type: ignore[union-attr]
        if node.replica is not None:
            report["follower"] = node.replica.status()
        if node.link is not None:
            report["peering"] = {**node.link.status(),
                                 "refusedBlocks": list(node.peer_rejections)}
        return _json_response(report)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        producer = asyncio.create_task(node.run_producer())
        try:
            yield
        finally:
            node.stop()
            await producer
            await node.stop_peer_tasks()
            dispatcher.close()
            node.close()

    middleware = [
        Middleware(BrowserReads, cors_origins=list(cors_origins)),
        Middleware(RequestGuard, allowed_hosts=list(allowed_hosts), cors_origins=list(cors_origins)),
    ]
    if cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["POST", "GET"],
            allow_headers=["content-type"]))
    return Starlette(
        middleware=middleware,
        routes=[
            Route("/", http_endpoint, methods=["POST"]),
            WebSocketRoute("/", ws_endpoint),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )

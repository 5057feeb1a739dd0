"""`POST /v1/chain/rpc`: a read-only JSON-RPC 2.0 window on the ledger node.

The scan page (and anyone else) checks anchored heads on chain itself through this
proxy, so the node's port need not be public. Only reads are forwarded:
`eth_call`, `eth_chainId`, `eth_blockNumber`, `eth_getBlockByNumber`, `eth_getLogs`.

Choices, stated once:

- A method outside the list is answered *in JSON-RPC*: HTTP 200 with error
  `-32601 "method not allowed"` for that request (JSON-RPC 2.0 §5.1 "method not found"
  code; EIP-1474 uses it the same way). In a batch the other requests still run, as a
  node would answer them, and web3 libraries surface the error per call.
- Bounds: a body of at most `MAX_BODY_BYTES` (413 problem otherwise), at most
  `MAX_BATCH_ITEMS` requests per batch, and `eth_getLogs` over at most
  `MAX_LOG_BLOCK_RANGE` blocks (tags resolved against the node's head).
- Malformed JSON gets `-32700`, a malformed request object `-32600`, per JSON-RPC 2.0.
- A node that does not answer gives 502 (problem document): nothing to forward.
- Requests without an `id` are notifications: a read has no effect, so they are neither
  forwarded nor answered (204 when nothing is left to answer).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from trace_api.context import ApiContext, ContextDep
from trace_api.problems import Problem

router = APIRouter(tags=["chain"])

ALLOWED_METHODS = frozenset(
    {"eth_call", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getLogs"}
)
MAX_BODY_BYTES = 64 * 1024
"""A read call is well under 1 KB; 64 KiB fits a full batch of eth_calls with large data."""
MAX_BATCH_ITEMS = 20
"""A scan page verifies a handful of records per view; more is a crawler."""
MAX_LOG_BLOCK_RANGE = 100_000
"""About a day of one-second blocks: enough to find recent anchors, bounded for the node."""
RPC_TIMEOUT_S = 10.0

METHOD_NOT_ALLOWED = -32601
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
PARSE_ERROR = -32700
_SERVICE_KEY = "chain_proxy.client"

_CALL_SCHEMA = {
    "type": "object",
    "required": ["jsonrpc", "method"],
    "properties": {
        "jsonrpc": {"type": "string", "enum": ["2.0"]},
        "id": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        "method": {"type": "string", "examples": sorted(ALLOWED_METHODS)},
        "params": {"type": "array"},
    },
}
_REQUEST_SCHEMA = {
    "anyOf": [
        _CALL_SCHEMA,
        {"type": "array", "items": _CALL_SCHEMA, "minItems": 1, "maxItems": MAX_BATCH_ITEMS},
    ]
}


def _client(ctx: ApiContext) -> httpx.Client:
    client = ctx.services.get(_SERVICE_KEY)
    if client is None:
        client = ctx.services[_SERVICE_KEY] = httpx.Client(timeout=RPC_TIMEOUT_S)
    return client


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _forward(ctx: ApiContext, payload: Any) -> Any:
    try:
        response = _client(ctx).post(ctx.settings.rpc_url, json=payload)
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Problem(502, "node-unavailable", "Ledger node unavailable",
                      "the ledger node did not answer the forwarded request") from exc


def _block_number(value: Any, head: int | None) -> int | None:
    if value is None or value in ("latest", "safe", "finalized", "pending"):
        return head
    if value == "earliest":
        return 0
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return int(value, 16)
        except ValueError:
            return None
    return None


def _check_log_range(ctx: ApiContext, request: dict[str, Any]) -> str | None:
    """None if the eth_getLogs filter spans at most MAX_LOG_BLOCK_RANGE blocks, else why not."""
    params = request.get("params")
    if not isinstance(params, list) or len(params) != 1 or not isinstance(params[0], dict):
        return "eth_getLogs takes one filter object"
    log_filter = params[0]
    if "blockHash" in log_filter:
        return None
    from_tag, to_tag = log_filter.get("fromBlock"), log_filter.get("toBlock")
    head = None
    if any(_block_number(tag, -1) == -1 for tag in (from_tag, to_tag)):
        answer = _forward(ctx, {"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})
        head = int(answer["result"], 16) if isinstance(answer, dict) and "result" in answer else 0
    start, end = _block_number(from_tag, head), _block_number(to_tag, head)
    if start is None or end is None:
        return "fromBlock and toBlock must be block numbers or tags"
    if end - start + 1 > MAX_LOG_BLOCK_RANGE:
        return f"eth_getLogs spans at most {MAX_LOG_BLOCK_RANGE} blocks here"
    return None


def _screen(ctx: ApiContext, request: Any) -> dict[str, Any] | None:
    """An error answer for a request that must not be forwarded, else None."""
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(
        request.get("method"), str
    ):
        request_id = request.get("id") if isinstance(request, dict) else None
        return _error(request_id, INVALID_REQUEST, "invalid request")
    if request["method"] not in ALLOWED_METHODS:
        return _error(request.get("id"), METHOD_NOT_ALLOWED, "method not allowed")
    if request["method"] == "eth_getLogs":
        reason = _check_log_range(ctx, request)
        if reason is not None:
            return _error(request.get("id"), INVALID_PARAMS, reason)
    return None


@router.post(
    "/v1/chain/rpc",
    summary="Read-only JSON-RPC proxy to the ledger node",
    description=__doc__,
    openapi_extra={
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _REQUEST_SCHEMA}}},
    },
    responses={200: {"description": "JSON-RPC 2.0 response (or array for a batch)"},
               204: {"description": "Only notifications were sent"},
               413: {"description": "Body larger than 64 KiB"},
               502: {"description": "The ledger node did not answer"}},
)
async def chain_rpc(ctx: ContextDep, request: Request) -> Response:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise Problem(413, "too-large", "Request too large",
                      f"a JSON-RPC request here is at most {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Problem(413, "too-large", "Request too large",
                          f"a JSON-RPC request here is at most {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JSONResponse(_error(None, PARSE_ERROR, "parse error"))
    answer = await run_in_threadpool(_answer, ctx, payload)
    if answer is None:
        return Response(status_code=204)
    return JSONResponse(answer)


def _answer(ctx: ApiContext, payload: Any) -> Any:
    if isinstance(payload, list):
        if not payload:
            return _error(None, INVALID_REQUEST, "empty batch")
        if len(payload) > MAX_BATCH_ITEMS:
            return _error(None, INVALID_REQUEST, f"batch too large (limit {MAX_BATCH_ITEMS} requests)")
        screened = [_screen(ctx, item) for item in payload]
        # Notifications of read-only methods have no effect and get no answer: drop them.
        forwarded = [item for item, error in zip(payload, screened, strict=True)
                     if error is None and "id" in item]
        node_answers = _forward(ctx, forwarded) if forwarded else []
        if not isinstance(node_answers, list):
            node_answers = [node_answers]
        by_id = {json.dumps(item.get("id")): item for item in node_answers if isinstance(item, dict)}
        answers = []
        for item, error in zip(payload, screened, strict=True):
            if error is not None:
                answers.append(error)
            elif "id" in item:
                answers.append(by_id.get(json.dumps(item["id"]),
                                         _error(item["id"], -32603, "no answer from the node")))
        return answers or None
    error = _screen(ctx, payload)
    if error is not None:
        return error
    if "id" not in payload:
        return None  # a notification of a read-only method changes nothing: nothing to do
    return _forward(ctx, payload)

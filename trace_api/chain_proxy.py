"""`POST /v1/chain/rpc`: a read-only JSON-RPC 2.0 window on the ledger node.

The scan page (and anyone else) checks anchored heads on chain itself through this
proxy, so the node's port need not be public. Only reads are forwarded:
`eth_call`, `eth_chainId`, `eth_blockNumber`, `eth_getBlockByNumber`, `eth_getLogs`.

Choices, stated once:

- A method outside the list is answered *in JSON-RPC*: HTTP 200 with error
  `-32601 "method not allowed"` for that request (JSON-RPC 2.0 §5.1 "method not found"
  code; EIP-1474 uses it the same way). In a batch the other requests still run, as a
  node would answer them, and web3 libraries surface the error per call.
- `eth_call` (issue 13: a public call must not stall the chain) reaches only the
  deployment's contracts (`MemberRegistry`, `TraceAnchor`, `RecallRegistry` from
  deployment.json) and only the view functions in `ALLOWED_CALLS`, the reads a consumer's
  verification makes (selectors from `contracts.abi`, i.e. the ABIs in contracts/build); the call
  object may name only `to`, `data`/`input`, `from` and `gas`, at most
  `MAX_CALL_DATA_BYTES` of data, no state override; its gas is capped at
  `CALL_GAS_CAP`, forced into the forwarded call. Another contract, a malformed call:
  `-32602`; another function: `-32601`.
- Bounds: a body of at most `MAX_BODY_BYTES` (413 problem `body-too-large` from
  `trace_api.body_limits`, which also refuses other media types than JSON and bodies nested
  too deep), at most `MAX_BATCH_ITEMS` requests per batch, and `eth_getLogs` over at
  most `MAX_LOG_BLOCK_RANGE` blocks (tags resolved against the node's head).
- Malformed JSON gets `-32700`, a malformed request object `-32600`, per JSON-RPC 2.0.
- A node that does not answer, or answers more than `MAX_RESPONSE_BYTES`, gives 502
  (problem document): nothing to forward. Requests go through the shared
  `contracts.rpc_client.JsonRpcClient` (one keep-alive connection pool per app).
- Requests without an `id` are notifications: a read has no effect, so they are neither
  forwarded nor answered (204 when nothing is left to answer).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from contracts.abi import Contract, abi_entry
from contracts.rpc_client import JsonRpcClient, RpcClientError
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
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""A node answer the proxy relays: 10,000 logs (the node's eth_getLogs cap) fit well below."""
ALLOWED_CALLS: Mapping[Contract, tuple[str, ...]] = {
    # The anchored root, head and witnesses: the scan page (scanner_app/verify.js) and
    # `traceledger verify --rpc-url <this proxy>` (trace_api/verification/chain_reader.py,
    # which also finds the registry through TraceAnchor.registry()).
    Contract.TRACE_ANCHOR: ("rootAtSize", "headIndexBySize", "headAt", "headCount",
                            "latestHead", "hasWitnessed", "witnessCount", "registry"),
    # Membership and recall status, which a consumer's check reads on chain (DESIGN 11;
    # chain_reader asks hasRole and enterpriseOf; the scan page also checks a master-data
    # record's signer held its company prefix, issue 15).
    Contract.MEMBER_REGISTRY: ("hasRole", "isMember", "enterpriseOf", "enterprise",
                               "holdsCompanyPrefix"),
    Contract.RECALL_REGISTRY: ("isRecalled", "recallOf"),
}
"""View functions `eth_call` may reach, by contract; each is checked against its ABI."""
CALL_GAS_CAP = 5_000_000
"""Every allowed view costs well under 100k gas; 5M bounds what a call can make the node
compute (a BLAKE2F precompile loop, say) even if a contract were to change."""
MAX_CALL_DATA_BYTES = 4 + 32 * 4
"""A selector and four ABI words: the allowed functions take at most two static words, or
(`holdsCompanyPrefix`) an address and a string of at most 32 bytes (offset, length, data)."""
CALL_OBJECT_FIELDS = frozenset({"to", "data", "input", "from", "gas"})
"""Members a forwarded call object may have; fee and value fields mean nothing to a view."""

METHOD_NOT_ALLOWED = -32601
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
PARSE_ERROR = -32700

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


def _allowed_selectors() -> dict[str, dict[str, str]]:
    """`ALLOWED_CALLS` as {contract: {0x-selector: signature}}, each function checked to be
    a view (or pure) function in the contract's committed ABI."""
    table: dict[str, dict[str, str]] = {}
    for contract, names in ALLOWED_CALLS.items():
        entries = [abi_entry(contract, "function", name) for name in names]
        writes = [entry.signature for entry in entries
                  if entry.item.get("stateMutability") not in ("view", "pure")]
        if writes:
            raise RuntimeError(f"{contract} functions {', '.join(writes)} are not views")
        table[str(contract)] = {"0x" + entry.selector.hex(): entry.signature
                                for entry in entries}
    return table


ALLOWED_SELECTORS = _allowed_selectors()
"""{contract name: {0x-selector: signature}}, computed from the ABIs at import."""
_HEX_DATA = re.compile(r"0x(?:[0-9a-fA-F]{2})*")


def node_client(ctx: ApiContext) -> JsonRpcClient:
    """The proxy's client of the node; the app's one is `ctx.shared(node_client)`."""
    return JsonRpcClient(ctx.settings.rpc_url, timeout_s=RPC_TIMEOUT_S,
                         max_response_bytes=MAX_RESPONSE_BYTES)


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _forward(ctx: ApiContext, payload: Any) -> Any:
    try:
        return ctx.shared(node_client).post(payload, label="forwarded request")
    except RpcClientError as exc:
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


def _screen_call(ctx: ApiContext, request: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
    """(an error answer, None), or (None, the eth_call request to forward, gas capped)."""
    request_id = request.get("id")
    params = request.get("params")
    if not isinstance(params, list) or not 1 <= len(params) <= 2 or not isinstance(params[0], dict):
        return _refuse(request_id, INVALID_PARAMS,
                      "eth_call takes a call object and a block (no state override)")
    call = params[0]
    unknown = sorted(set(call) - CALL_OBJECT_FIELDS)
    if unknown:
        return _refuse(request_id, INVALID_PARAMS,
                      f"eth_call objects here name only {', '.join(sorted(CALL_OBJECT_FIELDS))}; "
                      f"not {', '.join(unknown)}")
    if len(params) == 2 and not isinstance(params[1], (str, dict)):
        return _refuse(request_id, INVALID_PARAMS, "the block must be a tag, number or hash")
    contracts = {address.lower(): name for name, address in ctx.deployment.contracts.items()
                 if name in ALLOWED_SELECTORS}
    target = call.get("to")
    contract = contracts.get(target.lower()) if isinstance(target, str) else None
    if contract is None:
        return _refuse(request_id, INVALID_PARAMS,
                      "eth_call reaches only this deployment's contracts ("
                      + ", ".join(f"{name} {address}" for address, name in sorted(contracts.items()))
                      + ")")
    data = call.get("data", call.get("input"))
    if "data" in call and "input" in call and call["data"] != call["input"]:
        return _refuse(request_id, INVALID_PARAMS, "eth_call data and input differ")
    if not isinstance(data, str) or not _HEX_DATA.fullmatch(data) or len(data) < 10:
        return _refuse(request_id, INVALID_PARAMS, "eth_call data must be 0x-hex with a selector")
    if (len(data) - 2) // 2 > MAX_CALL_DATA_BYTES:
        return _refuse(request_id, INVALID_PARAMS,
                      f"eth_call data is at most {MAX_CALL_DATA_BYTES} bytes here")
    if data[:10].lower() not in ALLOWED_SELECTORS[contract]:
        allowed = ", ".join(ALLOWED_SELECTORS[contract].values())
        return _refuse(request_id, METHOD_NOT_ALLOWED,
                      f"function {data[:10].lower()} of {contract} is not allowed here; "
                      f"allowed: {allowed}")
    gas = _capped_gas(call.get("gas"))
    if gas is None:
        return _refuse(request_id, INVALID_PARAMS, "eth_call gas must be a hex quantity")
    forwarded_call = {"to": target, "data": data, "gas": hex(gas)}
    if isinstance(call.get("from"), str):
        forwarded_call["from"] = call["from"]
    return None, {**request, "params": [forwarded_call, *params[1:]]}


def _refuse(request_id: Any, code: int, message: str) -> tuple[dict[str, Any], None]:
    return _error(request_id, code, message), None


def _capped_gas(value: Any) -> int | None:
    """`value` (a hex quantity, or absent) capped at CALL_GAS_CAP; None if malformed."""
    if value is None:
        return CALL_GAS_CAP
    if not isinstance(value, str) or not re.fullmatch(r"0x[0-9a-fA-F]{1,16}", value):
        return None
    return min(int(value, 16), CALL_GAS_CAP)


def _screen(ctx: ApiContext, request: Any) -> tuple[dict[str, Any] | None, Any]:
    """(an error answer, None) for a request that must not be forwarded, else (None, the
    request to forward: the request itself, or an eth_call with its gas capped)."""
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(
        request.get("method"), str
    ):
        request_id = request.get("id") if isinstance(request, dict) else None
        return _error(request_id, INVALID_REQUEST, "invalid request"), None
    if request["method"] not in ALLOWED_METHODS:
        return _error(request.get("id"), METHOD_NOT_ALLOWED, "method not allowed"), None
    if request["method"] == "eth_getLogs":
        reason = _check_log_range(ctx, request)
        if reason is not None:
            return _error(request.get("id"), INVALID_PARAMS, reason), None
    if request["method"] == "eth_call":
        return _screen_call(ctx, request)
    return None, request


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
               415: {"description": "Not application/json"},
               502: {"description": "The ledger node did not answer"}},
)
async def chain_rpc(ctx: ContextDep, request: Request) -> Response:
    # Size, media type and nesting were checked before this runs (trace_api.body_limits).
    body = await request.body()
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
        forwarded = [request for error, request in screened
                     if error is None and "id" in request]
        node_answers = _forward(ctx, forwarded) if forwarded else []
        if not isinstance(node_answers, list):
            node_answers = [node_answers]
        by_id = {json.dumps(item.get("id")): item for item in node_answers if isinstance(item, dict)}
        answers = []
        for error, request in screened:
            if error is not None:
                answers.append(error)
            elif "id" in request:
                answers.append(by_id.get(json.dumps(request["id"]),
                                         _error(request["id"], -32603, "no answer from the node")))
        return answers or None
    error, request = _screen(ctx, payload)
    if error is not None:
        return error
    if "id" not in request:
        return None  # a notification of a read-only method changes nothing: nothing to do
    return _forward(ctx, request)

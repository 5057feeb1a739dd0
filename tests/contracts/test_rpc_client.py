"""The shared JSON-RPC client (contracts/rpc_client.py) against a scripted node:
results, error objects, batches, transport failures and the response-size bound."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from contracts.rpc_client import (
    JsonRpcClient,
    RpcBatchRefused,
    RpcError,
    RpcMalformedAnswer,
    RpcResponseTooLarge,
    RpcTimeout,
    RpcTransportError,
)

URL = "http://node.invalid/"


def _client(answer: Callable[[object], httpx.Response], **options: int) -> JsonRpcClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer(json.loads(request.content))

    return JsonRpcClient(URL, transport=httpx.MockTransport(handler), **options)


def _echo(payload: object) -> httpx.Response:
    def one(request: dict[str, object]) -> dict[str, object]:
        if request["method"] == "fail":
            return {"jsonrpc": "2.0", "id": request["id"],
                    "error": {"code": 3, "message": "execution reverted", "data": "0xdeadbeef"}}
        return {"jsonrpc": "2.0", "id": request["id"], "result": request["params"]}

    if isinstance(payload, list):
        return httpx.Response(200, json=[one(item) for item in reversed(payload)])
    assert isinstance(payload, dict)
    return httpx.Response(200, json=one(payload))


def test_call_returns_the_result_and_batches_keep_call_order() -> None:
    with _client(_echo) as client:
        assert client.call("eth_chainId", ["0x1"]) == ["0x1"]
        assert client.batch([("a", [1]), ("b", [2]), ("c", [3])]) == [[1], [2], [3]]
        assert client.batch([]) == []


def test_an_error_object_is_an_rpc_error_with_its_revert_data() -> None:
    with _client(_echo) as client:
        with pytest.raises(RpcError) as caught:
            client.call("fail")
        assert (caught.value.code, caught.value.message) == (3, "execution reverted")
        assert caught.value.revert_data == bytes.fromhex("deadbeef")
        with pytest.raises(RpcError):
            client.batch([("ok", []), ("fail", [])])


def test_a_node_that_will_not_batch_is_refused_batch() -> None:
    refusing = _client(lambda payload: httpx.Response(
        200, json={"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no"}}))
    with refusing, pytest.raises(RpcBatchRefused):
        refusing.batch([("a", []), ("b", [])])


@pytest.mark.parametrize(("response", "error"), [
    (httpx.Response(503, text="busy"), RpcTransportError),
    (httpx.Response(502, json={"jsonrpc": "2.0"}), RpcTransportError),
    (httpx.Response(404, text="<html>not here</html>"), RpcTransportError),
    (httpx.Response(200, text="<html>"), RpcMalformedAnswer),
    (httpx.Response(200, json={"jsonrpc": "2.0", "id": 1}), RpcMalformedAnswer),
    (httpx.Response(200, json=[1, 2]), RpcMalformedAnswer),
])
def test_failures_are_typed(response: httpx.Response, error: type[Exception]) -> None:
    with _client(lambda payload: response) as client, pytest.raises(error):
        client.call("eth_blockNumber")


def test_transport_errors_and_timeouts_are_not_httpx_errors() -> None:
    def refuse(payload: object) -> httpx.Response:
        raise httpx.ConnectError("refused")

    def stall(payload: object) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    with _client(refuse) as client, pytest.raises(RpcTransportError) as caught:
        client.call("eth_blockNumber")
    assert not isinstance(caught.value, RpcTimeout)
    with _client(stall) as client, pytest.raises(RpcTimeout):
        client.call("eth_blockNumber")


def test_an_answer_over_the_bound_is_refused_declared_or_streamed() -> None:
    big = {"jsonrpc": "2.0", "id": 1, "result": "0x" + "00" * 4096}
    declared = _client(lambda payload: httpx.Response(200, json=big), max_response_bytes=1024)
    with declared, pytest.raises(RpcResponseTooLarge):
        declared.call("eth_getLogs")

    def streamed(payload: object) -> httpx.Response:  # no Content-Length: counted as read
        body = json.dumps(big).encode()
        return httpx.Response(200, content=iter([body[:1000], body[1000:]]))

    with _client(streamed, max_response_bytes=1024) as client, pytest.raises(RpcResponseTooLarge):
        client.call("eth_getLogs")
    with _client(streamed) as client:
        assert client.call("eth_getLogs") == big["result"]

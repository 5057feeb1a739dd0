"""Every JSON-RPC method of the node receives the hostile params, over HTTP and over a
WebSocket; the node's endpoint receives hostile whole bodies, wrong content types and
foreign Origin/Host headers. Every answer is well formed (a JSON-RPC error, or a 4xx
refusal before JSON-RPC), and the system survives each group of probes."""

from __future__ import annotations

import json

import pytest

from tests.adversarial import catalogue
from tests.adversarial.answers import rpc_answer_faults
from tests.adversarial.rpc_client import (
    ADMIN_METHODS,
    WEBSOCKET_ONLY_METHODS,
    WsProbe,
    handshake,
    node_methods,
    post,
)
from tests.adversarial.system import HostileSystem, SystemDown
from tests.adversarial.wire import exchange

SEAL_CHECK_EVERY = 8
"""Methods between two sealing checks (each costs about a period); every method is
followed by the cheaper checks (processes, /healthz, eth_blockNumber)."""
FOREIGN_ORIGIN = "http://evil.example"
REBINDING_HOST = "evil.example"
"""A name the attacker's DNS points at 127.0.0.1 (DNS rebinding): the browser sends it as Host."""


def _check(system: HostileSystem, after: str, faults: list[str], *, sealing: bool) -> None:
    try:
        system.verify_alive(after, sealing=sealing)
    except SystemDown as exc:
        pytest.fail("\n".join([str(exc), "faults so far:", *faults]))


def test_method_table_is_the_documented_one() -> None:
    """The sweep covers what the node serves (the README's list) and, beside it, the
    administrative methods a public port must not serve."""
    methods = node_methods()
    assert len(methods) >= 30
    assert {"eth_call", "eth_estimateGas", "eth_sendRawTransaction", "eth_getLogs",
            "eth_getBlockByNumber", "clique_getSigners"} <= set(methods)


def swept_methods() -> list[str]:
    """The public table, the admin methods (refused here, wherever they live now) and the
    WebSocket-only subscription methods."""
    return sorted(set(node_methods()) | set(ADMIN_METHODS)) + list(WEBSOCKET_ONLY_METHODS)


def test_every_method_answers_hostile_params_over_http_and_websocket(system: HostileSystem) -> None:
    faults: list[str] = []
    methods = swept_methods()
    with WsProbe(system.rpc_port) as ws:
        for number, method in enumerate(methods, start=1):
            for name, _description, raw_params in catalogue.rpc_params():
                body = catalogue.rpc_request(method, raw_params)
                if method not in WEBSOCKET_ONLY_METHODS:
                    response = post(system.rpc_port, body)
                    faults += [f"HTTP {method} [{name}]: {fault}"
                               for fault in rpc_answer_faults(response)]
                faults += [f"WS {method} [{name}]: {fault}" for fault in ws.send(body).faults()]
            _check(system, f"hostile params to {method}", faults,
                   sealing=number % SEAL_CHECK_EVERY == 0 or number == len(methods))
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults)


MUST_BE_REFUSED = frozenset({"deep-array", "deep-batch", "big-batch", "invalid-utf8",
                             "not-json", "empty"})
"""Bodies whose only honest answer is an error (or a 4xx/close): nothing in them may run."""


def _answered_with_result(payload: object) -> bool:
    items = payload if isinstance(payload, list) else [payload]
    return any(isinstance(item, dict) and "result" in item for item in items)


def test_hostile_bodies_get_json_rpc_errors(system: HostileSystem) -> None:
    """Deep nesting, huge ids, invalid UTF-8, duplicate keys, oversize batches: each gets
    a well-formed answer over HTTP and WebSocket, and those in MUST_BE_REFUSED an error."""
    faults: list[str] = []
    with WsProbe(system.rpc_port) as ws:
        for body in catalogue.rpc_bodies():
            response = post(system.rpc_port, body.content)
            faults += [f"HTTP [{body.name}]: {fault}" for fault in rpc_answer_faults(response)]
            if body.name in MUST_BE_REFUSED and response.status == 200 and \
                    _answered_with_result(json.loads(response.body or b"null")):
                faults.append(f"HTTP [{body.name}]: answered with a result")
            ws_answer = ws.send(body.content)
            faults += [f"WS [{body.name}]: {fault}" for fault in ws_answer.faults()]
            if body.name in MUST_BE_REFUSED and _answered_with_result(ws_answer.reply):
                faults.append(f"WS [{body.name}]: answered with a result")
            _check(system, f"the {body.name} body", faults, sealing=False)
    _check(system, "the hostile bodies", faults, sealing=True)
    assert not faults, "\n".join(faults)


def test_oversize_bodies_are_refused_declared_or_streamed(system: HostileSystem) -> None:
    size = catalogue.NODE_BODY_LIMIT + catalogue.OVERSIZE_MARGIN
    declared = post(system.rpc_port, b"".join(catalogue.oversize_stream(size)))
    assert declared.status == 413, declared.describe()
    streamed = exchange(system.rpc_port, "POST", "/",
                        headers={"Content-Type": "application/json"},
                        chunks=catalogue.oversize_stream(catalogue.CHUNKED_OVERSIZE))
    assert streamed.status == 413, streamed.describe()
    _check(system, "oversize bodies", [], sealing=True)


CHAIN_ID_CALL = b'{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}'
FILTER_CALL = b'{"jsonrpc": "2.0", "id": 1, "method": "eth_newBlockFilter", "params": []}'


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_http_rpc_accepts_only_application_json(system: HostileSystem,
                                                content_type: str | None) -> None:
    """The content types a web page may send without a CORS preflight (and none at all)
    are refused before any method runs."""
    response = post(system.rpc_port, CHAIN_ID_CALL, {"Content-Type": content_type})
    assert response.status is not None and 400 <= response.status < 500, response.describe()
    assert b'"result"' not in response.body
    assert post(system.rpc_port, CHAIN_ID_CALL,
                {"Content-Type": "application/json; charset=utf-8"}).status == 200
    _check(system, f"a {content_type} body", [], sealing=False)


def test_foreign_origin_and_rebinding_host_are_refused(system: HostileSystem) -> None:
    """DNS rebinding and cross-site pages: a foreign Origin or a Host that is not the
    node's own loopback name is refused over HTTP and in the WebSocket handshake."""
    port = system.rpc_port
    for headers in ({"Origin": FOREIGN_ORIGIN}, {"Host": f"{REBINDING_HOST}:{port}"},
                    {"Host": REBINDING_HOST}, {"Origin": "null"}):
        # A page on another origin may read (issue 15: a regulator's scan page on its own
        # node), never write; a rebinding Host may do neither.
        body = FILTER_CALL if "Origin" in headers else CHAIN_ID_CALL
        response = post(port, body, headers)
        assert response.status in (400, 403), (headers, response.describe())
        assert b'"result"' not in response.body
        opened = handshake(port, headers)
        assert opened.status != 101, (headers, "WebSocket opened")
        assert opened.status is not None and opened.status < 500, opened.describe()
    # The node's own names still work: web3.py, ethers and the system's services use them.
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert post(port, CHAIN_ID_CALL, {"Host": host}).status == 200, host
        assert handshake(port, {"Host": host}).status == 101, host
    _check(system, "foreign Origin and Host headers", [], sealing=False)


def test_websocket_connections_subscriptions_and_batches_are_bounded(system: HostileSystem) -> None:
    """Past the node's named limits a WebSocket client is refused, not served: connections
    beyond MAX_WS_CONNECTIONS are closed, the subscription past the limit is an error; the
    node keeps serving, and a connection opens again once the crowd has gone."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake
    from websockets.sync.client import ClientConnection, connect

    from ledger_node.rpc.server import MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_WS_CONNECTIONS

    url = f"ws://127.0.0.1:{system.rpc_port}/"
    crowd: list[ClientConnection] = []
    refused = 0
    try:
        for _ in range(MAX_WS_CONNECTIONS + 20):
            try:
                connection = connect(url, open_timeout=5, legacy=True)
                connection.send(CHAIN_ID_CALL.decode())
                connection.recv(timeout=5)
            except (ConnectionClosed, InvalidHandshake, TimeoutError, OSError):
                refused += 1
                continue
            crowd.append(connection)
        assert len(crowd) <= MAX_WS_CONNECTIONS
        assert refused >= 20
        _check(system, f"{MAX_WS_CONNECTIONS + 20} WebSocket connections", [], sealing=False)
    finally:
        for connection in crowd:
            connection.close()
    with WsProbe(system.rpc_port) as ws:
        answers = [ws.send(json.dumps({"jsonrpc": "2.0", "id": n, "method": "eth_subscribe",
                                       "params": ["newHeads"]}))
                   for n in range(MAX_SUBSCRIPTIONS_PER_CONNECTION + 1)]
        assert all(isinstance(a.reply, dict) and "result" in a.reply for a in answers[:-1])
        last = answers[-1]
        assert last.close_code is not None or "error" in last.reply, last
    _check(system, "the WebSocket limits", [], sealing=True)

"""Browsers on any origin may read from the node, never write (issue 15; issue 13's guard).

A regulator hosts the scan page on its own origin and points it at its own node, as a page
may do with anvil: the node answers the CORS preflight for a JSON POST and serves calls
that are all reads with `Access-Control-Allow-Origin: *` (no credentials). A write
(`eth_sendRawTransaction`, a filter kept on the node) from such an origin, a rebinding Host,
or a "simple" text/plain POST is still refused, as `test_hardening.py` requires.
"""

from __future__ import annotations

from typing import Any

import httpx

from ledger_node.rpc.server import BROWSER_READ_METHODS
from testing.devnet import Backend

PAGE = "https://scan.regulator.example"


def _call(method: str, params: list[Any] | None = None, call_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": method, "params": params or []}


def test_preflight_for_a_json_post_is_answered(ledger_backend: Backend) -> None:
    response = httpx.options(ledger_backend.url, timeout=10, headers={
        "Origin": PAGE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_for_other_headers_or_methods_is_not_granted(ledger_backend: Backend) -> None:
    for method, headers in (("POST", "content-type, authorization"), ("PUT", "content-type"),
                            ("POST", "x-api-key")):
        response = httpx.options(ledger_backend.url, timeout=10, headers={
            "Origin": PAGE, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers})
        assert "access-control-allow-origin" not in response.headers, (method, headers)


def test_reads_from_any_origin_get_cors(ledger_backend: Backend) -> None:
    single = httpx.post(ledger_backend.url, json=_call("eth_chainId"), timeout=10,
                        headers={"Origin": PAGE})
    assert single.status_code == 200
    assert int(single.json()["result"], 16) == ledger_backend.chain_id
    assert single.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in single.headers
    batch = httpx.post(ledger_backend.url, timeout=10, headers={"Origin": "null"}, json=[
        _call("eth_blockNumber", call_id=1), _call("eth_getBlockByNumber", ["0x0", False], call_id=2),
        _call("eth_call", [{"to": "0x" + "00" * 20, "data": "0x"}, "latest"], call_id=3)])
    assert batch.status_code == 200
    assert [answer["id"] for answer in batch.json()] == [1, 2, 3]
    assert batch.headers["access-control-allow-origin"] == "*"


def test_writes_from_a_foreign_origin_are_refused(ledger_backend: Backend) -> None:
    for body in (_call("eth_sendRawTransaction", ["0x00"]), _call("eth_newBlockFilter"),
                 [_call("eth_chainId"), _call("eth_sendRawTransaction", ["0x00"], call_id=2)],
                 [], {"jsonrpc": "2.0"}):
        response = httpx.post(ledger_backend.url, json=body, timeout=10, headers={"Origin": PAGE})
        assert response.status_code == 403, body
        assert response.json()["error"]["message"] == "origin not allowed"
        assert "access-control-allow-origin" not in response.headers
    assert not {"eth_sendRawTransaction", "eth_newFilter", "eth_newBlockFilter",
                "eth_uninstallFilter", "clique_propose"} & BROWSER_READ_METHODS


def test_other_guards_still_apply_to_browser_reads(ledger_backend: Backend) -> None:
    body = _call("eth_blockNumber")
    rebound = httpx.post(ledger_backend.url, json=body, timeout=10,
                         headers={"Origin": PAGE, "Host": "evil.example"})
    assert rebound.status_code == 403
    assert rebound.json()["error"]["message"] == "invalid host specified"
    simple = httpx.post(ledger_backend.url, content=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}',
                        timeout=10, headers={"Origin": PAGE, "content-type": "text/plain"})
    assert simple.status_code == 415
    plain = httpx.post(ledger_backend.url, json=body, timeout=10)  # no Origin: no CORS header
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers

"""CORS on the public reads only (issue 15: the scan page hosted on another origin).

`Access-Control-Allow-Origin: *` (never with credentials) on GET `/v1/public/*`, the public
proof bundles and master-data records, and `POST /v1/chain/rpc` with its preflight; on every
answer of those routes, problems included; on no other route. Against the real system
(SQLite and PostgreSQL), plus the route rule itself.
"""

from __future__ import annotations

import httpx
import pytest
from web3 import Web3

from contracts.artifacts import load_artifact
from testing.system import LiveSystem
from trace_api.cors import cors_allowed

PAGE = {"Origin": "https://scan.regulator.example"}
HEX = "ab" * 32


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("GET", "/v1/public/lookup", True),
    ("HEAD", "/v1/public/recall", True),
    ("GET", f"/v1/events/ni:///sha-256;{HEX}/proof", True),
    ("GET", f"/v1/master-data/{HEX}/proof", True),
    ("GET", f"/v1/master-data/{HEX}", True),
    ("POST", "/v1/chain/rpc", True),
    ("POST", "/v1/public/lookup", False),
    ("GET", f"/v1/events/{HEX}", False),
    ("GET", "/v1/events", False),
    ("GET", "/v1/products", False),
    ("POST", "/v1/capture", False),
    ("GET", "/v1/chain/rpc", False),
    ("GET", "/scan", False),
    ("DELETE", f"/v1/master-data/{HEX}", False),
])
def test_route_rule(method: str, path: str, allowed: bool) -> None:
    assert cors_allowed(method, path) is allowed


def test_public_reads_carry_cors_even_when_they_fail(live_system: LiveSystem) -> None:
    api = live_system.api_url
    for path, status in ((f"/v1/public/lookup?uri=https://id.gs1.org/01/{'0' * 13}1", 400),
                         ("/v1/public/recall?uri=https://id.gs1.org/01/09506000134352", 200),
                         (f"/v1/events/{HEX}/proof", 404),
                         (f"/v1/master-data/{HEX}/proof", 404),
                         ("/v1/master-data/nonsense", 400)):
        response = httpx.get(api + path, headers=PAGE, timeout=60)
        assert response.status_code == status, (path, response.text)
        assert response.headers["access-control-allow-origin"] == "*", path
        assert "access-control-allow-credentials" not in response.headers


def test_rpc_proxy_preflight_and_answer(live_system: LiveSystem) -> None:
    url = live_system.api_url + "/v1/chain/rpc"
    preflight = httpx.options(url, timeout=60, headers={
        **PAGE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    for asked in ({"Access-Control-Request-Method": "POST",
                   "Access-Control-Request-Headers": "content-type, authorization"},
                  {"Access-Control-Request-Method": "DELETE"}):
        refused = httpx.options(url, timeout=60, headers={**PAGE, **asked})
        assert "access-control-allow-origin" not in refused.headers, asked
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
                        headers=PAGE, timeout=60)
    assert int(answer.json()["result"], 16) == live_system.chain_id
    assert answer.headers["access-control-allow-origin"] == "*"
    too_large = httpx.post(url, content=b"[" + b" " * (70 * 1024) + b"]", timeout=60,
                           headers={**PAGE, "content-type": "application/json"})
    assert too_large.status_code == 413
    assert too_large.headers["access-control-allow-origin"] == "*"


def test_nothing_else_gets_cors(live_system: LiveSystem) -> None:
    api = live_system.api_url
    for method, path in (("GET", "/v1/products"), ("GET", "/health"), ("GET", "/scan"),
                         ("POST", "/v1/capture"), ("OPTIONS", "/v1/capture"),
                         ("GET", "/v1/enterprises"), ("GET", "/01/09506000134352"),
                         ("POST", "/v1/products")):
        response = httpx.request(method, api + path, headers=PAGE, timeout=60)
        assert "access-control-allow-origin" not in response.headers, (method, path)
    preflight = httpx.options(api + "/v1/products", timeout=60, headers={
        **PAGE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert "access-control-allow-origin" not in preflight.headers


def test_proxy_lets_the_page_check_a_company_prefix(live_system: LiveSystem) -> None:
    """The master-data step asks `MemberRegistry.holdsCompanyPrefix(submitter, prefix)`."""
    farm = live_system.enterprise(name="Prefix Holder Co.", custody="custodial")
    registry = Web3().eth.contract(address=live_system.contract_address("MemberRegistry"),
                                   abi=list(load_artifact("MemberRegistry").abi))
    for prefix, held in ((farm.company_prefixes[0], True), ("999999999999", False)):
        data = registry.encode_abi("holdsCompanyPrefix", [farm.signing_address, prefix])
        answer = httpx.post(live_system.api_url + "/v1/chain/rpc", headers=PAGE, timeout=60, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_call",
            "params": [{"to": registry.address, "data": data}, "latest"]})
        assert int(answer.json()["result"], 16) == int(held), answer.text

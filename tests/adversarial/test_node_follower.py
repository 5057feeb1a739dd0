"""A follower (`node run --follow`) is a new public JSON-RPC endpoint: every method gets the
hostile params and the hostile whole bodies, every answer is well formed, writes are
refused, and the follower is still alive, has refused no block and keeps following."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_account import Account

from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node, wait_receipt
from testing.processes import Launched, free_port, python_command, repo_env
from tests.adversarial import catalogue
from tests.adversarial.answers import rpc_answer_faults
from tests.adversarial.rpc_client import ADMIN_METHODS, node_methods, post
from tests.adversarial.test_node_rpc import MUST_BE_REFUSED, _answered_with_result

CATCH_UP_S = 60.0


@pytest.fixture(scope="module")
def authority_and_follower(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Backend, int]]:
    root = tmp_path_factory.mktemp("follower-hostile")
    init_dev_dir(root / "authority")
    authority = start_ledger_node(root / "authority")
    port = free_port()
    follower = Launched(
        python_command("ledger_node", "run", "--data-dir", str(root / "follower"), "--rpc-port",
                       str(port), "--follow", authority.url,
                       "--genesis", str(root / "authority" / "genesis.json")),
        env=repo_env(), log_path=root / "follower.log")
    try:
        _wait_caught_up(authority, port)
        yield authority, port
    finally:
        follower.stop()
        authority.stop()


def _health(port: int) -> dict[str, Any]:
    return httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()  # type: ignore[no-any-return]


def _wait_caught_up(authority: Backend, port: int) -> None:
    head = int(rpc(authority.url, "eth_blockNumber"), 16)
    deadline = time.monotonic() + CATCH_UP_S
    while time.monotonic() < deadline:
        try:
            if _health(port)["head"] >= head:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the follower did not reach block {head}")


def test_every_method_and_body_gets_a_well_formed_answer_and_the_follower_keeps_following(
    authority_and_follower: tuple[Backend, int]
) -> None:
    authority, port = authority_and_follower
    faults: list[str] = []
    for method in sorted(set(node_methods()) | set(ADMIN_METHODS)):
        for name, _description, raw_params in catalogue.rpc_params():
            response = post(port, catalogue.rpc_request(method, raw_params))
            faults += [f"{method} [{name}]: {fault}" for fault in rpc_answer_faults(response)]
    for body in catalogue.rpc_bodies():
        response = post(port, body.content)
        faults += [f"[{body.name}]: {fault}" for fault in rpc_answer_faults(response)]
        if body.name in MUST_BE_REFUSED and response.status == 200 and \
                _answered_with_result(json.loads(response.body or b"null")):
            faults.append(f"[{body.name}]: answered with a result")
    assert not faults, f"{len(faults)} bad answers:\n" + "\n".join(faults)

    # Writes are refused with the reason; nothing of the probes reached the chain.
    account = Account.from_key(authority.accounts["enterprise1"]["privateKey"])
    signed = account.sign_transaction({"to": account.address, "value": 0, "gas": 21_000,
                                       "gasPrice": 0, "nonce": 0, "chainId": authority.chain_id})
    raw = "0x" + bytes(signed.raw_transaction).hex()
    refused = httpx.post(f"http://127.0.0.1:{port}", json={
        "jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [raw]},
        timeout=10).json()
    assert refused["error"]["code"] == -32000 and "read-only follower" in refused["error"]["message"]

    # Still alive, no block refused, and it follows the block the authority seals next.
    assert _health(port)["follower"]["rejections"] == []
    wait_receipt(authority, rpc(authority.url, "eth_sendRawTransaction", [raw]))
    _wait_caught_up(authority, port)
    head = hex(int(rpc(authority.url, "eth_blockNumber"), 16))
    assert rpc(f"http://127.0.0.1:{port}", "eth_getBlockByNumber", [head, True]) == rpc(
        authority.url, "eth_getBlockByNumber", [head, True])

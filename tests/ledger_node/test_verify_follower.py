"""A follower with py-evm's unmodified Clique and Cancun execution rules re-executes every block the node
served during the whole session (web3.py, ethers and viem traffic: legacy and EIP-1559
transactions, deployments, reverts) and rejects tampered blocks."""

from __future__ import annotations

import copy

import pytest

from ledger_node.errors import LedgerNodeError
from ledger_node.follower import BlockRejectedError, Follower, verify_upstream
from testing.devnet import Backend, free_port, rpc


def test_follower_verifies_the_whole_session_chain(ledger_backend: Backend) -> None:
    assert ledger_backend.data_dir is not None
    head = int(rpc(ledger_backend.url, "eth_blockNumber"), 16)
    result = verify_upstream(ledger_backend.data_dir / "genesis.json", ledger_backend.url, head)
    assert result.last == head
    block = rpc(ledger_backend.url, "eth_getBlockByNumber", [hex(head), False])
    assert (result.head_hash, result.state_root) == (block["hash"], block["stateRoot"])


def test_follower_rejects_tampered_blocks(ledger_backend: Backend) -> None:
    assert ledger_backend.data_dir is not None
    block = rpc(ledger_backend.url, "eth_getBlockByNumber", ["0x1", True])

    forged_root = copy.deepcopy(block)
    forged_root["stateRoot"] = "0x" + "11" * 32
    with pytest.raises(BlockRejectedError, match="hash"):
        Follower(ledger_backend.data_dir / "genesis.json").verify_block(forged_root)

    forged_tx = copy.deepcopy(block)
    forged_tx["transactions"][3]["input"] = forged_tx["transactions"][3]["input"][:-2] + "00"
    with pytest.raises(BlockRejectedError):
        Follower(ledger_backend.data_dir / "genesis.json").verify_block(forged_tx)

    Follower(ledger_backend.data_dir / "genesis.json").verify_block(block)  # the real one passes


def test_an_unreachable_upstream_is_a_ledger_node_error(ledger_backend: Backend) -> None:
    """`traceledger node verify` reports FAILED for a node it cannot reach (it catches
    LedgerNodeError); the follower's own HTTP calls used to let httpx's ConnectError out."""
    assert ledger_backend.data_dir is not None
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LedgerNodeError) as caught:
        verify_upstream(ledger_backend.data_dir / "genesis.json", closed, 1)
    assert not isinstance(caught.value, BlockRejectedError)
    assert "eth_getBlockByNumber" in str(caught.value)

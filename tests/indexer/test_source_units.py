"""Source units without a node: Clique sealer recovery, error classification, and the
adaptive eth_getLogs splitting held against a naive reference (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from eth.abc import BlockHeaderAPI
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth.vm.forks.cancun.blocks import CancunBlockHeader
from eth_keys import keys
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import RangeTooLargeError, RpcRequestError
from indexer.source.clique import recover_clique_sealer
from indexer.source.fetch import ChainSource
from indexer.source.rpc import classify_error
from ledger_node.rpc.format import header_json
from ledger_node.store import BlockRow

ADDRESS = "0x" + "11" * 20


def _clique_block(
    private_key: bytes, signers: bytes = b""
) -> tuple[BlockHeaderAPI, dict[str, Any]]:
    """A Cancun header sealed by py-evm's own Clique code (`sign_block_header`), as our node
    serves it over JSON-RPC: the oracle encodes, hashes and signs, not this test."""
    header = CancunBlockHeader(
        difficulty=2,
        block_number=42,
        gas_limit=30_000_000,
        timestamp=1_700_000_000,
        coinbase=bytes(20),
        parent_hash=b"\x01" * 32,
        state_root=b"\x03" * 32,
        transaction_root=b"\x04" * 32,
        receipt_root=b"\x05" * 32,
        extra_data=bytes(32) + signers + bytes(65),
        base_fee_per_gas=0,
    )
    sealed = sign_block_header(header, keys.PrivateKey(private_key))
    return sealed, header_json(sealed, BlockRow(42, sealed.hash, b"", 0, 0))


@pytest.mark.parametrize("signers", [b"", b"\x22" * 20 + b"\x33" * 20], ids=["block", "checkpoint"])
def test_clique_sealer_is_recovered_only_from_a_header_that_hashes_right(signers: bytes) -> None:
    private_key = b"\x07" * 32
    sealed, block = _clique_block(private_key, signers)
    expected = to_checksum_address(keys.PrivateKey(private_key).public_key.to_canonical_address())
    assert to_checksum_address(get_block_signer(sealed)) == expected
    assert recover_clique_sealer(block) == expected
    assert (
        recover_clique_sealer({**block, "hash": "0x" + "99" * 32}) is None
    )  # fields we cannot re-hash
    assert recover_clique_sealer({**block, "extraData": "0x" + "00" * 32}) is None  # no seal


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (-32005, "query returned more than 10000 results", RangeTooLargeError),
        (-32602, "block range is too wide", RangeTooLargeError),
        (-32000, "exceed maximum block range: 5000", RangeTooLargeError),
        (-32602, "invalid argument 0: hex string without 0x prefix", RpcRequestError),
    ],
)
def test_get_logs_errors_are_classified(code: int, message: str, kind: type) -> None:
    assert type(classify_error("eth_getLogs", code, message)) is kind
    assert type(classify_error("eth_getBlockByNumber", code, message)) is RpcRequestError


class _LimitedNode:
    """A fake client whose eth_getLogs refuses spans wider than `max_span` or answers
    with more than `max_results` logs, like geth/anvil/Besu limits."""

    def __init__(self, log_blocks: list[int], max_span: int, max_results: int) -> None:
        self.log_blocks = log_blocks
        self.max_span, self.max_results = max_span, max_results
        self.calls = 0

    def call(self, method: str, params: list[Any]) -> Any:
        assert method == "eth_getLogs"
        self.calls += 1
        first, last = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
        logs = [n for n in self.log_blocks if first <= n <= last]
        if last - first + 1 > self.max_span:
            raise RangeTooLargeError(method, -32005, "block range too large")
        if len(logs) > self.max_results:
            raise RangeTooLargeError(method, -32005, "query returned more than limit results")
        return [
            {
                "blockNumber": hex(n),
                "blockHash": "0x" + f"{n:064x}",
                "logIndex": hex(i),
                "transactionHash": "0x" + "aa" * 32,
                "transactionIndex": "0x0",
                "address": ADDRESS,
                "topics": [],
                "data": "0x",
            }
            for i, n in enumerate(logs)
        ]


@settings(max_examples=60, deadline=None)
@given(
    log_blocks=st.lists(st.integers(0, 300), max_size=60).map(sorted),
    max_span=st.integers(1, 400),
    max_results=st.integers(3, 50),
    first=st.integers(0, 150),
    length=st.integers(1, 200),
)
def test_split_get_logs_returns_exactly_the_naive_answer(
    log_blocks: list[int], max_span: int, max_results: int, first: int, length: int
) -> None:
    last = first + length - 1
    # A single block must be answerable, or no splitting can help.
    if any(log_blocks.count(n) > max_results for n in set(log_blocks)):
        return
    node = _LimitedNode(log_blocks, max_span, max_results)
    source = ChainSource(node, [ADDRESS], max_log_span=256)  # type: ignore[arg-type]
    got = [log.block_number for log in source.fetch_logs(first, last)]
    assert got == [n for n in log_blocks if first <= n <= last]  # naive reference: filter
    assert node.calls <= 4 * (length + 1)

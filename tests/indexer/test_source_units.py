"""Source units without a node: Clique sealer recovery, error classification, and the
adaptive eth_getLogs splitting held against a naive reference (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_keys import keys
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import RangeTooLargeError, RpcRequestError
from indexer.source.clique import recover_clique_sealer
from indexer.source.fetch import ChainSource
from indexer.source.rpc import classify_error

ADDRESS = "0x" + "11" * 20


def _clique_block(private_key: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "parentHash": "0x" + "01" * 32,
        "sha3Uncles": "0x" + "02" * 32,
        "miner": "0x" + "00" * 20,
        "stateRoot": "0x" + "03" * 32,
        "transactionsRoot": "0x" + "04" * 32,
        "receiptsRoot": "0x" + "05" * 32,
        "logsBloom": "0x" + "00" * 256,
        "difficulty": "0x2",
        "number": "0x2a",
        "gasLimit": "0x1c9c380",
        "gasUsed": "0x0",
        "timestamp": "0x6553f100",
        "extraData": "0x" + "00" * 32,
        "mixHash": "0x" + "00" * 32,
        "nonce": "0x0000000000000000",
        "baseFeePerGas": "0x0",
    }
    order = [
        "parentHash",
        "sha3Uncles",
        "miner",
        "stateRoot",
        "transactionsRoot",
        "receiptsRoot",
        "logsBloom",
        "difficulty",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "extraData",
        "mixHash",
        "nonce",
        "baseFeePerGas",
    ]
    integers = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas"}

    def encode(values: dict[str, Any]) -> bytes:
        return rlp.encode(
            [int(values[k], 16) if k in integers else bytes.fromhex(values[k][2:]) for k in order]
        )

    # EIP-225: the seal signs the header whose extraData lacks the 65-byte seal.
    signature = keys.PrivateKey(private_key).sign_msg_hash(keccak(encode(fields)))
    fields["extraData"] += signature.to_bytes().hex()
    fields["hash"] = "0x" + keccak(encode(fields)).hex()
    return fields


def test_clique_sealer_is_recovered_only_from_a_header_that_hashes_right() -> None:
    private_key = b"\x07" * 32
    block = _clique_block(private_key)
    expected = to_checksum_address(keys.PrivateKey(private_key).public_key.to_canonical_address())
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

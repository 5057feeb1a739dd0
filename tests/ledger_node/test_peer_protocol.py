"""The peer protocol (ledger_node/peer_protocol.py) against a stand-in node that has only
what the protocol touches: a real small chain (store, head, total difficulty), the genesis
hash, and recorders for the blocks and transactions it hands on.

Every malformed body of every kind fails at the rule "format" before the node sees
anything: members missing or extra, wrong types, negative numbers, booleans as integers,
counts above the maximum, hex that is not 0x-hex (or not canonical hex), oversize hex, too
many transactions; so does an unknown kind. Answers are checked against the chain:
`status` is the head with its naive total difficulty, `hashes` and `blocks` are the
canonical blocks byte for byte, cut at the head, and a `blocks` answer stops below
MAX_ANSWER_BYTES (a single larger block still goes alone, so a sync always advances), and
fits in one peer message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import rlp
from coincurve import PrivateKey
from eth_account import Account

from ledger_node import peer_protocol
from ledger_node.chain import LedgerChain
from ledger_node.peer_messages import (
    MAX_MESSAGE_BYTES,
    MessageSigner,
    Peer,
    PeerMessage,
    PeerMessageError,
    node_id,
)
from ledger_node.peer_protocol import (
    MAX_ANSWER_BYTES,
    MAX_BLOCKS_PER_ANSWER,
    MAX_HASHES_PER_ANSWER,
    MAX_TXS_PER_MESSAGE,
    PeerProtocol,
)
from ledger_node.sealer import decode_block
from ledger_node.store import LedgerStore
from ledger_node.transactions import MAX_TX_SIZE, decode_signed_transaction
from tests.ledger_node.chain_helpers import CHAIN_ID, make_chain, transfer

SENDER = Peer("alice", "http://alice", node_id(PrivateKey(b"\x01" * 32)))
BLOCKS = 6  # above genesis


@dataclass
class FakeNode:
    """What PeerProtocol reads and calls on a LedgerNode, and nothing more."""

    chain: LedgerChain
    store: LedgerStore
    genesis_hash: bytes
    blocks: list[tuple[Peer, bytes, int]] = field(default_factory=list)
    txs: list[tuple[Peer, list[bytes]]] = field(default_factory=list)

    def receive_peer_block(self, peer: Peer, block: bytes, td: int) -> None:
        self.blocks.append((peer, block, td))

    def receive_peer_txs(self, peer: Peer, raws: list[bytes]) -> None:
        self.txs.append((peer, raws))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> LedgerChain:
    """One sealer, BLOCKS blocks of one to three transfers each."""
    test = make_chain(tmp_path_factory.mktemp("protocol"))
    nonce = 0
    for number in range(1, BLOCKS + 1):
        count = number % 3 + 1
        txs = [transfer(test.users[0], nonce + i) for i in range(count)]
        nonce += count
        test.chain.build_block(txs, test.genesis_timestamp + number)
    return test.chain


@pytest.fixture
def node(chain: LedgerChain) -> FakeNode:
    genesis = chain.store.block_by_number(0)
    assert genesis is not None
    return FakeNode(chain, chain.store, genesis.hash)


def _handle(node: FakeNode, kind: str, body: Any) -> tuple[str, Any] | None:
    return asyncio.run(PeerProtocol(node).handle(PeerMessage(SENDER, kind, body, seq=1)))  # type: ignore[arg-type]


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


# ---------------------------------------------------------------------- malformed bodies

def _malformed() -> list[tuple[str, Any, str]]:
    good_rlp = "0xc0"
    cases: list[tuple[str, Any, str]] = [
        ("block", {"rlp": good_rlp}, "td missing"),
        ("block", {"td": 1}, "rlp missing"),
        ("block", {"rlp": good_rlp, "td": 1, "extra": 0}, "extra member"),
        ("block", [good_rlp, 1], "a list, not an object"),
        ("block", None, "null body"),
        ("block", {"rlp": 192, "td": 1}, "rlp a number"),
        ("block", {"rlp": "c0", "td": 1}, "rlp without 0x"),
        ("block", {"rlp": "0Xc0", "td": 1}, "rlp with 0X"),
        ("block", {"rlp": "0xzz", "td": 1}, "rlp not hex"),
        ("block", {"rlp": "0xc", "td": 1}, "rlp of odd length"),
        ("block", {"rlp": "0xc0 c0", "td": 1}, "rlp with a space inside"),
        ("block", {"rlp": "0xc0\n", "td": 1}, "rlp with a newline"),
        ("block", {"rlp": "0x" + "00" * (MAX_ANSWER_BYTES + 1), "td": 1}, "rlp oversize"),
        ("block", {"rlp": good_rlp, "td": -1}, "td negative"),
        ("block", {"rlp": good_rlp, "td": True}, "td a boolean"),
        ("block", {"rlp": good_rlp, "td": 1.0}, "td a float"),
        ("block", {"rlp": good_rlp, "td": "1"}, "td a string"),
        ("txs", {}, "raw missing"),
        ("txs", {"raw": [], "extra": 0}, "extra member"),
        ("txs", {"raw": "0x00"}, "raw a string"),
        ("txs", {"raw": {"0": "0x00"}}, "raw an object"),
        ("txs", {"raw": ["0x00"] * (MAX_TXS_PER_MESSAGE + 1)}, "too many transactions"),
        ("txs", {"raw": ["0x00", 0]}, "a transaction a number"),
        ("txs", {"raw": ["0x00", "0xg0"]}, "a transaction not hex"),
        ("txs", {"raw": ["0x00", "0x" + "00" * (MAX_TX_SIZE + 1)]}, "a transaction oversize"),
        ("status", {"from": 0}, "status with a member"),
        ("status", [], "status a list"),
        ("status", None, "status null"),
        ("bogus", {}, "unknown kind"),
        ("", {}, "empty kind"),
    ]
    for kind, maximum in (("hashes", MAX_HASHES_PER_ANSWER), ("blocks", MAX_BLOCKS_PER_ANSWER)):
        cases += [
            (kind, {"from": 0}, "count missing"),
            (kind, {"count": 1}, "from missing"),
            (kind, {"from": 0, "count": 1, "to": 5}, "extra member"),
            (kind, {"from": -1, "count": 1}, "from negative"),
            (kind, {"from": 0, "count": -1}, "count negative"),
            (kind, {"from": False, "count": 1}, "from a boolean"),
            (kind, {"from": 0, "count": True}, "count a boolean"),
            (kind, {"from": 0, "count": maximum + 1}, "count above the maximum"),
            (kind, {"from": "0x0", "count": 1}, "from a string"),
            (kind, {"from": 0, "count": 1.5}, "count a float"),
            (kind, {"from": None, "count": 1}, "from null"),
            (kind, [0, 1], "a list"),
        ]
    return cases


@pytest.mark.parametrize(("kind", "body", "case"), _malformed(),
                         ids=[f"{kind or 'empty'}: {case}" for kind, _, case in _malformed()])
def test_a_malformed_body_fails_at_format_before_the_node_sees_it(
    node: FakeNode, kind: str, body: Any, case: str
) -> None:
    with pytest.raises(PeerMessageError) as refused:
        _handle(node, kind, body)
    assert refused.value.rule == "format", (case, refused.value)
    assert node.blocks == [] and node.txs == []


def test_well_formed_one_way_messages_reach_the_node(node: FakeNode) -> None:
    assert _handle(node, "block", {"rlp": "0xC0", "td": 7}) is None
    assert node.blocks == [(SENDER, b"\xc0", 7)]
    raws = ["0x" + "00" * MAX_TX_SIZE] + ["0x01"] * (MAX_TXS_PER_MESSAGE - 1)
    assert _handle(node, "txs", {"raw": raws}) is None
    [(peer, received)] = node.txs
    assert peer == SENDER and len(received) == MAX_TXS_PER_MESSAGE
    assert received[0] == bytes(MAX_TX_SIZE) and received[1] == b"\x01"


# ---------------------------------------------------------------------- answers

def test_status_is_the_head_with_its_naive_total_difficulty(node: FakeNode) -> None:
    head = node.store.head()
    assert head is not None and head.number == BLOCKS
    naive_td = sum(node.chain.header_by_number(n).difficulty for n in range(BLOCKS + 1))  # type: ignore[union-attr]
    assert _handle(node, "status", {}) == ("status", {
        "number": BLOCKS, "hash": _hex(head.hash), "td": naive_td,
        "genesis": _hex(node.genesis_hash)})


def _stored_hashes(node: FakeNode, numbers: range) -> list[str]:
    return [_hex(node.store.block_by_number(n).hash) for n in numbers]  # type: ignore[union-attr]


@pytest.mark.parametrize(("first", "count", "numbers"), [
    (0, MAX_HASHES_PER_ANSWER, range(BLOCKS + 1)),  # cut at the head
    (2, 3, range(2, 5)),
    (BLOCKS, 10, range(BLOCKS, BLOCKS + 1)),
    (BLOCKS + 1, 10, range(0)),  # past the head: nothing
    (10**30, MAX_HASHES_PER_ANSWER, range(0)),
    (3, 0, range(0)),
])
def test_hashes_are_the_canonical_hashes_cut_at_the_head(
    node: FakeNode, first: int, count: int, numbers: range
) -> None:
    assert _handle(node, "hashes", {"from": first, "count": count}) == (
        "hashes", {"hashes": _stored_hashes(node, numbers)})


def _check_blocks(node: FakeNode, answer: list[str], numbers: range) -> None:
    assert len(answer) == len(numbers)
    for encoded, number in zip(answer, numbers, strict=True):
        raw = bytes.fromhex(encoded[2:])
        block = decode_block(raw)
        assert rlp.encode(block) == raw  # canonical RLP: the bytes a verifier re-derives
        row = node.store.block_by_number(number)
        assert row is not None and block.header.hash == row.hash
        assert [tx.hash for tx in block.transactions] == [
            t.hash for t in node.store.txs_in_block(number)]


@pytest.mark.parametrize(("first", "count", "numbers"), [
    (1, MAX_BLOCKS_PER_ANSWER, range(1, BLOCKS + 1)),  # cut at the head
    (0, 2, range(2)),
    (BLOCKS + 1, 5, range(0)),
])
def test_blocks_are_the_canonical_blocks_cut_at_the_head(
    node: FakeNode, first: int, count: int, numbers: range
) -> None:
    kind, body = _handle(node, "blocks", {"from": first, "count": count})  # type: ignore[misc]
    assert kind == "blocks" and set(body) == {"rlp"}
    _check_blocks(node, body["rlp"], numbers)


def test_a_blocks_answer_stops_below_max_answer_bytes_and_resumes(
    node: FakeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = {n: 2 * len(node.store.block_rlp(n)) for n in range(1, BLOCKS + 1)}
    limit = sizes[1] + sizes[2] + sizes[3] - 1  # blocks 1 and 2 fit, 3 does not
    monkeypatch.setattr(peer_protocol, "MAX_ANSWER_BYTES", limit)
    received: list[str] = []
    first = 1
    while first <= BLOCKS:
        _, body = _handle(node, "blocks", {"from": first, "count": MAX_BLOCKS_PER_ANSWER})  # type: ignore[misc]
        answer = body["rlp"]
        assert answer, "an answer must make progress"
        assert sum(len(r) - 2 for r in answer) <= limit
        if first + len(answer) <= BLOCKS:  # stopped early: the next block did not fit
            assert sum(len(r) - 2 for r in answer) + sizes[first + len(answer)] > limit
        received += answer
        first += len(answer)
    _check_blocks(node, received, range(1, BLOCKS + 1))
    # A block larger than the limit on its own is still answered, alone.
    monkeypatch.setattr(peer_protocol, "MAX_ANSWER_BYTES", 1)
    _, body = _handle(node, "blocks", {"from": 1, "count": MAX_BLOCKS_PER_ANSWER})  # type: ignore[misc]
    _check_blocks(node, body["rlp"], range(1, 2))


def _sealed_answer_bytes(answer: tuple[str, Any] | None) -> int:
    assert answer is not None
    kind, body = answer
    signer = MessageSigner(PrivateKey(b"\x02" * 32), "0x" + "ab" * 32)
    return len(signer.seal(SENDER.node_id, kind, body))


def test_a_full_blocks_answer_fits_in_one_peer_message(
    node: FakeNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MAX_ANSWER_BYTES of hex in MAX_BLOCKS_PER_ANSWER blocks, with JSON and the envelope
    around it, stays within MAX_MESSAGE_BYTES (the answer is made of this chain's blocks,
    repeated)."""
    one = "0x" + "ab" * ((MAX_ANSWER_BYTES // MAX_BLOCKS_PER_ANSWER) // 2)
    answer = ("blocks", {"rlp": [one] * MAX_BLOCKS_PER_ANSWER})
    assert _sealed_answer_bytes(answer) <= MAX_MESSAGE_BYTES


def test_a_block_sealed_from_admissible_transactions_fits_in_one_peer_message(
    tmp_path: Path
) -> None:
    """Admission takes transactions of up to MAX_TX_SIZE bytes and the block gas limit
    (1e9) holds thousands of them (zero calldata bytes cost 4 gas each), so by gas alone
    the sealer could build a block larger than a peer message: its announcement would be
    refused (413) and no `blocks` answer could carry it, so peers could never follow the
    chain past it. The sealer defers what would not fit (MAX_BLOCK_TX_BYTES)."""
    test = make_chain(tmp_path)
    sender: Account = test.users[0]
    data = bytes(MAX_TX_SIZE - 400)
    txs = []
    for nonce in range(70):  # 70 x ~131 KB of zeros: 9 MB, 18 MB as hex; ~38M gas
        signed = sender.sign_transaction({"to": sender.address, "value": 0, "data": data,
                                          "gas": 21_000 + 4 * len(data), "gasPrice": 0,
                                          "nonce": nonce, "chainId": CHAIN_ID})
        txs.append(decode_signed_transaction(bytes(signed.raw_transaction)))  # admissible
    built = test.chain.build_block(txs, test.genesis_timestamp + 1)
    genesis = test.store.block_by_number(0)
    assert genesis is not None
    node = FakeNode(test.chain, test.store, genesis.hash)
    answer = _handle(node, "blocks", {"from": 1, "count": 1})
    assert built.deferred, "the block would not fit a peer message: some must wait"
    assert [*built.included, *built.deferred] == txs  # nothing dropped, order kept
    assert _sealed_answer_bytes(answer) <= MAX_MESSAGE_BYTES, (
        f"block 1 of {len(test.store.block_rlp(1)):,} bytes cannot travel on the peer link")

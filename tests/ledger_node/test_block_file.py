"""Block files (`node export` / `node import`): a round trip rebuilds the same chain, and an
import verifies every block, refusing a changed state root, a forged seal, a removed
transaction, a signer sealing too often, a truncated or oversized file, and another
network's genesis, each with the block and the reason."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import pytest
import rlp
from eth._utils.address import generate_contract_address
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth.vm.forks.cancun.blocks import CancunBlock
from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import to_checksum_address

from bench.node_bench import COUNTER_INIT
from ledger_node.block_file import (
    BlockFileError,
    export_block_file,
    import_block_file,
)
from ledger_node.chain import VANITY
from ledger_node.errors import BlockRejectedError, GenesisError
from ledger_node.store import LedgerStore
from ledger_node.transactions import decode_signed_transaction
from tests.ledger_node.chain_helpers import CHAIN_ID, make_chain, transfer
from tests.ledger_node.chain_helpers import TestChain as Chain

BLOCKS = 6


def _write_genesis(test: Chain, path: Path) -> Path:
    """genesis.json as `node init` writes it."""
    document = {
        "config": json.loads(test.config.to_json()),
        "timestamp": test.genesis_timestamp,
        "alloc": {to_checksum_address(a): hex(b) for a, b in test.alloc.items()},
        "hash": "0x" + test.chain.header_by_number(0).hash.hex(),
    }
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def source(tmp_path: Path) -> Chain:
    """A chain of BLOCKS blocks: legacy and EIP-1559 transfers, a deployment, calls with logs."""
    (tmp_path / "source").mkdir()
    test = make_chain(tmp_path / "source", epoch=4)  # block 4 is a checkpoint
    alice, bob = test.users
    nonce = 0
    deploy = decode_signed_transaction(bytes(bob.sign_transaction({
        "data": COUNTER_INIT, "gas": 200_000, "gasPrice": 0, "nonce": 0, "chainId": CHAIN_ID,
        "value": 0}).raw_transaction))
    counter = to_checksum_address(generate_contract_address(bytes.fromhex(bob.address[2:]), 0))
    test.chain.build_block([deploy], test.genesis_timestamp + 1)
    for block_index in range(BLOCKS - 1):
        txs = [transfer(alice, nonce, to=bob.address)]
        txs.append(decode_signed_transaction(bytes(alice.sign_transaction({
            "to": counter, "data": b"", "gas": 100_000, "maxFeePerGas": 0,
            "maxPriorityFeePerGas": 0, "nonce": nonce + 1, "chainId": CHAIN_ID,
            "value": 0}).raw_transaction)))
        nonce += 2
        test.chain.build_block(txs, test.genesis_timestamp + 2 + block_index)
    return test


def _same_chain(left: LedgerStore, right: LedgerStore) -> None:
    head = left.head()
    assert head is not None and right.head() == head
    for number in range(head.number + 1):
        assert right.block_by_number(number) == left.block_by_number(number)
        assert right.txs_in_block(number) == left.txs_in_block(number)
        for tx in left.txs_in_block(number):
            assert right.logs_of_tx(number, tx.tx_index) == left.logs_of_tx(number, tx.tx_index)


@pytest.mark.parametrize("name", ["blocks.rlp", "blocks.rlp.gz"])
def test_export_then_import_rebuilds_the_same_chain(
    source: Chain, tmp_path: Path, name: str
) -> None:
    genesis = _write_genesis(source, tmp_path / "genesis.json")
    block_file = tmp_path / name
    assert export_block_file(source.store.path.parent, block_file) == (1, BLOCKS)
    if name.endswith(".gz"):
        assert gzip.decompress(block_file.read_bytes())[:1] >= b"\xc0"
    result = import_block_file(tmp_path / "copy", block_file, genesis)
    assert (result.read, result.already_present, result.imported) == (BLOCKS, 0, BLOCKS)
    assert result.head_hash == "0x" + source.chain.head_header.hash.hex()
    copy = LedgerStore(tmp_path / "copy" / "chain.sqlite")
    _same_chain(source.store, copy)
    copy.close()
    again = import_block_file(tmp_path / "copy", block_file, genesis)  # idempotent
    assert (again.already_present, again.imported) == (BLOCKS, 0)


def test_a_partial_file_then_the_rest_continues_the_chain(source: Chain, tmp_path: Path) -> None:
    genesis = _write_genesis(source, tmp_path / "genesis.json")
    export_block_file(source.store.path.parent, tmp_path / "a.rlp", 1, 3)
    export_block_file(source.store.path.parent, tmp_path / "b.rlp", 2, BLOCKS)  # overlaps
    assert import_block_file(tmp_path / "copy", tmp_path / "a.rlp", genesis).head_number == 3
    result = import_block_file(tmp_path / "copy", tmp_path / "b.rlp")
    assert (result.already_present, result.imported, result.head_number) == (2, BLOCKS - 3, BLOCKS)


def _blocks(test: Chain) -> list[CancunBlock]:
    return [rlp.decode(test.store.block_rlp(n), sedes=CancunBlock) for n in range(1, BLOCKS + 1)]


def _resealed(block: CancunBlock, key: bytes, **changes: object) -> CancunBlock:
    header = block.header.copy(**changes, extra_data=VANITY + bytes(SIGNATURE_LENGTH))
    return block.copy(header=sign_block_header(header, eth_keys.PrivateKey(key)))


def _file(path: Path, blocks: list[CancunBlock]) -> Path:
    path.write_bytes(b"".join(rlp.encode(b) for b in blocks))
    return path


def _tampered_cases(test: Chain) -> dict[str, tuple[list[CancunBlock], str]]:
    blocks = _blocks(test)
    sealer_key = bytes(test.sealer.key)
    third = blocks[2]
    without_tx = third.copy(transactions=third.transactions[:1])
    stranger = bytes(Account.create().key)
    return {
        "changed state root": (
            [*blocks[:2], _resealed(third, sealer_key, state_root=b"\x11" * 32)],
            "state_root"),
        "forged seal": ([*blocks[:2], _resealed(third, stranger)], "is not authorized"),
        "removed transaction": (
            [*blocks[:2], _resealed(without_tx, sealer_key)], "transaction_root"),
        "timestamp an hour ahead": (
            [*blocks[:2], _resealed(third, sealer_key, timestamp=int(time.time()) + 3600)],
            "in the future"),
    }


@pytest.mark.parametrize("case", ["changed state root", "forged seal", "removed transaction",
                                  "timestamp an hour ahead"])
def test_import_refuses_a_bad_block_and_keeps_what_came_before(
    source: Chain, tmp_path: Path, case: str
) -> None:
    genesis = _write_genesis(source, tmp_path / "genesis.json")
    blocks, reason = _tampered_cases(source)[case]
    with pytest.raises(BlockRejectedError, match=reason) as refused:
        import_block_file(tmp_path / "copy", _file(tmp_path / "bad.rlp", blocks), genesis)
    assert refused.value.block_number == 3
    copy = LedgerStore(tmp_path / "copy" / "chain.sqlite")
    head = copy.head()
    assert head is not None and head.number == 2  # blocks 1 and 2 stay; nothing of block 3
    assert copy.block_by_number(3) is None
    copy.close()
    # The honest file still imports on top.
    export_block_file(source.store.path.parent, tmp_path / "good.rlp")
    assert import_block_file(tmp_path / "copy", tmp_path / "good.rlp").head_number == BLOCKS


def test_import_refuses_a_signer_sealing_too_often(tmp_path: Path) -> None:
    """Two authorities: neither may seal two blocks in a row (EIP-225: at most one of the
    last floor(N/2)+1 blocks), whatever difficulty it claims."""
    (tmp_path / "source").mkdir()
    test = make_chain(tmp_path / "source", standby=1)
    proposal = {bytes.fromhex(test.standby[0].address[2:]): True}
    for offset in range(1, 5):  # vote the standby key in; then the two alternate
        test.chain.build_block([], test.genesis_timestamp + offset, proposal)
    snapshots = test.chain.snapshots
    number = next(n for n in range(2, 5) if len(snapshots.at(n - 1).signers) == 2)
    previous_signer = get_block_signer(test.chain.header_by_number(number - 1))
    assert get_block_signer(test.chain.header_by_number(number)) != previous_signer
    blocks = [rlp.decode(test.store.block_rlp(n), sedes=CancunBlock) for n in range(1, number + 1)]
    keys = {bytes.fromhex(a.address[2:]): bytes(a.key) for a in (test.sealer, *test.standby)}
    in_turn = snapshots.at(number - 1).in_turn_signer(number) == previous_signer
    again = _resealed(blocks[-1], keys[previous_signer], difficulty=2 if in_turn else 1)
    genesis = _write_genesis(test, tmp_path / "genesis.json")
    with pytest.raises(BlockRejectedError, match="(?i)recent") as refused:
        import_block_file(tmp_path / "copy", _file(tmp_path / "bad.rlp", [*blocks[:-1], again]),
                          genesis)
    assert refused.value.block_number == number


def test_unreadable_files_are_refused_with_the_offset(source: Chain, tmp_path: Path) -> None:
    genesis = _write_genesis(source, tmp_path / "genesis.json")
    export_block_file(source.store.path.parent, tmp_path / "good.rlp")
    data = (tmp_path / "good.rlp").read_bytes()
    (tmp_path / "truncated.rlp").write_bytes(data[:-10])
    with pytest.raises(BlockFileError, match="truncated"):
        import_block_file(tmp_path / "c1", tmp_path / "truncated.rlp", genesis)
    # A length prefix claiming 2**40 bytes is refused before anything is read.
    (tmp_path / "huge.rlp").write_bytes(b"\xfd" + (2**40).to_bytes(6, "big") + b"\x00" * 8)
    with pytest.raises(BlockFileError, match="exceeds"):
        import_block_file(tmp_path / "c2", tmp_path / "huge.rlp", genesis)
    (tmp_path / "text.rlp").write_bytes(b"hello")
    with pytest.raises(BlockFileError, match="not an RLP list"):
        import_block_file(tmp_path / "c3", tmp_path / "text.rlp", genesis)
    (tmp_path / "list.rlp").write_bytes(rlp.encode([b"not", b"a", b"block"]))
    with pytest.raises(BlockFileError, match="not a block"):
        import_block_file(tmp_path / "c4", tmp_path / "list.rlp", genesis)


def test_another_networks_genesis_is_refused(source: Chain, tmp_path: Path) -> None:
    genesis = _write_genesis(source, tmp_path / "genesis.json")
    export_block_file(source.store.path.parent, tmp_path / "blocks.rlp")
    document = json.loads(genesis.read_text())
    document["timestamp"] += 1  # another block 0
    (tmp_path / "other.json").write_text(json.dumps(document))
    with pytest.raises(GenesisError, match="builds block 0"):
        import_block_file(tmp_path / "c1", tmp_path / "blocks.rlp", tmp_path / "other.json")
    assert not (tmp_path / "c1" / "chain.sqlite").exists()
    import_block_file(tmp_path / "c2", tmp_path / "blocks.rlp", genesis)
    (tmp_path / "other-source").mkdir()
    other = make_chain(tmp_path / "other-source")
    with pytest.raises(GenesisError, match="another network"):
        import_block_file(tmp_path / "c2", tmp_path / "blocks.rlp",
                          _write_genesis(other, tmp_path / "other-genesis.json"))

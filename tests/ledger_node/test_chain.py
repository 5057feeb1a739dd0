"""Block building, sealing (checked by py-evm's own Clique code), and durable state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rlp
from eth._utils.address import generate_contract_address
from eth.consensus.clique import CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique._utils import get_block_signer, sign_block_header
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import ValidationError, to_checksum_address

from bench.node_bench import COUNTER_INIT
from ledger_node.chain import (
    VANITY,
    ChainConfig,
    LedgerChain,
    parse_extra_data_signers,
)
from ledger_node.errors import GenesisError, TxRejected
from ledger_node.store import LedgerStore
from ledger_node.transactions import decode_signed_transaction
from tests.ledger_node.chain_helpers import CHAIN_ID, make_chain, pyevm_follower, transfer


def test_blocks_validate_and_reexecute_under_pyevm_clique(tmp_path: Path) -> None:
    """A py-evm follower configured with py-evm's CliqueApplier imports every block we
    seal: seal, in-turn difficulty, signer list at epochs, gas, base fee and state root."""
    test = make_chain(tmp_path)
    alice, bob = test.users
    counter = to_checksum_address(generate_contract_address(bytes.fromhex(bob.address[2:]), 0))
    deploy = decode_signed_transaction(bytes(bob.sign_transaction({
        "data": COUNTER_INIT, "gas": 200_000, "gasPrice": 0, "nonce": 0, "chainId": CHAIN_ID,
        "value": 0}).raw_transaction))
    out_of_gas = decode_signed_transaction(bytes(bob.sign_transaction({
        "to": counter, "data": b"", "gas": 21_100, "gasPrice": 0, "nonce": 1,
        "chainId": CHAIN_ID, "value": 0}).raw_transaction))
    dynamic_fee = decode_signed_transaction(bytes(bob.sign_transaction({
        "to": alice.address, "value": 3, "gas": 21_000, "maxFeePerGas": 10,
        "maxPriorityFeePerGas": 1, "nonce": 2, "chainId": CHAIN_ID}).raw_transaction))
    built = test.chain.build_block([deploy, out_of_gas, dynamic_fee], test.genesis_timestamp + 1)
    assert [r.state_root for r in built.receipts] == [b"\x01", b"", b"\x01"]  # EIP-658
    nonce = 0
    for block_index in range(5):  # epoch 4: block 4 is a checkpoint with the signer list
        txs = [transfer(alice, nonce + i, to=bob.address) for i in range(3)]
        txs += [decode_signed_transaction(bytes(alice.sign_transaction({
            "to": counter, "data": b"", "gas": 100_000, "gasPrice": 0, "nonce": nonce + 3 + i,
            "chainId": CHAIN_ID, "value": 0}).raw_transaction)) for i in range(2)]
        nonce += 5
        built = test.chain.build_block(txs, test.genesis_timestamp + 2 + block_index)
        assert len(built.included) == 5 and not built.dropped
        assert len(built.logs) == 2

    follower = pyevm_follower(test)
    ours = test.chain.chain
    for number in range(1, 7):
        block = ours.get_canonical_block_by_number(number)
        follower.import_block(block)  # raises on any invalid header, seal or state root
        assert test.store.block_by_number(number).size == len(rlp.encode(block))
        assert get_block_signer(block.header) == bytes.fromhex(test.sealer.address[2:])
        assert block.header.difficulty == 2
        assert block.header.base_fee_per_gas == 0
    checkpoint = ours.get_canonical_block_by_number(4).header
    assert parse_extra_data_signers(checkpoint.extra_data) == [bytes.fromhex(test.sealer.address[2:])]
    assert follower.get_canonical_head().state_root == test.chain.head_header.state_root

    # py-evm's Clique snapshot agrees on the signer set.
    consensus = CliqueConsensus(CliqueConsensusContext(follower.chaindb.db))
    snapshot = consensus.get_snapshot(follower.get_canonical_head())
    assert snapshot.get_sorted_signers() == [bytes.fromhex(test.sealer.address[2:])]


def test_state_survives_reopen_and_uncommitted_writes_vanish(tmp_path: Path) -> None:
    test = make_chain(tmp_path)
    alice, bob = test.users
    built = test.chain.build_block([transfer(alice, 0, value=5, to=bob.address)],
                                   test.genesis_timestamp + 1)
    root = built.block.header.state_root
    # Writes buffered but never committed (a crash mid-block) must not reach the file.
    test.store.kv[b"garbage-key"] = b"x"
    test.store.close()

    store = LedgerStore(tmp_path / "chain.sqlite")
    chain = LedgerChain(store, test.config, None)
    assert chain.head_header.block_number == 1
    assert chain.head_header.state_root == root
    assert store.kv_get(b"garbage-key") is None
    state = chain.state_at(chain.head_header)
    assert state.get_balance(bytes.fromhex(bob.address[2:])) == 10**24 + 5
    row = store.tx_by_hash(built.included[0].hash)
    assert row is not None and row.status == 1 and row.gas_used == 21_000


def test_invalid_transactions_are_dropped_not_fatal(tmp_path: Path) -> None:
    test = make_chain(tmp_path)
    alice, _ = test.users
    good = transfer(alice, 0)
    bad_nonce = transfer(alice, 5)
    too_rich = transfer(alice, 1, value=10**30)
    built = test.chain.build_block([good, bad_nonce, too_rich], test.genesis_timestamp + 1)
    assert [s.hash for s in built.included] == [good.hash]
    assert {s.hash for s, _ in built.dropped} == {bad_nonce.hash, too_rich.hash}


def test_gas_limit_defers_the_rest(tmp_path: Path) -> None:
    test = make_chain(tmp_path, gas_limit=50_000)
    alice, _ = test.users
    txs = [transfer(alice, i) for i in range(4)]
    built = test.chain.build_block(txs, test.genesis_timestamp + 1)
    assert len(built.included) == 2 and len(built.deferred) == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("blob_gas_used", 131_072), ("excess_blob_gas", 1), ("withdrawals_root", b"\x01" * 32),
     ("parent_beacon_block_root", b"\x02" * 32), ("base_fee_per_gas", 7)],
)
def test_followers_refuse_a_resealed_block_with_a_fixed_cancun_field_changed(
    tmp_path: Path, field: str, value: object
) -> None:
    """The header fields a chain without blobs, withdrawals or a beacon chain fixes are
    checked by the follower's VM even when the block is sealed by a real authority."""
    test = make_chain(tmp_path)
    alice, bob = test.users
    test.chain.build_block([transfer(alice, 0, to=bob.address)], test.genesis_timestamp + 1)
    block = test.chain.chain.get_canonical_block_by_number(1)
    unsealed = block.header.copy(**{field: value}, extra_data=VANITY + bytes(SIGNATURE_LENGTH))
    forged = block.copy(header=sign_block_header(unsealed, eth_keys.PrivateKey(
        bytes(test.sealer.key))))
    follower = pyevm_follower(test)
    with pytest.raises(ValidationError, match=field.replace("_per_gas", "")
                       .replace("base_fee", "base fee")):
        follower.import_block(forged)
    follower.import_block(block)  # the honest block still imports


def test_a_chain_config_made_for_london_is_refused_with_a_reason() -> None:
    config = ChainConfig(chain_id=CHAIN_ID, period=1, signers=("0x" + "11" * 20,))
    old = json.loads(config.to_json())
    del old["evm"]  # written before the chain ran Cancun
    with pytest.raises(GenesisError, match="made for the 'london' EVM"):
        ChainConfig.from_json(json.dumps(old))
    assert ChainConfig.from_json(config.to_json()) == config


def test_blob_transactions_are_refused_at_admission() -> None:
    sender = Account.create()
    blob_tx = {
        "type": 3, "chainId": CHAIN_ID, "nonce": 0, "to": sender.address, "value": 0,
        "gas": 21_000, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0, "maxFeePerBlobGas": 1,
        "blobVersionedHashes": ["0x01" + "00" * 31], "accessList": [], "data": b"",
    }
    raw = bytes(sender.sign_transaction(blob_tx).raw_transaction)
    with pytest.raises(TxRejected, match="transaction type not supported"):
        decode_signed_transaction(raw)

"""Today's EVM under Clique: a contract compiled with solc's default settings (PUSH0,
transient storage, MCOPY, BLOBBASEFEE, PREVRANDAO) deploys and runs on our node exactly as
on anvil (Cancun), through web3.py. ethers and viem run the same contract in
test_js_clients.py. Until the node ran Cancun this deployment failed with "invalid
opcode" (PUSH0)."""

from __future__ import annotations

from typing import Any

import pytest

from testing.devnet import Backend
from tests.ledger_node.probe import todays_evm_artifact
from tests.ledger_node.test_conformance import _send, _w3

PUSH0, MCOPY, TLOAD, TSTORE, BLOBBASEFEE, PREVRANDAO = 0x5F, 0x5E, 0x5C, 0x5D, 0x4A, 0x44
PUSH1, PUSH32 = 0x60, 0x7F


def _opcodes(code: bytes) -> set[int]:
    """Opcodes of deployed code, skipping PUSH data and the CBOR metadata at the end."""
    body = code[: -(int.from_bytes(code[-2:], "big") + 2)]
    found, position = set(), 0
    while position < len(body):
        opcode = body[position]
        found.add(opcode)
        position += 1 + (opcode - PUSH1 + 1 if PUSH1 <= opcode <= PUSH32 else 0)
    return found


def test_the_contract_is_compiled_for_solcs_default_target_and_uses_post_london_opcodes() -> None:
    artifact = todays_evm_artifact()
    assert artifact["evmVersion"] not in {"london", "berlin", "istanbul"}
    used = _opcodes(bytes.fromhex(artifact["deployedBytecode"][2:]))
    assert {PUSH0, MCOPY, TLOAD, TSTORE, BLOBBASEFEE, PREVRANDAO} <= used


@pytest.fixture(scope="module")
def todays_evm(backend: Backend) -> Any:
    w3 = _w3(backend)
    artifact = todays_evm_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    data = factory.constructor().build_transaction({"gas": 0, "gasPrice": 0})["data"]
    receipt = _send(w3, backend, "enterprise1", {"data": data})
    assert receipt.status == 1, f"deployment failed on {backend.name}"
    code = w3.eth.get_code(receipt.contractAddress)
    assert code.hex().removeprefix("0x") == artifact["deployedBytecode"][2:]
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])


def test_transient_storage_lives_for_one_transaction(backend: Backend, todays_evm: Any) -> None:
    w3 = _w3(backend)
    assert todays_evm.functions.roundTrip(7).call() == 7  # TSTORE, nested call, TLOAD
    data = todays_evm.encode_abi("setTransient", args=[5])
    receipt = _send(w3, backend, "enterprise1", {"to": todays_evm.address, "data": data})
    assert receipt.status == 1
    assert todays_evm.functions.readTransient().call() == 0  # cleared after that transaction


def test_a_transient_reentrancy_guard_in_a_transaction(backend: Backend, todays_evm: Any) -> None:
    w3 = _w3(backend)
    before = todays_evm.functions.entered().call()
    data = todays_evm.encode_abi("guarded", args=[])
    receipt = _send(w3, backend, "enterprise1", {"to": todays_evm.address, "data": data})
    assert receipt.status == 1
    assert todays_evm.functions.entered().call() == before + 1
    assert todays_evm.functions.guarded().call() == 1


def test_mcopy(todays_evm: Any) -> None:
    payload = bytes(range(256)) * 3 + b"tail"
    assert todays_evm.functions.copy(payload).call() == payload
    assert todays_evm.functions.copy(b"").call() == b""


def test_blob_base_fee_and_prevrandao_of_a_chain_without_blobs(
    backend: Backend, todays_evm: Any
) -> None:
    # No blobs: excess blob gas stays 0, so the blob base fee is EIP-4844's minimum, 1 wei.
    assert todays_evm.functions.blobBaseFee().call() == 1
    if backend.name == "ledger":
        # PREVRANDAO is the header's mixHash, which Clique leaves 0 (anvil's is random).
        assert todays_evm.functions.prevrandao().call() == 0
        block = _w3(backend).eth.get_block("latest")
        assert block["mixHash"] == bytes(32)
        assert block["withdrawalsRoot"].hex().removeprefix("0x") == (
            "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")  # empty trie
        assert block["blobGasUsed"] == 0 and block["excessBlobGas"] == 0
        assert block["parentBeaconBlockRoot"] == bytes(32)
        assert block["difficulty"] in (1, 2)  # Clique's in-turn / out-of-turn, not 0

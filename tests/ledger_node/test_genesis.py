"""`node init`: deterministic contract addresses, roles, deployment.json, key handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth._utils.address import generate_contract_address
from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from contracts.artifacts import load_artifact
from ledger_node.errors import GenesisError, KeyStoreError
from ledger_node.genesis import CONTRACT_NAMES, abi_sha256, init_data_dir
from ledger_node.keys import PASSPHRASE_ENV, new_key, read_keystore, write_keystore
from ledger_node.node import LedgerNode, NodeSettings
from testing.devnet import Backend, rpc

ROLE_OF = function_signature_to_4byte_selector("roleOf(address)")
IS_MEMBER = function_signature_to_4byte_selector("isMember(address)")


def _call_uint(backend: Backend, to: str, selector: bytes, address: str) -> int:
    data = "0x" + (selector + bytes(12) + bytes.fromhex(address[2:])).hex()
    result = rpc(backend.url, "eth_call", [{"to": to, "data": data}, "latest"])
    (value,) = abi_decode(["uint256"], bytes.fromhex(result[2:]))
    return int(value)


def test_dev_deployment_document_and_roles(ledger_backend: Backend) -> None:
    deployment = ledger_backend.deployment
    assert deployment is not None
    assert deployment["chainId"] == ledger_backend.chain_id
    genesis = rpc(ledger_backend.url, "eth_getBlockByNumber", ["0x0", False])
    assert genesis["hash"] == deployment["genesisHash"]
    admin = bytes.fromhex(deployment["accounts"]["admin"][2:])
    for nonce, name in enumerate(CONTRACT_NAMES):
        entry = deployment["contracts"][name]
        assert entry["address"] == to_checksum_address(generate_contract_address(admin, nonce))
        assert entry["abiSha256"] == abi_sha256(list(load_artifact(name).abi))
        code = rpc(ledger_backend.url, "eth_getCode", [entry["address"], "latest"])
        assert code == load_artifact(name).deployed_bytecode.lower() or len(code) > 1_000
    registry = deployment["contracts"]["MemberRegistry"]["address"]
    expected_roles = {"admin": 1, "regulator": 2, "anchorer": 3, "witness": 4, "enterprise1": 5,
                      "enterprise2": 5}  # the witness key only on dev chains (`up --dev` runs it)
    for role, number in expected_roles.items():
        account = deployment["accounts"][role]
        assert _call_uint(ledger_backend, registry, ROLE_OF, account) == number, role
        assert _call_uint(ledger_backend, registry, IS_MEMBER, account) == 1, role
    assert rpc(ledger_backend.url, "clique_getSigners", []) == [deployment["accounts"]["sealer"]]
    keys = json.loads((ledger_backend.data_dir / "dev-keys.json").read_text())  # type: ignore[operator]
    assert "DEVELOPMENT KEYS" in keys["warning"]


def test_network_init_writes_only_encrypted_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery staple")
    result = init_data_dir(tmp_path, dev=False, chain_id=4242)
    assert not (tmp_path / "dev-keys.json").exists()
    keystores = sorted(p.name for p in (tmp_path / "keystore").iterdir())
    assert keystores == ["admin.json", "anchorer.json", "regulator.json", "sealer.json"]
    # No plain private key anywhere in the data directory.
    sealer = read_keystore(tmp_path / "keystore" / "sealer.json", "sealer",
                           "correct horse battery staple")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert sealer.private_key.hex() not in path.read_bytes().hex()
            assert sealer.private_key.hex() not in path.read_bytes().decode("latin-1")
    assert result.deployment["chainId"] == 4242 and result.deployment["dev"] is False
    assert (tmp_path / "keystore" / "sealer.json").stat().st_mode & 0o077 == 0

    node = LedgerNode(NodeSettings(data_dir=tmp_path))  # decrypts with the env passphrase
    try:
        assert node.chain.head_header.block_number == 1
        assert node.config.chain_id == 4242
    finally:
        node.close()

    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(KeyStoreError):
        LedgerNode(NodeSettings(data_dir=tmp_path))


def test_init_refuses_without_passphrase_or_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(KeyStoreError):
        init_data_dir(tmp_path / "a", dev=False)
    assert not (tmp_path / "a" / "chain.sqlite").exists()
    init_data_dir(tmp_path / "b", dev=True)
    with pytest.raises(GenesisError):
        init_data_dir(tmp_path / "b", dev=True)


def test_supplied_keystores_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "pw")
    supplied = tmp_path / "supplied"
    admin = new_key("admin")
    write_keystore(supplied, admin, "pw")
    result = init_data_dir(tmp_path / "node", dev=False, key_dir=supplied / "keystore")
    assert result.deployment["accounts"]["admin"] == admin.address
    registry = result.deployment["contracts"]["MemberRegistry"]["address"]
    assert registry == to_checksum_address(
        generate_contract_address(bytes.fromhex(admin.address[2:]), 0))

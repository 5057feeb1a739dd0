"""`node init`: genesis block, bootstrap block with the three contracts, deployment.json.

Deterministic addresses: block 0 holds only balances and the Clique signer list; block 1
(the bootstrap block, sealed by `init`) holds transactions from the admin account at nonces
0, 1, 2 deploying MemberRegistry([admin], 1), TraceAnchor(registry) and
RecallRegistry(registry), so their addresses are CREATE(admin, 0..2), then grants the
anchorer and regulator roles and, with `--dev`, the witness role to the dev witness key and
registers the two development enterprises.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth._utils.address import generate_contract_address
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_keys import keys as eth_keys
from eth_utils import is_address, keccak, to_checksum_address

from contracts.abi import Contract, MemberRole, abi_entry, canonical_type
from contracts.artifacts import load_artifact
from ledger_node.chain import ChainConfig, LedgerChain
from ledger_node.errors import GenesisError
from ledger_node.keys import (
    ADMIN,
    ANCHORER,
    DEV_ROLES,
    ENTERPRISE_1,
    ENTERPRISE_2,
    NETWORK_ROLES,
    REGULATOR,
    WITNESS,
    NodeKey,
    new_key,
    read_keystore,
    read_passphrase,
    sealer_role,
    write_dev_keys,
    write_keystore,
)
from ledger_node.store import LedgerStore
from ledger_node.transactions import decode_signed_transaction

logger = logging.getLogger(__name__)

STORE_FILE = "chain.sqlite"
DEPLOYMENT_FILE = "deployment.json"
GENESIS_FILE = "genesis.json"  # what a follower needs to rebuild block 0 (no keys)
DEFAULT_CHAIN_ID = 7331
DEFAULT_PERIOD = 1
DEV_BALANCE = 10**24  # 1,000,000 ether per development account, as anvil's 10,000 ether
BOOTSTRAP_GAS = 15_000_000
# Deployed by block 1 in this order (the nonce decides each address).
CONTRACT_NAMES = (Contract.MEMBER_REGISTRY, Contract.TRACE_ANCHOR, Contract.RECALL_REGISTRY)
SECTOR_FOOD = 1
SECTOR_SPECIAL_EQUIPMENT = 2
DEV_ENTERPRISES = {
    ENTERPRISE_1: (b"dev-enterprise-1", SECTOR_FOOD, ["0614141"]),
    ENTERPRISE_2: (b"dev-enterprise-2", SECTOR_SPECIAL_EQUIPMENT, ["4012345"]),
}


@dataclass(frozen=True)
class InitResult:
    """What `init` wrote: the deployment document and where the keys went."""

    deployment: dict[str, Any]
    key_files: tuple[Path, ...]


def abi_sha256(abi: Any) -> str:
    """SHA-256 of the ABI as canonical JSON (sorted keys, no spaces), hex."""
    canonical = json.dumps(abi, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _call_data(contract: Contract, function: str, args: list[Any]) -> bytes:
    entry = abi_entry(contract, "function", function)
    types = [canonical_type(argument) for argument in entry.item["inputs"]]
    return entry.selector + abi_encode(types, args)


def _load_artifacts() -> dict[str, Any]:
    return {name: load_artifact(name) for name in CONTRACT_NAMES}


def bootstrap_transactions(
    keys: dict[str, NodeKey], chain_id: int, artifacts: dict[str, Any]
) -> tuple[list[bytes], dict[str, str]]:
    """The signed raw transactions of block 1 and the contract addresses they create."""
    admin = keys[ADMIN]
    admin_address = bytes.fromhex(admin.address[2:])
    addresses = {
        name: to_checksum_address(generate_contract_address(admin_address, nonce))
        for nonce, name in enumerate(CONTRACT_NAMES)
    }
    registry = addresses[Contract.MEMBER_REGISTRY]
    payloads: list[tuple[str | None, bytes]] = [
        (None, bytes.fromhex(artifacts[Contract.MEMBER_REGISTRY].bytecode[2:])
         + abi_encode(["address[]", "uint256"], [[admin.address], 1])),
        (None, bytes.fromhex(artifacts[Contract.TRACE_ANCHOR].bytecode[2:])
         + abi_encode(["address"], [registry])),
        (None, bytes.fromhex(artifacts[Contract.RECALL_REGISTRY].bytecode[2:])
         + abi_encode(["address"], [registry])),
        (registry, _call_data(Contract.MEMBER_REGISTRY, "proposeRoleChange",
                              [keys[ANCHORER].address, MemberRole.ANCHORER])),
        (registry, _call_data(Contract.MEMBER_REGISTRY, "proposeRoleChange",
                              [keys[REGULATOR].address, MemberRole.REGULATOR])),
    ]
    if WITNESS in keys:  # dev chains only (ledger_node.keys.DEV_ROLES)
        payloads.append((registry, _call_data(Contract.MEMBER_REGISTRY, "proposeRoleChange",
                                              [keys[WITNESS].address, MemberRole.WITNESS])))
    for role, (label, sectors, prefixes) in DEV_ENTERPRISES.items():
        if role in keys:
            payloads.append((registry, _call_data(
                Contract.MEMBER_REGISTRY, "registerEnterprise",
                [keccak(label), keys[role].address, sectors, prefixes, bytes(32)],
            )))
    raws = []
    for nonce, (to, data) in enumerate(payloads):
        tx: dict[str, Any] = {
            "nonce": nonce, "gas": BOOTSTRAP_GAS, "gasPrice": 0, "value": 0,
            "data": data, "chainId": chain_id,
        }
        if to is not None:
            tx["to"] = to
        raws.append(bytes(Account.sign_transaction(tx, admin.private_key).raw_transaction))
    return raws, addresses


def init_data_dir(
    data_dir: Path,
    *,
    dev: bool,
    chain_id: int = DEFAULT_CHAIN_ID,
    period: int = DEFAULT_PERIOD,
    passphrase_file: Path | None = None,
    key_dir: Path | None = None,
    signers: int = 1,
    genesis_signers: int | None = None,
    other_authorities: tuple[str, ...] = (),
) -> InitResult:
    """Create keys, genesis and bootstrap block in `data_dir`; write deployment.json.

    Raises GenesisError if `data_dir` already holds a chain or a bootstrap transaction fails
    (then no chain file is left behind). Without `dev`, keys are written only as scrypt
    keystores and the passphrase is required before anything is written. With `key_dir`,
    the keystores KEY_DIR/<role>.json found there (same passphrase) are used instead of
    new keys; roles without one get a new key. The node gets `signers` authority keys
    (roles sealer, sealer2, ...); the first `genesis_signers` (default: all) are the Clique
    signers of block 0, the others can be voted in (`clique_propose`).
    `other_authorities` (0x addresses) are signers of block 0 whose keys other
    organisations hold, on their own nodes (a consortium's genesis).
    """
    genesis_signers = signers if genesis_signers is None else genesis_signers
    if not 1 <= genesis_signers <= signers:
        raise GenesisError(f"need 1 <= genesis signers ({genesis_signers}) <= signers ({signers})")
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / STORE_FILE).exists():
        raise GenesisError(f"{data_dir} already holds a chain ({STORE_FILE})")
    passphrase = None if dev else read_passphrase(passphrase_file)
    sealer_roles = [sealer_role(i) for i in range(signers)]
    roles = [*(DEV_ROLES if dev else NETWORK_ROLES), *sealer_roles[1:]]
    keys = {role: new_key(role) for role in roles}
    if key_dir is not None:
        if passphrase is None:
            raise GenesisError("--key-dir needs keystores and a passphrase: not with --dev")
        for role in roles:
            if (key_dir / f"{role}.json").exists():
                keys[role] = read_keystore(key_dir / f"{role}.json", role, passphrase)
    artifacts = _load_artifacts()

    if dev:
        key_files: tuple[Path, ...] = (write_dev_keys(data_dir, keys),)
    else:
        assert passphrase is not None
        key_files = tuple(write_keystore(data_dir, key, passphrase) for key in keys.values())

    bad = [a for a in other_authorities if not is_address(a)]
    if bad:
        raise GenesisError(f"authority {bad[0]!r} is not an address")
    authorities = sorted({*(keys[r].address for r in sealer_roles[:genesis_signers]),
                          *(to_checksum_address(a) for a in other_authorities)})
    config = ChainConfig(chain_id=chain_id, period=period, signers=tuple(authorities))
    alloc = {bytes.fromhex(k.address[2:]): DEV_BALANCE for k in keys.values()} if dev else {}
    genesis_timestamp = int(time.time()) - 1
    store = LedgerStore(data_dir / STORE_FILE)
    completed = False
    try:
        genesis = LedgerChain.create_genesis(store, config, alloc, genesis_timestamp)
        held = [eth_keys.PrivateKey(keys[r].private_key) for r in sealer_roles]
        chain = LedgerChain(store, config, held)
        raws, addresses = bootstrap_transactions(keys, chain_id, artifacts)
        txs = [decode_signed_transaction(raw) for raw in raws]
        built = chain.build_block(txs, int(time.time()))
        failed = [i for i, r in enumerate(built.receipts) if r.state_root != b"\x01"]
        if failed or built.dropped or built.deferred:
            raise GenesisError(f"bootstrap transactions failed: {failed} {built.dropped}")
        store.set_meta("member_registry", addresses[Contract.MEMBER_REGISTRY])
        completed = True
    finally:
        store.close()
        if not completed:  # no half-initialised chain: remove the store and its WAL
            for suffix in ("", "-wal", "-shm"):
                (data_dir / (STORE_FILE + suffix)).unlink(missing_ok=True)

    deployment = {
        "chainId": chain_id,
        "genesisHash": "0x" + genesis.hash.hex(),
        "bootstrapBlock": 1,
        "clique": {"period": period, "epoch": config.epoch, "signers": list(config.signers)},
        "contracts": {
            name: {"address": addresses[name], "abiSha256": abi_sha256(list(artifacts[name].abi))}
            for name in CONTRACT_NAMES
        },
        "accounts": {role: key.address for role, key in keys.items()},
        "dev": dev,
    }
    (data_dir / DEPLOYMENT_FILE).write_text(json.dumps(deployment, indent=2) + "\n")
    genesis_document = {
        "config": json.loads(config.to_json()),
        "timestamp": genesis_timestamp,
        "alloc": {to_checksum_address(a): hex(b) for a, b in alloc.items()},
        "hash": "0x" + genesis.hash.hex(),
    }
    (data_dir / GENESIS_FILE).write_text(json.dumps(genesis_document, indent=2) + "\n")
    logger.info("initialised %s: chain id %d genesis 0x%s", data_dir, chain_id, genesis.hash.hex())
    return InitResult(deployment, key_files)

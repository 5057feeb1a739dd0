"""Node and bootstrap keys: scrypt keystores, or plain development keys with `--dev`.

Layout of a data directory:
  keystore/<role>.json  Ethereum keystore v3 (scrypt + AES-128-CTR), one per role, written
                        unless `--dev`; decrypted with the passphrase from the environment
                        variable TRACELEDGER_NODE_PASSPHRASE or a passphrase file.
  dev-keys.json         `--dev` only: DEVELOPMENT KEYS in plain text, like anvil's accounts.
  node-key              the node key (secp256k1, hex) that signs peer messages, as geth's
                        `nodekey`: made on first use, owner-only. It only names the node
                        to its peers (it holds no funds and seals nothing), so it is kept
                        in plain text like geth's; its public half is the node id peers list.
Keys and passphrases are never logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from ledger_node.errors import KeyStoreError

PASSPHRASE_ENV = "TRACELEDGER_NODE_PASSPHRASE"
DEV_KEYS_FILE = "dev-keys.json"
NODE_KEY_FILE = "node-key"
KEYSTORE_DIR = "keystore"

# Role names used in deployment.json and dev-keys.json.
SEALER = "sealer"
ADMIN = "admin"
ANCHORER = "anchorer"
REGULATOR = "regulator"
WITNESS = "witness"
ENTERPRISE_1 = "enterprise1"
ENTERPRISE_2 = "enterprise2"
NETWORK_ROLES = (SEALER, ADMIN, ANCHORER, REGULATOR)
# A dev chain also has a witness key (`traceledger up --dev` runs the witness); on a real
# network the witness is a regulator's, with its own key, granted the role by the admins.
DEV_ROLES = (*NETWORK_ROLES, WITNESS, ENTERPRISE_1, ENTERPRISE_2)

DEV_WARNING = (
    "DEVELOPMENT KEYS in plain text, written by `traceledger node init --dev`. "
    "Anyone who reads this file controls these accounts. Never use them on a real network."
)


@dataclass(frozen=True)
class NodeKey:
    """A role's private key (32 bytes) and its checksummed address."""

    role: str
    private_key: bytes
    address: str

    def __repr__(self) -> str:  # never print the key
        return f"NodeKey(role={self.role!r}, address={self.address!r})"


def new_key(role: str) -> NodeKey:
    """A fresh random key for `role`."""
    account = Account.create()
    return NodeKey(role, bytes(account.key), account.address)


def read_passphrase(passphrase_file: Path | None) -> str:
    """The keystore passphrase from `passphrase_file` (first line) or $TRACELEDGER_NODE_PASSPHRASE.

    Raises KeyStoreError if neither gives a non-empty passphrase.
    """
    if passphrase_file is not None:
        try:
            text = passphrase_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise KeyStoreError(f"cannot read passphrase file {passphrase_file}") from exc
        passphrase = text[0] if text else ""
    else:
        passphrase = os.environ.get(PASSPHRASE_ENV, "")
    if not passphrase:
        raise KeyStoreError(
            f"no keystore passphrase: set {PASSPHRASE_ENV} or pass --passphrase-file"
        )
    return passphrase


def write_keystore(data_dir: Path, key: NodeKey, passphrase: str) -> Path:
    """Encrypt `key` (scrypt) to DATA_DIR/keystore/<role>.json, mode 0600; return the path."""
    directory = data_dir / KEYSTORE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{key.role}.json"
    document = Account.encrypt(key.private_key, passphrase, kdf="scrypt")
    _write_private(path, json.dumps(document, indent=2))
    return path


def read_keystore(path: Path, role: str, passphrase: str) -> NodeKey:
    """Decrypt the keystore at `path`. Raises KeyStoreError on a missing file or bad passphrase."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        private_key = bytes(Account.decrypt(document, passphrase))
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"cannot decrypt keystore {path} (wrong passphrase?)") from exc
    return NodeKey(role, private_key, Account.from_key(private_key).address)


def write_dev_keys(data_dir: Path, keys: dict[str, NodeKey]) -> Path:
    """Write DATA_DIR/dev-keys.json (plain development keys, mode 0600); return the path."""
    document = {
        "warning": DEV_WARNING,
        "accounts": {
            role: {"address": key.address, "privateKey": "0x" + key.private_key.hex()}
            for role, key in keys.items()
        },
    }
    path = data_dir / DEV_KEYS_FILE
    _write_private(path, json.dumps(document, indent=2))
    return path


def read_dev_keys(data_dir: Path) -> dict[str, NodeKey]:
    """The keys of DATA_DIR/dev-keys.json by role. Raises KeyStoreError if absent."""
    path = data_dir / DEV_KEYS_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyStoreError(f"cannot read {path}") from exc
    result = {}
    for role, entry in document["accounts"].items():
        private_key = bytes.fromhex(entry["privateKey"].removeprefix("0x"))
        result[role] = NodeKey(role, private_key, Account.from_key(private_key).address)
    return result


def sealer_role(index: int) -> str:
    """The role name of the node's `index`-th authority key: sealer, sealer2, sealer3, ..."""
    return SEALER if index == 0 else f"{SEALER}{index + 1}"


def _is_sealer_role(role: str) -> bool:
    return role == SEALER or (role.startswith(SEALER) and role[len(SEALER):].isdigit())


def load_sealer_keys(data_dir: Path, passphrase_file: Path | None = None) -> list[NodeKey]:
    """The Clique authority keys a data directory holds (`sealer`, `sealer2`, ...), from
    dev-keys.json if present, else from the keystores. Raises KeyStoreError if none."""
    if (data_dir / DEV_KEYS_FILE).exists():
        found = [k for role, k in read_dev_keys(data_dir).items() if _is_sealer_role(role)]
    else:
        paths = sorted((data_dir / KEYSTORE_DIR).glob(f"{SEALER}*.json"))
        roles = [p.stem for p in paths if _is_sealer_role(p.stem)]
        passphrase = read_passphrase(passphrase_file) if roles else ""
        found = [read_keystore(data_dir / KEYSTORE_DIR / f"{r}.json", r, passphrase) for r in roles]
    if not found:
        raise KeyStoreError(f"{data_dir} holds no sealer key")
    return found


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def load_node_key(data_dir: Path, create: bool = True) -> bytes:
    """This node's peer-message key (32 bytes) from DATA_DIR/node-key, made if missing
    (and `create`). Raises KeyStoreError for a file that does not hold one."""
    path = data_dir / NODE_KEY_FILE
    if not path.exists():
        if not create:
            raise KeyStoreError(f"{path} does not exist")
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(path, os.urandom(32).hex() + "\n")
    text = path.read_text(encoding="utf-8").strip().removeprefix("0x")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise KeyStoreError(f"{path}: not a 32-byte hex node key")
    return key

"""Ed25519 note keys (log and witness) kept as passphrase-encrypted files.

File format (JSON, version 1): the Go-style signer key string
(`PRIVATE+KEY+<name>+<id>+<base64>`, signed-note) encrypted with AES-256-GCM under a key
derived with scrypt (N=2**15, r=8, p=1) from the passphrase; the public verifier key is
stored in the clear so operators can publish it without the passphrase. The file is
written with mode 0600 via a temporary file and rename. Secrets never reach a log line
or an exception message.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from anchoring.core.cosignature import WitnessCosigner
from anchoring.core.note import ALG_COSIGNATURE_V1, ALG_ED25519, NoteSigner, generate_signer_key
from anchoring.errors import KeyFileError

KEY_FILE_VERSION = 1
SCRYPT_N = 2**15
"""scrypt cost: ~0.1 s and 32 MiB per open on a 2-core machine; opened once per process."""
SCRYPT_R = 8
SCRYPT_P = 1
PASSPHRASE_ENV = "TRACELEDGER_KEY_PASSPHRASE"


def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode("utf-8")
    )


def create_key_file(
    path: Path, name: str, passphrase: str, *, witness: bool = False, scrypt_n: int = SCRYPT_N
) -> str:
    """Generate a fresh Ed25519 key named `name`, write it encrypted to `path`, return
    the verifier key string. `witness=True` makes a cosignature (type 0x04) key.

    Refuses to overwrite an existing file (KeyFileError).
    """
    if path.exists():
        raise KeyFileError(f"key file {path} already exists")
    signature_type = ALG_COSIGNATURE_V1 if witness else ALG_ED25519
    signer_key, verifier_key = generate_signer_key(
        name, secrets.token_bytes(32), signature_type=signature_type
    )
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    ciphertext = AESGCM(_derive(passphrase, salt, scrypt_n)).encrypt(
        nonce, signer_key.encode("ascii"), verifier_key.encode("ascii")
    )
    document = {
        "version": KEY_FILE_VERSION,
        "verifier_key": verifier_key,
        "kdf": {
            "name": "scrypt",
            "n": scrypt_n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "aes-256-gcm", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        json.dump(document, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return verifier_key


def read_verifier_key(path: Path) -> str:
    """The public verifier key stored in the clear in a key file."""
    try:
        return str(json.loads(path.read_text(encoding="ascii"))["verifier_key"])
    except (OSError, ValueError, KeyError) as exc:
        raise KeyFileError(f"cannot read key file {path}") from exc


def decrypt_signer_key(path: Path, passphrase: str) -> str:
    """Return the signer key string stored in `path`; KeyFileError on a wrong passphrase."""
    try:
        document = json.loads(path.read_text(encoding="ascii"))
        if document["version"] != KEY_FILE_VERSION:
            raise KeyFileError(f"key file {path} has unknown version {document['version']}")
        kdf, cipher = document["kdf"], document["cipher"]
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), int(kdf["n"]))
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(cipher["nonce"]),
            base64.b64decode(document["ciphertext"]),
            document["verifier_key"].encode("ascii"),
        )
    except InvalidTag:
        raise KeyFileError(f"wrong passphrase for key file {path}") from None
    except (OSError, ValueError, KeyError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {type(exc).__name__}") from None
    return plaintext.decode("ascii")


def load_log_signer(path: Path, passphrase: str) -> NoteSigner:
    """The log's checkpoint signer from an encrypted key file."""
    return NoteSigner.from_signer_key(decrypt_signer_key(path, passphrase))


def load_witness_cosigner(path: Path, passphrase: str) -> WitnessCosigner:
    """A witness cosigner (timestamp 0; use `.at(now)`) from an encrypted key file."""
    return WitnessCosigner.from_signer_key(decrypt_signer_key(path, passphrase), timestamp=0)


def read_passphrase(passphrase_file: Path | None = None, env_var: str = PASSPHRASE_ENV) -> str:
    """The passphrase from `passphrase_file` (first line) or else the environment variable."""
    if passphrase_file is not None:
        try:
            return passphrase_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            raise KeyFileError(f"cannot read passphrase file {passphrase_file}") from exc
    value = os.environ.get(env_var)
    if value is None:
        raise KeyFileError(f"no passphrase: set {env_var} or pass a passphrase file")
    return value

"""Timestamped Ed25519 witness cosignatures, c2sp.org/tlog-cosignature (type 0x04, v1).

A witness (a regulator, say) cosigns a checkpoint to state that, at the given time, this
was the largest consistent tree head it had seen for the log. Other tlog clients and
witnesses check these bytes, so changing the message or the signature layout breaks
every cosignature already given.

Signature line: ``— <witness name> base64(key ID || u64 timestamp || Ed25519 signature)``,
key ID = SHA-256(name || 0x0A || 0x04 || public key)[:4], signed message =
``cosignature/v1\\ntime <timestamp>\\n`` || checkpoint body. The time is passed in by the
caller: this module reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anchoring.core.errors import KeyFormatError, NoteFormatError
from anchoring.core.note import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    ED25519_KEY_SIZE,
    ED25519_SIGNATURE_SIZE,
    Ed25519VerifierKey,
    NoteSignature,
    compute_key_id,
    decode_signer_key,
    ed25519_public_key,
    ed25519_verify,
    is_valid_key_name,
)

__all__ = [
    "COSIGNATURE_SIZE",
    "MAX_TIMESTAMP",
    "WitnessCosigner",
    "WitnessVerifier",
    "cosignature_message",
    "cosignature_timestamp",
]

MAX_TIMESTAMP = 2**63 - 1
"""tlog-cosignature §Format: the timestamp "MUST NOT exceed 2^63 - 1"."""

TIMESTAMP_SIZE = 8
COSIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE
"""72: u64 timestamp || 64-byte Ed25519 signature (the bytes after the key ID)."""

_HEADER = "cosignature/v1\n"


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteFormatError("cosignature timestamp must be an int")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteFormatError(f"cosignature timestamp {timestamp} outside 0..2^63-1")


def cosignature_message(text: bytes, timestamp: int) -> bytes:
    """Return the signed message: ``cosignature/v1\\ntime <t>\\n`` || note text.

    tlog-cosignature §Ed25519 signed message: a fixed header line, a timestamp line in
    decimal without leading zeroes, then the whole checkpoint body with its final newline.
    """
    _check_timestamp(timestamp)
    return f"{_HEADER}time {timestamp}\n".encode("ascii") + text


def cosignature_timestamp(signature: NoteSignature) -> int:
    """Return the POSIX timestamp inside a type 0x04 cosignature line's signature bytes.

    Raises `NoteFormatError` if the bytes are not 72 long. Says nothing about validity:
    take timestamps only from signatures `open_note` reported as verified.
    """
    if len(signature.signature) != COSIGNATURE_SIZE:
        raise NoteFormatError("not a timestamped Ed25519 cosignature (wrong length)")
    return int.from_bytes(signature.signature[:TIMESTAMP_SIZE], "big")


@dataclass(frozen=True, kw_only=True)
class WitnessVerifier(Ed25519VerifierKey):
    """A witness's cosignature/v1 verifier key (type 0x04), usable in `open_note`."""

    signature_type: ClassVar[int] = ALG_COSIGNATURE_V1

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Report whether `signature` is timestamp || Ed25519 sig over the cosigned message.

        A timestamp above 2^63 - 1 fails. Timestamps in the future are not rejected here
        (no clock); callers that care compare `cosignature_timestamp` with their own time.
        """
        if len(signature) != COSIGNATURE_SIZE:
            return False
        timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = cosignature_message(text, timestamp)
        return ed25519_verify(self.public_key, message, signature[TIMESTAMP_SIZE:])


@dataclass(frozen=True, kw_only=True)
class WitnessCosigner:
    """A witness key bound to the time it cosigns at; a `Signer` for `sign_note`.

    The seed is secret and kept out of repr. Use `at(timestamp)` for the next cosignature.
    """

    name: str
    key_id: int
    seed: bytes = field(repr=False)
    timestamp: int

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name) or len(self.seed) != ED25519_KEY_SIZE:
            raise KeyFormatError("a cosigner needs a valid name and a 32-byte seed")
        public_key = ed25519_public_key(self.seed)
        if compute_key_id(self.name, ALG_COSIGNATURE_V1, public_key) != self.key_id:
            raise KeyFormatError("key ID does not match name and derived public key")
        _check_timestamp(self.timestamp)

    @classmethod
    def from_seed(cls, name: str, seed: bytes, *, timestamp: int) -> WitnessCosigner:
        """Build the cosigner of `name` from a 32-byte Ed25519 seed, signing at `timestamp`."""
        if len(seed) != ED25519_KEY_SIZE:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        key_id = compute_key_id(name, ALG_COSIGNATURE_V1, ed25519_public_key(seed))
        return cls(name=name, key_id=key_id, seed=seed, timestamp=timestamp)

    @classmethod
    def from_signer_key(cls, skey: str, *, timestamp: int) -> WitnessCosigner:
        """Parse a `PRIVATE+KEY+...` signer key of type 0x04, or 0x01 as Go's
        transparency-dev/formats accepts; the cosignature key ID always uses type 0x04.
        """
        name, _, seed = decode_signer_key(skey, signature_types=(ALG_COSIGNATURE_V1, ALG_ED25519))
        return cls.from_seed(name, seed, timestamp=timestamp)

    def at(self, timestamp: int) -> WitnessCosigner:
        """Return the same key cosigning at `timestamp` (POSIX seconds, 0..2^63-1)."""
        return WitnessCosigner(
            name=self.name, key_id=self.key_id, seed=self.seed, timestamp=timestamp
        )

    def verifier(self) -> WitnessVerifier:
        """Return the matching cosignature verifier."""
        return WitnessVerifier.from_public_key(self.name, ed25519_public_key(self.seed))

    def sign(self, text: bytes) -> bytes:
        """Return u64 timestamp || Ed25519 signature of `cosignature_message(text, timestamp)`."""
        message = cosignature_message(text, self.timestamp)
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)
        return self.timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature

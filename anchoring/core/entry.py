"""The log entry: the exact bytes a Merkle leaf commits to (DESIGN.md decision 4).

Changing this byte format, or the meaning of any field, breaks every inclusion proof
and every anchored tree head made with it. A new layout gets a new version byte;
version 0x01 stays decodable forever.

A leaf hides the record: it commits to the event's hash, not its content, and a random
32-byte salt makes a leaf unguessable even for an event whose content is known, so an
inclusion proof shown to one consumer reveals nothing about neighbouring records.

Version 0x01 layout, 158 bytes, every integer big-endian:

=======  ======  ================  ==============================================
offset   length  field             meaning
=======  ======  ================  ==============================================
0        1       version           0x01
1        32      event_hash        SHA-256 digest named by the CBV 2.0 Event Hash ID
33       20      submitter         Ethereum address of the signing enterprise
53       65      signature         EIP-712 signature r(32) || s(32) || v(1), v in {27, 28}
118      8       received_at_ms    receive time, ms since 1970-01-01T00:00:00Z, uint64
126      32      salt              32 random bytes chosen by the log, never reused
=======  ======  ================  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass

from anchoring.core.errors import EntryFormatError
from anchoring.core.merkle.hashing import leaf_hash

__all__ = [
    "ENTRY_V1_SIZE",
    "ENTRY_VERSION_1",
    "LogEntry",
    "decode_entry",
    "encode_entry",
    "entry_leaf_hash",
    "leaf_hash",
]

ENTRY_VERSION_1 = 0x01
"""Version byte of the only entry layout so far."""

EVENT_HASH_SIZE = 32
"""SHA-256 digest length: the CBV 2.0 Event Hash ID names a sha-256 digest."""

SUBMITTER_SIZE = 20
"""An Ethereum address is the last 20 bytes of keccak256(public key)."""

SIGNATURE_SIZE = 65
"""r (32) || s (32) || v (1), the usual Ethereum signature encoding."""

SIGNATURE_V_VALUES = frozenset({27, 28})
"""v as EIP-712 signers emit it; 0/1 and EIP-155 values are normalised before storage."""

RECEIVED_AT_SIZE = 8
"""uint64 milliseconds: enough until the year 584,556,019."""

MAX_RECEIVED_AT_MS = 2**64 - 1

SALT_SIZE = 32
"""256 bits, so a salted leaf cannot be brute-forced from a guessed event hash."""

ENTRY_V1_SIZE = 1 + EVENT_HASH_SIZE + SUBMITTER_SIZE + SIGNATURE_SIZE + RECEIVED_AT_SIZE + SALT_SIZE
"""158: the exact length of a version 0x01 entry; nothing shorter or longer decodes."""


def _require_bytes(field_name: str, value: object, size: int) -> None:
    if not isinstance(value, bytes):
        raise EntryFormatError(f"{field_name} must be bytes, got {type(value).__name__}")
    if len(value) != size:
        raise EntryFormatError(f"{field_name} must be {size} bytes, got {len(value)}")


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """One record as the log commits to it; see the module docstring for the byte layout.

    Construction validates every field and raises `EntryFormatError`, so a `LogEntry`
    that exists always encodes. The signature is only checked for shape (length, v);
    whether it recovers to `submitter` is the EIP-712 module's job.
    """

    event_hash: bytes
    submitter: bytes
    signature: bytes
    received_at_ms: int
    salt: bytes

    def __post_init__(self) -> None:
        _require_bytes("event_hash", self.event_hash, EVENT_HASH_SIZE)
        _require_bytes("submitter", self.submitter, SUBMITTER_SIZE)
        _require_bytes("signature", self.signature, SIGNATURE_SIZE)
        if self.signature[-1] not in SIGNATURE_V_VALUES:
            raise EntryFormatError(f"signature v must be 27 or 28, got {self.signature[-1]}")
        if not isinstance(self.received_at_ms, int) or isinstance(self.received_at_ms, bool):
            raise EntryFormatError("received_at_ms must be an int")
        if not 0 <= self.received_at_ms <= MAX_RECEIVED_AT_MS:
            raise EntryFormatError(
                f"received_at_ms must fit in a uint64, got {self.received_at_ms}"
            )
        _require_bytes("salt", self.salt, SALT_SIZE)


def encode_entry(entry: LogEntry) -> bytes:
    """Return the 158-byte version 0x01 encoding of `entry` (layout in the module docstring)."""
    return b"".join(
        (
            bytes([ENTRY_VERSION_1]),
            entry.event_hash,
            entry.submitter,
            entry.signature,
            entry.received_at_ms.to_bytes(RECEIVED_AT_SIZE, "big"),
            entry.salt,
        )
    )


def decode_entry(data: bytes) -> LogEntry:
    """Parse bytes made by `encode_entry`, strictly.

    Raises `EntryFormatError` for an empty input, an unknown version byte, any length
    other than the exact length of the version (truncated or trailing bytes), or a field
    value `LogEntry` rejects (v not 27/28). `decode_entry(encode_entry(e)) == e` always.
    """
    if not isinstance(data, bytes):
        raise EntryFormatError(f"entry must be bytes, got {type(data).__name__}")
    if not data:
        raise EntryFormatError("entry is empty")
    version = data[0]
    if version != ENTRY_VERSION_1:
        raise EntryFormatError(f"unknown entry version 0x{version:02x}")
    if len(data) != ENTRY_V1_SIZE:
        raise EntryFormatError(f"version 0x01 entry must be {ENTRY_V1_SIZE} bytes, got {len(data)}")
    offset = 1
    fields: list[bytes] = []
    for size in (EVENT_HASH_SIZE, SUBMITTER_SIZE, SIGNATURE_SIZE, RECEIVED_AT_SIZE, SALT_SIZE):
        fields.append(data[offset : offset + size])
        offset += size
    event_hash, submitter, signature, received_at, salt = fields
    return LogEntry(
        event_hash=event_hash,
        submitter=submitter,
        signature=signature,
        received_at_ms=int.from_bytes(received_at, "big"),
        salt=salt,
    )


def entry_leaf_hash(entry: LogEntry) -> bytes:
    """Return the Merkle leaf hash of `entry`: SHA-256(0x00 || encode_entry(entry)), RFC 9162 §2.1.1."""
    return leaf_hash(encode_entry(entry))

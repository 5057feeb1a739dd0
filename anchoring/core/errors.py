"""Every error `anchoring.core` raises.

Callers that only need "was this authentic?" catch `VerificationError`; callers
that handle input catch `CoreError`. Each class carries the data a log line or an
HTTP problem document needs, not just a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: note.py imports this module
    from anchoring.core.note import Note


class CoreError(Exception):
    """Base class of every error raised by `anchoring.core`."""


# --- RFC 8785 canonical JSON -------------------------------------------------


class CanonicalJSONError(CoreError, ValueError):
    """A value cannot be written as RFC 8785 (JCS) canonical JSON."""


class NonFiniteNumberError(CanonicalJSONError):
    """NaN or ±Infinity: I-JSON (RFC 7493 §2.2) has no representation for them."""


class LoneSurrogateError(CanonicalJSONError):
    """A string holds an unpaired UTF-16 surrogate, which is not a Unicode scalar value."""


class DuplicateKeyError(CanonicalJSONError):
    """An object names the same member twice (RFC 8785 §3.1 requires unique names)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate object member name {key!r}")
        self.key = key


# --- EPCIS events and the CBV 2.0 Event Hash ID ------------------------------


class EventError(CoreError, ValueError):
    """An EPCIS event cannot be hashed because it is malformed."""


class MalformedEventError(EventError):
    """The event is not a well-formed EPCIS 2.0 JSON event (wrong type, missing field, ...)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class TooManyUserExtensionsError(EventError):
    """The event nests user extensions deeper or wider than the hash algorithm allows."""


# --- EIP-712 typed data and record signatures --------------------------------


class TypedDataError(CoreError, ValueError):
    """EIP-712 typed data is malformed: unknown type, bad identifier, value out of range."""


# --- Log entries -------------------------------------------------------------


class EntryFormatError(CoreError, ValueError):
    """Bytes are not a valid log entry of a known version."""


# --- Checkpoints and signed notes --------------------------------------------


class NoteFormatError(CoreError, ValueError):
    """Text is not a well-formed C2SP signed note or tlog checkpoint."""


class KeyFormatError(CoreError, ValueError):
    """A signer or verifier key string is malformed (C2SP signed-note key encoding)."""


# --- Verification ------------------------------------------------------------


class VerificationError(CoreError):
    """Something claimed to be authentic is not. The one type verifiers catch."""


class RootMismatchError(VerificationError):
    """A proof leads to a different root than the one it was checked against."""

    def __init__(self, expected: bytes, calculated: bytes) -> None:
        super().__init__(
            f"root mismatch: expected {expected.hex()}, calculated {calculated.hex()}"
        )
        self.expected = expected
        self.calculated = calculated


class ProofShapeError(VerificationError, ValueError):
    """A proof has the wrong number of hashes, or a hash of the wrong length, for its sizes."""

    def __init__(self, message: str, *, expected: int | None = None, got: int | None = None):
        super().__init__(message)
        self.expected = expected
        self.got = got


class IndexOutOfRangeError(VerificationError, ValueError):
    """A leaf index or tree size violates 0 <= index < size (or old_size <= new_size)."""


class SignatureError(VerificationError, ValueError):
    """A signature is malformed (length, v, s in the upper half order) or does not recover.

    A `VerificationError`: a record whose signature cannot even be parsed is not authentic.
    """


class SignerMismatchError(VerificationError):
    """A signature recovers to a different address than the claimed signer."""

    def __init__(self, expected: str, calculated: str) -> None:
        super().__init__(f"signer mismatch: expected {expected}, recovered {calculated}")
        self.expected = expected
        self.calculated = calculated


class NoteVerificationError(VerificationError):
    """A signed note carries no valid signature by a required key, or a signature fails."""


# --- Merkle tree input -------------------------------------------------------


class TreeInputError(CoreError, ValueError):
    """Leaf hashes or a persisted compact range handed to the Merkle tree code are malformed.

    Raised for a leaf hash that is not 32 bytes, or a restored (size, hashes) state whose
    hash count is not popcount(size). Nothing was verified, so it is not a `VerificationError`.
    """


# --- Added for signed notes (anchoring/core/note.py) -------------------------


class InvalidNoteSignatureError(NoteVerificationError):
    """A signature line by a known key (name and key ID match) fails to verify."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


class UnverifiedNoteError(NoteVerificationError):
    """A well-formed note carries no signature by any known key; `note` holds what was parsed."""

    def __init__(self, note: Note) -> None:
        super().__init__("note has no verifiable signatures")
        self.note = note


# --- Added for RFC 8785 numbers and secp256k1 signing keys ------------------


class UnsafeIntegerError(CanonicalJSONError):
    """An `int` outside ±2**53, the range where every integer is a double and prints in full
    (RFC 7493 §2.2, RFC 8785 §3.2.2.3): its JCS form would read back as another integer, so
    it is refused; send big integers as strings."""

    def __init__(self, value: int) -> None:
        # str() of a huge int can itself fail (sys.int_info digit limit), so describe it by size.
        super().__init__(f"integer of {value.bit_length()} bits is outside ±2**53")
        self.value = value


class SigningKeyError(CoreError, ValueError):
    """A secp256k1 private key is malformed: not 32 bytes, or not in 1 .. n-1."""


# --- Added for JSON nesting limits (anchoring/core/json_depth.py) -----------


class JsonTooDeepError(CoreError, ValueError):
    """A JSON text nests arrays/objects deeper than an entry point accepts.

    Raised before parsing, so a hostile body never reaches the recursive parser. `depth` is
    where the scan stopped (at least `limit + 1`), `limit` the bound it broke.
    """

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nested at least {depth} levels deep (limit {limit})")
        self.depth = depth
        self.limit = limit


# --- Master-data records (anchoring/core/master_data.py) ---------------------


class MasterDataError(CoreError, ValueError):
    """A master-data record document or record hash ID is not valid `traceledger.masterdata/v1`.

    `pointer` is the RFC 6901 JSON pointer of the offending member ("" for the whole
    document), so an HTTP problem can name it.
    """

    def __init__(self, message: str, *, pointer: str = "") -> None:
        super().__init__(message)
        self.pointer = pointer

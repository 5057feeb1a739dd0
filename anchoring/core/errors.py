"""Every error `anchoring.core` raises.

Callers that only need "was this authentic?" catch `VerificationError`; callers
that handle input catch `CoreError`. Each class carries the data a log line or an
HTTP problem document needs, not just a message.
"""

from __future__ import annotations


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


class SignatureError(CoreError, ValueError):
    """A signature is malformed (length, v, s in the upper half order) or does not recover."""


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


class SignerMismatchError(VerificationError):
    """A signature recovers to a different address than the claimed signer."""

    def __init__(self, expected: str, calculated: str) -> None:
        super().__init__(f"signer mismatch: expected {expected}, recovered {calculated}")
        self.expected = expected
        self.calculated = calculated


class NoteVerificationError(VerificationError):
    """A signed note carries no valid signature by a required key, or a signature fails."""

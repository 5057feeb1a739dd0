"""C2SP signed notes (c2sp.org/signed-note@v1.0.0) with Ed25519 keys.

Checkpoints are signed notes, and any standard tlog client or witness reads them, so the
text format, key encodings and key IDs here must match the specification byte for byte.
Changing them breaks every signed checkpoint already published. Timestamped witness
cosignatures (signature type 0x04) live in `anchoring.core.cosignature`.

A note is UTF-8 text ending in a newline, a blank line, then one or more lines
``— <key name> base64(key ID || signature)``. Keys are named; a key ID is the first four
bytes of SHA-256(name || 0x0A || signature type || public key).

Key strings (as in Go's golang.org/x/mod/sumdb/note):

- verifier key: ``<name>+<hex key ID>+base64(signature type || public key)``
- signer key:   ``PRIVATE+KEY+<name>+<hex key ID>+base64(signature type || Ed25519 seed)``
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from anchoring.core.errors import (
    InvalidNoteSignatureError,
    KeyFormatError,
    NoteFormatError,
    NoteVerificationError,
    UnverifiedNoteError,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "Signer",
    "Verifier",
    "compute_key_id",
    "decode_signer_key",
    "decode_verifier_key",
    "encode_signer_key",
    "encode_verifier_key",
    "generate_signer_key",
    "open_note",
    "sign_note",
]

ALG_ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures, signed-note §Signature types."""

ALG_COSIGNATURE_V1 = 0x04
"""Signature type of timestamped Ed25519 cosignatures, c2sp.org/tlog-cosignature."""

MAX_SIGNATURES = 100
"""Signature lines a note may carry. The spec demands at least 16 be accepted and a limit
be applied; 100 is Go's, so any note Go's tooling accepts we accept too."""

ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space: signed-note §Format
_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"


# --- names, base64, key IDs ---------------------------------------------------------


def is_valid_key_name(name: str) -> bool:
    """Report whether `name` may name a key: non-empty, no Unicode spaces, no '+' (§Format)."""
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def check_characters(text: str) -> None:
    """Raise NoteFormatError unless `text` is UTF-8-encodable with no control chars but \\n."""
    for ch in text:
        if ch < "\x20" and ch != "\n":
            raise NoteFormatError(f"control character U+{ord(ch):04X} in note")
        if "\ud800" <= ch <= "\udfff":
            raise NoteFormatError("note is not valid UTF-8 (lone surrogate)")


def decode_base64(text: str, *, what: str, error: type[ValueError] = NoteFormatError) -> bytes:
    """Decode standard, padded, canonical base64 (RFC 4648 §4), or raise `error`.

    Canonical means re-encoding gives `text` back, so one value has one spelling.
    """
    try:
        decoded = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise error(f"{what} is not valid base64") from exc
    if base64.b64encode(decoded).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return decoded


def compute_key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """Return the key ID: SHA-256(name || 0x0A || signature type || public key)[:4], big-endian.

    signed-note §Signatures (recommended for 0x01) and tlog-cosignature §Format (required
    for 0x04).
    """
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()
    return int.from_bytes(digest[:KEY_ID_SIZE], "big")


def ed25519_public_key(seed: bytes) -> bytes:
    """Return the 32-byte RFC 8032 public key of an Ed25519 private key seed."""
    return (
        Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Report whether `signature` is a valid RFC 8032 Ed25519 signature of `message`."""
    if len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        return False
    return True


# --- key strings ------------------------------------------------------------------


def _check_key_id_text(key_id_hex: str) -> int:
    # Fixed-length lowercase hex, signed-note §Conventions.
    if len(key_id_hex) != 2 * KEY_ID_SIZE or any(c not in "0123456789abcdef" for c in key_id_hex):
        raise KeyFormatError(f"key ID {key_id_hex!r} is not 8 lowercase hex digits")
    return int(key_id_hex, 16)


def _split_key(key: str, what: str) -> tuple[str, int, int, bytes]:
    # The base64 part may itself contain '+', so split only twice.
    parts = key.split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError(f"{what} must be <name>+<key ID>+<base64 key>")
    name, key_id_hex, key_b64 = parts
    if not is_valid_key_name(name):
        raise KeyFormatError(f"{what} has an invalid key name {name!r}")
    key_id = _check_key_id_text(key_id_hex)
    material = decode_base64(key_b64, what=f"{what} key material", error=KeyFormatError)
    if len(material) != 1 + ED25519_KEY_SIZE:
        raise KeyFormatError(f"{what} must hold a type byte and 32 key bytes")
    return name, key_id, material[0], material[1:]


def decode_verifier_key(vkey: str, *, signature_type: int) -> tuple[str, int, bytes]:
    """Parse `<name>+<hex key ID>+base64(type || public key)` (signed-note §Verifier keys).

    Returns (name, key_id, public_key). Raises `KeyFormatError` if the string is malformed,
    its type is not `signature_type`, or the key ID does not match name, type and key.
    """
    name, key_id, alg, public_key = _split_key(vkey, "verifier key")
    if alg != signature_type:
        raise KeyFormatError(f"verifier key has type 0x{alg:02x}, expected 0x{signature_type:02x}")
    if compute_key_id(name, alg, public_key) != key_id:
        raise KeyFormatError("verifier key ID does not match its name and public key")
    return name, key_id, public_key


def decode_signer_key(skey: str, *, signature_types: Iterable[int]) -> tuple[str, int, bytes]:
    """Parse `PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)` as Go's note package does.

    Returns (name, key_id, seed), key_id as encoded (computed with the key's own type).
    Raises `KeyFormatError` if malformed, of another type, or if the key ID does not match
    the public key derived from the seed.
    """
    if not skey.startswith(_PRIVATE_KEY_PREFIX):
        raise KeyFormatError("signer key must start with PRIVATE+KEY+")
    name, key_id, alg, seed = _split_key(skey[len(_PRIVATE_KEY_PREFIX) :], "signer key")
    if alg not in set(signature_types):
        raise KeyFormatError(f"signer key has unsupported type 0x{alg:02x}")
    if compute_key_id(name, alg, ed25519_public_key(seed)) != key_id:
        raise KeyFormatError("signer key ID does not match its name and derived public key")
    return name, key_id, seed


def encode_verifier_key(name: str, signature_type: int, public_key: bytes) -> str:
    """Return the verifier key string of an Ed25519-based key (signed-note §Verifier keys)."""
    if not is_valid_key_name(name):
        raise KeyFormatError(f"invalid key name {name!r}")
    if len(public_key) != ED25519_KEY_SIZE:
        raise KeyFormatError("an Ed25519 public key is 32 bytes")
    key_id = compute_key_id(name, signature_type, public_key)
    material = base64.b64encode(bytes([signature_type]) + public_key).decode("ascii")
    return f"{name}+{key_id:08x}+{material}"


def encode_signer_key(name: str, signature_type: int, seed: bytes) -> str:
    """Return the Go-style signer key string for an Ed25519 seed (secret: never log it)."""
    if not is_valid_key_name(name):
        raise KeyFormatError(f"invalid key name {name!r}")
    if len(seed) != ED25519_KEY_SIZE:
        raise KeyFormatError("an Ed25519 seed is 32 bytes")
    key_id = compute_key_id(name, signature_type, ed25519_public_key(seed))
    material = base64.b64encode(bytes([signature_type]) + seed).decode("ascii")
    return f"{_PRIVATE_KEY_PREFIX}{name}+{key_id:08x}+{material}"


def generate_signer_key(
    name: str, seed: bytes, *, signature_type: int = ALG_ED25519
) -> tuple[str, str]:
    """Return (signer key, verifier key) for `name` and a 32-byte Ed25519 seed.

    Like Go's note.GenerateKey, but the caller draws the seed (this module draws no
    randomness). `signature_type` is 0x01 for a log key, 0x04 for a witness cosigner key.
    """
    if signature_type not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise KeyFormatError(f"unsupported signature type 0x{signature_type:02x}")
    skey = encode_signer_key(name, signature_type, seed)
    return skey, encode_verifier_key(name, signature_type, ed25519_public_key(seed))


# --- signers and verifiers --------------------------------------------------------


class Signer(Protocol):
    """Anything that can add one signature line to a note."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, text: bytes) -> bytes:
        """Return the signature bytes (without the key ID) over the note text."""
        ...


class Verifier(Protocol):
    """Anything that can check the signature lines of one (name, key ID)."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Report whether `signature` (without the key ID) is valid over the note text."""
        ...


@dataclass(frozen=True, kw_only=True)
class Ed25519VerifierKey:
    """An Ed25519 public key named for notes; subclasses fix the signature type and `verify`.

    Holds what every Ed25519-based verifier key shares (signed-note §Verifier keys): the
    key name, the key ID derived from name, type and key, and the string encoding.
    """

    signature_type: ClassVar[int]

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name) or len(self.public_key) != ED25519_KEY_SIZE:
            raise KeyFormatError("a verifier needs a valid name and a 32-byte public key")
        if compute_key_id(self.name, self.signature_type, self.public_key) != self.key_id:
            raise KeyFormatError("key ID does not match name and public key")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Self:
        """Build the verifier of `name`'s 32-byte Ed25519 public key."""
        if len(public_key) != ED25519_KEY_SIZE:
            raise KeyFormatError("an Ed25519 public key is 32 bytes")
        key_id = compute_key_id(name, cls.signature_type, public_key)
        return cls(name=name, key_id=key_id, public_key=public_key)

    @classmethod
    def from_verifier_key(cls, vkey: str) -> Self:
        """Parse a verifier key string of this signature type; raises `KeyFormatError`."""
        name, key_id, public_key = decode_verifier_key(vkey, signature_type=cls.signature_type)
        return cls(name=name, key_id=key_id, public_key=public_key)

    @property
    def verifier_key(self) -> str:
        """The verifier key string, `<name>+<hex key ID>+base64(type || public key)`."""
        return encode_verifier_key(self.name, self.signature_type, self.public_key)


@dataclass(frozen=True, kw_only=True)
class NoteVerifier(Ed25519VerifierKey):
    """An Ed25519 (type 0x01) note verifier key, signed-note §Ed25519 signatures."""

    signature_type: ClassVar[int] = ALG_ED25519

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Report whether `signature` is this key's Ed25519 signature of the note text."""
        return ed25519_verify(self.public_key, text, signature)


@dataclass(frozen=True, kw_only=True)
class NoteSigner:
    """An Ed25519 (type 0x01) note signer key. The seed is secret: it is kept out of repr."""

    name: str
    key_id: int
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name) or len(self.seed) != ED25519_KEY_SIZE:
            raise KeyFormatError("a signer needs a valid name and a 32-byte seed")
        if compute_key_id(self.name, ALG_ED25519, ed25519_public_key(self.seed)) != self.key_id:
            raise KeyFormatError("key ID does not match name and derived public key")

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> NoteSigner:
        """Build the signer of `name` from a 32-byte Ed25519 seed."""
        if len(seed) != ED25519_KEY_SIZE:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        key_id = compute_key_id(name, ALG_ED25519, ed25519_public_key(seed))
        return cls(name=name, key_id=key_id, seed=seed)

    @classmethod
    def from_signer_key(cls, skey: str) -> NoteSigner:
        """Parse a type 0x01 `PRIVATE+KEY+...` signer key; raises `KeyFormatError`."""
        name, key_id, seed = decode_signer_key(skey, signature_types=(ALG_ED25519,))
        return cls(name=name, key_id=key_id, seed=seed)

    def verifier(self) -> NoteVerifier:
        """Return the matching verifier."""
        return NoteVerifier.from_public_key(self.name, ed25519_public_key(self.seed))

    def sign(self, text: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of the note text (RFC 8032, deterministic)."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)


# --- notes ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID, and the signature bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes

    def format_line(self) -> str:
        """Return `— <name> base64(key ID || signature)\\n`, signed-note §Signatures."""
        blob = self.key_id.to_bytes(KEY_ID_SIZE, "big") + self.signature
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """An opened note: its text and its signatures, split by whether a known key verified them."""

    text: str
    signatures: tuple[NoteSignature, ...]
    unverified_signatures: tuple[NoteSignature, ...]


def sign_note(
    text: str, signers: Sequence[Signer], *, existing: Sequence[NoteSignature] = ()
) -> str:
    """Return the signed note: `text`, a blank line, then one signature line per signer.

    `existing` signature lines (for instance a log's, when a witness cosigns) come first,
    except those by a key that is signing now. Requires `text` to end in a newline and to
    hold no control characters but newline (signed-note §Format); raises `NoteFormatError`.
    """
    if not text.endswith("\n"):
        raise NoteFormatError("note text must end with a newline")
    check_characters(text)
    signing = {(signer.name, signer.key_id) for signer in signers}
    kept = [sig for sig in existing if (sig.name, sig.key_id) not in signing]
    if len(kept) + len(signers) > MAX_SIGNATURES:
        raise NoteFormatError(f"a note carries at most {MAX_SIGNATURES} signatures")
    for sig in kept:
        if not is_valid_key_name(sig.name):
            raise NoteFormatError(f"invalid key name {sig.name!r} in existing signature")
    message = text.encode("utf-8")
    lines = [sig.format_line() for sig in kept]
    for signer in signers:
        if not is_valid_key_name(signer.name):
            raise NoteFormatError(f"invalid signer key name {signer.name!r}")
        lines.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)).format_line())
    return text + "\n" + "".join(lines)


def _parse_signature_line(line: str) -> NoteSignature:
    # `— <key name> base64(32-bit key ID || signature)`, signed-note §Signatures.
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteFormatError(f"signature line does not start with an em dash and space: {line!r}")
    name, space, blob_b64 = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not space or not is_valid_key_name(name):
        raise NoteFormatError(f"signature line has no valid key name: {line!r}")
    blob = decode_base64(blob_b64, what="signature")
    if len(blob) <= KEY_ID_SIZE:
        raise NoteFormatError("signature is shorter than a key ID and one byte")
    return NoteSignature(name, int.from_bytes(blob[:KEY_ID_SIZE], "big"), blob[KEY_ID_SIZE:])


def _split_note(signed_note: str) -> tuple[str, list[NoteSignature]]:
    # The text ends at the last blank line; text keeps its final newline, signed-note §Format.
    split = signed_note.rfind("\n\n")
    if split < 0:
        raise NoteFormatError("note has no blank line before its signatures")
    text, block = signed_note[: split + 1], signed_note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteFormatError("note has no signature lines, or they do not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteFormatError(f"note has {len(lines)} signatures, at most {MAX_SIGNATURES} allowed")
    return text, [_parse_signature_line(line) for line in lines]


def _verifier_index(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], list[Verifier]]:
    index: dict[tuple[str, int], list[Verifier]] = {}
    for verifier in verifiers:
        index.setdefault((verifier.name, verifier.key_id), []).append(verifier)
    return index


def open_note(signed_note: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and check every signature by a known key (signed-note §Signatures).

    1. The note must be UTF-8 without control characters other than newline, end with a
       blank line and signature lines, each well formed: else `NoteFormatError`.
    2. A line whose (name, key ID) matches no verifier is kept as unverified, not checked.
    3. A line by a known key must verify, else `InvalidNoteSignatureError`; repeated lines
       by one key are checked once. Two verifiers for one key → `NoteVerificationError`.
    4. If no known key signed, `UnverifiedNoteError` (carrying the parsed note).
    """
    if isinstance(signed_note, bytes):
        try:
            signed_note = signed_note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteFormatError("note is not valid UTF-8") from exc
    check_characters(signed_note)
    text, parsed = _split_note(signed_note)
    message = text.encode("utf-8")
    index = _verifier_index(verifiers)
    verified: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen_keys: set[tuple[str, int]] = set()
    for sig in parsed:
        key = (sig.name, sig.key_id)
        candidates = index.get(key)
        if not candidates:
            if sig not in unverified:  # drop repeated identical unknown lines, as Go does
                unverified.append(sig)
            continue
        if len(candidates) > 1:
            raise NoteVerificationError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if key in seen_keys:
            continue
        seen_keys.add(key)
        if not candidates[0].verify(message, sig.signature):
            raise InvalidNoteSignatureError(sig.name, sig.key_id)
        verified.append(sig)
    note = Note(text, tuple(verified), tuple(unverified))
    if not verified:
        raise UnverifiedNoteError(note)
    return note

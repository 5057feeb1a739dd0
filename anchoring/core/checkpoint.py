"""Checkpoints: the log's signed tree heads, c2sp.org/tlog-checkpoint@v1.0.0.

A checkpoint is a signed note (`anchoring.core.note`) whose text is exactly::

    <origin>\\n
    <tree size, decimal, no leading zeroes>\\n
    <root hash, base64>\\n
    [<extension line>\\n ...]

Standard tlog clients and witnesses parse these bytes, and old checkpoints must keep
verifying: changing the text format breaks both. Parsing is strict, so one tree head has
exactly one text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from anchoring.core.errors import NoteFormatError, NoteVerificationError
from anchoring.core.note import (
    NoteVerifier,
    Signer,
    Verifier,
    check_characters,
    decode_base64,
    open_note,
    sign_note,
)

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "format_checkpoint",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]

ROOT_HASH_SIZE = 32
"""An RFC 6962 / RFC 9162 SHA-256 Merkle root."""

MAX_TREE_SIZE = 2**63 - 1
"""The spec sets no bound; Go's sumdb/tlog parses the size as an int64, so a larger size
could not be read by standard clients. We never write or accept one."""

_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")  # ASCII decimal, no leading zeroes (§Note text 2)


@dataclass(frozen=True)
class Checkpoint:
    """A tree head of the log named `origin`: size, RFC 9162 root hash, optional extensions.

    Construction validates every field and raises `NoteFormatError`, so an existing
    `Checkpoint` always formats to a body `parse_checkpoint` accepts.
    """

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line("origin", self.origin)
        if isinstance(self.tree_size, bool) or not isinstance(self.tree_size, int):
            raise NoteFormatError("tree_size must be an int")
        if not 0 <= self.tree_size <= MAX_TREE_SIZE:
            raise NoteFormatError(f"tree_size {self.tree_size} outside 0..2^63-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            raise NoteFormatError("root_hash must be 32 bytes")
        if not isinstance(self.extensions, tuple):
            raise NoteFormatError("extensions must be a tuple of lines")
        for extension in self.extensions:
            _check_line("extension line", extension)


def _check_line(what: str, line: object) -> None:
    # Every line is non-empty (§Note text) and note text allows no control characters.
    if not isinstance(line, str) or not line:
        raise NoteFormatError(f"{what} must be a non-empty string")
    if "\n" in line:
        raise NoteFormatError(f"{what} must be a single line")
    check_characters(line)


def format_checkpoint(checkpoint: Checkpoint) -> str:
    """Return the checkpoint note text, each line ending in a newline (tlog-checkpoint §Note text)."""
    lines = [
        checkpoint.origin,  # 1. origin
        str(checkpoint.tree_size),  # 2. tree size, decimal
        base64.b64encode(checkpoint.root_hash).decode("ascii"),  # 3. root hash, RFC 4648 §4
        *checkpoint.extensions,  # 4. extension lines
    ]
    return "".join(line + "\n" for line in lines)


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint note text strictly; raises `NoteFormatError`.

    Rejected: no final newline, fewer than three lines, any empty line, a tree size that
    is not canonical ASCII decimal ("01", "+1", " 1", "1_0", non-ASCII digits) or exceeds
    2^63 - 1, a root hash that is not canonical padded base64 of 32 bytes, and control
    characters. `parse_checkpoint(format_checkpoint(c)) == c` always.
    """
    if not body.endswith("\n"):
        raise NoteFormatError("checkpoint text must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteFormatError(f"checkpoint needs at least 3 lines, got {len(lines)}")
    origin, size_text, root_text, *extensions = lines
    if not _TREE_SIZE.fullmatch(size_text):
        raise NoteFormatError(f"tree size {size_text!r} is not canonical decimal")
    tree_size = int(size_text)
    if tree_size > MAX_TREE_SIZE:
        raise NoteFormatError(f"tree size {size_text} exceeds 2^63-1")
    root_hash = decode_base64(root_text, what="root hash")
    if len(root_hash) != ROOT_HASH_SIZE:
        raise NoteFormatError(f"root hash must be 32 bytes, got {len(root_hash)}")
    return Checkpoint(origin, tree_size, root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[Signer]) -> str:
    """Return the checkpoint as a signed note, one signature line per signer in order."""
    return sign_note(format_checkpoint(checkpoint), signers)


def open_checkpoint(
    signed: str | bytes,
    origin_verifier: NoteVerifier,
    witness_verifiers: Sequence[Verifier] = (),
    *,
    origin: str | None = None,
    witness_quorum: int = 0,
) -> Checkpoint:
    """Verify a signed checkpoint and return it; raises `NoteFormatError` or a `VerificationError`.

    1. Open the note (`open_note`): every signature by the log or a listed witness must
       verify; signatures by unknown keys are ignored (signed-note §Signatures).
    2. The log's own signature must be among the verified ones, else `NoteVerificationError`.
    3. The body must parse strictly (`parse_checkpoint`).
    4. Its origin line must equal `origin` (default: the log key's name, as
       tlog-checkpoint §Signatures recommends), else `NoteVerificationError`.
    5. At least `witness_quorum` distinct listed witnesses must have cosigned.
    """
    note = open_note(signed, [origin_verifier, *witness_verifiers])
    verified = {(sig.name, sig.key_id) for sig in note.signatures}
    if (origin_verifier.name, origin_verifier.key_id) not in verified:
        raise NoteVerificationError(
            f"checkpoint lacks a valid signature by the log key "
            f"{origin_verifier.name}+{origin_verifier.key_id:08x}"
        )
    checkpoint = parse_checkpoint(note.text)
    expected_origin = origin_verifier.name if origin is None else origin
    if checkpoint.origin != expected_origin:
        raise NoteVerificationError(
            f"checkpoint origin {checkpoint.origin!r}, expected {expected_origin!r}"
        )
    log_key = (origin_verifier.name, origin_verifier.key_id)
    witnesses = ({(w.name, w.key_id) for w in witness_verifiers} - {log_key}) & verified
    if len(witnesses) < witness_quorum:
        raise NoteVerificationError(
            f"checkpoint has {len(witnesses)} witness cosignatures, {witness_quorum} required"
        )
    return checkpoint

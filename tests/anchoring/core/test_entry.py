"""Log entry v1 (anchoring/core/entry.py): golden bytes, strict decoding, leaf hashing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anchoring.core.entry import (
    ENTRY_V1_SIZE,
    LogEntry,
    decode_entry,
    encode_entry,
    entry_leaf_hash,
    leaf_hash,
)
from anchoring.core.errors import EntryFormatError
from anchoring.core.merkle import hashing

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "log_entry_v1.json").read_text("utf-8")
)


def _entry_from_fields(fields: dict[str, Any]) -> LogEntry:
    return LogEntry(
        event_hash=bytes.fromhex(fields["event_hash"]),
        submitter=bytes.fromhex(fields["submitter"].removeprefix("0x")),
        signature=bytes.fromhex(fields["signature"]),
        received_at_ms=fields["received_at_ms"],
        salt=bytes.fromhex(fields["salt"]),
    )


def _naive_encoding(entry: LogEntry) -> bytes:
    # Written out field by field from the layout table, independently of encode_entry.
    out = bytearray([1])
    out += entry.event_hash
    out += entry.submitter
    out += entry.signature
    out += bytes((entry.received_at_ms >> shift) & 0xFF for shift in range(56, -8, -8))
    out += entry.salt
    return bytes(out)


entries = st.builds(
    LogEntry,
    event_hash=st.binary(min_size=32, max_size=32),
    submitter=st.binary(min_size=20, max_size=20),
    signature=st.tuples(st.binary(min_size=64, max_size=64), st.sampled_from([27, 28])).map(
        lambda parts: parts[0] + bytes([parts[1]])
    ),
    received_at_ms=st.integers(min_value=0, max_value=2**64 - 1),
    salt=st.binary(min_size=32, max_size=32),
)


# --- golden vectors -----------------------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["description"][:40])
def test_golden_encoding(vector: dict[str, Any]) -> None:
    entry = _entry_from_fields(vector["fields"])
    assert encode_entry(entry).hex() == vector["entry_hex"]
    assert decode_entry(bytes.fromhex(vector["entry_hex"])) == entry
    assert entry_leaf_hash(entry).hex() == vector["leaf_hash_hex"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["description"][:40])
def test_golden_invalid_entries_rejected(vector: dict[str, Any]) -> None:
    assert vector["error"] == "EntryFormatError"
    with pytest.raises(EntryFormatError):
        decode_entry(bytes.fromhex(vector["entry_hex"]))


def test_layout_is_158_bytes_with_fields_at_documented_offsets() -> None:
    entry = _entry_from_fields(VECTORS["valid"][0]["fields"])
    data = encode_entry(entry)
    assert ENTRY_V1_SIZE == len(data) == 158
    assert data[0] == 0x01
    assert data[1:33] == entry.event_hash
    assert data[33:53] == entry.submitter
    assert data[53:118] == entry.signature
    assert data[118:126] == (1718000000123).to_bytes(8, "big") == bytes.fromhex("0000019000c79c7b")
    assert data[126:158] == entry.salt


def test_leaf_hash_is_rfc9162_leaf_of_encoding() -> None:
    entry = _entry_from_fields(VECTORS["valid"][0]["fields"])
    expected = hashlib.sha256(b"\x00" + encode_entry(entry)).digest()
    assert entry_leaf_hash(entry) == expected
    assert leaf_hash is hashing.leaf_hash


# --- properties ---------------------------------------------------------------------


@given(entries)
def test_round_trip(entry: LogEntry) -> None:
    data = encode_entry(entry)
    assert data == _naive_encoding(entry)
    assert decode_entry(data) == entry


@given(entries, st.integers(min_value=0, max_value=ENTRY_V1_SIZE - 1))
def test_every_truncation_rejected(entry: LogEntry, length: int) -> None:
    with pytest.raises(EntryFormatError):
        decode_entry(encode_entry(entry)[:length])


@given(entries, st.binary(min_size=1, max_size=64))
def test_every_extension_rejected(entry: LogEntry, extra: bytes) -> None:
    with pytest.raises(EntryFormatError, match="158 bytes"):
        decode_entry(encode_entry(entry) + extra)


@given(entries, st.integers(min_value=0, max_value=255).filter(lambda v: v != 1))
def test_unknown_version_rejected(entry: LogEntry, version: int) -> None:
    data = bytes([version]) + encode_entry(entry)[1:]
    with pytest.raises(EntryFormatError, match="unknown entry version"):
        decode_entry(data)


@given(entries, st.integers(min_value=0, max_value=255).filter(lambda v: v not in (27, 28)))
def test_bad_v_rejected(entry: LogEntry, v: int) -> None:
    data = encode_entry(entry)
    with pytest.raises(EntryFormatError, match="v must be 27 or 28"):
        decode_entry(data[:117] + bytes([v]) + data[118:])


CHANGES = {
    "event_hash": lambda e: bytes([e.event_hash[0] ^ 1]) + e.event_hash[1:],
    "submitter": lambda e: e.submitter[:-1] + bytes([e.submitter[-1] ^ 0x80]),
    "signature": lambda e: e.signature[:-1] + bytes([55 - e.signature[-1]]),  # 27 <-> 28
    "received_at_ms": lambda e: e.received_at_ms ^ 1,
    "salt": lambda e: e.salt[:5] + bytes([e.salt[5] ^ 0xFF]) + e.salt[6:],
}


@pytest.mark.parametrize("field_name", sorted(CHANGES))
@given(entry=entries)
def test_changing_any_field_changes_leaf_hash(field_name: str, entry: LogEntry) -> None:
    changed = dataclasses.replace(entry, **{field_name: CHANGES[field_name](entry)})
    assert entry_leaf_hash(changed) != entry_leaf_hash(entry)


# --- construction ------------------------------------------------------------------


GOOD = _entry_from_fields(VECTORS["valid"][0]["fields"])


@pytest.mark.parametrize(
    ("field_name", "value"),
    [
        ("event_hash", b"\x00" * 31),
        ("event_hash", b"\x00" * 33),
        ("event_hash", "00" * 32),
        ("submitter", b"\x00" * 19),
        ("submitter", bytearray(20)),
        ("signature", b"\x00" * 64),
        ("signature", b"\x00" * 64 + b"\x01"),
        ("received_at_ms", -1),
        ("received_at_ms", 2**64),
        ("received_at_ms", 1.5),
        ("received_at_ms", True),
        ("salt", b""),
        ("salt", b"\x00" * 64),
    ],
)
def test_construction_validates_fields(field_name: str, value: object) -> None:
    with pytest.raises(EntryFormatError):
        dataclasses.replace(GOOD, **{field_name: value})  # type: ignore[arg-type]


def test_entry_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GOOD.salt = b"\x00" * 32  # type: ignore[misc]


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(EntryFormatError):
        decode_entry(bytearray(encode_entry(GOOD)))  # type: ignore[arg-type]

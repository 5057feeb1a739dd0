"""`format_event_hash_id` and `event_hash_digest`: the one place an Event Hash ID string is
made from a digest and read back (CBV 2.0 §8.9.1), held to a naive reference."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anchoring.core import (
    MalformedEventError,
    event_hash_digest,
    event_hash_id,
    format_event_hash_id,
)


def naive_hash_id(digest: bytes) -> str:
    return "ni:///sha-256;" + digest.hex() + "?ver=CBV2.0"


@given(st.binary(min_size=32, max_size=32))
def test_format_and_read_back(digest: bytes) -> None:
    assert format_event_hash_id(digest) == naive_hash_id(digest)
    assert event_hash_digest(format_event_hash_id(digest)) == digest


def test_event_hash_id_is_the_digest_of_the_prehash() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2026-11-20T09:00:00Z",
             "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "epcList": []}
    hash_id = event_hash_id(event)
    assert len(event_hash_digest(hash_id)) == 32
    assert format_event_hash_id(event_hash_digest(hash_id)) == hash_id


@pytest.mark.parametrize("digest", [b"", b"\x00" * 31, b"\x00" * 33])
def test_only_32_byte_digests_are_named(digest: bytes) -> None:
    with pytest.raises(ValueError, match="32-byte"):
        format_event_hash_id(digest)


GOOD = naive_hash_id(hashlib.sha256(b"x").digest())


@pytest.mark.parametrize("text", [
    "", GOOD.upper(), GOOD[:-1], GOOD.removesuffix("?ver=CBV2.0"), GOOD[len("ni:///sha-256;"):],
    GOOD.replace("ni:///", "ni:/"), GOOD.replace(GOOD[20], "g", 1), GOOD.replace(";", ";0", 1),
    "ni:///sha-256;" + "\u0661" * 64 + "?ver=CBV2.0",
])
def test_only_the_canonical_form_is_read(text: str) -> None:
    with pytest.raises(MalformedEventError):
        event_hash_digest(text)

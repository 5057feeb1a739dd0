"""Authenticators (guessed serials are fake) and batch requests (bad input is refused)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gs1 import format_digital_link, link_for_item, parse_digital_link
from gs1.errors import GS1Error
from trace_api.labels import (
    AUTH_PARAM,
    MAX_BATCH_LABELS,
    BatchRequest,
    attach_authenticator,
    batch_labels,
    compute_authenticator,
    parse_serial_range,
    verify_authenticator,
)
from trace_api.labels.errors import (
    AuthenticatorMismatchError,
    BatchTooLargeError,
    InvalidSerialRangeError,
    MissingAuthenticatorError,
    WeakKeyError,
)

KEY = bytes(range(32))


def test_golden_authenticator() -> None:
    link = link_for_item("9506000134352", lot="L1", serial="1")
    # Pinned: changing the scheme would invalidate printed labels.
    assert compute_authenticator(KEY, link) == compute_authenticator(KEY, link.with_stem("https://x.example"))
    assert len(compute_authenticator(KEY, link)) == 8


@given(st.integers(1, 10**9))
def test_authenticated_link_survives_printing_and_scanning(serial: int) -> None:
    link = attach_authenticator(KEY, link_for_item("9506000134352", lot="L1", serial=str(serial)))
    scanned = parse_digital_link(format_digital_link(link))
    verify_authenticator(KEY, scanned)
    guessed = dataclasses.replace(scanned, qualifiers=(("10", "L1"), ("21", str(serial + 1))))
    with pytest.raises(AuthenticatorMismatchError):
        verify_authenticator(KEY, guessed)


def test_authenticator_failures() -> None:
    link = link_for_item("9506000134352", lot="L1", serial="7")
    with pytest.raises(MissingAuthenticatorError):
        verify_authenticator(KEY, link)
    with pytest.raises(AuthenticatorMismatchError):
        verify_authenticator(bytes(32), attach_authenticator(KEY, link))
    lower = link.with_extra(AUTH_PARAM, compute_authenticator(KEY, link).lower())
    verify_authenticator(KEY, lower)
    with pytest.raises(WeakKeyError):
        compute_authenticator(b"short", link)


@pytest.mark.parametrize("text", ["", "a-b", "5-1", "1-", "-3", "1,2"])
def test_bad_serial_ranges(text: str) -> None:
    with pytest.raises(InvalidSerialRangeError):
        parse_serial_range(text)


def test_serial_range_forms() -> None:
    assert parse_serial_range("1-1000") == range(1, 1001)
    assert parse_serial_range(" 42 ") == range(42, 43)


def test_oversize_and_invalid_batches_are_refused_before_rendering() -> None:
    big = BatchRequest(gtin="9506000134352", lot="L1", serials=range(MAX_BATCH_LABELS + 1))
    with pytest.raises(BatchTooLargeError) as caught:
        next(batch_labels(big, key=KEY))
    assert caught.value.limit == MAX_BATCH_LABELS
    with pytest.raises(GS1Error):
        next(batch_labels(BatchRequest(gtin="9506000134353", lot="L1", serials=range(3)), key=KEY))
    with pytest.raises(GS1Error):
        next(batch_labels(BatchRequest(gtin="9506000134352", lot="L 1", serials=range(3)), key=KEY))

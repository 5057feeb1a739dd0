"""Key values (gs1.keys): check digits against a naive reference, property round trips, named errors."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.check_digit import compute_check_digit
from gs1 import (
    canonical_uri,
    format_bracketed,
    format_digital_link,
    format_element_string,
    link_for_item,
    normalise_gtin,
    parse_bracketed,
    parse_digital_link,
    parse_element_string,
)
from gs1.charset import CSET_82
from gs1.errors import (
    CheckDigitError,
    GS1Error,
    InvalidAIValueError,
    InvalidDigitalLinkError,
)
from gs1.keys import (
    complete_gtin,
    link_for_asset,
    link_for_location,
    link_for_logistic_unit,
    verify_gln,
    verify_sscc,
)


def naive_check_digit(payload: str) -> int:
    """GS1 GS §7.9.1 spelled out: pad to 17 digits, weights 3,1,3,... from the left."""
    padded = payload.rjust(17, "0")
    weights = [3 if i % 2 == 0 else 1 for i in range(17)]
    total = sum(int(d) * w for d, w in zip(padded, weights))
    return (10 - total % 10) % 10


digits = st.text(alphabet="0123456789", min_size=1, max_size=17)
cset82 = st.text(alphabet=sorted(CSET_82), min_size=1, max_size=20)


@given(digits)
def test_check_digit_matches_naive_reference(payload: str) -> None:
    assert compute_check_digit(payload) == naive_check_digit(payload)


@pytest.mark.parametrize(
    ("gtin", "gtin14"),
    [
        ("96385074", "00000096385074"),
        ("614141000036", "00614141000036"),
        ("9506000134352", "09506000134352"),
        ("09506000134352", "09506000134352"),
    ],
)
def test_normalise_gtin_lengths(gtin: str, gtin14: str) -> None:
    assert normalise_gtin(gtin) == gtin14


@pytest.mark.parametrize("bad", ["", "12345", "123456789012345", "9506000134352X", "٩٥٠٦٠٠٠١٣٤٣٥٢"])
def test_normalise_gtin_rejects_shapes(bad: str) -> None:
    with pytest.raises(InvalidAIValueError):
        normalise_gtin(bad)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13), st.data())
def test_any_single_digit_corruption_is_caught(payload: str, data: st.DataObject) -> None:
    gtin = complete_gtin(payload)
    position = data.draw(st.integers(0, 13))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != gtin[position]]))
    corrupted = gtin[:position] + replacement + gtin[position + 1 :]
    with pytest.raises(CheckDigitError):
        normalise_gtin(corrupted)


@settings(max_examples=200)
@given(
    st.text(alphabet="0123456789", min_size=13, max_size=13),
    cset82,
    cset82,
    st.dates(dt.date(2001, 1, 1), dt.date(2060, 12, 31)),
)
def test_item_links_round_trip(payload: str, lot: str, serial: str, expiry: dt.date) -> None:
    link = link_for_item(complete_gtin(payload), lot=lot, serial=serial, expiry=expiry)
    uri = format_digital_link(link)
    assert parse_digital_link(uri) == link
    assert canonical_uri(uri) == uri
    pairs = list(link.element_pairs())
    assert parse_element_string(format_element_string(pairs)) == pairs
    assert parse_bracketed(format_bracketed(pairs)) == pairs


@pytest.mark.parametrize("lot", ["A B", "ÄÖ", "lot#1", "x" * 21, "批次1"])
def test_lots_with_forbidden_characters_are_rejected(lot: str) -> None:
    with pytest.raises(InvalidAIValueError) as caught:
        link_for_item("09506000134352", lot=lot)
    assert caught.value.ai == "10"


def test_other_keys() -> None:
    assert format_digital_link(link_for_logistic_unit("106141411234567897")) == (
        "https://id.gs1.org/00/106141411234567897"
    )
    assert format_digital_link(link_for_location("9506000134376", stem="https://t.example")) == (
        "https://t.example/414/9506000134376"
    )
    assert format_digital_link(link_for_asset("9506000134352A/1")) == (
        "https://id.gs1.org/8004/9506000134352A%2F1"
    )
    verify_gln("9506000134376")
    with pytest.raises(CheckDigitError):
        verify_sscc("106141411234567890")


@pytest.mark.parametrize(
    ("uri", "error"),
    [
        ("https://example.com/01/09506000134353", CheckDigitError),
        ("https://example.com/01/09506000134352/21/1/10/A", InvalidDigitalLinkError),
        ("https://example.com/01/09506000134352?17=261332", InvalidAIValueError),
        ("ftp://example.com/01/09506000134352", InvalidDigitalLinkError),
    ],
)
def test_rejections_carry_reasons(uri: str, error: type[GS1Error]) -> None:
    with pytest.raises(error) as caught:
        parse_digital_link(uri)
    assert caught.value.reason


def test_canonical_form_replaces_stem_and_drops_extras() -> None:
    uri = "https://brand.example/a/b/01/09506000134352/10/L1?linkType=all&17=270101"
    assert canonical_uri(uri) == "https://id.gs1.org/01/09506000134352/10/L1?17=270101"
    assert canonical_uri(uri, stem="https://trace.example", keep_extras=True) == (
        "https://trace.example/01/09506000134352/10/L1?17=270101&linkType=all"
    )

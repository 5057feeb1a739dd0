"""GB 32100-2015 Unified Social Credit Code: known codes, a naive reference, corruptions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace_api.identity import InvalidUSCCError, uscc_check_character, validate_uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 Table A, restated here on purpose

# Codes in real published format (the first is the standard's style of example).
KNOWN_VALID = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91440300708461136T",
    "911100001000013419",
]


def naive_check_character(first17: str) -> str:
    """The standard's formula spelled out: C18 = 31 - MOD(sum C_i * 3^(i-1) mod 31, 31)."""
    total = sum(ALPHABET.index(c) * (3 ** i % 31) for i, c in enumerate(first17))
    remainder = 31 - total % 31
    return "0" if remainder == 31 else ALPHABET[remainder]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_codes_validate(code: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_check_character(code[:17]) == code[17]


def test_normalises_case_space_and_full_width() -> None:
    assert validate_uscc(" 91350100m000100y43\n") == "91350100M000100Y43"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "91350100M000100Y43")
    assert validate_uscc(full_width) == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "reason", "position"),
    [
        ("91350100M000100Y4", "length", None),
        ("91350100M000100Y433", "length", None),
        ("", "length", None),
        ("91350100M000100I43", "character", 16),
        ("9135010OM000100Y43", "character", 8),
        ("91350100M0001S0Y43", "character", 14),
        ("91350100M000100Y4-", "character", 18),
        ("B1350100M000100Y43", "registration_authority", 1),
        ("913501A0M000100Y43", "division", 7),
        ("91350100M000100Y44", "check_character", 18),
    ],
)
def test_rejections_name_the_reason(code: str, reason: str, position: int | None) -> None:
    with pytest.raises(InvalidUSCCError) as caught:
        validate_uscc(code)
    assert caught.value.reason == reason
    assert caught.value.position == position


def test_check_mismatch_carries_expected_value() -> None:
    with pytest.raises(InvalidUSCCError) as caught:
        validate_uscc("91350100M000100Y40")
    assert caught.value.expected == "3"
    assert "expected '3'" in str(caught.value)


valid_bodies = st.builds(
    lambda authority, category, division, organisation: authority + category + division
    + organisation,
    st.sampled_from("123456789ANY"),
    st.sampled_from(ALPHABET),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(ALPHABET, min_size=9, max_size=9),
)


@given(valid_bodies)
def test_check_character_matches_naive_reference(first17: str) -> None:
    assert uscc_check_character(first17) == naive_check_character(first17)


@given(valid_bodies)
def test_every_generated_code_validates(first17: str) -> None:
    code = first17 + naive_check_character(first17)
    assert validate_uscc(code) == code


@given(valid_bodies, st.integers(0, 17), st.sampled_from(ALPHABET + "IOZSV-"))
def test_every_single_character_corruption_is_caught(first17: str, position: int,
                                                     replacement: str) -> None:
    code = first17 + naive_check_character(first17)
    if code[position] == replacement:
        replacement = ALPHABET[(ALPHABET.index(replacement) + 1) % 31]
    corrupted = code[:position] + replacement + code[position + 1:]
    with pytest.raises(InvalidUSCCError):
        validate_uscc(corrupted)


@given(valid_bodies, st.integers(0, 15))  # within the 17 weighted characters
def test_adjacent_transpositions_are_caught(first17: str, position: int) -> None:
    code = first17 + naive_check_character(first17)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    if swapped != code:
        with pytest.raises(InvalidUSCCError):
            validate_uscc(swapped)

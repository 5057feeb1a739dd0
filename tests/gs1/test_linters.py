"""Linters added for the AIs the syntax-engine association and path vectors need."""

from __future__ import annotations

import pytest

from gs1.ai_values import verify_ai_value
from gs1.errors import InvalidAIValueError
from gs1.linters import compute_check_pair


def test_check_pair_matches_the_gs1_general_specifications_example() -> None:
    # GS1 General Specifications §7.9.5 worked example (GMN, AI 8013).
    assert compute_check_pair("1987654Ad4X4bL5ttr2310c") == "2K"
    verify_ai_value("8013", "1987654Ad4X4bL5ttr2310c2K")
    with pytest.raises(InvalidAIValueError, match="check character pair should be 2K"):
        verify_ai_value("8013", "1987654Ad4X4bL5ttr2310c2L")


@pytest.mark.parametrize(("value", "ok"), [
    ("123456789012310510", True), ("123456789012310101", True),
    ("123456789012310010", False), ("123456789012310500", False), ("123456789012311110", False),
])
def test_piece_of_total(value: str, ok: bool) -> None:
    if ok:
        verify_ai_value("8006", value)
    else:
        with pytest.raises(InvalidAIValueError):
            verify_ai_value("8006", value)


# The reference linter refuses a lone "0" too (gs1-syntax-engine lint_nozeroprefix unit tests).
@pytest.mark.parametrize(("value", "ok"), [("0", False), ("123", True), ("0123", False)])
def test_no_zero_prefix(value: str, ok: bool) -> None:
    if ok:
        verify_ai_value("8011", value)
    else:
        with pytest.raises(InvalidAIValueError, match="must not start with 0"):
            verify_ai_value("8011", value)


@pytest.mark.parametrize(("value", "ok"), [
    ("DIGSIG", True), ("QUJD", True), ("QUI=", True), ("QQ==", True),
    ("123=", False), ("QR==", False), ("Q===", False), ("QU=I", False), ("ABC:123", False),
])
def test_base64url_values(value: str, ok: bool) -> None:
    if ok:
        verify_ai_value("8030", value)
    else:
        with pytest.raises(InvalidAIValueError):
            verify_ai_value("8030", value)


@pytest.mark.parametrize(("value", "ok"), [("1ABC", True), ("1AB-", True), ("1AB=", False)])
def test_importer_index(value: str, ok: bool) -> None:
    if ok:
        verify_ai_value("7040", value)
    else:
        with pytest.raises(InvalidAIValueError, match="importer index"):
            verify_ai_value("7040", value)

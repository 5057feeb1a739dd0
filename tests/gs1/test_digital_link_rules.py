"""Digital Link rules as GS1's Barcode Syntax Engine states them in its own unit tests (dl.c)."""

from __future__ import annotations

import pytest

from gs1 import build_digital_link, format_digital_link, parse_digital_link
from gs1.element_string import GS, format_element_string
from gs1.errors import InvalidDigitalLinkError


def test_an_ai_of_another_qualifier_sequence_is_a_data_attribute() -> None:
    """(01) has the sequences 22,10,21 and 235: with /235/ in the path, (10) cannot join it,
    so ?10= is a data attribute ("fine because we chose an alternate key qualifier")."""
    link = parse_digital_link("https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123")
    assert format_element_string(link.element_pairs()) == f"0109520123456788235XYZ{GS}10ABC123"


@pytest.mark.parametrize("uri", [
    "https://example.com/01/09520123456788?10=ABC123",  # (10) belongs in the path
    "https://example.com/01/09520123456788/22/V1?10=ABC",  # so does (10) after (22)
])
def test_an_ai_that_fits_the_path_is_refused_as_a_data_attribute(uri: str) -> None:
    with pytest.raises(InvalidDigitalLinkError, match="belongs in the path"):
        parse_digital_link(uri)


def test_a_stem_with_a_trailing_slash_builds_the_same_link() -> None:
    link = build_digital_link([("01", "12312312312326")], stem="https://example.com/")
    assert format_digital_link(link) == "https://example.com/01/12312312312326"


def test_net_volume_and_pounds_are_data_attributes() -> None:
    """A milk carton's ?3150= (net volume, litres) and ?3200= (net weight, pounds)."""
    for ai in ("3150", "3160", "3200"):
        link = parse_digital_link(f"https://example.com/01/09506000134352?{ai}=000500")
        assert link.get(ai) == "000500"

"""GS1 identifiers as plain checked strings: GTIN, SSCC, GLN, GIAI, lot and serial.

``normalise_gtin`` accepts GTIN-8/12/13/14 and returns the 14-digit form that AI (01)
and Digital Link use; the other ``verify_*`` functions raise a GS1Error subclass
naming the reason, or return None. ``link_for_*`` build the Digital Link value
objects the label and resolver code works with.
"""

from __future__ import annotations

import datetime as dt

from trace_api.gs1.ai_values import verify_ai_value
from trace_api.gs1.charset import compute_check_digit
from trace_api.gs1.digital_link import DEFAULT_STEM, DigitalLink, build_digital_link
from trace_api.gs1.errors import CheckDigitError, InvalidAIValueError

GTIN_LENGTHS = (8, 12, 13, 14)


def normalise_gtin(gtin: str) -> str:
    """Return the 14-digit GTIN for a GTIN-8, -12, -13 or -14 (left-padded with zeros).

    Raises :class:`InvalidAIValueError` for bad length or characters and
    :class:`CheckDigitError` for a wrong check digit (reported on the given form).
    """
    text = gtin.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidAIValueError("01", gtin, "a GTIN has digits only")
    if len(text) not in GTIN_LENGTHS:
        raise InvalidAIValueError("01", gtin, "a GTIN has 8, 12, 13 or 14 digits")
    expected = compute_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise CheckDigitError("01", gtin, expected)
    return text.zfill(14)


def complete_gtin(payload: str) -> str:
    """Append the check digit to a 7, 11, 12 or 13 digit payload and return the GTIN-14."""
    return normalise_gtin(payload + str(compute_check_digit(payload)))


def verify_sscc(sscc: str) -> None:
    """Raise unless ``sscc`` is an 18-digit SSCC with a valid check digit (AI 00)."""
    verify_ai_value("00", sscc)


def verify_gln(gln: str) -> None:
    """Raise unless ``gln`` is a 13-digit GLN with a valid check digit (AI 414)."""
    verify_ai_value("414", gln)


def verify_giai(giai: str) -> None:
    """Raise unless ``giai`` is 1-30 characters of GS1 character set 82 (AI 8004)."""
    verify_ai_value("8004", giai)


def verify_lot(lot: str) -> None:
    """Raise unless ``lot`` is 1-20 characters of GS1 character set 82 (AI 10)."""
    verify_ai_value("10", lot)


def verify_serial(serial: str) -> None:
    """Raise unless ``serial`` is 1-20 characters of GS1 character set 82 (AI 21)."""
    verify_ai_value("21", serial)


def format_gs1_date(date: dt.date) -> str:
    """Return YYMMDD for AI 11/13/15/16/17."""
    return date.strftime("%y%m%d")


def link_for_item(
    gtin: str,
    *,
    lot: str | None = None,
    serial: str | None = None,
    expiry: dt.date | None = None,
    best_before: dt.date | None = None,
    stem: str = DEFAULT_STEM,
) -> DigitalLink:
    """Build the Digital Link for a trade item: /01/{gtin14}[/10/{lot}][/21/{serial}]
    with expiry (17) and best-before (15) as query attributes. Raises GS1Error on bad input."""
    pairs: list[tuple[str, str]] = [("01", normalise_gtin(gtin))]
    if lot is not None:
        pairs.append(("10", lot))
    if serial is not None:
        pairs.append(("21", serial))
    if best_before is not None:
        pairs.append(("15", format_gs1_date(best_before)))
    if expiry is not None:
        pairs.append(("17", format_gs1_date(expiry)))
    return build_digital_link(pairs, stem=stem)


def link_for_asset(giai: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /8004/{giai} for an individual asset (e.g. a lift)."""
    return build_digital_link([("8004", giai)], stem=stem)


def link_for_logistic_unit(sscc: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /00/{sscc} for a logistic unit (pallet, case)."""
    return build_digital_link([("00", sscc)], stem=stem)


def link_for_location(gln: str, *, stem: str = DEFAULT_STEM) -> DigitalLink:
    """Build the Digital Link /414/{gln} for a physical location."""
    return build_digital_link([("414", gln)], stem=stem)

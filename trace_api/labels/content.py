"""What a label shows: the Digital Link it encodes and the human-readable lines under it.

Trade items show product name, GTIN, lot, serial and expiry (or best-before);
special equipment (GIAI, AI 8004) shows the registration code and the emergency
phone number (the 96333 lift-emergency line in China, or the owner's number).
"""

from __future__ import annotations

from dataclasses import dataclass

from gs1 import DigitalLink, format_digital_link, parse_digital_link
from gs1.linters import parse_gs1_date

MAX_LINE_CHARS = 34  # wider lines would run past the quiet zone at our text size


@dataclass(frozen=True)
class Label:
    """One printable label: ``uri`` goes into the QR code verbatim, ``lines`` under it."""

    uri: str
    lines: tuple[str, ...]


def _date_text(value: str) -> str:
    return parse_gs1_date(value).isoformat()


def _fit(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def caption_lines(
    link: DigitalLink,
    *,
    product_name: str | None = None,
    registration_code: str | None = None,
    emergency_phone: str | None = None,
) -> tuple[str, ...]:
    """Return the human-readable lines for ``link`` (each at most MAX_LINE_CHARS)."""
    lines: list[str] = []
    if product_name:
        lines.append(product_name)
    key_ai, key_value = link.primary_key
    names = {"01": "GTIN", "00": "SSCC", "414": "GLN", "8004": "GIAI", "8003": "GRAI"}
    if key_ai == "8004" and registration_code:
        lines.append(f"Reg. code {registration_code}")
    else:
        lines.append(f"{names.get(key_ai, f'({key_ai})')} {key_value}")
    if (lot := link.get("10")) is not None:
        lines.append(f"LOT {lot}")
    if (serial := link.get("21")) is not None:
        lines.append(f"SN {serial}")
    if (expiry := link.get("17")) is not None:
        lines.append(f"EXP {_date_text(expiry)}")
    elif (best_before := link.get("15")) is not None:
        lines.append(f"BEST BEFORE {_date_text(best_before)}")
    if emergency_phone:
        lines.append(f"Emergency {emergency_phone}")
    return tuple(_fit(line) for line in lines)


def make_label(
    link_or_uri: DigitalLink | str,
    *,
    product_name: str | None = None,
    registration_code: str | None = None,
    emergency_phone: str | None = None,
) -> Label:
    """Build a Label; a URI string is validated first (raises GS1Error) and encoded as given."""
    if isinstance(link_or_uri, str):
        uri, link = link_or_uri, parse_digital_link(link_or_uri)
    else:
        uri, link = format_digital_link(link_or_uri), link_or_uri
    lines = caption_lines(
        link,
        product_name=product_name,
        registration_code=registration_code,
        emergency_phone=emergency_phone,
    )
    return Label(uri=uri, lines=lines)

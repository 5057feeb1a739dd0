"""CSV and XLSX writers with bounded memory.

CSV cells that a spreadsheet would run as formulas are neutralised (`trace_api.csv_cells`);
XLSX cells are written as strings, never formulas or URLs.

CSV (RFC 4180, UTF-8 with BOM so spreadsheet programs detect the encoding) is produced
as chunks while rows arrive. XLSX is written by XlsxWriter in `constant_memory` mode
(each row is flushed to a temporary file as written; strings are inline, not shared)
into a temporary file that is then streamed; the header row is bold and frozen and the
sheet has an autofilter, so the spreadsheet sorts and filters at once. A sheet holds at
most 1,048,576 rows (Excel's limit): further rows continue on sheets `events 2`, ...
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter  # type: ignore[import-untyped]

from trace_api.csv_cells import csv_writer

CHUNK_BYTES = 64 * 1024
FILE_CHUNK_BYTES = 1024 * 1024
XLSX_MAX_ROWS = 1_048_576
UTF8_BOM = "\ufeff"


def stream_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """CSV bytes in ~64 KiB chunks: BOM + header, then one line per row (CRLF)."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    buffer.write(UTF8_BOM)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
               numeric: frozenset[str] = frozenset(), max_rows: int = XLSX_MAX_ROWS) -> int:
    """Write the workbook to `path`; returns the number of data rows written."""
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "tmpdir": str(path.parent),
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    bold = workbook.add_format({"bold": True})
    numeric_columns = [position for position, name in enumerate(header) if name in numeric]
    last_column = len(header) - 1
    sheet_number = 0
    written = 0
    sheet: Any = None
    sheet_rows = max_rows  # forces a first sheet

    def close_sheet() -> None:
        if sheet is not None:
            sheet.autofilter(0, 0, sheet_rows - 1, last_column)

    for row in rows:
        if sheet_rows >= max_rows:
            close_sheet()
            sheet_number += 1
            sheet = workbook.add_worksheet("events" if sheet_number == 1 else f"events {sheet_number}")
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, header, bold)
            sheet_rows = 1
        for column, value in enumerate(row):
            if value == "" or value is None:
                continue
            if column in numeric_columns and isinstance(value, (int, float)):
                sheet.write_number(sheet_rows, column, value)
            else:
                sheet.write_string(sheet_rows, column, str(value))
        sheet_rows += 1
        written += 1
    if sheet is None:
        sheet = workbook.add_worksheet("events")
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, header, bold)
        sheet_rows = 1
    close_sheet()
    workbook.close()
    return written


def stream_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                numeric: frozenset[str] = frozenset()) -> Iterator[bytes]:
    """Build the workbook in a temporary directory, then yield it in 1 MiB chunks; the
    directory is removed when the stream ends or is abandoned."""
    with tempfile.TemporaryDirectory(prefix="traceledger-export-") as directory:
        path = Path(directory) / "export.xlsx"
        write_xlsx(path, header, rows, numeric=numeric)
        with path.open("rb") as handle:
            while chunk := handle.read(FILE_CHUNK_BYTES):
                yield chunk

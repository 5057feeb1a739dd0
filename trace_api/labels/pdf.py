"""PDF labels with reportlab: one label per page, or an A4 sheet grid for a batch.

QR codes are vector paths (one filled path per symbol, one rectangle per run of
dark modules), so they print sharp at any resolution. Latin text uses Helvetica;
a line with Chinese characters uses the STSong-Light CID font that every PDF
reader provides, so nothing has to be embedded.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from trace_api.labels.content import Label
from trace_api.labels.qr import QUIET_ZONE_MODULES, encode_qr

LATIN_FONT = "Helvetica"
CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


@dataclass(frozen=True)
class SheetLayout:
    """An A4 grid: ``columns`` x ``rows`` cells inside ``margin``; QR ``qr_side`` wide (incl. quiet zone)."""

    columns: int = 4
    rows: int = 5
    margin: float = 10 * mm
    qr_side: float = 30 * mm
    font_size: float = 6.5
    page_size: tuple[float, float] = A4

    @property
    def per_page(self) -> int:
        """Labels per sheet."""
        return self.columns * self.rows


A4_GRID = SheetLayout()
SINGLE_QR_SIDE = 40 * mm  # a one-label PDF's QR side, quiet zone included


def _font_for(line: str) -> str:
    return LATIN_FONT if all(ord(char) < 256 for char in line) else CJK_FONT


def _draw_label(canvas: Canvas, label: Label, x: float, top: float, side: float, font_size: float, centre: float) -> None:
    """Draw ``label`` with the QR's top-left corner (quiet zone included) at (x, top)."""
    symbol = encode_qr(label.uri)
    module = side / (symbol.size + 2 * QUIET_ZONE_MODULES)
    origin_x = x + QUIET_ZONE_MODULES * module
    origin_y = top - QUIET_ZONE_MODULES * module
    # One filled path in module units: a transform to the symbol's top-left corner
    # (y pointing down), then an integer "x y w h re" per run of dark modules.
    canvas.saveState()
    canvas.transform(module, 0, 0, -module, origin_x, origin_y)
    canvas.addLiteral(
        " ".join(f"{run_x} {run_y} {length} 1 re" for run_x, run_y, length in symbol.dark_runs())
        + " f"
    )
    canvas.restoreState()
    baseline = top - side - font_size * 0.6
    for line in label.lines:
        canvas.setFont(_font_for(line), font_size)
        canvas.drawCentredString(centre, baseline, line)
        baseline -= font_size * 1.3


def render_pdf(label: Label) -> bytes:
    """Return a one-page PDF sized to ``label``; the QR code decodes to ``label.uri``."""
    side = SINGLE_QR_SIDE
    font_size = side / 30 * 2.2
    height = side + font_size * 1.3 * len(label.lines) + font_size
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(side, height), invariant=True)
    canvas.setTitle(label.uri)
    _draw_label(canvas, label, 0, height, side, font_size, side / 2)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def render_sheet_pdf(labels: Iterable[Label], *,
                     on_label: Callable[[], None] | None = None) -> bytes:
    """Return a PDF of A4 sheets with ``A4_GRID.per_page`` labels each, row by row.

    ``on_label`` is called after each label is drawn (progress bars). Promises:
    every QR code decodes to its label's URI; cells never overlap.
    """
    layout = A4_GRID
    page_width, page_height = layout.page_size
    cell_width = (page_width - 2 * layout.margin) / layout.columns
    cell_height = (page_height - 2 * layout.margin) / layout.rows
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=layout.page_size, invariant=True)
    canvas.setTitle("TraceLedger labels")
    index = -1
    for index, label in enumerate(labels):
        slot = index % layout.per_page
        if slot == 0 and index:
            canvas.showPage()
        column, row = slot % layout.columns, slot // layout.columns
        centre = layout.margin + cell_width * (column + 0.5)
        top = page_height - layout.margin - cell_height * row - 2 * mm
        _draw_label(canvas, label, centre - layout.qr_side / 2, top, layout.qr_side, layout.font_size, centre)
        if on_label is not None:
            on_label()
    if index < 0:
        canvas.drawString(layout.margin, page_height / 2, "(no labels)")
    canvas.showPage()
    canvas.save()
    return out.getvalue()

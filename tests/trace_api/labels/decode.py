"""Decoding rendered labels back to text with zxing-cpp (SVG and PDF are rasterised first)."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\d+z")
_VIEWBOX = re.compile(r'viewBox="0 0 (\d+) ([\d.]+)"')


def decode_image(image: Image.Image) -> list[str]:
    """Every QR code text zxing-cpp finds in ``image``."""
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def decode_png(data: bytes) -> list[str]:
    """Decode a PNG."""
    return decode_image(Image.open(io.BytesIO(data)))


def rasterise_svg(svg: str, scale: int = 6) -> Image.Image:
    """A deliberately naive rasteriser for our own SVG labels: white canvas, one
    black rectangle per ``M x y h n v1 h-n z`` run of the QR path (text ignored)."""
    match = _VIEWBOX.search(svg)
    assert match, "SVG has no viewBox"
    width, height = int(match.group(1)), float(match.group(2))
    image = Image.new("L", (width * scale, int(height * scale)), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in _RUN.findall(svg):
        x0, y0 = int(x) * scale, int(y) * scale
        draw.rectangle((x0, y0, x0 + int(n) * scale - 1, y0 + scale - 1), fill=0)
    return image


def decode_svg(svg: str) -> list[str]:
    """Rasterise then decode an SVG label."""
    return decode_image(rasterise_svg(svg))


def decode_pdf_pages(data: bytes, dpi: int = 200) -> list[list[str]]:
    """Render every PDF page (pypdfium2) and decode it; one list of texts per page."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(data)
    try:
        return [decode_image(page.render(scale=dpi / 72).to_pil()) for page in document]
    finally:
        document.close()

"""SVG labels: the QR code as one vector path (module units), text lines underneath."""

from __future__ import annotations

from xml.sax.saxutils import escape

from trace_api.labels.content import Label
from trace_api.labels.qr import QUIET_ZONE_MODULES, encode_qr

WIDTH_MM = 40.0  # printed width; the drawing scales, text is real text
LINE_HEIGHT = 0.12  # of the symbol width incl. quiet zone, per caption line
FONT_SIZE = 0.075  # of the same width


def render_svg(label: Label) -> str:
    """Return a standalone SVG document for ``label``, ``WIDTH_MM`` wide.

    Promises: the 4-module quiet zone is white; the QR code decodes to ``label.uri``.
    """
    symbol = encode_qr(label.uri)
    side = symbol.size + 2 * QUIET_ZONE_MODULES
    line_height = side * LINE_HEIGHT
    height = side + line_height * len(label.lines) + (line_height * 0.4 if label.lines else 0)
    q = QUIET_ZONE_MODULES
    path = "".join(f"M{x + q} {y + q}h{n}v1h-{n}z" for x, y, n in symbol.dark_runs())
    texts = "".join(
        f'<text x="{side / 2:g}" y="{side + line_height * (i + 0.8):.2f}">{escape(line)}</text>'
        for i, line in enumerate(label.lines)
    )
    height_mm = WIDTH_MM * height / side
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_MM:g}mm" height="{height_mm:.2f}mm" '
        f'viewBox="0 0 {side} {height:.2f}" shape-rendering="crispEdges">'
        f"<title>{escape(label.uri)}</title>"
        f'<rect width="{side}" height="{height:.2f}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/>'
        f'<g font-family="DejaVu Sans, Noto Sans CJK SC, sans-serif" font-size="{side * FONT_SIZE:.2f}" '
        f'text-anchor="middle" fill="#000">{texts}</g></svg>\n'
    )

"""PNG labels: the QR code at a whole number of pixels per module, text lines underneath."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from trace_api.labels.content import Label
from trace_api.labels.qr import QUIET_ZONE_MODULES, encode_qr

DEFAULT_MODULE_PX = 8  # 8 px/module at 300 dpi is ~0.68 mm per module: easy to scan
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> FontType:
    """A CJK-capable system font if one is installed, else DejaVu, else Pillow's built-in."""
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def render_png(label: Label, *, module_px: int = DEFAULT_MODULE_PX) -> bytes:
    """Return PNG bytes for ``label``: black modules on white, 4-module quiet zone kept.

    Promises: every module is exactly ``module_px`` pixels square (no resampling
    blur) and the QR code decodes to ``label.uri``.
    """
    symbol = encode_qr(label.uri)
    qr = Image.frombytes("L", (symbol.size, symbol.size), symbol.dark.translate(_TO_LUMA))
    qr = qr.resize((symbol.size * module_px, symbol.size * module_px), Image.Resampling.NEAREST)
    quiet = QUIET_ZONE_MODULES * module_px
    side = qr.width + 2 * quiet
    font_size = max(10, side // 16)
    line_height = int(font_size * 1.35)
    height = side + line_height * len(label.lines) + (font_size // 2 if label.lines else 0)
    canvas = Image.new("L", (side, height), 255)
    canvas.paste(qr, (quiet, quiet))
    draw = ImageDraw.Draw(canvas)
    font = _font(font_size)
    for index, line in enumerate(label.lines):
        draw.text((side / 2, side + line_height * index), line, fill=0, font=font, anchor="mt")
    out = io.BytesIO()
    canvas.save(out, format="PNG", compress_level=6)
    return out.getvalue()


_TO_LUMA = bytes([255, 0] + [255] * 254)  # module byte (1 = dark) -> 8-bit luminance

"""QR code symbols for GS1 Digital Link URIs, as a module matrix.

Encoder: zxing-cpp's writer (``zxingcpp.create_barcode``), see labels/README.md.
Error correction is level Q (about 25 % of codewords recoverable): labels are
printed on packaging and on equipment plates that get scuffed, wet, curved or
partly covered by a sticker edge; Q survives that where M (about 15 %) would not,
and a ~80-character Digital Link still fits a version 5-6 symbol (37-41 modules),
which prints at 0.5 mm per module in about 2 cm. The renderers add the 4-module
quiet zone that ISO/IEC 18004 requires around every symbol.
"""

from __future__ import annotations

from dataclasses import dataclass

import zxingcpp

EC_LEVEL = "Q"
QUIET_ZONE_MODULES = 4  # ISO/IEC 18004 §6.3.8: a 4-module light margin on all sides
_DARK_IS_ONE = bytes([1] + [0] * 255)  # luminance byte -> 1 for dark (0), else 0


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol without quiet zone: ``size`` x ``size`` modules, ``dark`` row-major (1 = dark)."""

    text: str
    size: int
    dark: bytes

    def dark_runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as ``(x, y, length)``, row by row (for vector output)."""
        runs: list[tuple[int, int, int]] = []
        size, dark = self.size, self.dark
        for y in range(size):
            row = dark[y * size : (y + 1) * size]
            x = 0
            while x < size:
                if row[x]:
                    start = x
                    while x < size and row[x]:
                        x += 1
                    runs.append((start, y, x - start))
                else:
                    x += 1
        return runs


def encode_qr(text: str) -> QrSymbol:
    """Encode ``text`` (byte mode, UTF-8) as a QR symbol at ``EC_LEVEL``.

    Promises: decoding the symbol gives back exactly ``text``.
    """
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    image = memoryview(barcode.to_image(scale=1, add_quiet_zones=False))
    height, width = image.shape
    assert height == width, "QR symbols are square"
    # zxing-cpp images are 8-bit luminance: 0 = dark module, 255 = light module.
    dark = image.tobytes().translate(_DARK_IS_ONE)
    return QrSymbol(text=text, size=width, dark=dark)

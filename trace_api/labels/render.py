"""One entry point per output: a single label in svg/png/pdf, a batch as PDF sheet or ZIP."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable

from trace_api.labels.content import Label
from trace_api.labels.errors import UnsupportedFormatError
from trace_api.labels.pdf import render_pdf, render_sheet_pdf
from trace_api.labels.png import render_png
from trace_api.labels.svg import render_svg

MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


def render_label(label: Label, fmt: str) -> bytes:
    """Return ``label`` rendered as ``fmt`` (svg, png or pdf); raises UnsupportedFormatError."""
    if fmt == "svg":
        return render_svg(label).encode("utf-8")
    if fmt == "png":
        return render_png(label)
    if fmt == "pdf":
        return render_pdf(label)
    raise UnsupportedFormatError(f"format {fmt!r} is not one of svg, png, pdf")


def render_batch(
    labels: Iterable[Label], fmt: str, *, on_label: Callable[[], None] | None = None
) -> bytes:
    """Render a batch: ``pdf`` gives A4 sheets; ``zip-png``/``zip-svg`` a ZIP with one file per label.

    ZIP entries are named ``0001.png`` ... in batch order; ``on_label`` is called per label.
    """
    if fmt == "pdf":
        return render_sheet_pdf(labels, on_label=on_label)
    if fmt not in {"zip-png", "zip-svg"}:
        raise UnsupportedFormatError(f"batch format {fmt!r} is not one of pdf, zip-png, zip-svg")
    inner = fmt.removeprefix("zip-")
    out = io.BytesIO()
    # PNGs are already deflated; storing them avoids compressing twice.
    compression = zipfile.ZIP_STORED if inner == "png" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for index, label in enumerate(labels, start=1):
            archive.writestr(f"{index:04d}.{inner}", render_label(label, inner))
            if on_label is not None:
                on_label()
    return out.getvalue()

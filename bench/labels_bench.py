"""Label throughput (issue #9): SVG and PNG labels per second, and a 1,000-label A4 PDF sheet.

Run: ``python -m bench.labels_bench`` (prints JSON). Best of three runs, one core.
"""

from __future__ import annotations

import json
import time
from typing import Any

from trace_api.labels import BatchRequest, batch_labels, render_batch, render_label

TARGET_SHEET_SECONDS = 3.0  # issue #9: a 1,000-label PDF sheet in under 3 s
_KEY = bytes(range(32))  # benchmark-only key, not a secret


def _labels(count: int) -> list[Any]:
    request = BatchRequest(
        gtin="9506000134352", lot="LOT2027A", serials=range(1, count + 1), product_name="Organic apples"
    )
    return list(batch_labels(request, key=_KEY))


def _best_rate(fmt: str, count: int) -> float:
    labels = _labels(count)
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for label in labels:
            render_label(label, fmt)
        best = max(best, count / (time.perf_counter() - start))
    return round(best, 1)


def _best_sheet_seconds(count: int) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        render_batch(_labels(count), "pdf")  # includes URI building and authenticators
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def run_labels_bench(*, count: int = 1000) -> dict[str, Any]:
    """Measure label rendering; returns figures and targets (no assertions)."""
    figures = {
        "svg_labels_per_s": _best_rate("svg", count),
        "png_labels_per_s": _best_rate("png", count),
        "pdf_sheet_1000_labels_s": _best_sheet_seconds(1000),
    }
    return {"figures": figures, "targets": {"pdf_sheet_1000_labels_s": TARGET_SHEET_SECONDS}}


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run_labels_bench(), indent=2))

"""One percentile for every benchmark figure (p50, p99): nearest rank on the sorted values."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value at `fraction` (0 <= fraction <= 1) of the sorted `values`, by nearest rank
    over the n - 1 gaps (0 is the minimum, 1 the maximum, 0.5 the median of an odd count).
    Requires at least one value."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction} is outside [0, 1]")
    ordered = sorted(values)
    return ordered[round(fraction * (len(ordered) - 1))]

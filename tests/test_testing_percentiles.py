"""testing/percentiles.py against a deliberately naive reference: the value with at
least `fraction` of the (n - 1) gaps below it, by nearest rank."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testing.percentiles import percentile

values_lists = st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=200)
fractions = st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0]) | st.floats(0, 1)


def naive_percentile(values: list[float], fraction: float) -> float:
    """Walk the sorted copy one by one until the index nearest `fraction` of the way."""
    ordered = list(values)
    ordered.sort()
    wanted = fraction * (len(ordered) - 1)
    best_index, best_distance = 0, math.inf
    for index in range(len(ordered)):
        distance = abs(index - wanted)
        # round() sends .5 to the even index; keep that tie rule.
        if distance < best_distance or (distance == best_distance and index % 2 == 0):
            best_index, best_distance = index, distance
    return ordered[best_index]


@given(values_lists, fractions)
def test_matches_the_naive_reference(values: list[float], fraction: float) -> None:
    assert percentile(values, fraction) == naive_percentile(values, fraction)


@given(values_lists)
def test_ends_are_min_and_max_and_order_does_not_matter(values: list[float]) -> None:
    assert percentile(values, 0) == min(values)
    assert percentile(values, 1) == max(values)
    assert percentile(list(reversed(values)), 0.5) == percentile(values, 0.5)


def test_median_of_an_odd_count_and_p99_of_a_hundred() -> None:
    assert percentile([5, 1, 3], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.99) == 99  # index round(0.99 * 99) = 98


@pytest.mark.parametrize("fraction", [-0.01, 1.01])
def test_fraction_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], fraction)


def test_no_values_is_refused() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.5)

"""Clone alarm thresholds (trace_api/consumer/clone.py) and the scan store on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trace_api.provenance.conftest import GraphDb
from trace_api.consumer.clone import (
    DAY_MS,
    DEFAULT_POLICY,
    CloneAssessment,
    ClonePolicy,
    Scan,
    assess,
    coarse_place,
    hash_place,
    is_repeat,
)
from trace_api.consumer.scans import record_scan

KEY = bytes(range(32))
NOW = 1_795_000_000_000
MINUTE = 60_000


def test_documented_thresholds() -> None:
    assert DEFAULT_POLICY == ClonePolicy(window_ms=7 * DAY_MS, repeat_ms=10 * MINUTE, min_places=4,
                                         min_scans=8)


@pytest.mark.parametrize(("places", "scans_per_place", "alarm"), [
    (1, 50, False),  # one owner scanning at home, however often
    (3, 5, False),  # shop, mobile data, home
    (4, 1, False),  # four places but only four scans
    (4, 2, True),  # 8 scans from 4 places
    (8, 1, True),
    (2, 4, False),
])
def test_alarm_needs_both_many_places_and_many_scans(places: int, scans_per_place: int, alarm: bool) -> None:
    scans = [Scan(NOW - (p * scans_per_place + s) * 20 * MINUTE, f"place{p}")
             for p in range(places) for s in range(scans_per_place)]
    result = assess(scans, NOW)
    assert result == CloneAssessment(scan_count=places * scans_per_place, distinct_places=places,
                                     alarm=alarm)


def test_scans_outside_the_window_do_not_count() -> None:
    old = [Scan(NOW - 8 * DAY_MS - i, f"p{i}") for i in range(10)]
    assert assess(old, NOW) == CloneAssessment(0, 0, False)
    assert assess([Scan(NOW + 1, "future")], NOW) == CloneAssessment(0, 0, False)
    edge = [Scan(NOW - 7 * DAY_MS + 1, "a"), Scan(NOW - 7 * DAY_MS, "b")]
    assert assess(edge, NOW) == CloneAssessment(1, 1, False)


def test_repeats() -> None:
    previous = [Scan(NOW - 9 * MINUTE, "a")]
    assert is_repeat(previous, Scan(NOW, "a"))
    assert not is_repeat(previous, Scan(NOW, "b"))
    assert not is_repeat(previous, Scan(NOW + MINUTE, "a"))  # 10 minutes later counts again


@pytest.mark.parametrize(("host", "place", "expected"), [
    ("203.0.113.77", None, "n:203.0.113.0/24"),
    ("::ffff:203.0.113.77", None, "n:203.0.113.0/24"),
    ("2001:db8:abcd:12::1", None, "n:2001:db8:abcd::/48"),
    ("203.0.113.77", "FZ-350100", "p:fz-350100"),
    ("203.0.113.77", "bad place!", "n:203.0.113.0/24"),
    ("testclient", None, "unknown"),
    (None, None, "unknown"),
])
def test_coarse_place(host: str | None, place: str | None, expected: str) -> None:
    assert coarse_place(host, place) == expected


def test_places_are_stored_as_keyed_hashes() -> None:
    token = hash_place(KEY, "n:203.0.113.0/24")
    assert len(token) == 16 and "203" not in token
    assert token == hash_place(KEY, "n:203.0.113.0/24")
    assert token != hash_place(bytes(32), "n:203.0.113.0/24")


def test_store_counts_like_the_definition(api_db: GraphDb) -> None:
    item = "https://id.gs1.org/01/09506000134352/21/clone-1"
    sequence = [(0, "a"), (5, "a"), (11, "a"), (12, "b"), (13, "c"), (14, "c"), (30, "d"),
                (31, "e"), (32, "f"), (40, "g")]
    counted: list[Scan] = []
    for minute, place in sequence:
        now = NOW + minute * MINUTE
        scan = Scan(now, place)
        if not is_repeat(counted, scan):
            counted.append(scan)
        assert record_scan(api_db.engine, item, place, now) == assess(counted, now)
    # a at 0 and 11 (11 minutes apart), b, c at 13 (14 repeats), d, e, f, g: 8 scans, 7 places.
    assert assess(counted, NOW + 40 * MINUTE) == CloneAssessment(8, 7, True)
    # Other items are counted apart.
    assert record_scan(api_db.engine, item + "x", "a", NOW) == CloneAssessment(1, 1, False)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 14 * 24 * 60), st.sampled_from("abcdef")), max_size=20))
def test_assess_matches_a_naive_count(events: list[tuple[int, str]]) -> None:
    scans = [Scan(NOW - minutes * MINUTE, place) for minutes, place in events]
    recent = [s for s in scans if s.at_ms > NOW - 7 * DAY_MS]
    result = assess(scans, NOW)
    assert result.scan_count == len(recent)
    assert result.distinct_places == len({s.place for s in recent})
    assert result.alarm == (len({s.place for s in recent}) >= 4 and len(recent) >= 8)

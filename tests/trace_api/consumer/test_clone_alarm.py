"""Clone alarm thresholds (trace_api/consumer/clone.py) and the scan store on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tests.trace_api.provenance.graphdb import GraphDb
from trace_api.consumer.clone import (
    DAY_MS,
    DEFAULT_POLICY,
    CloneAssessment,
    ClonePolicy,
    Scan,
    assess,
    coarse_place,
    hash_place,
    is_counted,
    is_repeat,
)
from trace_api.consumer.scans import ScanRow, record_scan

KEY = bytes(range(32))
NOW = 1_795_000_000_000
MINUTE = 60_000


def test_documented_thresholds() -> None:
    assert DEFAULT_POLICY == ClonePolicy(window_ms=7 * DAY_MS, repeat_ms=10 * MINUTE, min_places=4,
                                         min_scans=8, max_scans_per_place=2,
                                         max_scans_per_item=64)


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


@pytest.mark.parametrize(("host", "expected"), [
    ("203.0.113.77", "n:203.0.113.0/24"),
    ("203.0.113.1", "n:203.0.113.0/24"),
    ("::ffff:203.0.113.77", "n:203.0.113.0/24"),
    ("2001:db8:abcd:12::1", "n:2001:db8:abcd::/48"),
    ("testclient", "unknown"),
    (None, "unknown"),
])
def test_coarse_place_comes_from_the_address_alone(host: str | None, expected: str) -> None:
    assert coarse_place(host) == expected


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
        if is_counted(counted, scan):
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


def test_is_counted_caps_each_place_and_each_item() -> None:
    day = [Scan(NOW - 3 * DAY_MS, "a"), Scan(NOW - 2 * DAY_MS, "a")]
    assert not is_counted(day, Scan(NOW, "a"))  # a third scan from one place in the window
    assert is_counted(day, Scan(NOW, "b"))
    assert is_counted(day, Scan(NOW + 5 * DAY_MS, "a"))  # the first left the window
    full = [Scan(NOW - n * MINUTE, f"p{n}") for n in range(64)]
    assert not is_counted(full, Scan(NOW, "new"))
    assert is_counted(full[:63], Scan(NOW, "new"))


def test_unauthenticated_scans_are_never_stored_whatever_their_place(api_db: GraphDb) -> None:
    item = "https://id.gs1.org/01/09506000134352/21/forged-1"
    for n in range(40):
        assessment = record_scan(api_db.engine, item, f"place-{n}", NOW + n, counted=False)
        assert assessment == CloneAssessment(0, 0, False)
    assert _rows(api_db, item) == 0


def test_an_unauthenticated_scan_reads_the_alarm_without_adding_to_it(api_db: GraphDb) -> None:
    item = "https://id.gs1.org/01/09506000134352/21/cloned-1"
    for n in range(8):
        record_scan(api_db.engine, item, f"city-{n}", NOW + n * MINUTE)
    alarm = CloneAssessment(8, 8, True)
    assert record_scan(api_db.engine, item, "elsewhere", NOW + 9 * MINUTE, counted=False) == alarm
    assert _rows(api_db, item) == 8


def test_one_place_counts_at_most_twice_in_the_window(api_db: GraphDb) -> None:
    item = "https://id.gs1.org/01/09506000134352/21/one-owner"
    for hour in range(7 * 24 - 1):  # a scan every hour for a week from one network
        assessment = record_scan(api_db.engine, item, "home", NOW + hour * 60 * MINUTE)
    assert assessment == CloneAssessment(2, 1, False)
    assert _rows(api_db, item) == 2


def test_an_item_keeps_at_most_the_item_limit_and_drops_old_rows(api_db: GraphDb) -> None:
    item = "https://id.gs1.org/01/09506000134352/21/flooded"
    for n in range(100):
        assessment = record_scan(api_db.engine, item, f"net-{n}", NOW + n)
    assert assessment == CloneAssessment(64, 64, True)
    assert _rows(api_db, item) == 64
    later = NOW + 8 * DAY_MS  # the window moved past them all: they are deleted on the next scan
    assert record_scan(api_db.engine, item, "net-new", later) == CloneAssessment(1, 1, False)
    assert _rows(api_db, item) == 1


def _rows(api_db: GraphDb, item: str) -> int:
    with Session(api_db.engine) as session:
        return int(session.exec(select(func.count()).where(ScanRow.item == item)).one())

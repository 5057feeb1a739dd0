"""The bucket table of `trace_api.ratelimit.TokenBuckets`: bounded, and otherwise exactly a
token bucket per key, held to a deliberately naive reference (issue 13)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace_api.ratelimit import TokenBuckets, credential_key


@dataclass
class FakeClock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


class NaiveBuckets:
    """Token buckets in a plain list, evicting by scanning for the oldest touch."""

    def __init__(self, *, per_minute: int, burst: int, max_buckets: int) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(max(burst, 1))
        self.max_buckets = max_buckets
        self.rows: list[list[object]] = []  # [key, tokens, updated, touch number]
        self.touches = 0

    def take(self, key: str, now: float) -> float | None:
        self.touches += 1
        row = next((row for row in self.rows if row[0] == key), None)
        if row is None:
            if len(self.rows) == self.max_buckets:
                self.rows.remove(min(self.rows, key=lambda r: r[3]))  # type: ignore[arg-type,return-value]
            row = [key, self.capacity, now, 0]
            self.rows.append(row)
        tokens = min(self.capacity, float(row[1]) + (now - float(row[2])) * self.rate)  # type: ignore[arg-type]
        row[2], row[3] = now, self.touches
        if tokens >= 1.0:
            row[1] = tokens - 1.0
            return None
        row[1] = tokens
        return (1.0 - tokens) / self.rate


_steps = st.lists(st.tuples(st.integers(min_value=0, max_value=11),
                            st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0, 7.0])),
                  max_size=300)


@settings(max_examples=300, deadline=None)
@given(steps=_steps, max_buckets=st.integers(min_value=1, max_value=8),
       burst=st.integers(min_value=1, max_value=4))
def test_bucket_table_is_bounded(steps: list[tuple[int, float]], max_buckets: int,
                                 burst: int) -> None:
    clock = FakeClock()
    fast = TokenBuckets(per_minute=60, burst=burst, max_buckets=max_buckets, clock=clock)
    naive = NaiveBuckets(per_minute=60, burst=burst, max_buckets=max_buckets)
    for client, advance in steps:
        clock.now += advance
        key = f"ip:10.0.0.{client}"
        assert fast.take(key) == pytest.approx(naive.take(key, clock.now))
        assert len(fast) <= max_buckets
        assert len(fast) == len(naive.rows)
        assert fast.tracked(key)


def test_a_flood_of_fresh_keys_keeps_the_table_at_its_bound() -> None:
    buckets = TokenBuckets(per_minute=60, burst=5, max_buckets=1_000, clock=FakeClock())
    for number in range(50_000):
        buckets.take(f"cred:{number}")
    assert len(buckets) == 1_000
    assert not buckets.tracked("cred:0") and buckets.tracked("cred:49999")


def test_within_the_bound_nothing_is_forgotten() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(per_minute=60, burst=2, max_buckets=3, clock=clock)
    assert [buckets.take("a"), buckets.take("a")] == [None, None]
    for other in ("b", "c"):
        buckets.take(other)
    buckets.take("b")  # touching b, c keeps a the least recently used ...
    assert buckets.take("a") == pytest.approx(1.0)  # ... but a is still tracked and empty
    buckets.forget("a")
    assert not buckets.tracked("a") and len(buckets) == 2


def test_disabled_limiter_tracks_nothing() -> None:
    buckets = TokenBuckets(per_minute=0, burst=1)
    assert all(buckets.take(f"ip:{n}") is None for n in range(100))
    assert len(buckets) == 0


def test_credential_key_is_the_token_whichever_header_carries_it() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
        return {"headers": list(headers)}

    by_bearer = credential_key(scope((b"authorization", b"Bearer tlk_abc")))
    assert by_bearer == credential_key(scope((b"authorization", b"bearer  tlk_abc ")))
    assert by_bearer == credential_key(scope((b"x-api-key", b"tlk_abc")))
    # X-API-Key wins, as in the auth dependency.
    assert credential_key(scope((b"authorization", b"Bearer other"),
                                (b"x-api-key", b"tlk_abc"))) == by_bearer
    assert credential_key(scope()) is None
    assert credential_key(scope((b"authorization", b""))) is None

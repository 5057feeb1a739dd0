"""Every reader of an EPCIS time gets the same millisecond: records, the audit's view
of an event and the provenance graph (drift found in issue 14: the graph rounded
`…00.9996Z` up to the next millisecond while the others floored it)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from trace_api.audit.epcis_view import parse_time_ms as audit_time_ms
from trace_api.provenance.ingest import event_time_ms as graph_time_ms
from trace_api.records.columns import parse_time_ms as record_time_ms


def naive_time_ms(text: str) -> int:
    """Floor of the exact number of milliseconds: whole seconds by the calendar, the
    fraction as a decimal, no float and no timedelta."""
    moment = datetime.fromisoformat(text).astimezone(UTC)
    seconds = calendar.timegm(moment.timetuple())
    exact = (Decimal(seconds) + Decimal(moment.microsecond) / Decimal(1_000_000)) * 1000
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


_moments = st.datetimes(
    min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]),
)


@given(_moments)
@example(datetime(2026, 3, 1, 10, 0, 0, 999_600, tzinfo=UTC))
@example(datetime(1969, 12, 31, 23, 59, 59, 999_600, tzinfo=UTC))
def test_every_reader_floors_an_event_time_to_the_same_millisecond(moment: datetime) -> None:
    text = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    expected = naive_time_ms(text)
    assert record_time_ms(text) == expected
    assert audit_time_ms(text) == expected
    assert graph_time_ms(text) == expected

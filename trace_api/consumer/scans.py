"""`api_consumer_scans`: counted scans of serialised items, for the clone alarm.

Written only here, by the public lookup. One row per counted scan (`clone.is_counted`:
authenticated, not a repeat, under the per-place and per-item limits); `place` is a
keyed hash (`clone.hash_place`), never an address. An item's rows older than the window
are deleted when it is counted again, so the table holds at most
`ClonePolicy.max_scans_per_item` rows per genuine labelled serial. Two concurrent scans
of one item may both pass a limit check and overshoot it by one each: bounded by the
number of API workers, and never enough to fake places.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, Index, delete, distinct, func
from sqlmodel import Field, Session, SQLModel, col, select

from trace_api.consumer.clone import DEFAULT_POLICY, CloneAssessment, ClonePolicy, verdict


class ScanRow(SQLModel, table=True):
    """One counted scan of one serialised item."""

    __tablename__ = "api_consumer_scans"
    __table_args__ = (Index("ix_api_consumer_scans_item_time", "item", "scanned_at_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    item: str = Field(max_length=200)  # canonical Digital Link of GTIN + serial
    place: str = Field(max_length=16)
    scanned_at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


def record_scan(engine: Engine, item: str, place: str, now_ms: int, *, counted: bool = True,
                policy: ClonePolicy = DEFAULT_POLICY) -> CloneAssessment:
    """Count this scan of `item` from `place` if `counted` (its label authenticator was
    valid) and `clone.is_counted` allows it, then assess the item over the window.

    An uncounted scan only reads the assessment. A few aggregate queries, whatever the
    number of scans: the same counts `clone.assess` defines over the stored scans.
    """
    window_start = now_ms - policy.window_ms
    in_window = (ScanRow.item == item, col(ScanRow.scanned_at_ms) > window_start,
                 col(ScanRow.scanned_at_ms) <= now_ms)
    with Session(engine) as session:
        if counted:
            from_place, last_at = session.exec(
                select(func.count(), func.max(col(ScanRow.scanned_at_ms)))
                .where(*in_window, ScanRow.place == place)).one()
            total = session.exec(select(func.count()).where(*in_window)).one()
            repeat = last_at is not None and now_ms - int(last_at) < policy.repeat_ms
            if (not repeat and int(from_place) < policy.max_scans_per_place
                    and int(total) < policy.max_scans_per_item):
                session.add(ScanRow(item=item, place=place, scanned_at_ms=now_ms))
                session.exec(delete(ScanRow).where(
                    col(ScanRow.item) == item, col(ScanRow.scanned_at_ms) <= window_start))
                session.commit()
        scans, places = session.exec(
            select(func.count(), func.count(distinct(col(ScanRow.place)))).where(*in_window)
        ).one()
    return verdict(int(scans), int(places), policy)

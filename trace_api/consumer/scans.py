"""`api_consumer_scans`: counted scans of serialised items, for the clone alarm.

Written only here, by the public lookup. One row per counted scan (repeats from the
same place within `ClonePolicy.repeat_ms` are not stored); `place` is a keyed hash
(`clone.hash_place`), never an address.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, Index, distinct, func
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


def record_scan(engine: Engine, item: str, place: str, now_ms: int,
                policy: ClonePolicy = DEFAULT_POLICY) -> CloneAssessment:
    """Count this scan of `item` from `place` (unless it repeats one) and assess the item.

    Two aggregate queries, whatever the number of scans (a cloned code may have many):
    the same counts `clone.assess` defines over the stored scans.
    """
    with Session(engine) as session:
        repeat = session.exec(
            select(ScanRow.id).where(
                ScanRow.item == item, ScanRow.place == place,
                col(ScanRow.scanned_at_ms) > now_ms - policy.repeat_ms,
                col(ScanRow.scanned_at_ms) <= now_ms,
            ).limit(1)
        ).first()
        if repeat is None:
            session.add(ScanRow(item=item, place=place, scanned_at_ms=now_ms))
            session.commit()
        scans, places = session.exec(
            select(func.count(), func.count(distinct(col(ScanRow.place)))).where(
                ScanRow.item == item,
                col(ScanRow.scanned_at_ms) > now_ms - policy.window_ms,
                col(ScanRow.scanned_at_ms) <= now_ms,
            )
        ).one()
    return verdict(int(scans), int(places), policy)

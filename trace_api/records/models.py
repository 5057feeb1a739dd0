"""Trace record tables (`api_events`, `api_event_epcs`) and the record value readers share.

One `api_events` row per accepted event, keyed by the log leaf that commits to it
(trace_api/README.md, "Records"). The row keeps the 158-byte log entry (event hash,
signature, receive time and salt are read from it, never stored twice) and the event as
a standalone JSON-LD object, so the record can be re-hashed and re-verified alone.
Status is not stored: it follows from the anchored tree heads (`trace_api.anchors`).

Capture writes these tables with plain DB-API statements inside the log store's submit
transaction (`trace_api.records.repository`); the SQLModel classes define the schema
(`create_api_tables`) and serve readers that prefer the ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

EVENTS_TABLE = "api_events"
EPCS_TABLE = "api_event_epcs"


class ApiEvent(SQLModel, table=True):
    """One accepted EPCIS event: its leaf, who submitted it, query columns and its body."""

    __tablename__ = EVENTS_TABLE
    __table_args__ = (
        # The same event from the same enterprise is recorded once (issue 7, item 4). The
        # hash leads, so this one index also serves lookups by Event Hash ID alone.
        UniqueConstraint("event_hash_id", "enterprise_id", name="uq_api_events_hash_enterprise"),
        Index("ix_api_events_event_time_ms", "event_time_ms"),
    )

    leaf_index: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    event_hash_id: str
    """`ni:///sha-256;<lowercase hex>?ver=CBV2.0` (CBV 2.0 §8.9); indexed by the unique key."""
    enterprise_id: str
    """MemberRegistry id of the submitting enterprise (`0x` + 64 hex)."""
    submitter: str
    """EIP-55 address whose signature is in the entry."""
    entry: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    """The version 0x01 log entry (anchoring.core.entry), exactly as the leaf commits to it."""
    received_at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    capture_id: str
    event_type: str
    event_time_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    biz_step: str | None = None
    """Bare CBV word (`shipping`) for standard steps, else the URI as submitted."""
    disposition: str | None = None
    action: str | None = None
    biz_location: str | None = None
    read_point: str | None = None
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The event as standalone JSON-LD (with its document's `@context`), JSON text."""


class ApiEventEpc(SQLModel, table=True):
    """One identifier an event names, and in which role (for MATCH_epc / MATCH_anyEPC ...)."""

    __tablename__ = EPCS_TABLE
    __table_args__ = (Index("ix_api_event_epcs_epc", "epc"),)

    leaf_index: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    role: str = Field(primary_key=True)
    """Which member named it (`trace_api.records.columns.event_epcs`: `epc`, `parent`, `inputClass` ...)."""
    epc: str = Field(primary_key=True)


@dataclass(frozen=True)
class CapturedEvent:
    """One accepted event as capture stored it: its log leaf and the standalone event JSON.

    `event` is the body as stored (the event with its document's `@context`); `submitter`
    is EIP-55, `enterprise_id` the MemberRegistry id.
    """

    leaf_index: int
    event_hash_id: str
    enterprise_id: str
    submitter: str
    received_at_ms: int
    event: dict[str, Any]


@dataclass(frozen=True)
class StoredRecord:
    """A record as read back: the row's values, body still JSON text."""

    leaf_index: int
    event_hash_id: str
    enterprise_id: str
    submitter: str
    entry: bytes
    received_at_ms: int
    capture_id: str
    event_type: str
    body: str

"""Provenance graph tables (`api_prov_*`), written only by `ingest.write_graph` inside capture.

Three tables, each keyed by the log leaf of the event that put the row there:

- `api_prov_events`: one row per event with what a trace shows beside the identifiers:
  type, action, business step, time, locations and the parties and transactions it names.
- `api_prov_links`: the edges a trace walks, between identifier nodes (see README.md):
  `contains` (child -> parent, aggregation and association), `member` (item -> its lot
  class), `input` (input -> transformation node) and `output` (transformation node -> output).
- `api_prov_node_events`: every identifier an event names, so a trace lists each reached
  node's own events (commissioning, observations, shipping, inspections).

Both link endpoints and node-event nodes are indexed: a trace expands a whole frontier per
query (`src IN (...)` / `dst IN (...)`), never one node at a time.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, Text
from sqlmodel import Field, SQLModel


class ProvEvent(SQLModel, table=True):
    """What an event says beyond its identifiers (one row per captured event)."""

    __tablename__ = "api_prov_events"

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_hash_id: str = Field(index=True)
    enterprise_id: str = Field(index=True)
    event_type: str
    action: str | None = None
    biz_step: str | None = None  # short CBV name ("shipping"), or the URI if not a CBV step
    disposition: str | None = None
    event_time_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    read_point: str | None = None  # node key
    biz_location: str | None = None  # node key
    refs: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    """JSON list of [relation, key]: "source:<type>", "destination:<type>", "transaction:<type>"."""


class ProvLink(SQLModel, table=True):
    """One edge between identifier nodes, made by one event."""

    __tablename__ = "api_prov_links"
    __table_args__ = (
        Index("ix_api_prov_links_src", "src"),
        Index("ix_api_prov_links_dst", "dst"),
    )

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ordinal: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    relation: str  # contains | member | input | output
    src: str
    dst: str
    event_time_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    quantity: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    uom: str | None = None


class ProvNodeEvent(SQLModel, table=True):
    """An identifier named by an event, with its role there and quantity (class-level)."""

    __tablename__ = "api_prov_node_events"
    __table_args__ = (Index("ix_api_prov_node_events_node", "node", "event_time_ms"),)

    leaf_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    ordinal: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    node: str
    role: str  # epc | quantity | parent | child | input | output
    event_time_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    quantity: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    uom: str | None = None


EVENT_COLUMNS = ("leaf_index", "event_hash_id", "enterprise_id", "event_type", "action", "biz_step",
                 "disposition", "event_time_ms", "read_point", "biz_location", "refs")
LINK_COLUMNS = ("leaf_index", "ordinal", "relation", "src", "dst", "event_time_ms", "quantity", "uom")
NODE_EVENT_COLUMNS = ("leaf_index", "ordinal", "node", "role", "event_time_ms", "quantity", "uom")

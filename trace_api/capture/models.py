"""The capture job table `api_capture_jobs`: one row per accepted capture request.

Written in the same transaction as the job's records, so a job that can be read is a job
whose accepted events are durable. Per-event results are one JSON column: they are only
ever read back whole (GET /v1/capture/{id}).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

JOBS_TABLE = "api_capture_jobs"


class ApiCaptureJob(SQLModel, table=True):
    """A finished capture job (capture is synchronous: a stored job is never running)."""

    __tablename__ = JOBS_TABLE
    __table_args__ = (Index("ix_api_capture_jobs_enterprise", "enterprise_id", "created_at_ms"),)

    capture_id: str = Field(primary_key=True)
    enterprise_id: str
    behaviour: str
    """`rollback` or `proceed` (GS1-Capture-Error-Behaviour)."""
    created_at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    event_count: int
    results: str = Field(sa_column=Column(Text, nullable=False))
    """JSON list of [index, eventHashId, status, leafIndex, reason, pointer, problem] per event
    (rows written before `problem` existed have the first six)."""

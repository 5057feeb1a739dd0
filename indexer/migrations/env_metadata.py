"""The metadata the indexer's migrations target: the indexer's own tables only (SQLModel's
shared metadata may also hold other packages' tables)."""

from __future__ import annotations

from sqlalchemy import MetaData

from indexer.sink.models import ALL_TABLES

target_metadata = MetaData()
for _model in ALL_TABLES:
    _model.__table__.to_metadata(target_metadata)  # type: ignore[attr-defined]

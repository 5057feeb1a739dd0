"""`GraphDb`: a database with the provenance tables, loaded through `write_graph` inside
a real `anchoring.store.db` transaction, as capture loads it (the provenance, consumer,
labels, products and resolver tests build their graphs with it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from anchoring.core.event_hash import format_event_hash_id
from anchoring.store.db import Database
from trace_api.db import create_api_tables, create_db_engine
from trace_api.provenance.ingest import write_graph
from trace_api.records.models import CapturedEvent

ENTERPRISE_A = "0x" + "a" * 64
ENTERPRISE_B = "0x" + "b" * 64


class GraphDb:
    """A database with the provenance tables, loaded the way capture loads it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_db_engine(url)
        create_api_tables(self.engine)
        self.database = Database(url)
        self.next_leaf = 0

    def load(self, events: Sequence[dict[str, Any]], enterprise_id: str = ENTERPRISE_A) -> list[int]:
        """Write `events` as captured records (consecutive leaves); returns their leaf indexes."""
        captured = []
        for event in events:
            leaf = self.next_leaf
            self.next_leaf += 1
            captured.append(CapturedEvent(
                leaf_index=leaf, event_hash_id=format_event_hash_id(leaf.to_bytes(32, "big")),
                enterprise_id=enterprise_id, submitter="0x" + "1" * 40, received_at_ms=0, event=event))
        with self.database.transaction() as cursor:
            write_graph(cursor, captured)
        return [c.leaf_index for c in captured]

    def connect(self) -> Connection:
        return self.engine.connect()

    def close(self) -> None:
        self.database.close()
        self.engine.dispose()

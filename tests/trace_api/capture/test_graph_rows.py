"""Capture computes the provenance rows in its worker processes, before the leaf is known:
the stored `api_prov_*` rows must be exactly what `graph_rows` makes of the stored records
(the reference the provenance tests pin down), for every GS1 example document and for a
document large enough to go through the process pool. Runs the service directly (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anchoring.core.event_hash.document import document_events
from anchoring.core.record_signature import TraceRecord, sign_record
from tests.trace_api.capture import harness
from tests.trace_api.capture.documents import (
    EXAMPLE_GLNS,
    NOBODY_SPEAKS_FOR,
    document,
    hash_digest,
    shipping_event,
)
from tests.trace_api.epcis.oracle import example_files
from trace_api.capture import service
from trace_api.capture.pool import INLINE_MAX_EVENTS
from trace_api.context import ApiContext
from trace_api.provenance.ingest import graph_rows
from trace_api.provenance.models import EVENT_COLUMNS, LINK_COLUMNS, NODE_EVENT_COLUMNS
from trace_api.records.models import CapturedEvent

EXAMPLES = [path for path in example_files("JSON/**/*.jsonld")
            if json.loads(path.read_bytes()).get("type") == "EPCISDocument"]
NOBODYS_PLACE = "SensorDataExample16.jsonld"
assert NOBODYS_PLACE in NOBODY_SPEAKS_FOR


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ApiContext]:
    context = harness.open_context(f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                                   signature_workers=1)
    yield context
    context.close()


def _signed(doc: dict[str, Any], key: bytes, address: str) -> dict[str, Any]:
    signatures = {
        scoped.hash_id(): "0x" + sign_record(TraceRecord(hash_digest(scoped.hash_id()), address),
                                             harness.domain(), key).hex()
        for scoped in document_events(doc)
    }
    return {**doc, "tl:signatures": signatures}


def _stored(ctx: ApiContext) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    with ctx.log_store.db.transaction(write=False) as cursor:
        def rows(table: str, columns: tuple[str, ...], order: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()]
        records = rows("api_events", ("leaf_index", "event_hash_id", "enterprise_id",
                                      "submitter", "received_at_ms", "body"), "leaf_index")
        events = rows("api_prov_events", EVENT_COLUMNS, "leaf_index")
        links = rows("api_prov_links", LINK_COLUMNS, "leaf_index, ordinal")
        nodes = rows("api_prov_node_events", NODE_EVENT_COLUMNS, "leaf_index, ordinal")
    return records, events, links, nodes


def test_stored_graph_rows_equal_graph_rows_of_the_stored_records(ctx: ApiContext) -> None:
    assert len(EXAMPLES) >= 35, "the shared GS1 examples are missing"
    # Holding both example prefixes and every example location, it may capture them all but
    # the one recorded at nobody's place (a geo: location naming no party).
    enterprise_id, key, address = harness.self_custody_enterprise(
        ctx, company_prefixes=("0614141", "4012345"), glns=frozenset(EXAMPLE_GLNS))
    for path in EXAMPLES:
        if path.name == NOBODYS_PLACE:
            continue
        job = service.capture_document(ctx, enterprise_id,
                                       _signed(json.loads(path.read_bytes()), key, address))
        assert job.count("rejected") == 0, path.name
    big = document([shipping_event(serial) for serial in range(INLINE_MAX_EVENTS * 3)],
                   signer_key=key, submitter=address, domain=harness.domain())
    assert service.capture_document(ctx, enterprise_id, big).count("accepted") == 144

    records, events, links, nodes = _stored(ctx)
    expected = graph_rows([CapturedEvent(leaf, hash_id, enterprise, submitter, received,
                                         json.loads(body))
                           for leaf, hash_id, enterprise, submitter, received, body in records])
    assert len(events) == len(records) > 144
    assert links, "the examples link items to parents, lots and transformations"
    assert (events, links, nodes) == tuple(
        [tuple(row) for row in rows] for rows in expected)

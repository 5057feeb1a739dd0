"""Batch commissioning documents (valid EPCIS 2.0, one event per 1,000 serials) and the label key file."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from anchoring.core import event_hash_id
from tests.trace_api.provenance.graphdb import GraphDb
from trace_api.epcis import parse_epcis_document
from trace_api.labels import BatchRequest
from trace_api.labels.authenticator_key import KEY_BYTES, load_or_create_key
from trace_api.labels.commissioning import commissioning_document, recorded_epcs, serial_epc

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def _request(serials: range, width: int = 0) -> BatchRequest:
    return BatchRequest(gtin="9506000134352", lot="L1/2", serials=serials,
                        expiry=dt.date(2027, 1, 31), serial_width=width)


def test_serial_epcs_are_canonical_item_links() -> None:
    assert serial_epc(_request(range(1, 2)), 7) == "https://id.gs1.org/01/09506000134352/21/7"
    assert serial_epc(_request(range(1, 2), width=6), 7) == "https://id.gs1.org/01/09506000134352/21/000007"


def test_commissioning_document_is_valid_epcis_and_chunked() -> None:
    request = _request(range(1, 2501))
    epcs = [serial_epc(request, n) for n in request.serials]
    document = commissioning_document(request, epcs, biz_location="https://id.gs1.org/414/9506000134376",
                                      now=NOW)
    events = document["epcisBody"]["eventList"]
    assert [len(event["epcList"]) for event in events] == [1000, 1000, 500]
    assert events[0] == {
        "type": "ObjectEvent", "eventTime": "2026-11-26T12:00:00.000Z", "eventTimeZoneOffset": "+00:00",
        "epcList": epcs[:1000], "action": "ADD", "bizStep": "commissioning", "disposition": "active",
        "ilmd": {"cbvmda:lotNumber": "L1/2", "cbvmda:itemExpirationDate": "2027-01-31"},
        "bizLocation": {"id": "https://id.gs1.org/414/9506000134376"},
        "readPoint": {"id": "https://id.gs1.org/414/9506000134376"},
    }
    parsed = parse_epcis_document(json.dumps(document).encode())
    assert len(parsed.events) == 3
    hashes = {event_hash_id(event, context=document["@context"]) for event in events}
    assert len(hashes) == 3  # distinct events, distinct records


def test_recorded_epcs_reads_the_graph(api_db: GraphDb) -> None:
    request = _request(range(1, 6))
    epcs = [serial_epc(request, n) for n in request.serials]
    api_db.load([{"type": "ObjectEvent", "eventTime": "2026-11-26T12:00:00Z",
                  "eventTimeZoneOffset": "+00:00", "epcList": epcs[:2], "action": "ADD",
                  "bizStep": "commissioning"}])
    ctx = SimpleNamespace(engine=api_db.engine)
    assert recorded_epcs(ctx, epcs) == set(epcs[:2])  # type: ignore[arg-type]


def test_label_key_is_created_once_with_mode_0600(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "secrets" / "label-auth.key"
    key = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key  # never overwritten
    assert key.hex() not in caplog.text
    path.write_text("abcd\n")
    with pytest.raises(ValueError, match="holds 2 bytes"):
        load_or_create_key(path)

"""Consumer-view sources without a live system: recall subjects and states from a mirror
(SQLite and PostgreSQL), sensor readings from event bodies, identifier fields."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlmodel import Session, SQLModel

from gs1 import parse_digital_link
from indexer.sink.models import ChainBlock, ChainRecallHistory
from tests.trace_api.provenance.graphdb import GraphDb
from trace_api.consumer.sources import RecallState, _readings_of, open_recall, recall_keys
from trace_api.consumer.view import identifier_view

GTIN = "09506000134352"
SERIAL = f"https://t.example/01/{GTIN}/10/L1/21/7?17=270131&auth=ABCDEFGH"


def _subject(uri: str) -> str:
    return "0x" + hashlib.sha256(uri.encode()).hexdigest()


def test_recall_keys_from_most_specific_to_gtin() -> None:
    assert recall_keys(parse_digital_link(SERIAL)) == [
        f"https://id.gs1.org/01/{GTIN}/10/L1/21/7",
        f"https://id.gs1.org/01/{GTIN}/21/7",
        f"https://id.gs1.org/01/{GTIN}/10/L1",
        f"https://id.gs1.org/01/{GTIN}",
    ]
    assert recall_keys(parse_digital_link("https://t.example/8004/0950600013430000001")) == [
        "https://id.gs1.org/8004/0950600013430000001"]


def _history(subject: str, block: int, change: str, status: str, recall_class: int | None,
             reason: str = "0x" + "11" * 32) -> ChainRecallHistory:
    return ChainRecallHistory(block_hash=f"0x{block:064x}", log_index=0, block_number=block,
                              transaction_hash="0x" + "22" * 32, subject=subject, sequence=1,
                              change=change, status=status, recall_class=recall_class,
                              reason_hash=reason, issuer="0x" + "33" * 20)


@pytest.fixture(scope="module")
def mirror(api_db: GraphDb) -> Any:
    SQLModel.metadata.create_all(api_db.engine, tables=[ChainBlock.__table__, ChainRecallHistory.__table__])  # type: ignore[attr-defined]
    lot, gtin = _subject(f"https://id.gs1.org/01/{GTIN}/10/L1"), _subject(f"https://id.gs1.org/01/{GTIN}")
    other_lot = _subject(f"https://id.gs1.org/01/{GTIN}/10/L2")
    with Session(api_db.engine) as session:
        for number in range(1, 7):
            session.add(ChainBlock(number=number, hash=f"0x{number:064x}", parent_hash="0x" + "00" * 32,
                                   timestamp=1_795_000_000 + number, miner="0x" + "44" * 20))
        session.add(_history(lot, 1, "opened", "open", 2))
        session.add(_history(lot, 2, "updated", "updated", 1, reason="0x" + "55" * 32))
        session.add(_history(gtin, 3, "opened", "open", 3))
        session.add(_history(other_lot, 4, "opened", "open", 1))
        session.add(_history(other_lot, 5, "closed", "closed", None))
        session.commit()
    return api_db.engine


def test_open_recall_prefers_the_most_specific_open_subject(mirror: Any) -> None:
    state = open_recall(mirror, parse_digital_link(SERIAL))
    assert state == RecallState(subject=_subject(f"https://id.gs1.org/01/{GTIN}/10/L1"), recall_class=1,
                                reason_hash="0x" + "55" * 32, opened_at="2026-11-18T11:06:41.000Z")  # block 1 at 1,795,000,001 s


def test_closed_lot_recall_falls_back_to_the_gtin_recall(mirror: Any) -> None:
    state = open_recall(mirror, parse_digital_link(f"https://t.example/01/{GTIN}/10/L2"))
    assert state is not None
    assert (state.subject, state.recall_class) == (_subject(f"https://id.gs1.org/01/{GTIN}"), 3)


def test_no_recall(mirror: Any) -> None:
    assert open_recall(mirror, parse_digital_link("https://t.example/01/09506000134369/10/L1")) is None


def test_sensor_readings_keep_only_public_numbers() -> None:
    event = {"sensorElementList": [
        {"sensorMetadata": {"time": "2026-11-20T08:00:00+08:00", "deviceID": "urn:x:secret-device"},
         "sensorReport": [
             {"type": "gs1:Temperature", "value": 3.5, "uom": "CEL"},
             {"type": "https://gs1.org/voc/RelativeHumidity", "value": 80, "uom": "P1",
              "time": "2026-11-20T01:30:00Z"},
             {"type": "gs1:Temperature", "stringValue": "warm"},
             {"type": "gs1:Temperature", "value": True},
         ]},
        {"sensorReport": [{"type": "Temperature", "value": -1, "uom": "CEL"}]},
    ]}
    assert list(_readings_of(event, "2026-11-20T02:00:00.000Z")) == [
        ("2026-11-20T00:00:00.000Z", "Temperature", 3.5, "CEL"),
        ("2026-11-20T01:30:00.000Z", "RelativeHumidity", 80.0, "P1"),
        ("2026-11-20T02:00:00.000Z", "Temperature", -1.0, "CEL"),
    ]
    assert list(_readings_of({}, "2026-11-20T02:00:00.000Z")) == []


def test_identifier_view() -> None:
    assert identifier_view(parse_digital_link(SERIAL)).model_dump() == {
        "gtin": GTIN, "lot": "L1", "serial": "7", "expiry": "2027-01-31", "sscc": None, "giai": None}
    assert identifier_view(parse_digital_link("https://t.example/00/106141411234567897")).model_dump() == {
        "gtin": None, "lot": None, "serial": None, "expiry": None, "sscc": "106141411234567897",
        "giai": None}

"""Every official GS1 example the schema accepts is accepted here; other shared files are
judged as the schema judges them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trace_api.epcis.oracle import (
    EPCIS_DATA,
    JUDGED_BY_ORACLE,
    MUST_PASS,
    example_files,
    oracle_accepts,
)
from trace_api.epcis import (
    EPCISDocument,
    EPCISQueryDocument,
    EPCISValidationError,
    ParsedEvent,
    parse_epcis_json,
)


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(EPCIS_DATA)) for path in paths]


_MUST_PASS = example_files(*MUST_PASS)
_JUDGED = example_files(*JUDGED_BY_ORACLE)


def _events_in(document: object) -> list[object]:
    assert isinstance(document, dict)
    body = document["epcisBody"]
    if document["type"] == "EPCISQueryDocument":
        body = body["queryResults"]["resultsBody"]
    return list(body["eventList"])


@pytest.mark.parametrize("path", _MUST_PASS, ids=_ids(_MUST_PASS))
def test_official_example_is_accepted(path: Path) -> None:
    body = path.read_bytes()
    original = json.loads(body)
    assert oracle_accepts(original), "the schema itself must accept the must-pass examples"
    parsed = parse_epcis_json(body)
    if isinstance(parsed, ParsedEvent):
        assert parsed.raw == original
        return
    assert isinstance(parsed, EPCISDocument | EPCISQueryDocument)
    assert [event.raw for event in parsed.events] == _events_in(original)
    assert [event.index for event in parsed.events] == list(range(len(parsed.events)))
    assert parsed.raw == original


@pytest.mark.parametrize("path", _JUDGED, ids=_ids(_JUDGED))
def test_other_shared_file_gets_the_schema_verdict(path: Path) -> None:
    body = path.read_bytes()
    expected = oracle_accepts(json.loads(body))
    try:
        parse_epcis_json(body)
    except EPCISValidationError as exc:
        assert not expected, f"refused what the schema accepts: {exc.issues}"
    else:
        assert expected, "accepted what the schema refuses"


def test_example_sets_are_present() -> None:
    if not (EPCIS_DATA / "JSON").exists():
        pytest.skip("standard test data missing: ../shared/data/epcis")
    assert len(_MUST_PASS) >= 30
    assert any(not oracle_accepts(json.loads(path.read_bytes())) for path in _JUDGED)

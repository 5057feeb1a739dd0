"""CBV 2.0 Event Hash ID against the reference vectors in ../shared/data/cbv-event-hash.

Every JSON-LD document there must give exactly its ``.hashes`` line per event, in
document order, and its ``.prehashes`` line unless SOURCES.md declares that file stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anchoring.core.event_hash import event_hash_id, event_prehash
from anchoring.core.event_hash.document import document_events
from tests.shared_data import SHARED_DATA, shared_data

VECTORS = SHARED_DATA / "cbv-event-hash"
# SOURCES.md: upstream .prehashes files that do not hash to their own .hashes lines.
STALE_PREHASHES = {
    "epcisDocWithAllGS1Keys",
    "epcisDocWithCustomSchemaInContext",
    "epcisDocWithDefaultSchemaInContext",
}


def _cases() -> list[Any]:
    cases = []
    for path in sorted(VECTORS.glob("*.jsonld")) if VECTORS.exists() else []:
        document = json.loads(path.read_text(encoding="utf-8"))
        for index in range(len(document_events(document))):
            cases.append(pytest.param(path.stem, index, id=f"{path.stem}[{index}]"))
    return cases or [pytest.param("missing", 0, id="no-vectors")]


@pytest.mark.parametrize(("stem", "index"), _cases())
def test_event_hash_matches_reference_vector(stem: str, index: int) -> None:
    folder = shared_data("cbv-event-hash")
    document = json.loads((folder / f"{stem}.jsonld").read_text(encoding="utf-8"))
    events = document_events(document)
    event = events[index].event
    options: dict[str, Any] = {
        "context": events[index].context,
        "ignore_fields": events[index].ignore_fields,
    }
    expected_hashes = (folder / f"{stem}.hashes").read_text(encoding="utf-8").split()
    assert len(expected_hashes) == len(document_events(document))

    prehash_file = folder / f"{stem}.prehashes"
    if prehash_file.exists() and stem not in STALE_PREHASHES:
        expected_prehash = prehash_file.read_text(encoding="utf-8").splitlines()[index]
        assert event_prehash(event, **options) == expected_prehash
    assert event_hash_id(event, **options) == expected_hashes[index]


def test_vector_folder_is_not_empty() -> None:
    folder = shared_data("cbv-event-hash")
    assert len(list(folder.glob("*.jsonld"))) >= 15


def test_expected_equal_representations_give_one_hash() -> None:
    folder = shared_data("cbv-event-hash/expected_equal")
    documents = sorted(folder.glob("*.json")) + sorted(folder.glob("*.jsonld"))
    assert documents, "no JSON documents in expected_equal/"
    for path in documents:
        document = json.loads(path.read_text(encoding="utf-8"))
        hashes = {event.hash_id() for event in document_events(document)}
        assert len(hashes) == 1, f"{path.name}: {len(hashes)} different hashes"


def _gs1_examples() -> list[Path]:
    folder = SHARED_DATA / "epcis" / "JSON"
    return sorted(folder.rglob("*.jsonld")) if folder.exists() else []


@pytest.mark.parametrize("path", _gs1_examples(), ids=lambda path: path.name)
def test_every_official_gs1_example_event_hashes(path: Path) -> None:
    """All events of the official EPCIS 2.0 examples hash, and distinct events differ."""
    document = json.loads(path.read_text(encoding="utf-8"))
    events = document_events(document)
    hashes = [event.hash_id() for event in events]
    for hash_id in hashes:
        assert hash_id.startswith("ni:///sha-256;") and hash_id.endswith("?ver=CBV2.0")
        assert len(hash_id) == len("ni:///sha-256;") + 64 + len("?ver=CBV2.0")
    distinct = {json.dumps(event.event, sort_keys=True) for event in events}
    assert len(set(hashes)) <= len(distinct)

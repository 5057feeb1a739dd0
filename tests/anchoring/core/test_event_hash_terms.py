"""The built-in CBV/EPCIS term tables agree with the official GS1 context and vocabulary files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from anchoring.core.event_hash import event_prehash, terms
from tests.shared_data import shared_data

# cbv-vocabularies-from-schema.json vocabulary name -> our table.
TABLES: dict[str, Mapping[str, str]] = {
    "bizStep": terms.BIZ_STEP_URIS,
    "disposition": terms.DISPOSITION_URIS,
    "bizTransactionType": terms.BIZ_TRANSACTION_TYPE_URIS,
    "sourceDestType": terms.SOURCE_DESTINATION_TYPE_URIS,
    "errorReason": terms.ERROR_REASON_URIS,
    "component": terms.SENSOR_COMPONENT_URIS,
    "measurementType": terms.MEASUREMENT_TYPE_URIS,
    "sensorAlertType": terms.SENSOR_ALERT_TYPE_URIS,
}


def _vocabularies() -> dict[str, Any]:
    path = shared_data("epcis/cbv-vocabularies-from-schema.json")
    return dict(json.loads(path.read_text(encoding="utf-8"))["vocabularies"])


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_equals_official_vocabulary(name: str) -> None:
    official = _vocabularies()[name]
    assert set(TABLES[name]) == set(official["values"])
    assert dict(TABLES[name]) == official["uris"]


def test_every_official_vocabulary_is_covered() -> None:
    assert set(_vocabularies()) - set(TABLES) == {"action"}
    assert set(_vocabularies()["action"]["values"]) == terms.ACTIONS


def _context() -> dict[str, Any]:
    path = shared_data("epcis/epcis-context.jsonld")
    return dict(json.loads(path.read_text(encoding="utf-8"))["@context"])


def _expand(curie: str, prefixes: Mapping[str, str]) -> str:
    prefix, _, rest = curie.partition(":")
    return prefixes[prefix] + rest if prefix in prefixes else curie


def test_namespace_prefixes_equal_default_context() -> None:
    context = _context()
    for prefix, iri in terms.STANDARD_NAMESPACES.items():
        assert context[prefix] == iri


def test_event_types_are_context_terms() -> None:
    context = _context()
    for event_type in terms.EVENT_TYPES:
        assert context[event_type] == f"epcis:{event_type}"


def _scoped_terms(definition: Any) -> dict[str, str]:
    scoped = definition["@context"]
    found: dict[str, str] = {}
    for part in scoped if isinstance(scoped, list) else [scoped]:
        found.update({k: v for k, v in part.items() if isinstance(v, str) and not k.startswith("@")
                      and k != "epcis"})
    return found


@pytest.mark.parametrize(
    ("path", "table"),
    [
        (("bizStep",), terms.BIZ_STEP_URIS),
        (("disposition",), terms.DISPOSITION_URIS),
        (("persistentDisposition",), terms.DISPOSITION_URIS),
        (("bizTransactionList", "type"), terms.BIZ_TRANSACTION_TYPE_URIS),
        (("sourceList", "type"), terms.SOURCE_DESTINATION_TYPE_URIS),
        (("destinationList", "type"), terms.SOURCE_DESTINATION_TYPE_URIS),
        (("errorDeclaration", "reason"), terms.ERROR_REASON_URIS),
        (("sensorElementList", "sensorReport", "type"), terms.MEASUREMENT_TYPE_URIS),
        (("sensorElementList", "sensorReport", "exception"), terms.SENSOR_ALERT_TYPE_URIS),
        (("sensorElementList", "sensorReport", "component"), terms.SENSOR_COMPONENT_URIS),
    ],
    ids=lambda value: ".".join(value) if isinstance(value, tuple) else "",
)
def test_context_scoped_terms_resolve_like_our_table(
    path: tuple[str, ...], table: Mapping[str, str]
) -> None:
    """Each bare word the default context defines maps to the URI our table gives it."""
    context = _context()
    definition: Any = context[path[0]]
    for step in path[1:]:
        definition = definition["@context"][step]
    scoped = _scoped_terms(definition)
    assert scoped, f"no scoped terms at {path}"
    for word, curie in scoped.items():
        assert table.get(word) == _expand(curie, terms.STANDARD_NAMESPACES), word


def test_context_versions_agree_on_prefixes() -> None:
    """Both context files the reference ships (contexts/) declare the same prefixes."""
    folder = shared_data("cbv-event-hash/contexts")
    for path in folder.glob("*.jsonld"):
        context = json.loads(path.read_text(encoding="utf-8"))["@context"]
        for prefix, iri in terms.STANDARD_NAMESPACES.items():
            assert context[prefix] == iri, (path.name, prefix)


@pytest.mark.parametrize("word", terms.BIZ_STEPS)
def test_bare_curie_and_legacy_bizstep_agree(word: str) -> None:
    """A business step as bare word, CURIE, Web URI or CBV 1.x URN gives one pre-hash."""
    forms = [word, f"cbv:BizStep-{word}", f"https://ref.gs1.org/cbv/BizStep-{word}",
             f"urn:epcglobal:cbv:bizstep:{word}"]
    prehashes = {
        event_prehash({"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00Z",
                       "action": "OBSERVE", "bizStep": form})
        for form in forms
    }
    assert len(prehashes) == 1
    assert f"bizStep=https://ref.gs1.org/cbv/BizStep-{word}" in prehashes.pop()

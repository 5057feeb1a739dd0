"""GS1 Barcode Syntax Engine vectors (../shared/data/gs1-digital-link).

Vectors whose AIs are all in our table must give exactly the engine's result;
valid vectors using an AI we do not support must be rejected with UnknownAIError
(we never accept what we cannot check); invalid vectors must always be rejected.
Option-gated vectors (zero-suppressed GTINs, convenience alphas, unknown AIs) are
outside our strict default mode and must be rejected.
"""

from __future__ import annotations

from typing import Any

import pytest

from gs1.ai_table import lookup_ai
from gs1.associations import verify_associations
from gs1.digital_link import (
    DEFAULT_STEM,
    build_digital_link,
    canonical_uri,
    format_digital_link,
    parse_digital_link,
    verify_qualifier_order,
)
from gs1.element_string import (
    GS,
    format_element_string,
    parse_bracketed,
    parse_element_string,
)
from gs1.errors import GS1Error, UnknownAIError
from gs1.percent import (
    escape_path_component,
    escape_query_component,
    unescape_path_component,
    unescape_query_component,
)
from tests.gs1.vectors import all_supported, bracketed_ais, uri_ais, vectors
from tests.shared_data import shared_data


def _ids(group: list[dict[str, Any]]) -> list[str]:
    return [v["origin"].split("/")[-1] for v in group]


def _engine_notation(data: str) -> str:
    return "^" + data.replace(GS, "^")


def _from_engine_notation(text: str) -> str:
    return text[1:].replace("^", GS) if text.startswith("^") else text


DL_TO_ES = vectors("dl_uri_to_element_string")


@pytest.mark.parametrize("vector", DL_TO_ES, ids=_ids(DL_TO_ES))
def test_dl_uri_to_element_string(vector: dict[str, Any]) -> None:
    uri = vector["dlUri"]
    if not vector["shouldSucceed"] or vector.get("options"):
        with pytest.raises(GS1Error):
            parse_digital_link(uri)
        return
    if not all_supported(uri_ais(uri)):
        with pytest.raises(UnknownAIError):
            parse_digital_link(uri)
        return
    link = parse_digital_link(uri)
    assert _engine_notation(format_element_string(link.element_pairs())) == vector[
        "expectedElementString"
    ]
    # Round trip: our formatting re-parses to the same data; canonical form is a fixed point.
    again = parse_digital_link(format_digital_link(link))
    assert again.element_pairs() == link.element_pairs()
    canonical = canonical_uri(uri)
    assert canonical.startswith(DEFAULT_STEM + "/")
    assert canonical_uri(canonical) == canonical
    assert set(parse_digital_link(canonical).element_pairs()) == set(link.element_pairs())


ES_TO_DL = vectors("element_string_to_dl_uri")


@pytest.mark.parametrize("vector", ES_TO_DL, ids=_ids(ES_TO_DL))
def test_element_string_to_dl_uri(vector: dict[str, Any]) -> None:
    data = vector["bracketedAIdata"]
    stem = vector["uriStem"] or DEFAULT_STEM
    if not all_supported(bracketed_ais(data)):
        with pytest.raises(UnknownAIError):
            build_digital_link(parse_bracketed(data, check_associations=False), stem=stem)
        return
    if not vector["shouldSucceed"]:
        with pytest.raises(GS1Error):
            build_digital_link(parse_bracketed(data), stem=stem)
        return
    link = build_digital_link(parse_bracketed(data), stem=stem)
    assert format_digital_link(link) == vector["expectedDlUri"]
    assert parse_digital_link(vector["expectedDlUri"]) == link


def _text(value: Any) -> str:
    return value["latin1"] if isinstance(value, dict) else value


@pytest.mark.parametrize("vector", vectors("uri_escape"), ids=_ids(vectors("uri_escape")))
def test_uri_escape(vector: dict[str, Any]) -> None:
    assert escape_path_component(vector["input"]) == vector["expectedPathComponent"]
    assert escape_query_component(vector["input"]) == vector["expectedQueryComponent"]


@pytest.mark.parametrize("vector", vectors("uri_unescape"), ids=_ids(vectors("uri_unescape")))
def test_uri_unescape(vector: dict[str, Any]) -> None:
    assert unescape_path_component(vector["input"]) == _text(vector["expectedPathComponent"])
    assert unescape_query_component(vector["input"]) == _text(vector["expectedQueryComponent"])


SEQUENCES = vectors("valid_dl_path_ai_sequences")


@pytest.mark.parametrize("vector", SEQUENCES, ids=_ids(SEQUENCES))
def test_valid_dl_path_sequences(vector: dict[str, Any]) -> None:
    sequence = vector["aiSequence"]
    assert all_supported(sequence), f"every DL path AI is in our table: {sequence}"
    verify_qualifier_order(lookup_ai(sequence[0]), sequence[1:])


BRACKETED = vectors("bracketed_ai_to_element_string")


@pytest.mark.parametrize("vector", BRACKETED, ids=_ids(BRACKETED))
def test_bracketed_to_element_string(vector: dict[str, Any]) -> None:
    data = vector["bracketedAIdata"]
    if not vector["shouldSucceed"]:
        with pytest.raises(GS1Error):
            parse_bracketed(data, check_associations=False)
        return
    if not all_supported(bracketed_ais(data)):
        with pytest.raises(UnknownAIError):
            parse_bracketed(data, check_associations=False)
        return
    pairs = parse_bracketed(data, check_associations=False)
    assert _engine_notation(format_element_string(pairs)) == vector["expectedElementString"]


VALIDATION = vectors("element_string_validation")


@pytest.mark.parametrize("vector", VALIDATION, ids=_ids(VALIDATION))
def test_element_string_validation(vector: dict[str, Any]) -> None:
    data = _from_engine_notation(vector["elementString"])
    if not vector["shouldSucceed"] or vector.get("options"):
        with pytest.raises(GS1Error):
            parse_element_string(data, check_associations=False)
        return
    try:
        pairs = parse_element_string(data, check_associations=False)
    except UnknownAIError as exc:
        assert not all_supported([exc.ai])
        return
    # Writing the pairs back gives the same data (less a tolerated trailing FNC1).
    assert format_element_string(pairs) == data.removesuffix(GS)


ASSOCIATIONS = [
    v
    for v in vectors("ai_association_validation")
    if v["validation"] in {"validateAIrepeats", "validateAImutex", "validateAIrequisites"}
]


@pytest.mark.parametrize("vector", ASSOCIATIONS, ids=_ids(ASSOCIATIONS))
def test_ai_associations(vector: dict[str, Any]) -> None:
    data = vector["bracketedAIdata"]
    if not all_supported(bracketed_ais(data)):
        # An AI GS1's syntax dictionary does not define: the engine accepts it only with
        # permitUnknownAIs; our strict mode refuses it, naming an AI of the data that the
        # dictionary lacks.
        assert vector["options"] == {"permitUnknownAIs": True}
        with pytest.raises(UnknownAIError) as caught:
            parse_bracketed(data, check_associations=False)
        assert caught.value.ai in bracketed_ais(data)
        assert caught.value.ai not in _dictionary_ais()
        return
    pairs = parse_bracketed(data, check_associations=False)
    if vector["shouldSucceed"]:
        verify_associations(pairs)
    else:
        with pytest.raises(GS1Error):
            verify_associations(pairs)


LINTERS = vectors("linter_errors")


@pytest.mark.parametrize("vector", LINTERS, ids=_ids(LINTERS))
def test_linter_vectors(vector: dict[str, Any]) -> None:
    """GS1_LINTER_OK data is accepted; any other linter result is refused with a reason.
    AIs outside GS1's syntax dictionary are refused as unknown, never accepted."""
    data = vector["bracketedAIdata"]
    if not all_supported(bracketed_ais(data)):
        with pytest.raises(UnknownAIError):
            parse_bracketed(data, check_associations=False)
        return
    if vector["expectedLinterResult"] == "GS1_LINTER_OK":
        assert parse_bracketed(data, check_associations=False)
    else:
        with pytest.raises(GS1Error) as caught:
            parse_bracketed(data, check_associations=False)
        assert caught.value.reason


def _dictionary_ais() -> set[str]:
    from tests.gs1.vectors import dictionary

    return {ai for entry in dictionary() for ai in entry["expandedAIs"]}


def test_enough_vectors_are_exercised_for_real() -> None:
    """Guard against the supported-AI filter quietly hollowing the suite out."""
    valid_dl = [
        v
        for v in DL_TO_ES
        if v["shouldSucceed"] and not v.get("options") and all_supported(uri_ais(v["dlUri"]))
    ]
    assert len(valid_dl) >= 35
    assert sum(all_supported(bracketed_ais(v["bracketedAIdata"])) for v in ES_TO_DL) >= 10


def test_vector_file_present() -> None:
    """Skips, naming the folder, when ../shared/data/gs1-digital-link is not beside the checkout."""
    path = shared_data("gs1-digital-link") / "gs1-syntax-engine" / "dl-and-ai-test-vectors.json"
    assert path.exists(), f"{path} is missing from the GS1 test data"

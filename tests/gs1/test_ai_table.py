"""The AI table is GS1's Barcode Syntax Dictionary (release 2026-01-27), whole, and parses as it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from gs1 import ai_dictionary
from gs1.ai_table import ai_rules
from gs1.generate_ai_table import render_ai_dictionary
from tests.gs1.vectors import dictionary
from tests.shared_data import shared_data


def _dictionary_by_ai() -> dict[str, dict]:
    return {ai: entry for entry in dictionary() for ai in entry["expandedAIs"]}


@pytest.mark.parametrize("ai", sorted(ai_rules()))
def test_rule_matches_dictionary(ai: str) -> None:
    entry = _dictionary_by_ai().get(ai)
    assert entry is not None, f"AI {ai} is not in the GS1 syntax dictionary"
    rule = ai_rules()[ai]
    assert rule.title == entry["title"]
    assert rule.predefined_length == entry["predefinedLengthNoFNC1"]
    assert rule.dl_data_attribute == entry["dlDataAttribute"]
    ours = [
        (c.kind, c.min_length, c.max_length, c.optional, list(c.linters)) for c in rule.components
    ]
    theirs = [
        (c["type"], c["minLength"], c["maxLength"], c["optional"], c["linters"])
        for c in entry["components"]
    ]
    assert ours == theirs
    assert [[list(alt) for alt in group] for group in rule.requires] == entry.get("req", [])
    assert list(rule.excludes) == entry.get("ex", [])
    assert rule.is_primary_key == bool(entry.get("dlpkey"))
    if rule.is_primary_key:
        ours_sequences = [list(seq) for seq in rule.qualifier_sequences or () if seq]
        assert ours_sequences == entry["dlQualifierSequences"]


def test_table_covers_the_keys_we_promise() -> None:
    rules = ai_rules()
    for ai in ("00", "01", "414", "8003", "8004", "8018", "10", "21", "22", "15", "17"):
        assert ai in rules
    assert rules["01"].qualifier_sequences == (("22", "10", "21"), ("235",))


def test_generated_module_is_the_release_file_regenerated() -> None:
    """ai_dictionary.py is exactly what the generator makes of the release file: never edited."""
    source = shared_data("gs1-digital-link") / "gs1-syntax-dictionary" / "gs1-syntax-dictionary.txt"
    committed = Path(ai_dictionary.__file__).read_text(encoding="utf-8")
    assert committed == render_ai_dictionary(source.read_text(encoding="utf-8"))


def test_every_dictionary_ai_is_in_the_table() -> None:
    """Complete: no AI of the dictionary is missing (3150, 3160, 3200, 8003, 7003, 4321, ...)."""
    ours = set(ai_rules())
    theirs = {ai for entry in dictionary() for ai in entry["expandedAIs"]}
    assert ours == theirs

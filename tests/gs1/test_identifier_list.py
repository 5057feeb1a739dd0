"""Our primary keys and qualifier paths against GS1's digital-link.js identifier list (2023).

The list predates AI (7040) as a qualifier (added by the syntax dictionary we pin), so ours
may allow more qualifiers; every path the list allows must be allowed here, in its order.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gs1.ai_table import ai_rules
from gs1.digital_link import verify_qualifier_order
from tests.shared_data import SHARED_DATA, shared_data

LIST = SHARED_DATA / "gs1-digital-link" / "digital-link.js" / "src" / "data" / "identifier-list.json"
ENTRIES: list[dict[str, Any]] = json.loads(LIST.read_text(encoding="utf-8")) if LIST.exists() else []


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["code"] for entry in ENTRIES])
def test_every_listed_key_and_its_qualifier_path(entry: dict[str, Any]) -> None:
    shared_data("gs1-digital-link")
    rule = ai_rules().get(entry["code"])
    assert rule is not None and rule.is_primary_key
    qualifiers = entry["keyQualifiers"]
    assert set(qualifiers) <= rule.qualifiers
    verify_qualifier_order(rule, qualifiers)


def test_list_is_present() -> None:
    assert len(ENTRIES) >= 10, f"{LIST} missing or truncated"

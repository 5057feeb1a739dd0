"""The official EPCIS 2.0 JSON Schema, run by ``jsonschema``, as the oracle for our validator.

Formats matter here: without ``rfc3986-validator`` and ``rfc3339-validator`` installed,
``FormatChecker`` silently skips ``uri`` and ``date-time`` and the schema then accepts
non-namespaced extension members, so the oracle refuses to run in that state.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from tests.shared_data import SHARED_DATA, shared_data

EPCIS_DATA = SHARED_DATA / "epcis"


@cache
def _validator(schema_path: Path) -> Draft7Validator:
    checker = FormatChecker()
    missing = {"uri", "date-time"} - set(checker.checkers)
    if missing:
        pytest.fail(f"schema oracle has no {sorted(missing)} format check: install "
                    "rfc3986-validator and rfc3339-validator (see requirements.lock)")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return Draft7Validator(schema, format_checker=checker)


def schema_validator() -> Draft7Validator:
    """Draft-07 validator of ``EPCIS-JSON-Schema.json`` with format checks (skips if absent)."""
    return _validator(shared_data("epcis/EPCIS-JSON-Schema.json"))


def oracle_accepts(document: Any) -> bool:
    """The official schema's verdict on ``document``."""
    return schema_validator().is_valid(document)


def example_files(*patterns: str) -> list[Path]:
    """Shared example files matching ``patterns`` under ``../shared/data/epcis`` (may be [])."""
    return sorted(path for pattern in patterns for path in EPCIS_DATA.glob(pattern))


MUST_PASS = ("JSON/**/*.jsonld", "JSON-Schema/test/*.json")
JUDGED_BY_ORACLE = ("JSON-simple-context/**/*.jsonld", "XML/**/*.json")

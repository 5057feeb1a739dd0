"""Loading GS1 Syntax Engine vectors from ../shared/data (read-only test oracle)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from gs1.ai_table import is_supported_ai
from tests.shared_data import SHARED_DATA, shared_data

_AI_IN_BRACKETS = re.compile(r"(?<!\\)\((\d+)\)")
_AI_IN_URI_PATH_OR_QUERY = re.compile(r"(?:/|[?&])(\d{2,4})(?:/|=)")


VECTOR_FILE = SHARED_DATA / "gs1-digital-link" / "gs1-syntax-engine" / "dl-and-ai-test-vectors.json"


@cache
def _load() -> dict[str, Any]:
    return json.loads(VECTOR_FILE.read_text(encoding="utf-8"))["groups"]


def vectors(group: str) -> list[dict[str, Any]]:
    """All vectors of one group, each with its ``origin`` (file:line) kept for ids.

    Empty when the shared data is missing; `test_engine_vectors.test_vector_file_present`
    then skips naming the folder.
    """
    if not VECTOR_FILE.exists():
        return []
    return list(_load()[group]["vectors"])


def bracketed_ais(text: str) -> list[str]:
    """The AIs named in bracketed AI data."""
    return _AI_IN_BRACKETS.findall(text)


def uri_ais(uri: str) -> list[str]:
    """Numeric path/query keys in a DL URI that look like AIs (a superset is fine here)."""
    return _AI_IN_URI_PATH_OR_QUERY.findall(uri.split("#")[0])


def all_supported(ais: list[str]) -> bool:
    """True when every AI is in our table."""
    return all(is_supported_ai(ai) for ai in ais)


def dictionary() -> list[dict[str, Any]]:
    """The GS1 Barcode Syntax Dictionary entries (release file rendered to JSON)."""
    path = shared_data("gs1-digital-link") / "gs1-syntax-dictionary" / "gs1-syntax-dictionary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("entries")
    assert isinstance(entries, list)
    return entries

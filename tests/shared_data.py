"""Locating the standard test data in ../shared/data (never copied into the project)."""
from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
def shared_data(relative: str) -> Path:
    """Return ../shared/data/<relative>, or skip the test naming the missing folder."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"standard test data missing: ../shared/data/{relative}")
    return path

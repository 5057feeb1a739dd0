"""`traceledger core ...` and `traceledger up` through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.shared_data import shared_data


def traceledger(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "traceledger_cli.main", *args],
        check=False, capture_output=True, text=True, input=stdin, timeout=120,
    )


def test_event_hash_matches_reference_hashes() -> None:
    folder = shared_data("cbv-event-hash")
    document = folder / "epcisDocWithSensorDataObjectEvent.jsonld"
    expected = (folder / "epcisDocWithSensorDataObjectEvent.hashes").read_text().split()
    result = traceledger("core", "event-hash", str(document), "--json", "--prehash")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["eventHashID"] for row in rows] == expected
    assert all(row["prehash"].startswith("eventType=") for row in rows)


def test_event_hash_of_unreadable_file_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonld"
    broken.write_text("{not json")
    result = traceledger("core", "event-hash", str(broken))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_event_hash_of_malformed_event_exits_1(tmp_path: Path) -> None:
    document = tmp_path / "bad.json"
    document.write_text(json.dumps({"type": "ObjectEvent", "eventTime": "not a time"}))
    result = traceledger("core", "event-hash", str(document))
    assert result.returncode == 1
    assert "bad.json" in result.stderr


def test_canonicalize_from_stdin() -> None:
    result = traceledger("core", "canonicalize", "-", stdin='{"b": 2.50, "a": "\\u00e9"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"a":"é","b":2.5}\n'


def test_canonicalize_rejects_duplicate_keys() -> None:
    result = traceledger("core", "canonicalize", "-", stdin='{"a": 1, "a": 2}')
    assert result.returncode == 1
    assert "duplicate" in result.stderr

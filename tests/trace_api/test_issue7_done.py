"""Issue 7, "Done when": on a real `traceledger up`, a registered enterprise captures the GS1
EPCIS example documents, they get anchored, and every event verifies.

Runs through `live_system` (tests/trace_api/conftest.py) on SQLite and PostgreSQL. The
enterprise holds its own key (self-custody) and signs every event with EIP-712; the
signatures travel in each document's `tl:signatures` member. Every example document the
project's EPCIS parser accepts is captured (the one the parser refuses is the
EPCISQueryDocument, a query result and not a capture document); then each of its events
must come back `verified`, from the API and from `traceledger verify`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from anchoring.core import RecordDomain, TraceRecord, sign_record
from anchoring.core.event_hash.document import document_events
from tests.shared_data import shared_data
from tests.trace_api.capture.documents import (
    CREATED_UNDER_4012345,
    EXAMPLE_GLNS,
    NOBODY_SPEAKS_FOR,
)
from tests.trace_api.capture.kit import dev_enterprise
from trace_api.epcis import EPCISError, parse_epcis_document

ANCHOR_TIMEOUT_S = 120.0
REPO = Path(__file__).resolve().parents[2]


def _example_documents() -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """(accepted: name and document, refused: names) over every GS1 JSON example."""
    accepted, refused = [], []
    for path in sorted(shared_data("epcis/JSON").rglob("*.jsonld")):
        try:
            parse_epcis_document(path.read_bytes())
        except EPCISError:
            refused.append(path.name)
            continue
        accepted.append((str(path.relative_to(shared_data("epcis/JSON"))),
                         json.loads(path.read_text(encoding="utf-8"))))
    return accepted, refused


def _signed(document: dict[str, Any], domain: RecordDomain, private_key: bytes,
            address: str) -> tuple[dict[str, Any], list[str]]:
    """The document with the `tl` prefix and one signature per event; its hash IDs."""
    context = document.get("@context", [])
    contexts = context if isinstance(context, list) else [context]
    signed = {**document, "@context": [*contexts, {"tl": "https://traceledger.dev/ns/"}]}
    hash_ids = [item.hash_id() for item in document_events(signed)]
    signatures = {}
    for hash_id in hash_ids:
        digest = bytes.fromhex(hash_id.split(";", 1)[1][:64])
        signatures[hash_id] = "0x" + sign_record(TraceRecord(digest, address), domain,
                                                 private_key).hex()
    signed["tl:signatures"] = signatures
    return signed, hash_ids


def test_capture_every_example_then_verify_every_event(live_system: Any, tmp_path: Path) -> None:
    accepted, refused = _example_documents()
    assert refused == ["EPCISQueryDocument.jsonld"]
    assert len(accepted) >= 30  # the GS1 set: 38 capture documents today

    # Capture's write rules: the farm operates every location of the examples (its GLNs);
    # outputs under 4012345 are captured by its holder, the dev genesis enterprise2; the
    # examples no one enterprise speaks for are refused (tests/trace_api/capture/documents.py).
    farm = live_system.enterprise(name="Example Foods Co.", sectors=["food"], custody="self",
                                  glns=list(EXAMPLE_GLNS))
    owner_of_4012345 = dev_enterprise(live_system, "enterprise2")
    domain = RecordDomain(live_system.chain_id, live_system.contract_address("TraceAnchor"))
    expected: dict[str, tuple[str, dict[str, Any]]] = {}  # hash ID -> (document, event)
    captured_by: dict[str, Any] = {}  # hash ID -> the enterprise that recorded it
    with httpx.Client(base_url=live_system.api_url, timeout=60) as client:
        for name, document in accepted:
            base_name = Path(name).name
            enterprise = owner_of_4012345 if base_name in CREATED_UNDER_4012345 else farm
            signed, hash_ids = _signed(document, domain, bytes(enterprise.account.key),
                                       enterprise.signing_address)
            response = client.post("/v1/capture", json=signed,
                                   headers={**live_system.auth(enterprise.api_key),
                                            "Content-Type": "application/ld+json"})
            if base_name in NOBODY_SPEAKS_FOR:
                assert response.status_code == 403, (name, response.text)
                assert response.json()["type"].endswith("/not-your-record")
                continue
            assert response.status_code == 202, (name, response.text)
            captured_by.update(dict.fromkeys(hash_ids, enterprise))
            job = response.json()
            assert job["rejected"] == 0, (name, job["errors"], job["events"])
            assert job["accepted"] + job["duplicates"] == len(hash_ids)
            assert [event["eventHashId"] for event in job["events"]] == hash_ids
            for event, hash_id in zip(signed["epcisBody"]["eventList"], hash_ids, strict=True):
                expected.setdefault(hash_id, (name, event))

        # Wait until every record is anchored (its bundle says so and names a block).
        pending = set(expected)
        deadline = time.monotonic() + ANCHOR_TIMEOUT_S
        while pending and time.monotonic() < deadline:
            for hash_id in sorted(pending):
                bundle = client.get(f"/v1/events/{quote(hash_id, safe='')}/proof",
                                    headers=live_system.auth(captured_by[hash_id].api_key)).json()
                if bundle["status"] == "anchored" and bundle["anchor"]["blockTime"] is not None:
                    pending.discard(hash_id)
            time.sleep(0.5)
        assert not pending, f"{len(pending)} of {len(expected)} events never anchored"

        # Every event verifies, as the enterprise sent it (with its document's @context).
        for hash_id, (name, event) in expected.items():
            document = next(doc for doc_name, doc in accepted if doc_name == name)
            context = [*([document["@context"]] if not isinstance(document.get("@context"), list)
                         else document["@context"]), {"tl": "https://traceledger.dev/ns/"}]
            verdict = client.post("/v1/verify", json={"event": event, "context": context},
                                  headers=live_system.auth(captured_by[hash_id].api_key)).json()
            assert verdict["verdict"] == "verified", (name, verdict)
            assert verdict["eventHashId"] == hash_id
            assert [step["status"] for step in verdict["steps"]] == ["ok"] * 8
            assert verdict["anchor"]["contract"] == live_system.contract_address("TraceAnchor")

    # The same from the command line, for one whole document (all its events).
    name, document = next((n, d) for n, d in accepted if len(d["epcisBody"]["eventList"]) > 1
                          and Path(n).name not in CREATED_UNDER_4012345 | set(NOBODY_SPEAKS_FOR))
    signed, hash_ids = _signed(document, domain, bytes(farm.account.key), farm.signing_address)
    path = tmp_path / "document.json"
    path.write_text(json.dumps(signed), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "traceledger_cli.main", "verify", str(path), "--url",
         live_system.api_url, "--api-key", farm.api_key],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(hash_ids)} of {len(hash_ids)} event(s) verified" in result.stdout

"""Fixtures for capture tests: enterprises on the live system, an in-process context and
app over the same databases and chain, and signing helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from anchoring.core.event_hash.document import document_events
from anchoring.core.record_signature import RecordDomain, TraceRecord, sign_record
from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import EXAMPLE_GLNS, hash_digest
from trace_api.app import create_app
from trace_api.context import ApiContext


def record_domain(live: LiveSystem, *, chain_id: int | None = None) -> RecordDomain:
    """The EIP-712 domain of the live deployment (or of another chain id)."""
    return RecordDomain(live.chain_id if chain_id is None else chain_id,
                        live.contract_address("TraceAnchor"))


def quoted(hash_id: str) -> str:
    """An Event Hash ID percent-encoded for a URL path segment."""
    return quote(hash_id, safe="")


def hash_ids(doc: dict[str, Any]) -> list[str]:
    """Event Hash IDs of the document's events, in order (document context applied)."""
    return [event.hash_id() for event in document_events(doc)]


def signed(doc: dict[str, Any], enterprise: RegisteredEnterprise, domain: RecordDomain,
           *, key: bytes | None = None) -> dict[str, Any]:
    """`doc` with `tl:signatures` for every event, by the enterprise's key (or `key`)."""
    assert enterprise.account is not None
    private_key = key if key is not None else bytes(enterprise.account.key)
    signatures = {
        hash_id: "0x" + sign_record(TraceRecord(hash_digest(hash_id), enterprise.signing_address),
                                    domain, private_key).hex()
        for hash_id in hash_ids(doc)
    }
    return {**doc, "tl:signatures": signatures}


@pytest.fixture(scope="module")
def farm(live_system: LiveSystem) -> RegisteredEnterprise:
    """A self-custody food enterprise operating every location of `shipping_event` and of
    the GS1 examples (its registered GLNs), under a prefix of its own."""
    return live_system.enterprise(name="Capture Farm", custody="self", glns=list(EXAMPLE_GLNS))


@pytest.fixture(scope="module")
def processor(live_system: LiveSystem) -> RegisteredEnterprise:
    """A custodial enterprise (the server signs its events), at the same locations."""
    return live_system.enterprise(name="Capture Processor", custody="custodial",
                                  glns=list(EXAMPLE_GLNS))


def dev_enterprise(live: LiveSystem, role: str) -> RegisteredEnterprise:
    """A genesis enterprise of `up --dev` (`enterprise1` holds prefix 0614141, `enterprise2`
    4012345: no test enterprise can register those), with its dev API and signing keys."""
    entry = json.loads((live.data_dir / "dev-api-keys.json").read_text())["enterprises"][role]
    account = Account.from_key(live.dev_keys[role]["privateKey"])
    assert account.address == entry["signingAddress"]
    return RegisteredEnterprise(
        id=entry["enterpriseId"], api_key=entry["apiKey"], name=entry["name"], uscc=entry["uscc"],
        custody=entry["custody"], signing_address=entry["signingAddress"],
        company_prefixes=entry["companyPrefixes"], account=account, registration=entry)


@pytest.fixture(scope="module")
def service_ctx(live_system: LiveSystem) -> Iterator[ApiContext]:
    """An in-process context on the live system's databases and chain."""
    ctx = ApiContext.open(live_system.settings(signature_workers=2))
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def small_limits_client(live_system: LiveSystem) -> Iterator[TestClient]:
    """An in-process app on the live system with tiny capture limits (3 events, 4 KiB)."""
    app = create_app(live_system.settings(capture_limit=3, capture_file_size_limit=4096))
    with TestClient(app) as client:
        yield client

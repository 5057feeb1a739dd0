"""Helpers of the capture tests: the live deployment's record domain, Event Hash IDs of a
document, signing a document as an enterprise, the `up --dev` genesis enterprises."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from eth_account import Account

from anchoring.core.event_hash.document import document_events
from anchoring.core.record_signature import RecordDomain, TraceRecord, sign_record
from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.capture.documents import hash_digest


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

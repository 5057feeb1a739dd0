"""`integrity_failure`'s check on stored records: the verification core's steps
(`trace_api.verification.steps.failed_steps_of_stored_record`) under the audit's labels.

Pure: records are built here, proofs come from a naive in-memory tree, the anchored root
from a mapping (as the mirror gives it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from typing import Any

from eth_account import Account

from anchoring.core import (
    RecordDomain,
    TraceRecord,
    encode_entry,
    event_hash_digest,
    event_hash_id,
    inclusion_proof,
    leaf_hash,
    root_hash,
    sign_record,
)
from anchoring.core.entry import LogEntry
from contracts.anchored_head import AnchoredHead
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.integrity_check import make_integrity_check

DOMAIN = RecordDomain(1337, "0x" + "ab" * 20)
KEY = hashlib.sha256(b"farm").digest()
SUBMITTER = Account.from_key(KEY).address
OTHER = Account.from_key(hashlib.sha256(b"other").digest()).address

BODY: dict[str, Any] = {
    "type": "ObjectEvent", "eventTime": "2026-11-20T09:00:00Z", "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE", "epcList": ["urn:epc:id:sgtin:9506000.134352.1"], "bizStep": "shipping",
}


def entry_for(body: dict[str, Any], *, names: str = SUBMITTER, signs_for: str = SUBMITTER) -> bytes:
    digest = event_hash_digest(event_hash_id(body))
    signature = sign_record(TraceRecord(digest, signs_for), DOMAIN, KEY)
    return encode_entry(LogEntry(event_hash=digest, submitter=bytes.fromhex(names[2:]),
                                 signature=signature, received_at_ms=1_700_000_000_000,
                                 salt=secrets.token_bytes(32)))


def record(entry: bytes | None, *, body: dict[str, Any] = BODY, leaf_index: int = 1) -> AuditEvent:
    return AuditEvent(leaf_index=leaf_index, event_hash_id=event_hash_id(BODY), enterprise_id="farm",
                      submitter=SUBMITTER, received_at_ms=1_700_000_000_000, body=body, entry=entry)


def tree_with(entry: bytes, leaf_index: int = 1, size: int = 5) -> tuple[list[bytes], AnchoredHead]:
    leaves = [secrets.token_bytes(32) for _ in range(size)]
    leaves[leaf_index] = leaf_hash(entry)
    head = AnchoredHead(head_index=0, tree_size=size, root_hash=root_hash(leaves),
                        transaction_hash=bytes(32), block_number=1, block_time=None)
    return leaves, head


def check_of(leaves: list[bytes], domain: RecordDomain = DOMAIN) -> Any:
    return make_integrity_check(domain, lambda leaf, size: inclusion_proof(leaf, size, leaves[:size]))


def labels(failures: list[str]) -> list[str]:
    return [failure.split(":", 1)[0] for failure in failures]


def test_an_intact_record_passes_pending_and_anchored() -> None:
    entry = entry_for(BODY)
    leaves, head = tree_with(entry)
    assert check_of(leaves)(record(entry), None) == []
    assert check_of(leaves)(record(entry), head) == []


def test_each_broken_input_fails_its_own_step() -> None:
    entry = entry_for(BODY)
    leaves, head = tree_with(entry)
    changed = {**BODY, "bizStep": "receiving"}
    assert labels(check_of(leaves)(record(entry, body=changed), head)) == ["event_hash"]
    assert labels(check_of(leaves)(record(None), head)) == ["entry"]
    assert labels(check_of(leaves)(record(entry[:-1]), head)) == ["entry"]
    other_event = entry_for(changed)
    assert labels(check_of(leaves)(record(other_event), None)) == ["entry"]
    wrong_domain = check_of(leaves, RecordDomain(1338, DOMAIN.verifying_contract))
    assert labels(wrong_domain(record(entry), head)) == ["signature"]
    moved = dataclasses.replace(head, root_hash=b"\x11" * 32)
    assert labels(check_of(leaves)(record(entry), moved)) == ["inclusion"]
    elsewhere = record(entry, leaf_index=2)
    assert labels(check_of(leaves)(elsewhere, head)) == ["inclusion"]


def test_an_entry_naming_another_submitter_fails_the_signature_step() -> None:
    """Drift fixed (issue 14): the audit and trace event states checked the signature
    against the submitter the API stored, so an entry naming another address, signed by the
    stored submitter for itself, passed there while `POST /v1/verify` (which recovers to
    the entry's own submitter) failed it at step 3."""
    misattributed = entry_for(BODY, names=OTHER, signs_for=SUBMITTER)
    failures = check_of([])(record(misattributed), None)
    assert labels(failures) == ["signature"]
    assert f"the entry names {OTHER}" in failures[0]

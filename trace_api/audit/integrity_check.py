"""The cryptographic checks behind `integrity_failure`, on one stored record.

The verification core's steps (`trace_api.verification.steps`) on what the API stored:
the body re-hashed (event-hash), the log entry (entry-matches), its EIP-712 signature
(signature) and, when anchored, the inclusion proof from the log's tiles against the
anchored root (inclusion, anchored-on-chain). The audit takes that root from the mirror
(it scans many records); a verdict on a single record asks the chain itself
(`/v1/verify`). A finding names each failed step by its audit label (`AUDIT_LABELS`).
"""

from __future__ import annotations

from anchoring.core import RecordDomain
from contracts.anchored_head import AnchoredHead
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import IntegrityCheck
from trace_api.verification.steps import MirrorRoots, ProofSource, failed_steps_of_stored_record

AUDIT_LABELS = {
    "event-hash": "event_hash",
    "entry-matches": "entry",
    "signature": "signature",
    "inclusion": "inclusion",
    "anchored-on-chain": "inclusion",
}
"""How findings have named the steps since the audit began (clients match on them)."""


def make_integrity_check(domain: RecordDomain, inclusion_proof: ProofSource) -> IntegrityCheck:
    """An `IntegrityCheck` for records of the deployment `domain` (module docstring)."""

    def check(event: AuditEvent, head: AnchoredHead | None) -> list[str]:
        failed = failed_steps_of_stored_record(
            event_hash_id=event.event_hash_id, entry_bytes=event.entry, submitter=event.submitter,
            domain=domain, body=event.body, leaf_index=event.leaf_index,
            tree_size=None if head is None else head.tree_size, proofs=inclusion_proof,
            roots=MirrorRoots.of_heads([] if head is None else [head]))
        return [f"{AUDIT_LABELS[name]}: {detail}" for name, detail in failed.items()]

    return check

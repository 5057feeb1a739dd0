"""Record integrity: `anchor_sla_missed` and `integrity_failure`."""

from __future__ import annotations

from collections.abc import Iterator

from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms


def format_duration(duration_ms: int) -> str:
    """`11 d 23 h`, `2 h 5 min`, `5 min`, `42 s`: a duration as a reader wants it."""
    seconds = duration_ms // 1000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min" + (f" {seconds} s" if seconds else "")
    return f"{seconds} s"


def check_anchor_sla(inputs: AuditInputs) -> Iterator[Finding]:
    """Pending longer than the SLA, or anchored by a block later than receipt + SLA."""
    sla_ms = inputs.config.anchor_sla_ms
    for event in inputs.ordered:
        if event.leaf_index not in inputs.anchors:
            continue
        head = inputs.anchors[event.leaf_index]
        received = event.received_at_ms
        if head is None:
            waited = inputs.now_ms - received
            if waited <= sla_ms:
                continue
            message = f"record still not anchored {format_duration(waited)} after receipt"
            details = {"receivedAt": format_time_ms(received), "pendingMs": waited, "slaMs": sla_ms}
        else:
            if head.block_time_ms is None or head.block_time_ms - received <= sla_ms:
                continue
            took = head.block_time_ms - received
            message = f"record anchored {format_duration(took)} after receipt"
            details = {"receivedAt": format_time_ms(received),
                       "anchoredAt": format_time_ms(head.block_time_ms), "delayMs": took,
                       "slaMs": sla_ms, "treeSize": head.tree_size,
                       "transactionHash": head.transaction_hex}
        yield Finding(rule="anchor_sla_missed", severity=Severity.MEDIUM,
                      message=f"{message} (SLA {format_duration(sla_ms)})", details=details,
                      **finding_base(event))


def check_integrity(inputs: AuditInputs) -> Iterator[Finding]:
    """Event hash, log entry, EIP-712 signature and inclusion proof of each record."""
    if inputs.integrity is None:
        return
    for event in inputs.ordered:
        failures = inputs.integrity(event, inputs.anchors.get(event.leaf_index))
        if failures:
            yield Finding(rule="integrity_failure", severity=Severity.CRITICAL,
                          message="record fails verification: " + "; ".join(failures),
                          details={"failedSteps": failures}, **finding_base(event))


RULES = (
    Rule(name="anchor_sla_missed", severity=Severity.MEDIUM, family="integrity",
         summary="a record not anchored on chain within the SLA after receipt",
         check=check_anchor_sla),
    Rule(name="integrity_failure", severity=Severity.CRITICAL, family="integrity",
         summary="a record whose event hash, signature or inclusion proof does not verify",
         check=check_integrity),
)

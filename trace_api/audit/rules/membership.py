"""`suspended_enterprise_event`: a record received while its enterprise was suspended or
revoked, per the MemberRegistry history the indexer mirrors (`chain_enterprise_history`).

Capture refuses suspended enterprises, so a finding here means a race between a
suspension and a capture, or records written around the API.
"""

from __future__ import annotations

from collections.abc import Iterator

from trace_api.audit.inputs import INACTIVE_STATUSES, AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms


def check_suspended_enterprise_event(inputs: AuditInputs) -> Iterator[Finding]:
    for event in inputs.ordered:
        change = inputs.status_at(event.enterprise_id, event.received_at_ms)
        if change is None or change.status not in INACTIVE_STATUSES:
            continue
        yield Finding(
            rule="suspended_enterprise_event", severity=Severity.CRITICAL,
            subject=event.enterprise_id,
            message=(f"record received at {format_time_ms(event.received_at_ms)} while its "
                     f"enterprise was {change.status} (since {format_time_ms(change.time_ms)})"),
            details={"status": change.status, "since": format_time_ms(change.time_ms),
                     "receivedAt": format_time_ms(event.received_at_ms),
                     "statusTransaction": change.transaction_hash},
            **finding_base(event),
        )


RULES = (
    Rule(name="suspended_enterprise_event", severity=Severity.CRITICAL, family="membership",
         summary="an event received while its enterprise was suspended or revoked on chain",
         check=check_suspended_enterprise_event),
)

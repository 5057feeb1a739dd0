"""`recalled_input`: a product made from, or packed with, something under an open recall.

Recalls come from `RecallRegistry` (mirrored in `chain_recall_history`), keyed by the
SHA-256 of a canonical Digital Link URI. Which recalls cover an object is
`gs1.keys.recall_subjects_covering`, the rule the scan page uses too: a GTIN
recall covers its lots and serials, a lot recall the serials named with that lot.
Propagation runs forward along transformation input -> output and aggregation child ->
parent (ADD), breadth first with a visited set (cyclic data cannot loop it), and reports
each downstream product once, at the event that first took a recalled input in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from gs1.keys import recall_subjects_covering
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs, RecallChange, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms


def _downstream(event: AuditEvent, key: str) -> tuple[str, ...]:
    view = event.view
    if view.event_type == "TransformationEvent" and any(r.key == key for r in view.objects_in("input")):
        return tuple(ref.key for ref in view.objects_in("output"))
    if (view.event_type == "AggregationEvent" and view.action == "ADD"
            and any(r.key == key for r in view.objects_in("child"))):
        return tuple(ref.key for ref in view.objects_in("parent"))
    return ()


def _open_recall(inputs: AuditInputs, key: str) -> RecallChange | None:
    # Every spelling the events used: a Digital Link may name the lot beside the serial.
    spellings = sorted({ref.uri for _event, ref in inputs.by_key.get(key, ())} | {key})
    for uri in spellings:
        for subject in recall_subjects_covering(uri):
            recall = inputs.recall_at(subject, inputs.now_ms)
            if recall is not None:
                return recall
    return None


def check_recalled_input(inputs: AuditInputs) -> Iterator[Finding]:
    recalled = {key: recall for key in inputs.by_key
                if (recall := _open_recall(inputs, key)) is not None}
    visited = set(recalled)
    queue = deque((key, key, 0) for key in sorted(recalled))
    while queue:
        key, source, depth = queue.popleft()
        for event, _ref in inputs.by_key.get(key, ()):
            for product in _downstream(event, key):
                if product in visited:
                    continue
                visited.add(product)
                queue.append((product, source, depth + 1))
                recall = recalled[source]
                yield Finding(
                    rule="recalled_input", severity=Severity.CRITICAL, subject=product,
                    message=f"{product} contains {source}, recalled (class "
                            f"{recall.recall_class}) since {format_time_ms(recall.time_ms)}",
                    details={"recalled": source, "via": key, "steps": depth + 1,
                             "recallClass": recall.recall_class,
                             "recalledSince": format_time_ms(recall.time_ms)},
                    **finding_base(event),
                )


RULES = (
    Rule(name="recalled_input", severity=Severity.CRITICAL, family="recalls",
         summary="a downstream product made from or packed with an input under an open recall",
         check=check_recalled_input),
)

"""Chain of custody (not the blockchain): `broken_chain` and `time_inversion`."""

from __future__ import annotations

from collections.abc import Iterator

from trace_api.audit.epcis_view import AuditEvent, ObjectRef
from trace_api.audit.inputs import (
    RECEIVING_STEPS,
    SELLING_STEPS,
    SHIPPING_STEPS,
    AuditInputs,
    finding_base,
)
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms


def _checked_objects(event: AuditEvent) -> tuple[ObjectRef, ...]:
    view = event.view
    if view.event_type == "AggregationEvent":
        # A pallet received whole is matched by its SSCC; its children travel inside it.
        return view.objects_in("parent") or view.objects_in("child")
    if view.event_type == "TransformationEvent":
        return view.objects_in("input")
    return view.objects_in("object", "parent")


def _shipped_before(inputs: AuditInputs, key: str, time_ms: int, event: AuditEvent) -> bool:
    """True if `key`, or a container it was packed in at the time, was shipped by a
    member at or before `time_ms`."""
    for other, _ref in inputs.by_key.get(key, ()):
        if other is not event and other.view.biz_step in SHIPPING_STEPS and other.view.time_ms <= time_ms:
            return True
    for parent, packed_ms, unpacked_ms in inputs.containers.get(key, ()):
        for other, _ref in inputs.by_key.get(parent, ()):
            shipped_ms = other.view.time_ms
            if (other.view.biz_step in SHIPPING_STEPS and packed_ms <= shipped_ms <= time_ms
                    and (unpacked_ms is None or shipped_ms <= unpacked_ms)):
                return True
    return False


def check_broken_chain(inputs: AuditInputs) -> Iterator[Finding]:
    """Received or sold with no upstream shipment from a member (see README)."""
    for event in inputs.ordered:
        step = event.view.biz_step
        if step not in RECEIVING_STEPS and step not in SELLING_STEPS:
            continue
        for ref in _checked_objects(event):
            if _shipped_before(inputs, ref.key, event.view.time_ms, event):
                continue
            creation = inputs.creations.get(ref.key)
            if (step in SELLING_STEPS and creation is not None
                    and creation.enterprise_id == event.enterprise_id
                    and creation.view.time_ms <= event.view.time_ms):
                continue  # sold by the enterprise that made it: nothing was shipped
            verb = "received" if step in RECEIVING_STEPS else "sold"
            yield Finding(
                rule="broken_chain", severity=Severity.HIGH, subject=ref.key,
                message=f"{ref.uri} {verb} with no earlier shipment recorded by a member",
                details={"bizStep": step, "eventTime": format_time_ms(event.view.time_ms)},
                **finding_base(event),
            )


def check_time_inversion(inputs: AuditInputs) -> Iterator[Finding]:
    """An event on an object (shipping it, using it as an input, ...) earlier than the
    event that made it."""
    for event in inputs.ordered:
        seen: set[str] = set()
        for ref in event.view.objects:
            if ref.role == "output" or ref.key in seen:
                continue
            seen.add(ref.key)
            creation = inputs.creations.get(ref.key)
            if creation is None or creation is event:
                continue
            if event.view.time_ms < creation.view.time_ms:
                what = event.view.biz_step or event.view.event_type
                yield Finding(
                    rule="time_inversion", severity=Severity.HIGH, subject=ref.key,
                    message=(f"{ref.uri} {what} at {format_time_ms(event.view.time_ms)}, "
                             f"before it was made at {format_time_ms(creation.view.time_ms)}"),
                    details={"eventTime": format_time_ms(event.view.time_ms),
                             "madeAt": format_time_ms(creation.view.time_ms),
                             "madeBy": creation.event_hash_id},
                    **finding_base(event),
                )


RULES = (
    Rule(name="broken_chain", severity=Severity.HIGH, family="chain",
         summary="received or sold with no upstream shipment from a member",
         check=check_broken_chain),
    Rule(name="time_inversion", severity=Severity.HIGH, family="chain",
         summary="an object shipped, received or consumed before the event that made it",
         check=check_time_inversion),
)

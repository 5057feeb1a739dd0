"""Everything the rules look at, gathered once per audit run: `AuditInputs`.

The rules are pure functions of this value (no I/O, no clock), so the same rule runs on
the whole database (`/v1/audit/findings`), on the events of one trace, and on small
hand-built event sets in tests. The indexes every family needs (objects to events,
creation times, containment) are computed lazily, once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

from contracts.anchored_head import AnchoredHead
from trace_api.audit.config import AuditConfig
from trace_api.audit.epcis_view import AuditEvent, ObjectRef

CREATING_ACTIONS = ("ADD",)
SHIPPING_STEPS = frozenset({"shipping", "departing"})
RECEIVING_STEPS = frozenset({"receiving", "arriving", "accepting"})
SELLING_STEPS = frozenset({"retail_selling"})
INACTIVE_STATUSES = frozenset({"suspended", "revoked"})


@dataclass(frozen=True)
class StatusChange:
    """An enterprise's status from `time_ms` on (chain block time), per chain history."""

    time_ms: int
    status: str
    transaction_hash: str | None = None


@dataclass(frozen=True)
class RecallChange:
    """A recall subject's status from `time_ms` on: `open` or `closed`."""

    time_ms: int
    status: str
    recall_class: int | None = None
    sequence: int = 0


IntegrityCheck = Callable[[AuditEvent, AnchoredHead | None], list[str]]
"""Returns the failing verification steps of one record (empty list: all pass)."""


@dataclass(frozen=True, kw_only=True)
class AuditInputs:
    """Records to audit plus the chain facts the rules need (see module docstring).

    `anchors` maps a leaf index to the first anchored head that contains it
    (tree_size > leaf_index), None while pending; leaves
    missing from it are not judged by the SLA rule. `integrity` is None when the caller
    did not ask for cryptographic checks.
    """

    events: Sequence[AuditEvent]
    now_ms: int
    config: AuditConfig = field(default_factory=AuditConfig)
    enterprise_history: Mapping[str, Sequence[StatusChange]] = field(default_factory=dict)
    recalls: Mapping[str, Sequence[RecallChange]] = field(default_factory=dict)
    anchors: Mapping[int, AnchoredHead | None] = field(default_factory=dict)
    integrity: IntegrityCheck | None = None

    @cached_property
    def ordered(self) -> tuple[AuditEvent, ...]:
        """Events the rules judge, in event-time order, ties by log position (a total order).

        EPCIS 2.0 §7.4.1.2 error declarations retract an event: a record carrying an
        `errorDeclaration` and any record of the same enterprise with the same `eventID`
        are left out (an enterprise can retract only its own records; corrective events,
        which are ordinary events, stay)."""
        retracted = {(event.enterprise_id, event.body.get("eventID")) for event in self.events
                     if isinstance(event.body.get("errorDeclaration"), Mapping)
                     and event.body.get("eventID") is not None}
        kept = [event for event in self.events
                if (event.enterprise_id, event.body.get("eventID")) not in retracted
                and not isinstance(event.body.get("errorDeclaration"), Mapping)]
        return tuple(sorted(kept, key=lambda event: (event.view.time_ms, event.leaf_index)))

    @cached_property
    def by_key(self) -> Mapping[str, tuple[tuple[AuditEvent, ObjectRef], ...]]:
        """Object key -> (event, how the event names it), in event-time order."""
        index: dict[str, list[tuple[AuditEvent, ObjectRef]]] = defaultdict(list)
        for event in self.ordered:
            for ref in event.view.objects:
                index[ref.key].append((event, ref))
        return {key: tuple(items) for key, items in index.items()}

    @cached_property
    def creations(self) -> Mapping[str, AuditEvent]:
        """Object key -> the earliest event that created it: an ObjectEvent ADD
        (commissioning, EPCIS 2.0 §7.4.2) or a transformation that output it."""
        created: dict[str, AuditEvent] = {}
        for event in self.ordered:
            for ref in creates(event):
                created.setdefault(ref.key, event)
        return created

    @cached_property
    def containers(self) -> Mapping[str, tuple[tuple[str, int, int | None], ...]]:
        """Child key -> (parent key, packed at ms, unpacked at ms or None), from
        AggregationEvent ADD / DELETE (EPCIS 2.0 §7.4.3)."""
        open_spans: dict[tuple[str, str], int] = {}
        spans: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        for event, parent_ref in self.packings():
            view = event.view
            parent = parent_ref.key
            for child in view.objects_in("child"):
                if view.action == "ADD":
                    open_spans.setdefault((child.key, parent), view.time_ms)
                elif (child.key, parent) in open_spans:  # DELETE
                    start = open_spans.pop((child.key, parent))
                    spans[child.key].append((parent, start, view.time_ms))
        for (child_key, parent_key), packed_ms in open_spans.items():
            spans[child_key].append((parent_key, packed_ms, None))
        return {key: tuple(items) for key, items in spans.items()}

    def packings(self) -> Iterator[tuple[AuditEvent, ObjectRef]]:
        """Each AggregationEvent ADD or DELETE that names a parent, with that parent, in
        event-time order: the events that pack and unpack (OBSERVE changes nothing)."""
        for event in self.ordered:
            view = event.view
            if view.event_type != "AggregationEvent" or view.action not in ("ADD", "DELETE"):
                continue
            parents = view.objects_in("parent")
            if parents:
                yield event, parents[0]

    @cached_property
    def contents(self) -> Mapping[str, tuple[tuple[str, int, int | None], ...]]:
        """Parent key -> (child key, packed at ms, unpacked at ms or None): `containers`
        turned around."""
        index: dict[str, list[tuple[str, int, int | None]]] = defaultdict(list)
        for child_key, spans in self.containers.items():
            for parent_key, packed_ms, unpacked_ms in spans:
                index[parent_key].append((child_key, packed_ms, unpacked_ms))
        return {key: tuple(sorted(items)) for key, items in index.items()}

    def status_at(self, enterprise_id: str, time_ms: int) -> StatusChange | None:
        """The enterprise's last status change at or before `time_ms`, or None."""
        history = self.enterprise_history.get(enterprise_id.lower(), ())
        times = [change.time_ms for change in history]
        position = bisect.bisect_right(times, time_ms)
        return history[position - 1] if position else None

    def recall_at(self, subject: str, time_ms: int) -> RecallChange | None:
        """The open recall of `subject` at `time_ms` (None if none is open then)."""
        history = self.recalls.get(subject, ())
        current = None
        for change in history:
            if change.time_ms <= time_ms:
                current = change
        return current if current is not None and current.status == "open" else None


def creates(event: AuditEvent) -> tuple[ObjectRef, ...]:
    """The objects this event brings into being (see `AuditInputs.creations`)."""
    view = event.view
    if view.event_type == "ObjectEvent" and view.action in CREATING_ACTIONS:
        return view.objects_in("object")
    if view.event_type == "TransformationEvent":
        return view.objects_in("output")
    return ()


class RecordRef(TypedDict):
    event_hash_id: str
    leaf_index: int
    enterprise_id: str


def finding_base(event: AuditEvent) -> RecordRef:
    """The Finding fields that tie it to a record."""
    return {
        "event_hash_id": event.event_hash_id,
        "leaf_index": event.leaf_index,
        "enterprise_id": event.enterprise_id,
    }

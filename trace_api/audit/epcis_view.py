"""A read-only view of one recorded EPCIS 2.0 event, in the terms the audit rules use.

`AuditEvent` is a trace record as the audit reads it (from `api_events`); `EventView`
answers "what happened, to which objects, where, when" from its standalone JSON body:
objects with their role (EPCIS 2.0 §7.4: ObjectEvent objects, aggregation parent and
children, transformation inputs and outputs), CBV 2.0 business step and disposition as
bare words, event time in ms, sources and destinations, business transactions, ILMD,
sensor reports and TraceLedger extension members (`tl:` = https://traceledger.dev/ns/).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gs1.keys import identifier_key
from trace_api.provenance.ingest import short_vocabulary
from trace_api.records.columns import parse_time_ms as records_time_ms

TL_NAMESPACE = "https://traceledger.dev/ns/"
"""Namespace of TraceLedger's own EPCIS extension members (see trace_api/README.md)."""

_SENSOR_TYPE_PREFIXES = ("gs1:", "https://gs1.org/voc/", "https://ref.gs1.org/voc/")


def cbv_word(value: object) -> str | None:
    """The bare CBV word of a bizStep / disposition / type value in any of its spellings
    (`provenance.ingest.short_vocabulary`, as the graph stores it); other URIs unchanged."""
    return short_vocabulary(value) if isinstance(value, str) else None


def parse_time_ms(value: object) -> int | None:
    """RFC 3339 date-time (as EPCIS writes it) to ms since the epoch; None if unparsable."""
    if not isinstance(value, str):
        return None
    try:
        return records_time_ms(value.replace("z", "Z"), bare_is_utc=True)
    except ValueError:
        return None


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """One trace record: where it sits in the log, who submitted it, and its event body."""

    leaf_index: int
    event_hash_id: str
    enterprise_id: str
    submitter: str
    received_at_ms: int
    body: Mapping[str, Any]
    entry: bytes | None = None

    @cached_property
    def view(self) -> EventView:
        return EventView(self.body)


@dataclass(frozen=True)
class ObjectRef:
    """An object an event names: its comparable key, the URI as written, role, quantity."""

    key: str
    uri: str
    role: str  # "object" | "parent" | "child" | "input" | "output"
    quantity: float | None = None
    uom: str | None = None
    is_class: bool = False


@dataclass(frozen=True)
class SensorReading:
    """One sensor report of a type, with the extreme values it states (any of value,
    minValue, maxValue, meanValue), its unit and time (report, metadata or event time)."""

    type: str
    low: float
    high: float
    uom: str | None
    time_ms: int | None
    device: str | None


@dataclass(frozen=True)
class PartyRef:
    """A source or destination: CBV type word (`owning_party`, `location`, ...) and id."""

    type: str
    id: str


@dataclass(frozen=True)
class EventView:
    """Interpretation of one EPCIS 2.0 JSON event body (see module docstring)."""

    body: Mapping[str, Any]
    _tl_prefixes: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tl_prefixes", tuple(_tl_prefixes(self.body.get("@context"))))

    @property
    def event_type(self) -> str:
        return str(self.body.get("type", ""))

    @property
    def action(self) -> str | None:
        value = self.body.get("action")
        return value if isinstance(value, str) else None

    @cached_property
    def time_ms(self) -> int:
        """Event time in ms; an unparsable time sorts first (capture validated it anyway)."""
        return parse_time_ms(self.body.get("eventTime")) or 0

    @property
    def biz_step(self) -> str | None:
        return cbv_word(self.body.get("bizStep"))

    @property
    def disposition(self) -> str | None:
        return cbv_word(self.body.get("disposition"))

    @property
    def biz_location(self) -> str | None:
        return _id_of(self.body.get("bizLocation"))

    @property
    def read_point(self) -> str | None:
        return _id_of(self.body.get("readPoint"))

    @cached_property
    def objects(self) -> tuple[ObjectRef, ...]:
        """Every object the event names, with its role, in document order."""
        body = self.body
        refs: list[ObjectRef] = []
        parent = body.get("parentID")
        if isinstance(parent, str):
            refs.append(ObjectRef(identifier_key(parent), parent, "parent"))
        kind = self.event_type
        if kind == "TransformationEvent":
            refs += _refs(body.get("inputEPCList"), body.get("inputQuantityList"), "input")
            refs += _refs(body.get("outputEPCList"), body.get("outputQuantityList"), "output")
        elif kind in ("AggregationEvent", "AssociationEvent"):
            refs += _refs(body.get("childEPCs"), body.get("childQuantityList"), "child")
        else:
            refs += _refs(body.get("epcList"), body.get("quantityList"), "object")
        return tuple(refs)

    def objects_in(self, *roles: str) -> tuple[ObjectRef, ...]:
        return tuple(ref for ref in self.objects if ref.role in roles)

    @cached_property
    def sources(self) -> tuple[PartyRef, ...]:
        return _parties(self.body.get("sourceList"), "source")

    @cached_property
    def destinations(self) -> tuple[PartyRef, ...]:
        return _parties(self.body.get("destinationList"), "destination")

    @cached_property
    def biz_transactions(self) -> tuple[PartyRef, ...]:
        return _parties(self.body.get("bizTransactionList"), "bizTransaction")

    @property
    def ilmd(self) -> Mapping[str, Any]:
        value = self.body.get("ilmd")
        return value if isinstance(value, Mapping) else {}

    def extension(self, name: str, *, in_ilmd: bool = False) -> Any:
        """The value of TraceLedger extension member `name` (event level or in the ILMD)."""
        container = self.ilmd if in_ilmd else self.body
        for candidate in (*(prefix + name for prefix in self._tl_prefixes), TL_NAMESPACE + name):
            if candidate in container:
                return container[candidate]
        return None

    def sensor_readings(self) -> Iterator[SensorReading]:
        """Every numeric sensor report of every sensor element (EPCIS 2.0 §7.3.9)."""
        elements = self.body.get("sensorElementList")
        if not isinstance(elements, list):
            return
        for element in elements:
            if not isinstance(element, Mapping):
                continue
            metadata = element.get("sensorMetadata")
            metadata = metadata if isinstance(metadata, Mapping) else {}
            reports = element.get("sensorReport")
            for report in reports if isinstance(reports, list) else []:
                if not isinstance(report, Mapping):
                    continue
                values = [
                    float(report[name]) for name in ("value", "minValue", "maxValue", "meanValue")
                    if isinstance(report.get(name), (int, float)) and not isinstance(report.get(name), bool)
                ]
                if not values:
                    continue
                time_ms = (parse_time_ms(report.get("time")) or parse_time_ms(metadata.get("time"))
                           or parse_time_ms(metadata.get("startTime")) or self.time_ms)
                device = report.get("deviceID") or metadata.get("deviceID")
                uom = report.get("uom")
                yield SensorReading(
                    type=_sensor_type(report.get("type")), low=min(values), high=max(values),
                    uom=uom if isinstance(uom, str) else None, time_ms=time_ms,
                    device=device if isinstance(device, str) else None,
                )


def _tl_prefixes(context: object) -> Iterator[str]:
    yield "tl:"
    contexts = context if isinstance(context, list) else [context]
    for item in contexts:
        if isinstance(item, Mapping):
            for prefix, namespace in item.items():
                if namespace == TL_NAMESPACE and prefix != "tl":
                    yield prefix + ":"


def _id_of(value: object) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _refs(epcs: object, quantities: object, role: str) -> list[ObjectRef]:
    refs = [
        ObjectRef(identifier_key(epc), epc, role)
        for epc in (epcs if isinstance(epcs, list) else []) if isinstance(epc, str)
    ]
    for element in quantities if isinstance(quantities, list) else []:
        if not isinstance(element, Mapping) or not isinstance(element.get("epcClass"), str):
            continue
        quantity = element.get("quantity")
        uom = element.get("uom")
        refs.append(ObjectRef(
            identifier_key(element["epcClass"]), element["epcClass"], role,
            quantity=float(quantity) if isinstance(quantity, (int, float)) else None,
            uom=uom if isinstance(uom, str) else None, is_class=True,
        ))
    return refs


def _parties(items: object, member: str) -> tuple[PartyRef, ...]:
    parties = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get(member), str):
            parties.append(PartyRef(cbv_word(item.get("type")) or "", item[member]))
    return tuple(parties)


def _sensor_type(value: object) -> str:
    text = value if isinstance(value, str) else ""
    for prefix in _SENSOR_TYPE_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text

"""`cold_chain_excursion`: a temperature reading in transit outside the product's range.

Readings come from EPCIS 2.0 `sensorElementList` (type `gs1:Temperature`, any of
value / minValue / maxValue / meanValue, uom CEL, FAH or KEL; no uom is read as CEL).
"In transit" is an event whose bizStep is a movement step (TRANSIT_STEPS: loggers are
read out when goods leave and arrive, so shipping and receiving count) or whose
disposition is `in_transit`. The product's class is, first found: `tl:coldChainClass`
on the event itself, in the ILMD of the event that made the product, or the GTIN's
entry in `AuditConfig.product_classes`; pallets take the classes of what they hold.
"""

from __future__ import annotations

from collections.abc import Iterator

from gs1.keys import gtin_of
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms

TRANSIT_STEPS = frozenset({"shipping", "departing", "transporting", "arriving", "receiving",
                           "loading", "unloading", "staging_outbound"})
CLASS_MEMBER = "coldChainClass"


def to_celsius(value: float, uom: str | None) -> float | None:
    if uom in (None, "CEL"):
        return value
    if uom == "FAH":
        return (value - 32.0) * 5.0 / 9.0
    if uom == "KEL":
        return value - 273.15
    return None


def _class_of(inputs: AuditInputs, key: str) -> str | None:
    creation = inputs.creations.get(key)
    if creation is not None:
        declared = creation.view.extension(CLASS_MEMBER, in_ilmd=True)
        if isinstance(declared, str):
            return declared
    gtin = gtin_of(key)
    return inputs.config.product_classes.get(gtin) if gtin else None


def _classes(inputs: AuditInputs, event: AuditEvent) -> set[str]:
    declared = event.view.extension(CLASS_MEMBER)
    if isinstance(declared, str):
        return {declared}
    found: set[str] = set()
    at = event.view.time_ms
    for ref in event.view.objects:
        product_class = _class_of(inputs, ref.key)
        if product_class:
            found.add(product_class)
        # a pallet: what was packed in it at the time
        for child_key, packed_ms, unpacked_ms in inputs.contents.get(ref.key, ()):
            if packed_ms <= at and (unpacked_ms is None or at <= unpacked_ms):
                child_class = _class_of(inputs, child_key)
                if child_class:
                    found.add(child_class)
    return found


def check_cold_chain(inputs: AuditInputs) -> Iterator[Finding]:
    ranges = inputs.config.cold_chain_classes
    for event in inputs.ordered:
        view = event.view
        if view.biz_step not in TRANSIT_STEPS and view.disposition != "in_transit":
            continue
        readings = [reading for reading in view.sensor_readings() if reading.type == "Temperature"]
        if not readings:
            continue
        for product_class in sorted(_classes(inputs, event)):
            allowed = ranges.get(product_class)
            if allowed is None:
                continue
            worst = None
            for reading in readings:
                low, high = to_celsius(reading.low, reading.uom), to_celsius(reading.high, reading.uom)
                if low is None or high is None:
                    continue
                side = allowed.excursion(low, high)
                if side is None:
                    continue
                value = high if side == "above" else low
                limit = allowed.max_celsius if side == "above" else allowed.min_celsius
                assert limit is not None
                distance = abs(value - limit)
                if worst is None or distance > worst[0]:
                    worst = (distance, side, value, reading)
            if worst is None:
                continue
            _distance, side, value, reading = worst
            yield Finding(
                rule="cold_chain_excursion", severity=Severity.HIGH,
                subject=view.objects[0].key if view.objects else None,
                message=(f"{product_class} product at {value:g} °C in transit ({side} "
                         f"{allowed.min_celsius if side == 'below' else allowed.max_celsius:g} °C)"),
                details={"productClass": product_class, "celsius": round(value, 3), "side": side,
                         "minCelsius": allowed.min_celsius, "maxCelsius": allowed.max_celsius,
                         "readingTime": format_time_ms(reading.time_ms) if reading.time_ms else None,
                         "device": reading.device, "readings": len(readings)},
                **finding_base(event),
            )


RULES = (
    Rule(name="cold_chain_excursion", severity=Severity.HIGH, family="cold_chain",
         summary="a temperature reading in transit outside the product class's range",
         check=check_cold_chain),
)

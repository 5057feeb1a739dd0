"""Small hand-built EPCIS 2.0 events for the audit tests (standalone bodies, as stored)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from trace_api.audit.epcis_view import AuditEvent

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"tl": "https://traceledger.dev/ns/"}]
FARM = "0x" + "aa" * 32
PLANT = "0x" + "bb" * 32
SHOP = "0x" + "cc" * 32
MAKER = "0x" + "d1" * 32
INSTALLER = "0x" + "d2" * 32
INSPECTOR = "0x" + "d3" * 32
MAINTAINER = "0x" + "d4" * 32
SUBMITTER = "0x" + "11" * 20

LOT_A = "urn:epc:class:lgtin:9506000.134352.LOTA"
LOT_B = "urn:epc:class:lgtin:9506000.134352.LOTB"
JUICE = "urn:epc:class:lgtin:9506000.134353.J1"
PALLET = "urn:epc:id:sscc:9506000.0000000001"
LIFT = "urn:epc:id:giai:9506000.LIFT001"


def at(day: int, hour: int = 8, month: int = 11, year: int = 2026) -> str:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ms(day: int, hour: int = 8, month: int = 11, year: int = 2026) -> int:
    return int(dt.datetime(year, month, day, hour, tzinfo=dt.UTC).timestamp() * 1000)


def qty(epc_class: str, quantity: float, uom: str | None = "KGM") -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class, "quantity": quantity}
    if uom:
        element["uom"] = uom
    return element


def event(kind: str, time: str, **members: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"@context": CONTEXT, "type": kind, "eventTime": time,
                            "eventTimeZoneOffset": "+00:00"}
    body.update(members)
    return body


def record(leaf: int, enterprise: str, body: dict[str, Any], received_ms: int | None = None) -> AuditEvent:
    from anchoring.core import event_hash_id

    received = received_ms if received_ms is not None else (
        int(dt.datetime.fromisoformat(body["eventTime"]).timestamp() * 1000) + 1000)
    return AuditEvent(leaf_index=leaf, event_hash_id=event_hash_id(body), enterprise_id=enterprise,
                      submitter=SUBMITTER, received_at_ms=received, body=body)


def harvest(time: str, lot: str = LOT_A, kg: float = 100.0, **members: Any) -> dict[str, Any]:
    return event("ObjectEvent", time, action="ADD", bizStep="commissioning",
                 quantityList=[qty(lot, kg)], **members)


def ship(time: str, lot: str = LOT_A, kg: float = 100.0, **members: Any) -> dict[str, Any]:
    return event("ObjectEvent", time, action="OBSERVE", bizStep="shipping",
                 disposition="in_transit", quantityList=[qty(lot, kg)], **members)


def receive(time: str, lot: str = LOT_A, kg: float = 100.0, **members: Any) -> dict[str, Any]:
    return event("ObjectEvent", time, action="OBSERVE", bizStep="receiving",
                 disposition="in_progress", quantityList=[qty(lot, kg)], **members)


def transform(time: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
              **members: Any) -> dict[str, Any]:
    return event("TransformationEvent", time, bizStep="commissioning",
                 inputQuantityList=inputs, outputQuantityList=outputs, **members)


def temperature(value: float, time: str, uom: str = "CEL") -> dict[str, Any]:
    return {"sensorMetadata": {"time": time, "deviceID": "urn:epc:id:giai:9506000.LOGGER1"},
            "sensorReport": [{"type": "gs1:Temperature", "value": value, "uom": uom}]}


def equipment_event(time: str, step: str, action: str = "OBSERVE", **members: Any) -> dict[str, Any]:
    return event("ObjectEvent", time, action=action, bizStep=step, epcList=[LIFT], **members)

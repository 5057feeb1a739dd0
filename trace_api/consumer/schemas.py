"""The consumer view's JSON shape (trace_api/README.md, "Consumer view"), as pydantic models.

Every member here is public by design; adding one means asking "may a stranger with
the code in hand see this?" (no prices, people, contracts or event bodies).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Texts(_Model):
    zh: str
    en: str


class IdentifierView(_Model):
    gtin: str | None
    lot: str | None
    serial: str | None
    expiry: str | None
    sscc: str | None
    giai: str | None


class Producer(_Model):
    name: str | None
    enterpriseId: str


class Origin(_Model):
    name: str
    gln: str | None


class Dates(_Model):
    production: str | None
    expiry: str | None
    bestBefore: str | None


class ProductView(_Model):
    name: Texts
    description: Texts
    producer: Producer
    origin: Origin | None
    dates: Dates


class Authenticity(_Model):
    authenticator: Literal["valid", "invalid", "absent"]
    cloneAlarm: bool
    scanCount: int
    distinctPlaces: int


class RecallView(_Model):
    status: Literal["open"]
    # `class` is a Python keyword: the JSON member is written by alias.
    class_: int | None = None
    reason: str | None
    openedAt: str | None
    subject: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              alias_generator=lambda name: "class" if name == "class_" else name)


class Location(_Model):
    id: str
    name: str | None


class EnterpriseName(_Model):
    name: str | None


class TimelineEntry(_Model):
    eventHashId: str
    eventType: str
    bizStep: str | None
    time: str
    location: Location | None
    enterprise: EnterpriseName
    status: Literal["anchored", "pending"]
    proofUrl: str


class SensorReading(_Model):
    time: str
    type: str
    value: float
    uom: str | None


class Threshold(_Model):
    min: float | None
    max: float | None
    uom: str


class Certification(_Model):
    standard: str
    agency: str
    value: str
    identification: str


class InspectionView(_Model):
    date: str
    result: str | None
    inspector: str | None


class MaintenanceView(_Model):
    date: str
    by: str | None


class EquipmentView(_Model):
    registrationCode: str | None
    equipmentType: str | None
    maker: str | None
    installer: str | None
    lastInspection: InspectionView | None
    nextInspectionDue: str | None
    inspectionOverdue: bool
    lastMaintenance: MaintenanceView | None
    maintenanceOverdue: bool
    emergencyCode: str | None
    retired: bool


class ChainView(_Model):
    rpcUrl: str
    chainId: int
    traceAnchor: str


class ConsumerView(_Model):
    """`GET /v1/public/lookup`: what the scan page shows for one code."""

    uri: str
    canonicalUri: str
    kind: Literal["food", "equipment"]
    identifier: IdentifierView
    product: ProductView | None
    authenticity: Authenticity
    recall: RecallView | None
    timeline: list[TimelineEntry]
    timelineTruncated: bool
    sensors: list[SensorReading]
    thresholds: dict[str, Threshold]
    certifications: list[Certification]
    equipment: EquipmentView | None
    chain: ChainView


class RecallStatusView(_Model):
    """`GET /v1/public/recall`: the recall status alone (the resolver's `gs1:recallStatus`)."""

    uri: str
    canonicalUri: str
    recalled: bool
    recall: RecallView | None

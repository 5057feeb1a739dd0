"""The consumer view's JSON shape (trace_api/README.md, "Consumer view"), as pydantic models.

Every member here is public by design; adding one means asking "may a stranger with
the code in hand see this?" (no prices, people or contracts). Since issue 15 the view
carries the full bodies of the events on its timeline (`evidence`): the scan page shows
only what it verified itself, and it can only verify a body it re-hashes to the Event
Hash ID the log entry commits to, so a redacted or summarised body would prove nothing.
Only events of the product's custody chain (already on the timeline) are sent; whatever
an enterprise writes into such an event is seen by anyone holding the code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class EventEvidence(_Model):
    """One timeline entry's proof material, in timeline order."""

    eventHashId: str
    event: dict[str, Any] = Field(description="The stored standalone JSON-LD event, with its @context.")
    proof: dict[str, Any] = Field(description="traceledger.proof/v1 bundle, exactly as "
                                              "GET /v1/events/{eventHashId}/proof answers.")
    memberBlock: int | None = Field(description="Last block whose timestamp (s) <= the entry's "
                                                "receive time (ms) // 1000; null if unknown.")


class MasterDataEvidence(_Model):
    """The product's current master-data record (traceledger.masterdata/v1), proven."""

    kind: Literal["product"]
    recordHashId: str
    record: dict[str, Any]
    proof: dict[str, Any] = Field(description="traceledger.proof/v1 bundle; its eventHashId is "
                                              "the record hash ID.")
    memberBlock: int | None


class EnterpriseRecord(_Model):
    """The registered fields whose keccak256(JCS) is `MemberRegistry.enterprise(id).metadataHash`."""

    name: str
    uscc: str
    sectors: list[str]
    companyPrefixes: list[str]
    glns: list[str]


class EnterpriseEvidence(_Model):
    enterpriseId: str
    record: EnterpriseRecord


class Evidence(_Model):
    """What the scan page verifies on its own: bodies, proofs, master data, enterprise records."""

    events: list[EventEvidence]
    masterData: list[MasterDataEvidence]
    enterprises: list[EnterpriseEvidence]


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
    evidence: Evidence


class RecallStatusView(_Model):
    """`GET /v1/public/recall`: the recall status alone (the resolver's `gs1:recallStatus`)."""

    uri: str
    canonicalUri: str
    recalled: bool
    recall: RecallView | None

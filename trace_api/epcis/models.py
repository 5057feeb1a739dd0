"""Typed EPCIS 2.0 models (msgspec Structs), written from EPCIS 2.0 §7 and its JSON binding.

Field names are the standard's JSON member names (camelCase) so a model reads like the
document it came from; ``@context`` is the one rename (``context``). Absent members are
``msgspec.UNSET`` (never ``None``: JSON ``null`` is not a valid value for any of them).

These types give the shape (required members, JSON types, ``action`` values, objects that allow
no extra members); the rules JSON types cannot say (URI and date-time formats, CBV values,
"epcList or quantityList", namespaced-only extra members, ...) live in ``rules.py``. A model is
only ever handed out after both passed, see ``parse.py``. User extensions (``prefix:name``
members) are not fields: they stay in the original mapping kept beside each model.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from msgspec import UNSET, Struct, UnsetType, field

Number: TypeAlias = int | float
JSONLDContext: TypeAlias = str | dict[str, Any] | list[str | dict[str, Any]]
Action: TypeAlias = Literal["ADD", "OBSERVE", "DELETE"]


class _Model(Struct, frozen=True, kw_only=True):
    """Base of every model: immutable, keyword-only."""


class _Closed(_Model, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the objects the binding closes ("additionalProperties": false)."""


# --- building blocks (EPCIS 2.0 §7.3) ------------------------------------------------------


class QuantityElement(_Closed, frozen=True, kw_only=True):
    """A class-level identifier with an optional quantity and UN/CEFACT unit (§7.3.3.3)."""

    epcClass: str
    quantity: Number | UnsetType = UNSET
    uom: str | UnsetType = UNSET


class ReadPoint(_Model, frozen=True, kw_only=True):
    """Where the event was observed (§7.3.4)."""

    id: str


class BizLocation(_Model, frozen=True, kw_only=True):
    """Where the objects are believed to be after the event (§7.3.4)."""

    id: str


class BizTransaction(_Closed, frozen=True, kw_only=True):
    """A business transaction the event took part in (§7.3.5.2)."""

    bizTransaction: str
    type: str | UnsetType = UNSET


class Source(_Closed, frozen=True, kw_only=True):
    """Where a business transfer started (§7.3.5.4)."""

    type: str
    source: str


class Destination(_Closed, frozen=True, kw_only=True):
    """Where a business transfer ends (§7.3.5.4)."""

    type: str
    destination: str


class PersistentDisposition(_Closed, frozen=True, kw_only=True):
    """Dispositions set or unset until further notice (§7.3.5.5); at least one list given."""

    set: list[str] | UnsetType = UNSET
    unset: list[str] | UnsetType = UNSET


class ErrorDeclaration(_Model, frozen=True, kw_only=True):
    """Declares an earlier event erroneous (§7.4.1.2)."""

    declarationTime: str
    reason: str | UnsetType = UNSET
    correctiveEventIDs: list[str] | UnsetType = UNSET


class SensorMetadata(_Model, frozen=True, kw_only=True):
    """Metadata shared by a sensor element's reports (§7.3.6.2)."""

    time: str | UnsetType = UNSET
    deviceID: str | UnsetType = UNSET
    deviceMetadata: str | UnsetType = UNSET
    rawData: str | UnsetType = UNSET
    startTime: str | UnsetType = UNSET
    endTime: str | UnsetType = UNSET
    dataProcessingMethod: str | UnsetType = UNSET
    bizRules: str | UnsetType = UNSET


class SensorReport(_Model, frozen=True, kw_only=True):
    """One sensor reading or aggregate (§7.3.6.3); ``type`` is the measurement type."""

    type: str
    exception: str | UnsetType = UNSET
    deviceID: str | UnsetType = UNSET
    deviceMetadata: str | UnsetType = UNSET
    rawData: str | UnsetType = UNSET
    dataProcessingMethod: str | UnsetType = UNSET
    bizRules: str | UnsetType = UNSET
    time: str | UnsetType = UNSET
    microorganism: str | UnsetType = UNSET
    chemicalSubstance: str | UnsetType = UNSET
    coordinateReferenceSystem: str | UnsetType = UNSET
    value: Number | UnsetType = UNSET
    component: str | UnsetType = UNSET
    stringValue: str | UnsetType = UNSET
    booleanValue: bool | UnsetType = UNSET
    hexBinaryValue: str | UnsetType = UNSET
    uriValue: str | UnsetType = UNSET
    minValue: Number | UnsetType = UNSET
    maxValue: Number | UnsetType = UNSET
    meanValue: Number | UnsetType = UNSET
    sDev: Number | UnsetType = UNSET
    percRank: Number | UnsetType = UNSET
    percValue: Number | UnsetType = UNSET
    uom: str | UnsetType = UNSET


class SensorElement(_Model, frozen=True, kw_only=True):
    """Sensor metadata plus one or more reports (§7.3.6.1)."""

    sensorReport: list[SensorReport]
    sensorMetadata: SensorMetadata | UnsetType = UNSET


# --- events (EPCIS 2.0 §7.4) ---------------------------------------------------------------


class EPCISEvent(_Model, frozen=True, kw_only=True):
    """Members every event has (§7.4.1): when, where in time, identity, error declaration."""

    type: str
    eventTime: str
    eventTimeZoneOffset: str
    recordTime: str | UnsetType = UNSET
    eventID: str | UnsetType = UNSET
    certificationInfo: str | list[str] | UnsetType = UNSET
    errorDeclaration: ErrorDeclaration | UnsetType = UNSET
    context: JSONLDContext | UnsetType = field(name="@context", default=UNSET)


class _WhyWhere(EPCISEvent, frozen=True, kw_only=True):
    """Why and where members shared by all five standard event types."""

    bizStep: str | UnsetType = UNSET
    disposition: str | UnsetType = UNSET
    readPoint: ReadPoint | UnsetType = UNSET
    bizLocation: BizLocation | UnsetType = UNSET
    bizTransactionList: list[BizTransaction] | UnsetType = UNSET
    sourceList: list[Source] | UnsetType = UNSET
    destinationList: list[Destination] | UnsetType = UNSET
    sensorElementList: list[SensorElement] | UnsetType = UNSET


class ObjectEvent(_WhyWhere, frozen=True, kw_only=True):
    """Something happened to objects (§7.4.2); ``ilmd`` only with ``action`` ADD."""

    action: Action
    epcList: list[str] | UnsetType = UNSET
    quantityList: list[QuantityElement] | UnsetType = UNSET
    persistentDisposition: PersistentDisposition | UnsetType = UNSET
    ilmd: dict[str, Any] | UnsetType = UNSET


class AggregationEvent(_WhyWhere, frozen=True, kw_only=True):
    """Objects were physically aggregated into or removed from a parent (§7.4.3)."""

    action: Action
    parentID: str | UnsetType = UNSET
    childEPCs: list[str] | UnsetType = UNSET
    childQuantityList: list[QuantityElement] | UnsetType = UNSET


class TransactionEvent(_WhyWhere, frozen=True, kw_only=True):
    """Objects were associated with or dissociated from business transactions (§7.4.4)."""

    action: Action
    bizTransactionList: list[BizTransaction]
    parentID: str | UnsetType = UNSET
    epcList: list[str] | UnsetType = UNSET
    quantityList: list[QuantityElement] | UnsetType = UNSET


class TransformationEvent(_WhyWhere, frozen=True, kw_only=True):
    """Inputs were consumed and outputs produced (§7.4.5); it has no ``action``."""

    inputEPCList: list[str] | UnsetType = UNSET
    inputQuantityList: list[QuantityElement] | UnsetType = UNSET
    outputEPCList: list[str] | UnsetType = UNSET
    outputQuantityList: list[QuantityElement] | UnsetType = UNSET
    transformationID: str | UnsetType = UNSET
    persistentDisposition: PersistentDisposition | UnsetType = UNSET
    ilmd: dict[str, Any] | UnsetType = UNSET


class AssociationEvent(_WhyWhere, frozen=True, kw_only=True):
    """Objects were associated with or dissociated from a physical parent (§7.4.6)."""

    action: Action
    parentID: str
    childEPCs: list[str] | UnsetType = UNSET
    childQuantityList: list[QuantityElement] | UnsetType = UNSET


class ExtendedEvent(EPCISEvent, frozen=True, kw_only=True):
    """An event of a user-defined type (``type`` is a URI, e.g. ``example:CustomEvent``).

    Only the common members are typed; everything else is the extension's and stays in the
    original mapping.
    """


AnyEvent: TypeAlias = (
    ObjectEvent
    | AggregationEvent
    | TransactionEvent
    | TransformationEvent
    | AssociationEvent
    | ExtendedEvent
)

EVENT_TYPES: dict[str, type[EPCISEvent]] = {
    "ObjectEvent": ObjectEvent,
    "AggregationEvent": AggregationEvent,
    "TransactionEvent": TransactionEvent,
    "TransformationEvent": TransformationEvent,
    "AssociationEvent": AssociationEvent,
}


# --- master data and document headers (EPCIS 2.0 §9, JSON binding) -------------------------


class Attribute(_Model, frozen=True, kw_only=True):
    """A master-data attribute of a vocabulary element."""

    id: str
    attribute: Number | str | dict[str, Any] | UnsetType = UNSET


class VocabularyElement(_Model, frozen=True, kw_only=True):
    """One master-data element (a location, a product class, ...)."""

    id: str
    attributes: list[Attribute] | UnsetType = UNSET
    children: list[str] | UnsetType = UNSET


class Vocabulary(_Model, frozen=True, kw_only=True):
    """Master data of one vocabulary type."""

    type: str
    vocabularyElementList: list[VocabularyElement] | UnsetType = UNSET


class MasterData(_Model, frozen=True, kw_only=True):
    """The ``epcisMasterData`` member of a header."""

    vocabularyList: list[Vocabulary] | UnsetType = UNSET


class EPCISHeader(_Model, frozen=True, kw_only=True):
    """The optional ``epcisHeader`` of an EPCIS document."""

    epcisMasterData: MasterData | UnsetType = UNSET


class DocumentHeader(_Model, frozen=True, kw_only=True):
    """Every member of an ``EPCISDocument`` except ``epcisBody`` (its events are parsed apart)."""

    context: JSONLDContext = field(name="@context")
    type: Literal["EPCISDocument"]
    schemaVersion: str
    creationDate: str
    id: str | UnsetType = UNSET
    instanceIdentifier: str | UnsetType = UNSET
    sender: str | UnsetType = UNSET
    receiver: str | UnsetType = UNSET
    epcisHeader: EPCISHeader | UnsetType = UNSET


class QueryDocumentHeader(_Model, frozen=True, kw_only=True):
    """Every member of an ``EPCISQueryDocument`` except ``epcisBody``."""

    context: JSONLDContext = field(name="@context")
    type: Literal["EPCISQueryDocument"]
    schemaVersion: str | UnsetType = UNSET
    creationDate: str | UnsetType = UNSET
    id: str | UnsetType = UNSET


class QueryResultsHeader(_Model, frozen=True, kw_only=True):
    """``epcisBody.queryResults`` less its ``resultsBody``."""

    queryName: str
    subscriptionID: str | UnsetType = UNSET

"""The EPCIS 2.0 JSON-binding rules that types alone cannot state.

Run only on input that already converted to the typed models (so every member has the right
JSON type). Each ``check_*`` function appends ``(pointer, message)`` pairs to ``found``; the
pointer is an RFC 6901 pointer relative to the object checked (the event, or the document).
The rules follow the official EPCIS 2.0 JSON Schema one for one; the schema definition each
one mirrors is named in its comment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from msgspec import UNSET

from trace_api.epcis import models as m
from trace_api.epcis import vocabulary as v
from trace_api.epcis.errors import escape_pointer_token
from trace_api.epcis.formats import (
    is_date_time,
    is_hex_binary,
    is_time_zone_offset,
    is_uom,
    is_uri,
    is_version,
)

Found = list[tuple[str, str]]

# "common-event-properties" plus each event type's own "propertyNames" enum.
_COMMON_EVENT_MEMBERS = frozenset(
    ("@context", "type", "eventTime", "recordTime", "eventTimeZoneOffset", "eventID",
     "certificationInfo", "errorDeclaration")
)
_WHY_WHERE = ("bizStep", "disposition", "readPoint", "bizLocation", "bizTransactionList",
              "sourceList", "destinationList", "sensorElementList")
EVENT_MEMBERS: dict[type[m.EPCISEvent], frozenset[str]] = {
    m.ObjectEvent: _COMMON_EVENT_MEMBERS.union(
        _WHY_WHERE, ("action", "epcList", "quantityList", "persistentDisposition", "ilmd")),
    m.AggregationEvent: _COMMON_EVENT_MEMBERS.union(
        _WHY_WHERE, ("action", "parentID", "childEPCs", "childQuantityList")),
    m.TransactionEvent: _COMMON_EVENT_MEMBERS.union(
        _WHY_WHERE, ("action", "parentID", "epcList", "quantityList")),
    m.TransformationEvent: _COMMON_EVENT_MEMBERS.union(
        _WHY_WHERE, ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList",
                     "transformationID", "persistentDisposition", "ilmd")),
    m.AssociationEvent: _COMMON_EVENT_MEMBERS.union(
        _WHY_WHERE, ("action", "parentID", "childEPCs", "childQuantityList")),
}
_ERROR_DECLARATION_MEMBERS = frozenset(("declarationTime", "reason", "correctiveEventIDs"))
_SENSOR_ELEMENT_MEMBERS = frozenset(("sensorMetadata", "sensorReport"))
_SENSOR_METADATA_URIS = ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod",
                         "bizRules")
_SENSOR_REPORT_URIS = _SENSOR_METADATA_URIS + (
    "microorganism", "chemicalSubstance", "coordinateReferenceSystem", "uriValue")
_SENSOR_METADATA_MEMBERS = frozenset(m.SensorMetadata.__struct_fields__)
_SENSOR_REPORT_MEMBERS = frozenset(m.SensorReport.__struct_fields__)
DOCUMENT_MEMBERS = frozenset(("@context", "id", "type", "schemaVersion", "creationDate",
                              "instanceIdentifier", "sender", "receiver", "epcisHeader",
                              "epcisBody"))
QUERY_DOCUMENT_MEMBERS = frozenset(("@context", "id", "type", "schemaVersion", "creationDate",
                                    "epcisBody"))


_NEEDS_WHAT_OBJECT = (
    "needs epcList, a non-empty quantityList, or sensorElementList with readPoint")
_NEEDS_WHAT_TRANSFORMATION = (
    "needs inputs and outputs, or a transformationID with inputs or outputs")


def _token(name: str | int) -> str:
    return "/" + escape_pointer_token(name)


def check_member_names(raw: Mapping[str, Any], allowed: frozenset[str], at: str,
                       found: Found) -> None:
    """Members outside ``allowed`` must be namespaced: their name is a URI ("propertyNames")."""
    for name in raw:
        if name not in allowed and not is_uri(name):
            found.append((at + _token(name),
                          f"member {name!r} is neither standard here nor namespaced (prefix:name)"))


def _uri(value: str | Any, at: str, found: Found) -> None:
    if value is not UNSET and not is_uri(value):
        found.append((at, f"{value!r} is not an absolute URI (RFC 3986)"))


def _uris(values: Iterable[str] | Any, at: str, found: Found) -> None:
    if values is not UNSET:
        for index, value in enumerate(values):
            if not is_uri(value):
                found.append((f"{at}/{index}", f"{value!r} is not an absolute URI (RFC 3986)"))


def _unique(values: list[str] | Any, at: str, found: Found) -> None:  # "uniqueItems"
    if values is not UNSET and len(set(values)) != len(values):
        found.append((at, "items must be unique"))


def _date_time(value: str | Any, at: str, found: Found) -> None:
    if value is not UNSET and not is_date_time(value):
        found.append((at, f"{value!r} is not an RFC 3339 date-time with offset"))


def _cbv(value: str | Any, words: frozenset[str], what: str, at: str, found: Found) -> None:
    if value is not UNSET and not v.is_cbv_value(value, words):
        found.append((at, f"{value!r} is not a CBV {what} nor a non-GS1 URI"))


def check_context(context: m.JSONLDContext | Any, at: str, found: Found) -> None:
    """``@context``: a URI, an object, or a list of unique URIs/objects ("@context")."""
    if context is UNSET or isinstance(context, dict):
        return
    if isinstance(context, str):
        _uri(context, at, found)
        return
    for index, item in enumerate(context):
        if isinstance(item, str):
            _uri(item, f"{at}/{index}", found)
    for index, item in enumerate(context):
        if any(_json_equal(item, earlier) for earlier in context[:index]):
            found.append((f"{at}/{index}", "@context items must be unique"))
            break


def _json_equal(left: Any, right: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 == 1.0, objects compare member-wise."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    return type(left) is type(right) and left == right or (
        isinstance(left, int | float) and isinstance(right, int | float) and left == right)


def check_common(event: m.EPCISEvent, raw: Mapping[str, Any], found: Found) -> None:
    """The members every event type shares ("Event")."""
    _date_time(event.eventTime, "/eventTime", found)
    _date_time(event.recordTime, "/recordTime", found)
    if not is_time_zone_offset(event.eventTimeZoneOffset):
        found.append(("/eventTimeZoneOffset",
                      f"{event.eventTimeZoneOffset!r} is not an offset -14:00..+14:00 (+hh:mm)"))
    _uri(event.eventID, "/eventID", found)
    if isinstance(event.certificationInfo, str):
        _uri(event.certificationInfo, "/certificationInfo", found)
    else:
        _uris(event.certificationInfo, "/certificationInfo", found)
    if event.errorDeclaration is not UNSET:
        _check_error_declaration(event.errorDeclaration, raw["errorDeclaration"], found)
    check_context(event.context, "/@context", found)


def _check_error_declaration(declaration: m.ErrorDeclaration, raw: Mapping[str, Any],
                             found: Found) -> None:
    at = "/errorDeclaration"
    _date_time(declaration.declarationTime, at + "/declarationTime", found)
    _cbv(declaration.reason, v.ERROR_REASONS, "error reason", at + "/reason", found)
    _uris(declaration.correctiveEventIDs, at + "/correctiveEventIDs", found)
    check_member_names(raw, _ERROR_DECLARATION_MEMBERS, at, found)


def _check_quantities(quantities: list[m.QuantityElement] | Any, at: str, found: Found) -> None:
    if quantities is UNSET:
        return
    for index, quantity in enumerate(quantities):
        _uri(quantity.epcClass, f"{at}/{index}/epcClass", found)
        if quantity.uom is not UNSET and not is_uom(quantity.uom):
            found.append((f"{at}/{index}/uom", f"{quantity.uom!r} is not a 2-3 character UOM code"))


def _check_persistent_disposition(value: m.PersistentDisposition | Any, found: Found) -> None:
    if value is UNSET:
        return
    at = "/persistentDisposition"
    if value.set is UNSET and value.unset is UNSET:
        found.append((at, "needs 'set' or 'unset'"))
    for name in ("set", "unset"):
        dispositions = getattr(value, name)
        if dispositions is UNSET:
            continue
        if not dispositions:
            found.append((f"{at}/{name}", "must not be empty"))
        _unique(dispositions, f"{at}/{name}", found)
        for index, disposition in enumerate(dispositions):
            _cbv(disposition, v.DISPOSITIONS, "disposition", f"{at}/{name}/{index}", found)


def _check_why_where(event: m._WhyWhere, raw: Mapping[str, Any], found: Found) -> None:
    _cbv(event.bizStep, v.BIZ_STEPS, "business step", "/bizStep", found)
    _cbv(event.disposition, v.DISPOSITIONS, "disposition", "/disposition", found)
    if event.readPoint is not UNSET:
        _uri(event.readPoint.id, "/readPoint/id", found)
    if event.bizLocation is not UNSET:
        _uri(event.bizLocation.id, "/bizLocation/id", found)
    for index, transaction in enumerate(event.bizTransactionList or ()):
        at = f"/bizTransactionList/{index}"
        _cbv(transaction.type, v.BIZ_TRANSACTION_TYPES, "business transaction type",
             at + "/type", found)
        _uri(transaction.bizTransaction, at + "/bizTransaction", found)
    for index, source in enumerate(event.sourceList or ()):
        at = f"/sourceList/{index}"
        _cbv(source.type, v.SOURCE_DESTINATION_TYPES, "source/destination type", at + "/type",
             found)
        _uri(source.source, at + "/source", found)
    for index, destination in enumerate(event.destinationList or ()):
        at = f"/destinationList/{index}"
        _cbv(destination.type, v.SOURCE_DESTINATION_TYPES, "source/destination type",
             at + "/type", found)
        _uri(destination.destination, at + "/destination", found)
    for index, element in enumerate(event.sensorElementList or ()):
        _check_sensor_element(element, raw["sensorElementList"][index],
                              f"/sensorElementList/{index}", found)


def _uri_problem(value: str) -> str | None:
    return None if is_uri(value) else f"{value!r} is not an absolute URI (RFC 3986)"


def _date_time_problem(value: str) -> str | None:
    return None if is_date_time(value) else f"{value!r} is not an RFC 3339 date-time with offset"


def _no_problem(value: Any) -> None:  # JSON type already checked by the model
    return None


def _measurement_type_problem(value: str) -> str | None:
    if v.is_sensor_vocabulary_value(value, v.MEASUREMENT_TYPES):
        return None
    return f"{value!r} is not a CBV measurement type nor a non-GS1 URI"


def _alert_type_problem(value: str) -> str | None:
    if v.is_sensor_vocabulary_value(value, v.SENSOR_ALERT_TYPES):
        return None
    return f"{value!r} is not a CBV sensor alert type nor a non-GS1 URI"


def _component_problem(value: str) -> str | None:
    if v.is_cbv_value(value, v.COMPONENTS):
        return None
    return f"{value!r} is not a CBV component nor a non-GS1 URI"


def _hex_problem(value: str) -> str | None:
    return None if is_hex_binary(value) else f"{value!r} is not hexadecimal"


MemberChecks = dict[str, Callable[[Any], "str | None"]]
# Sensor objects are checked member by member from the original mapping: reports are many and
# sparse, so this costs per member present, not per member the standard defines.
_SENSOR_METADATA_CHECKS: MemberChecks = {
    **dict.fromkeys(("time", "startTime", "endTime"), _date_time_problem),
    **dict.fromkeys(_SENSOR_METADATA_URIS, _uri_problem),
}
_SENSOR_REPORT_CHECKS: MemberChecks = {
    **dict.fromkeys(_SENSOR_REPORT_MEMBERS, _no_problem),
    **dict.fromkeys(_SENSOR_REPORT_URIS, _uri_problem),
    "type": _measurement_type_problem,
    "exception": _alert_type_problem,
    "time": _date_time_problem,
    "component": _component_problem,
    "hexBinaryValue": _hex_problem,
}
assert set(_SENSOR_METADATA_CHECKS) == _SENSOR_METADATA_MEMBERS


def _check_members(raw: Mapping[str, Any], checks: MemberChecks, at: str,
                   found: Found) -> None:
    """Apply ``checks`` to the members present; any other member must be namespaced."""
    for name, value in raw.items():
        check = checks.get(name)
        if check is not None:
            problem = check(value)
            if problem is not None:
                found.append((f"{at}/{name}", problem))
        elif not is_uri(name):
            found.append((at + _token(name),
                          f"member {name!r} is neither standard here nor namespaced (prefix:name)"))


def _check_sensor_element(element: m.SensorElement, raw: Mapping[str, Any], at: str,
                          found: Found) -> None:
    check_member_names(raw, _SENSOR_ELEMENT_MEMBERS, at, found)
    if element.sensorMetadata is not UNSET:
        _check_members(raw["sensorMetadata"], _SENSOR_METADATA_CHECKS, at + "/sensorMetadata",
                       found)
    if not element.sensorReport:
        found.append((at + "/sensorReport", "needs at least one sensor report"))
    for index, report in enumerate(raw["sensorReport"]):
        _check_members(report, _SENSOR_REPORT_CHECKS, f"{at}/sensorReport/{index}", found)


def _check_ilmd(raw: Mapping[str, Any], found: Found) -> None:
    ilmd = raw.get("ilmd")
    if ilmd is not None:  # every ILMD member is namespaced ("ilmd")
        check_member_names(ilmd, frozenset(), "/ilmd", found)


def _non_empty(values: list[Any] | Any) -> bool:
    return values is not UNSET and len(values) > 0


def check_event(event: m.EPCISEvent, raw: Mapping[str, Any], found: Found) -> None:
    """Every rule of the event's type; ``raw`` is the mapping ``event`` was converted from."""
    check_common(event, raw, found)
    if isinstance(event, m.ExtendedEvent):  # "Extended-Event": the type names its namespace
        _uri(event.type, "/type", found)
        return
    assert isinstance(event, m._WhyWhere)
    check_member_names(raw, EVENT_MEMBERS[type(event)], "", found)
    _check_why_where(event, raw, found)
    if isinstance(event, m.ObjectEvent):
        _check_object_event(event, raw, found)
    elif isinstance(event, m.AggregationEvent | m.AssociationEvent):
        _check_parent_child_event(event, found)
    elif isinstance(event, m.TransactionEvent):
        _check_transaction_event(event, found)
    elif isinstance(event, m.TransformationEvent):
        _check_transformation_event(event, raw, found)


def _check_object_event(event: m.ObjectEvent, raw: Mapping[str, Any], found: Found) -> None:
    _uris(event.epcList, "/epcList", found)
    _unique(event.epcList, "/epcList", found)
    _check_quantities(event.quantityList, "/quantityList", found)
    _check_persistent_disposition(event.persistentDisposition, found)
    _check_ilmd(raw, found)
    # "ObjectEvent" anyOf: what the event is about.
    if not (event.epcList is not UNSET or _non_empty(event.quantityList)
            or (_non_empty(event.sensorElementList) and event.readPoint is not UNSET)):
        found.append(("", _NEEDS_WHAT_OBJECT))
    if event.ilmd is not UNSET and event.action != "ADD":
        found.append(("/ilmd", "ilmd is only allowed with action ADD"))


def _check_parent_child_event(event: m.AggregationEvent | m.AssociationEvent,
                              found: Found) -> None:
    _uri(event.parentID, "/parentID", found)
    _uris(event.childEPCs, "/childEPCs", found)
    _check_quantities(event.childQuantityList, "/childQuantityList", found)
    if not (_non_empty(event.childEPCs) or _non_empty(event.childQuantityList)
            or event.action == "DELETE"):
        found.append(("", "needs non-empty childEPCs or childQuantityList unless action is DELETE"))


def _check_transaction_event(event: m.TransactionEvent, found: Found) -> None:
    if not event.bizTransactionList:
        found.append(("/bizTransactionList", "needs at least one business transaction"))
    _uri(event.parentID, "/parentID", found)
    _uris(event.epcList, "/epcList", found)
    _check_quantities(event.quantityList, "/quantityList", found)
    if not (event.epcList is not UNSET or _non_empty(event.quantityList)
            or event.action == "DELETE"):
        found.append(("", "needs epcList or a non-empty quantityList unless action is DELETE"))


def _check_transformation_event(event: m.TransformationEvent, raw: Mapping[str, Any],
                                found: Found) -> None:
    for name in ("inputEPCList", "outputEPCList"):
        _uris(getattr(event, name), "/" + name, found)
        _unique(getattr(event, name), "/" + name, found)
    _check_quantities(event.inputQuantityList, "/inputQuantityList", found)
    _check_quantities(event.outputQuantityList, "/outputQuantityList", found)
    _uri(event.transformationID, "/transformationID", found)
    _check_persistent_disposition(event.persistentDisposition, found)
    _check_ilmd(raw, found)
    has_input = _non_empty(event.inputEPCList) or _non_empty(event.inputQuantityList)
    has_output = _non_empty(event.outputEPCList) or _non_empty(event.outputQuantityList)
    if not (has_input and has_output
            or (has_input or has_output) and event.transformationID is not UNSET):
        found.append(("", _NEEDS_WHAT_TRANSFORMATION))


def check_master_data(header: m.EPCISHeader | Any, raw: Mapping[str, Any] | None, at: str,
                      found: Found) -> None:
    """``epcisHeader``: only ``epcisMasterData`` or namespaced members, URIs where due."""
    if header is UNSET or raw is None:
        return
    check_member_names(raw, frozenset(("epcisMasterData",)), at, found)
    master_data = header.epcisMasterData
    if master_data is not UNSET:
        check_vocabularies(master_data.vocabularyList,
                           f"{at}/epcisMasterData/vocabularyList", found)


def check_vocabularies(vocabularies: list[m.Vocabulary] | Any, at: str, found: Found) -> None:
    """Master-data vocabularies: every type, element id, attribute id and child is a URI."""
    for index, vocabulary in enumerate(vocabularies or ()):
        vocabulary_at = f"{at}/{index}"
        _uri(vocabulary.type, vocabulary_at + "/type", found)
        for element_index, element in enumerate(vocabulary.vocabularyElementList or ()):
            element_at = f"{vocabulary_at}/vocabularyElementList/{element_index}"
            _uri(element.id, element_at + "/id", found)
            for attribute_index, attribute in enumerate(element.attributes or ()):
                _uri(attribute.id, f"{element_at}/attributes/{attribute_index}/id", found)
            _uris(element.children, element_at + "/children", found)


def check_document_header(header: m.DocumentHeader | m.QueryDocumentHeader,
                          raw: Mapping[str, Any], found: Found) -> None:
    """Document-level members: @context, id, schemaVersion, creationDate, header, names."""
    check_context(header.context, "/@context", found)
    _uri(header.id, "/id", found)
    if header.schemaVersion is not UNSET and not is_version(header.schemaVersion):
        found.append(("/schemaVersion", f"{header.schemaVersion!r} is not a version like 2.0"))
    _date_time(header.creationDate, "/creationDate", found)
    if isinstance(header, m.DocumentHeader):
        check_member_names(raw, DOCUMENT_MEMBERS, "", found)
        check_master_data(header.epcisHeader, raw.get("epcisHeader"), "/epcisHeader", found)
    else:
        check_member_names(raw, QUERY_DOCUMENT_MEMBERS, "", found)

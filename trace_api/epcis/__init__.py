"""EPCIS 2.0 capture input: typed models and validation, written from the standard.

Public surface: ``parse_epcis_document`` (capture, all-or-nothing), ``parse_epcis_document_proceed``
(capture keeping valid events), ``parse_event``, ``parse_epcis_query_document``,
``parse_epcis_json`` (whatever the official schema's root accepts), ``validate_event`` (an
already-decoded mapping), the result types and the one error ``EPCISValidationError``.
"""

from trace_api.epcis.errors import EPCISError, EPCISValidationError, ValidationIssue
from trace_api.epcis.models import (
    AggregationEvent,
    AnyEvent,
    AssociationEvent,
    EPCISEvent,
    ExtendedEvent,
    ObjectEvent,
    TransactionEvent,
    TransformationEvent,
)
from trace_api.epcis.parse import (
    EPCISDocument,
    EPCISQueryDocument,
    ParsedEvent,
    decode_json,
    parse_epcis_document,
    parse_epcis_document_proceed,
    parse_epcis_json,
    parse_epcis_query_document,
    parse_event,
    validate_event,
)

__all__ = [
    "AggregationEvent",
    "AnyEvent",
    "AssociationEvent",
    "EPCISDocument",
    "EPCISError",
    "EPCISEvent",
    "EPCISQueryDocument",
    "EPCISValidationError",
    "ExtendedEvent",
    "ObjectEvent",
    "ParsedEvent",
    "TransactionEvent",
    "TransformationEvent",
    "ValidationIssue",
    "decode_json",
    "parse_epcis_document",
    "parse_epcis_document_proceed",
    "parse_epcis_json",
    "parse_epcis_query_document",
    "parse_event",
    "validate_event",
]

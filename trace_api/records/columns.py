"""What a record's query columns hold, derived from the event JSON in one place.

Capture fills `api_events` / `api_event_epcs` with these; the query parser normalises
its parameters with the same functions, so `EQ_bizStep=cbv:BizStep-shipping` finds an
event that said `shipping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)

# CBV 2.0 §6 / EPCIS 2.0 JSON binding: a standard value may be written as a bare word,
# a `cbv:` compact IRI, the GS1 web URI or the EPCIS 1.x URN; all name the same value.
_CBV_FORMS = {
    "BizStep": ("cbv:BizStep-", "https://ref.gs1.org/cbv/BizStep-", "https://gs1.org/voc/BizStep-",
                "urn:epcglobal:cbv:bizstep:"),
    "Disp": ("cbv:Disp-", "https://ref.gs1.org/cbv/Disp-", "https://gs1.org/voc/Disp-",
             "urn:epcglobal:cbv:disp:"),
}

# (event member, role in api_event_epcs) for lists of EPC URIs
_EPC_LISTS = (("epcList", "epc"), ("childEPCs", "child"), ("inputEPCList", "input"),
              ("outputEPCList", "output"))
# (event member, role) for quantity lists, whose elements name an EPC class
_QUANTITY_LISTS = (("quantityList", "epcClass"), ("childQuantityList", "childClass"),
                   ("inputQuantityList", "inputClass"), ("outputQuantityList", "outputClass"))


def canonical_cbv(value: str | None, vocabulary: str) -> str | None:
    """The bare CBV word for a standard `BizStep` / `Disp` value in any of its spellings;
    any other value (a user URI) unchanged."""
    if value is None:
        return None
    for prefix in _CBV_FORMS[vocabulary]:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def parse_time_ms(text: str, *, bare_is_utc: bool = False) -> int:
    """Milliseconds since the epoch of an RFC 3339 date-time with offset: sub-ms floored,
    in exact integer arithmetic (no float), so every reader of an event's time (records,
    the audit's view, the provenance graph) gets the same millisecond.

    Raises ValueError for anything else, including a time without an offset unless
    `bare_is_utc` (readers of stored bodies: EPCIS requires an offset; never local time).
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        if not bare_is_utc:
            raise ValueError(f"{text!r} has no time zone offset")
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MILLISECOND


def format_time_ms(milliseconds: int) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-11-26T12:00:00.000Z`."""
    moment = _EPOCH + timedelta(milliseconds=milliseconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _location_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        location = value.get("id")
        return location if isinstance(location, str) else None
    return None


def record_columns(event: Mapping[str, Any]) -> tuple[str, int, str | None, str | None,
                                                      str | None, str | None, str | None]:
    """(event_type, event_time_ms, biz_step, disposition, action, biz_location, read_point)
    of a validated event."""
    return (
        str(event["type"]),
        parse_time_ms(str(event["eventTime"])),
        canonical_cbv(event.get("bizStep"), "BizStep"),
        canonical_cbv(event.get("disposition"), "Disp"),
        event.get("action"),
        _location_id(event.get("bizLocation")),
        _location_id(event.get("readPoint")),
    )


def event_epcs(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (role, identifier) the event names, each pair once, in document order."""
    pairs: dict[tuple[str, str], None] = {}
    parent = event.get("parentID")
    if isinstance(parent, str):
        pairs[("parent", parent)] = None
    for member, role in _EPC_LISTS:
        values = event.get(member)
        if isinstance(values, list):
            for epc in values:
                if isinstance(epc, str):
                    pairs[(role, epc)] = None
    for member, role in _QUANTITY_LISTS:
        values = event.get(member)
        if isinstance(values, list):
            for element in values:
                epc_class = element.get("epcClass") if isinstance(element, Mapping) else None
                if isinstance(epc_class, str):
                    pairs[(role, epc_class)] = None
    return list(pairs)

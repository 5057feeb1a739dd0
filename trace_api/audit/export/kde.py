"""FSMA 204 key data elements (21 CFR 1.1325-1.1350) of one record, as spreadsheet rows.

One row per traceability lot (or identified object) an event names, so the sheet sorts
and filters by lot code. Mapping from EPCIS 2.0 / CBV 2.0:

- critical tracking event: `tl:cte` on the event if stated (harvesting, cooling, ...),
  else shipping/departing -> Shipping, receiving/arriving/accepting -> Receiving,
  TransformationEvent -> Transformation, ObjectEvent ADD -> Initial packing, other
  events -> "Other (<bizStep>)";
- traceability lot code: the GS1 element string of the object's key: (01)GTIN(10)lot,
  (01)GTIN(21)serial, (00)SSCC, (8004)GIAI; non-GS1 identifiers as written;
- quantity and unit: quantityList quantity and UN/ECE Rec 20 uom (EA for counted
  instances and quantities without uom);
- product description: ILMD `tl:productDescription` / `cbvmda:descriptionShort` of the
  event or of the lot's creating event, and the GTIN;
- traceability lot code source: the bizLocation of the event that made the lot (an
  ObjectEvent ADD or the transformation that output it), when the export has seen it;
- locations: ship-from / ship-to from sourceList / destinationList (`location` type first,
  then `owning_party`), receive and transform locations from bizLocation;
- dates: event date and time with its offset, record (receipt) time;
- reference documents: bizTransactionList type and identifier, in document order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from contracts.anchored_head import AnchoredHead
from gs1.digital_link import parse_digital_link
from gs1.errors import GS1Error
from gs1.keys import gtin_of
from trace_api.audit.epcis_view import AuditEvent, EventView, ObjectRef, PartyRef
from trace_api.audit.inputs import RECEIVING_STEPS, SHIPPING_STEPS
from trace_api.records.columns import format_time_ms

COLUMNS: tuple[str, ...] = (
    "critical_tracking_event", "traceability_lot_code", "lot_role", "quantity",
    "unit_of_measure", "product_gtin", "product_description", "traceability_lot_code_source",
    "ship_from_location",
    "ship_to_location", "receive_location", "transform_location", "business_location",
    "read_point", "event_date", "event_time", "event_timezone_offset", "record_time",
    "reference_document_types", "reference_document_numbers", "enterprise_id", "event_type",
    "biz_step", "disposition", "event_hash_id", "leaf_index", "anchor_status",
    "anchored_tree_size", "anchor_transaction", "anchor_block_number",
)
"""Header row; `leaf_index`, `quantity`, `anchored_tree_size`, `anchor_block_number` are
numbers, everything else text (empty string when absent)."""

(_CTE, _TLC, _ROLE, _QUANTITY, _UOM, _GTIN, _DESCRIPTION, _TLC_SOURCE) = (
    COLUMNS.index(name) for name in ("critical_tracking_event", "traceability_lot_code", "lot_role",
                                     "quantity", "unit_of_measure", "product_gtin",
                                     "product_description", "traceability_lot_code_source"))

NUMERIC_COLUMNS = frozenset({"quantity", "leaf_index", "anchored_tree_size", "anchor_block_number"})

_DESCRIPTION_MEMBERS = ("tl:productDescription", "https://traceledger.dev/ns/productDescription",
                        "cbvmda:descriptionShort", "urn:epcglobal:cbv:mda#descriptionShort")

Row = tuple[Any, ...]


def critical_tracking_event(view: EventView) -> str:
    declared = view.extension("cte")
    if isinstance(declared, str) and declared:
        return declared.replace("_", " ").capitalize()
    step = view.biz_step
    if step in SHIPPING_STEPS:
        return "Shipping"
    if step in RECEIVING_STEPS:
        return "Receiving"
    if view.event_type == "TransformationEvent":
        return "Transformation"
    if view.event_type == "ObjectEvent" and view.action == "ADD":
        return "Initial packing"
    return f"Other ({step or view.event_type})"


def traceability_lot_code(ref: ObjectRef) -> str:
    """GS1 element string of a canonical Digital Link key; the URI as written otherwise."""
    return _element_string(ref.key) or ref.uri


@lru_cache(maxsize=65_536)
def _element_string(key: str) -> str | None:
    try:
        pairs = parse_digital_link(key).element_pairs()
    except GS1Error:
        return None
    return "".join(f"({ai}){value}" for ai, value in pairs)  # HRI text: no escaping of "("


def _place(parties: tuple[PartyRef, ...]) -> str:
    for wanted in ("location", "owning_party", "possessing_party"):
        for party in parties:
            if party.type == wanted:
                return party.id
    return parties[0].id if parties else ""


def _description(view: EventView) -> str:
    for container in (view.ilmd, view.body):
        for member in _DESCRIPTION_MEMBERS:
            value = container.get(member)
            if isinstance(value, str):
                return value
            if isinstance(value, Mapping):  # a language map: take English, else any
                text = value.get("en") or next(iter(value.values()), "")
                return str(text)
    return ""


@dataclass(frozen=True)
class LotFacts:
    """What the event that made a lot said about it: product description and where the
    lot code was assigned (its bizLocation: FSMA's traceability lot code source)."""

    description: str
    source_location: str


def lot_facts(event: AuditEvent) -> LotFacts:
    return LotFacts(_description(event.view), event.view.biz_location or "")


def kde_rows(event: AuditEvent, head: AnchoredHead | None,
             known: Mapping[str, LotFacts] | None = None) -> list[Row]:
    """The rows of one record in COLUMNS order. `known` maps object keys to the facts of
    the event that made them (if it was seen earlier in the export)."""
    view = event.view
    cte = critical_tracking_event(view)
    step = view.biz_step or ""
    location = view.biz_location or ""
    event_time = view.body.get("eventTime", "")
    shared = {
        "ship_from_location": _place(view.sources) if step in SHIPPING_STEPS or view.sources else "",
        "ship_to_location": _place(view.destinations),
        "receive_location": location if step in RECEIVING_STEPS else "",
        "transform_location": location if view.event_type == "TransformationEvent" else "",
        "business_location": location,
        "read_point": view.read_point or "",
        "event_date": format_time_ms(view.time_ms)[:10],
        "event_time": event_time if isinstance(event_time, str) else "",
        "event_timezone_offset": str(view.body.get("eventTimeZoneOffset", "")),
        "record_time": format_time_ms(event.received_at_ms),
        "reference_document_types": "; ".join(t.type for t in view.biz_transactions),
        "reference_document_numbers": "; ".join(t.id for t in view.biz_transactions),
        "enterprise_id": event.enterprise_id,
        "event_type": view.event_type,
        "biz_step": step,
        "disposition": view.disposition or "",
        "event_hash_id": event.event_hash_id,
        "leaf_index": event.leaf_index,
        "anchor_status": "anchored" if head is not None else "pending",
        "anchored_tree_size": head.tree_size if head is not None else "",
        "anchor_transaction": (head.transaction_hex or "") if head is not None else "",
        "anchor_block_number": head.block_number if head is not None else "",
    }
    own_description = _description(view)
    template = [shared.get(name, "") for name in COLUMNS]
    template[_CTE] = cte
    rows: list[Row] = []
    for ref in view.objects or (None,):
        values = template.copy()
        if ref is None:
            values[_DESCRIPTION] = own_description
        else:
            values[_TLC] = traceability_lot_code(ref)
            values[_ROLE] = ref.role
            if ref.is_class:
                values[_QUANTITY] = ref.quantity if ref.quantity is not None else ""
                values[_UOM] = (ref.uom or "EA") if ref.quantity is not None else ""
            else:
                values[_QUANTITY], values[_UOM] = 1, "EA"
            values[_GTIN] = gtin_of(ref.key) or ""
            facts = (known or {}).get(ref.key)
            values[_DESCRIPTION] = own_description or (facts.description if facts else "")
            values[_TLC_SOURCE] = facts.source_location if facts else ""
        rows.append(tuple(values))
    return rows

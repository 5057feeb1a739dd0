"""Recording a serial range as EPCIS commissioning events, so every printed code maps to a record.

One `ObjectEvent` (action ADD, bizStep commissioning, disposition active) per chunk of
`SERIALS_PER_EVENT` serials; EPCs are GS1 Digital Link URIs on `id.gs1.org` (EPCIS 2.0
§8.3 allows them; the provenance graph keys items that way), the lot and expiry travel
in the ILMD as CBV master-data attributes. Serials the graph already knows (a reprint)
are not commissioned again.

Custodial enterprises are signed for by the server (`capture_document`). A self-custody
enterprise's key is not on the server: `commission_serials` then raises 409 with the
exact document to sign and capture (`POST /v1/capture`); the same batch request
afterwards finds every serial recorded and prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from gs1 import DEFAULT_STEM, format_digital_link, link_for_item
from trace_api.capture.service import capture_document
from trace_api.context import ApiContext
from trace_api.enterprises.service import capture_identity
from trace_api.errors import Conflict
from trace_api.labels.batch import BatchRequest
from trace_api.provenance.models import ProvNodeEvent

SERIALS_PER_EVENT = 1_000  # keeps one event's JSON (and its hash input) to a few tens of KB
LOOKUP_CHUNK = 900  # below SQLite's historical 999-parameter limit
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def serial_epc(request: BatchRequest, number: int) -> str:
    """The EPC (canonical Digital Link, no lot: an SGTIN is GTIN + serial) of one serial."""
    serial = str(number).zfill(request.serial_width)
    return format_digital_link(link_for_item(request.gtin, serial=serial, stem=DEFAULT_STEM))


def recorded_epcs(ctx: ApiContext, epcs: Sequence[str]) -> set[str]:
    """The EPCs of `epcs` that some recorded event names (provenance graph node keys)."""
    found: set[str] = set()
    with Session(ctx.engine) as session:
        for start in range(0, len(epcs), LOOKUP_CHUNK):
            chunk = list(epcs[start:start + LOOKUP_CHUNK])
            found.update(session.exec(
                select(ProvNodeEvent.node).where(col(ProvNodeEvent.node).in_(chunk)).distinct()
            ).all())
    return found


def commissioning_document(request: BatchRequest, epcs: Sequence[str], *, biz_location: str | None,
                           now: dt.datetime) -> dict[str, Any]:
    """The EPCIS 2.0 document commissioning `epcs` of `request` (one event per chunk)."""
    time_text = now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    ilmd: dict[str, Any] = {"cbvmda:lotNumber": request.lot}
    if request.expiry is not None:
        ilmd["cbvmda:itemExpirationDate"] = request.expiry.isoformat()
    events = []
    for start in range(0, len(epcs), SERIALS_PER_EVENT):
        event: dict[str, Any] = {
            "type": "ObjectEvent",
            "eventTime": time_text,
            "eventTimeZoneOffset": "+00:00",
            "epcList": list(epcs[start:start + SERIALS_PER_EVENT]),
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "ilmd": ilmd,
        }
        if biz_location:
            event["bizLocation"] = {"id": biz_location}
            event["readPoint"] = {"id": biz_location}
        events.append(event)
    return {
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": time_text,
        "epcisBody": {"eventList": events},
    }


def commission_serials(ctx: ApiContext, enterprise_id: str, request: BatchRequest, *,
                       biz_location: str | None = None, now: dt.datetime | None = None,
                       ) -> tuple[str, ...]:
    """Make sure every serial of `request` is recorded; capture commissioning events for the
    rest and return their Event Hash IDs (none when every serial was recorded already).

    Raises Conflict (`commissioning-needs-signature`, with the document) for a
    self-custody enterprise with unrecorded serials, and whatever capture raises (403
    suspended, 400 invalid) otherwise; nothing is recorded partially (`rollback`).
    """
    epcs = [serial_epc(request, number) for number in request.serials]
    known = recorded_epcs(ctx, epcs)
    missing = [epc for epc in epcs if epc not in known]
    if not missing:
        return ()
    document = commissioning_document(request, missing, biz_location=biz_location,
                                      now=now or dt.datetime.now(dt.UTC))
    if capture_identity(ctx, enterprise_id).custody != "custodial":
        raise Conflict("commissioning-needs-signature", "Serials not commissioned yet",
            f"{len(missing)} of {len(epcs)} serials have no record. This enterprise signs its "
            "own events: sign and capture `commissioningDocument` (POST /v1/capture), then "
            "repeat this request to print.",
            extensions={"commissioningDocument": document, "unrecordedSerials": len(missing)},
        )
    job = capture_document(ctx, enterprise_id, document, behaviour="rollback")
    return tuple(result.event_hash_id for result in job.results if result.event_hash_id)

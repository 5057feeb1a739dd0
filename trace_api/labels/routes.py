"""`/v1/labels`: one QR label for a Digital Link, or a printable batch for a serial range.

Labels encode Digital Links on this deployment's own host (`settings.public_base_url`),
so a phone scanning one lands on our resolver and scan page. Enterprises label keys
under their own GS1 Company Prefixes (403 otherwise); admins may label anything.
Serialised labels carry the authenticator (`auth`) and exist only for serials that
have a record: the batch route commissions missing serials first.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gs1 import GS1Error, normalise_gtin, parse_digital_link
from trace_api.audit.equipment_life_cycle import equipment_status
from trace_api.auth import Principal, Role
from trace_api.context import ApiContext, ContextDep
from trace_api.enterprises.guard import active_writer
from trace_api.labels import (
    MAX_BATCH_LABELS,
    MEDIA_TYPES,
    BatchRequest,
    attach_authenticator,
    batch_labels,
    make_label,
    parse_serial_range,
    render_batch,
    render_label,
)
from trace_api.labels.authenticator_key import LabelKeyDep, label_key
from trace_api.labels.commissioning import commission_serials
from trace_api.problems import Problem
from trace_api.products.ownership import verify_owns_key
from trace_api.products.service import find_product
from trace_api.resolver.known import serial_recorded_in_lot
from trace_api.resolver.problems import gs1_problem

router = APIRouter(prefix="/v1/labels", tags=["labels"])

BATCH_MEDIA_TYPES = {"pdf": "application/pdf", "zip-png": "application/zip",
                     "zip-svg": "application/zip"}
COMMISSIONING_HEADER = "TL-Commissioning-Events"

Labeller = Annotated[Principal, Depends(active_writer(Role.ADMIN, Role.ENTERPRISE))]
"""Printing a label (single or batch) is a write of the enterprise: refused while it is
suspended (`trace_api.enterprises.guard`); a label with an authenticator vouches for it."""
BatchLabeller = Annotated[Principal, Depends(active_writer(Role.ENTERPRISE))]


def _labeller(ctx: ApiContext, principal: Principal, key_ai: str, key_value: str) -> None:
    """403 unless the caller may print labels for this GS1 key."""
    if principal.role == Role.ADMIN:
        return
    if principal.role != Role.ENTERPRISE or not principal.enterprise_id:
        raise Problem(403, "forbidden", "Not allowed", "labels are printed by enterprises and admins")
    verify_owns_key(ctx, principal.enterprise_id, key_ai, key_value)


def _product_name(ctx: ApiContext, gtin: str) -> str | None:
    """The product's name for a label caption (Chinese first), if its master data exists."""
    product = find_product(ctx.engine, gtin)
    return (product.name.get("zh") or product.name.get("en") or None) if product else None


def _equipment_caption(ctx: ApiContext, giai: str) -> tuple[str | None, str | None]:
    """(registration code, emergency phone) of a GIAI from the equipment records, if known."""
    status = equipment_status(ctx, giai, custody_only=True)  # nobody outside its custody chain sets the caption
    if status is None:
        return None, None
    return status.registration_code, status.emergency_code


@router.get(
    "",
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()},
                     "description": "The label"}},
    response_class=Response,
)
def label(
    ctx: ContextDep,
    principal: Labeller,
    uri: Annotated[str, Query(min_length=1, max_length=2000, description="A GS1 Digital Link URI")],
    format: Annotated[Literal["png", "svg", "pdf"], Query()] = "png",
) -> Response:
    """One label: QR code (level Q, 4-module quiet zone) and its human-readable text.

    The code encodes the link on this host; a serial gets its authenticator and must
    already be recorded (409 otherwise: print it with `POST /v1/labels/batch`).
    """
    try:
        link = parse_digital_link(uri)
    except GS1Error as exc:
        raise gs1_problem(exc) from exc
    _labeller(ctx, principal, *link.primary_key)
    link = link.without_extras().with_stem(ctx.settings.public_base_url.rstrip("/"))
    if link.get("21") is not None:
        if not serial_recorded_in_lot(ctx.engine, link):
            raise Problem(409, "serial-not-commissioned", "Serial not recorded",
                          "a serialised label is printed only for a recorded serial, with the "
                          "lot it was recorded in; print ranges with POST /v1/labels/batch, "
                          "which commissions them")
        link = attach_authenticator(ctx.shared(label_key), link)
    key_ai, key_value = link.primary_key
    registration_code = emergency = None
    if key_ai == "8004":
        registration_code, emergency = _equipment_caption(ctx, key_value)
    content = make_label(link, product_name=_product_name(ctx, key_value) if key_ai == "01" else None,
                         registration_code=registration_code, emergency_phone=emergency)
    return Response(render_label(content, format), media_type=MEDIA_TYPES[format],
                    headers={"Cache-Control": "private, no-store"})


class BatchBody(BaseModel):
    """A GTIN + lot + serial range to print."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    gtin: str = Field(min_length=8, max_length=14)
    lot: str = Field(min_length=1, max_length=20)
    serials: str = Field(min_length=1, max_length=40, description="N or N-M, inclusive",
                         examples=["1-1000"])
    expiry: dt.date | None = None
    serial_width: int = Field(default=0, ge=0, le=20, alias="serialWidth")
    format: Literal["pdf", "zip-png", "zip-svg"] = "pdf"
    biz_location: str | None = Field(default=None, alias="bizLocation", max_length=200,
                                     description="Where the items are commissioned (SGLN / GLN URI)")


@router.post(
    "/batch",
    responses={200: {"content": {"application/pdf": {}, "application/zip": {}},
                     "description": "A4 sheets (PDF) or one file per label (ZIP)"},
               409: {"description": "Self-custody enterprise: capture the commissioning document first"},
               413: {"description": f"More than {MAX_BATCH_LABELS} labels"}},
    response_class=Response,
)
def label_batch(body: BatchBody, ctx: ContextDep, principal: BatchLabeller,
                key: LabelKeyDep) -> Response:
    """Print a serial range: each serial is recorded (an EPCIS commissioning ObjectEvent,
    `TL-Commissioning-Events` lists their Event Hash IDs) and carries its authenticator."""
    try:
        serials = parse_serial_range(body.serials)
        request = BatchRequest(gtin=body.gtin, lot=body.lot, serials=serials, expiry=body.expiry,
                               serial_width=body.serial_width,
                               stem=ctx.settings.public_base_url.rstrip("/"))
        request.verify()
    except GS1Error as exc:  # a LabelError is answered by the handler (labels/errors.py)
        raise gs1_problem(exc) from exc
    gtin = normalise_gtin(body.gtin)
    if principal.role != Role.ENTERPRISE or not principal.enterprise_id:
        raise Problem(403, "forbidden", "Not allowed",
                      "a batch commissions serials, which only the owning enterprise can record")
    verify_owns_key(ctx, principal.enterprise_id, "01", gtin)
    commissioned = commission_serials(ctx, principal.enterprise_id, request,
                                      biz_location=body.biz_location)
    request = BatchRequest(gtin=gtin, lot=body.lot, serials=serials, expiry=body.expiry,
                           product_name=_product_name(ctx, gtin), serial_width=body.serial_width,
                           stem=request.stem)
    data = render_batch(batch_labels(request, key=key), body.format)
    extension = "pdf" if body.format == "pdf" else "zip"
    filename = f"labels-{gtin}-{body.lot}-{serials[0]}-{serials[-1]}.{extension}"
    return Response(data, media_type=BATCH_MEDIA_TYPES[body.format], headers={
        "Content-Disposition": f'attachment; filename="{_safe_filename(filename)}"',
        COMMISSIONING_HEADER: ", ".join(commissioned),
        "Cache-Control": "private, no-store",
    })


def _safe_filename(name: str) -> str:
    """Lot characters a filename header cannot carry become '_' (lots are GS1 set 82)."""
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in name)

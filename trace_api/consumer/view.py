"""Assembling the consumer view of one scanned code (`lookup`), source by source.

Order of work: parse the code (400 with the reason), find the most specific level the
platform knows (resolver walk-up; 404 when none), then product, authenticity and clone
alarm, recall (mirror), timeline (provenance trace + anchor status), sensor readings,
thresholds, certifications, equipment, chain coordinates, and the evidence the scan page
verifies by itself (`evidence`: event bodies, proofs, master data, enterprise records).
"""

from __future__ import annotations

import time
from typing import Literal

from gs1 import (
    DigitalLink,
    GS1Error,
    canonical_link,
    format_digital_link,
    parse_digital_link,
)
from gs1.keys import gln_of, identifier_key
from gs1.linters import parse_gs1_date
from trace_api.audit.config import load_audit_config
from trace_api.audit.equipment_life_cycle import equipment_status
from trace_api.consumer import schemas as out
from trace_api.consumer.clone import COUNTED_AUTHENTICATOR, coarse_place, hash_place
from trace_api.consumer.evidence import lookup_evidence
from trace_api.consumer.scans import record_scan
from trace_api.consumer.sources import (
    RecallState,
    enterprise_names,
    location_names,
    open_recall,
    recall_reason,
    sensor_readings,
    timeline_events,
)
from trace_api.context import ApiContext
from trace_api.labels import AUTH_PARAM, verify_authenticator
from trace_api.labels.authenticator_key import label_key
from trace_api.labels.errors import AuthenticatorError
from trace_api.products.service import Product, find_product
from trace_api.records.columns import format_time_ms
from trace_api.records.event_hash_id_path import proof_url
from trace_api.records.status import record_status
from trace_api.resolver.known import is_known
from trace_api.resolver.problems import gs1_problem, unknown_identifier_problem
from trace_api.resolver.walkup import resolve_level

CHAIN_RPC_PATH = "/v1/chain/rpc"
AuthenticatorState = Literal["valid", "invalid", "absent"]


def parse_code(uri: str) -> DigitalLink:
    """The scanned Digital Link, or InvalidInput naming what is wrong with it."""
    try:
        return parse_digital_link(uri.strip())
    except GS1Error as exc:
        raise gs1_problem(exc) from exc


def canonical_text(link: DigitalLink) -> str:
    """The canonical URI shown to the reader (`gs1.canonical_uri`: id.gs1.org, key
    path, data attributes in canonical order, no authenticator or resolver parameters)."""
    return format_digital_link(canonical_link(link))


def known_level(ctx: ApiContext, link: DigitalLink) -> DigitalLink:
    """The most specific known level of `link` (walk-up), or NotFound `unknown-identifier`."""
    matched = resolve_level(link, lambda candidate: is_known(ctx.engine, candidate))
    if matched is None:
        raise unknown_identifier_problem(canonical_text(link))
    return matched


def _date(value: str | None) -> str | None:
    return None if value is None else parse_gs1_date(value).isoformat()


def identifier_view(link: DigitalLink) -> out.IdentifierView:
    return out.IdentifierView(
        gtin=link.get("01"), lot=link.get("10"), serial=link.get("21"),
        expiry=_date(link.get("17")), sscc=link.get("00"), giai=link.get("8004"),
    )


def authenticator_state(ctx: ApiContext, link: DigitalLink) -> AuthenticatorState:
    """`absent` without an `auth` parameter, else `valid` or `invalid` under the label key."""
    if link.extra(AUTH_PARAM) is None:
        return "absent"
    try:
        verify_authenticator(ctx.shared(label_key), link)
    except AuthenticatorError:
        return "invalid"
    return "valid"


def authenticity(ctx: ApiContext, link: DigitalLink, client_host: str | None, now_ms: int) -> out.Authenticity:
    """Authenticator state, and for serialised trade items the counted scans and clone alarm
    (the scan's place is derived from `client_host` alone, `clone.coarse_place`)."""
    state = authenticator_state(ctx, link)
    if link.primary_key[0] != "01" or link.get("21") is None:
        return out.Authenticity(authenticator=state, cloneAlarm=False, scanCount=0, distinctPlaces=0)
    item = identifier_key(format_digital_link(link.without_extras()))
    place = hash_place(ctx.shared(label_key), coarse_place(client_host))
    assessment = record_scan(ctx.engine, item, place, now_ms,
                             counted=state == COUNTED_AUTHENTICATOR)
    return out.Authenticity(authenticator=state, cloneAlarm=assessment.alarm,
                            scanCount=assessment.scan_count, distinctPlaces=assessment.distinct_places)


def recall_view(ctx: ApiContext, link: DigitalLink) -> out.RecallView | None:
    state: RecallState | None = open_recall(ctx.mirror_engine, link)
    if state is None:
        return None
    return out.RecallView(status="open", class_=state.recall_class,
                          reason=recall_reason(ctx.engine, state.reason_hash), openedAt=state.opened_at,
                          subject=state.subject)


def product_view(ctx: ApiContext, product: Product, link: DigitalLink,
                 production_ms: int | None) -> out.ProductView:
    producer = enterprise_names(ctx.engine, [product.enterprise_id]).get(product.enterprise_id)
    production = _date(link.get("11")) or (format_time_ms(production_ms)[:10] if production_ms else None)
    return out.ProductView(
        name=out.Texts(**product.name), description=out.Texts(**product.description),
        producer=out.Producer(name=producer, enterpriseId=product.enterprise_id),
        origin=out.Origin(name=product.origin_name, gln=product.origin_gln)
        if product.origin_name else None,
        dates=out.Dates(production=production, expiry=_date(link.get("17")),
                        bestBefore=_date(link.get("15"))),
    )


def thresholds_for(ctx: ApiContext, product: Product | None) -> dict[str, out.Threshold]:
    """The cold-chain range of the product's class (audit configuration), if it has one."""
    if product is None:
        return {}
    limits = ctx.shared(load_audit_config).cold_chain_classes.get(product.product_class.value)
    if limits is None or (limits.min_celsius is None and limits.max_celsius is None):
        return {}
    return {"Temperature": out.Threshold(min=limits.min_celsius, max=limits.max_celsius, uom="CEL")}


def lookup(ctx: ApiContext, uri: str, client_host: str | None, *, now_ms: int | None = None) -> out.ConsumerView:
    """The consumer view of a scanned code (see module docstring); raises InvalidInput / NotFound."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    link = parse_code(uri)
    matched = known_level(ctx, link)
    key_ai, key_value = link.primary_key
    product = find_product(ctx.engine, key_value) if key_ai == "01" else None

    events, truncated = timeline_events(ctx.engine, matched)
    states = record_status(ctx, [event.leaf_index for event in events])
    names = enterprise_names(ctx.engine, [event.enterprise_id for event in events])
    glns = {event.location: gln_of(event.location) for event in events if event.location}
    places = location_names(ctx.engine, [gln for gln in glns.values() if gln])
    timeline = [
        out.TimelineEntry(
            eventHashId=event.event_hash_id, eventType=event.event_type, bizStep=event.biz_step,
            time=format_time_ms(event.time_ms),
            location=out.Location(id=event.location, name=places.get(glns.get(event.location) or ""))
            if event.location else None,
            enterprise=out.EnterpriseName(name=names.get(event.enterprise_id)),
            status=states[event.leaf_index], proofUrl=proof_url(event.event_hash_id),
        )
        for event in events
    ]
    production_ms = next((e.time_ms for e in events if e.biz_step == "commissioning"
                          and product is not None and e.enterprise_id == product.enterprise_id), None)
    equipment = None
    if key_ai == "8004":
        status = equipment_status(ctx, key_value, now_ms=now, custody_only=True)
        equipment = out.EquipmentView(**status.to_public_json()) if status else None
    deployment = ctx.deployment
    return out.ConsumerView(
        uri=uri,
        canonicalUri=canonical_text(link),
        kind="equipment" if key_ai == "8004" else "food",
        identifier=identifier_view(link),
        product=product_view(ctx, product, link, production_ms) if product else None,
        authenticity=authenticity(ctx, link, client_host, now),
        recall=recall_view(ctx, link),
        timeline=timeline,
        timelineTruncated=truncated,
        sensors=[out.SensorReading(**reading) for reading in sensor_readings(ctx.engine, events)],
        thresholds=thresholds_for(ctx, product),
        certifications=[out.Certification(**vars(c)) for c in product.certifications] if product else [],
        equipment=equipment,
        chain=out.ChainView(rpcUrl=CHAIN_RPC_PATH, chainId=deployment.chain_id,
                            traceAnchor=deployment.trace_anchor),
        evidence=lookup_evidence(ctx, events, product, [gln for gln in glns.values() if gln]),
    )


def recall_status(ctx: ApiContext, uri: str) -> out.RecallStatusView:
    """Only the recall part (no scan counted, no walk-up needed: a recall needs no record)."""
    link = parse_code(uri)
    recall = recall_view(ctx, link)
    return out.RecallStatusView(uri=uri, canonicalUri=canonical_text(link),
                                recalled=recall is not None, recall=recall)

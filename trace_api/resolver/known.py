"""Whether the platform knows anything about one Digital Link level (no qualifier walking here).

Known means: a recorded event names the identifier (the provenance graph has the node,
as an event's EPC, quantity, parent/child, input/output, member-of-lot target or
location), or, for a GTIN, its product master data exists. The graph is the place to
ask because it spells every identifier one way (`gs1.keys`):
`urn:epc:id:sgtin:...`, `https://brand.example/01/.../21/...` and our own labels meet there.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from gs1 import DigitalLink, format_digital_link
from gs1.keys import identifier_key
from trace_api.products.models import ProductRow
from trace_api.provenance.models import ProvEvent, ProvLink, ProvNodeEvent


def graph_key(link: DigitalLink) -> str:
    """The provenance node key of `link` (canonical id.gs1.org form, serials without lot)."""
    return identifier_key(format_digital_link(link.without_extras()))


def is_known(engine: Engine, link: DigitalLink) -> bool:
    """True when a record names this exact identifier level, or (GTIN only) a product exists."""
    key_ai, key_value = link.primary_key
    with Session(engine) as session:
        if key_ai == "01" and not link.qualifiers and session.get(ProductRow, key_value) is not None:
            return True
        key = graph_key(link)
        probes = [
            select(col(ProvNodeEvent.leaf_index)).where(col(ProvNodeEvent.node) == key).limit(1),
            select(col(ProvLink.leaf_index)).where(col(ProvLink.dst) == key).limit(1),
        ]
        if key_ai == "414":
            probes.append(select(col(ProvEvent.leaf_index)).where(col(ProvEvent.biz_location) == key).limit(1))
            probes.append(select(col(ProvEvent.leaf_index)).where(col(ProvEvent.read_point) == key).limit(1))
        return any(session.execute(probe).first() is not None for probe in probes)


def serial_recorded_in_lot(engine: Engine, link: DigitalLink) -> bool:
    """True when the serial of `link` is recorded and, if `link` names a lot, was recorded
    as a member of that lot (its commissioning ILMD named it): a label may only print a
    serial with the lot it was made in."""
    if link.get("21") is None or not is_known(engine, link):
        return False
    lot = link.get("10")
    if lot is None:
        return True
    item_key = graph_key(replace(link, qualifiers=tuple(q for q in link.qualifiers if q[0] != "10")))
    lot_key = graph_key(replace(link, qualifiers=tuple(q for q in link.qualifiers if q[0] != "21")))
    with Session(engine) as session:
        member = session.execute(
            select(col(ProvLink.leaf_index)).where(
                col(ProvLink.src) == item_key, col(ProvLink.dst) == lot_key,
                col(ProvLink.relation) == "member",
            ).limit(1)
        ).first()
    return member is not None

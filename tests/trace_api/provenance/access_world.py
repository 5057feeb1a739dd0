"""A small supply chain with an outsider, for the read-access tests (`access.py`).

    supplier S --ships lot LS to--> M --transforms LS into LM, ships LM to--> customer C --ships to--> D
                 (S also ships LS to another customer Z)
    outsider B observes ("inspecting") LM at its own site, with sensor readings

Every event names its parties by PGLN (owning_party) and its places by SGLN, so the
adjacency rules (source / destination / bizLocation) have something to match; purchase
orders are bizTransactions, so a test can see whether one leaked.
"""

from __future__ import annotations

from typing import Any

from gs1.keys import gln_of, identifier_key
from trace_api.provenance.access import Party

PREFIX = {"S": "4000001", "M": "4000002", "C": "4000003", "B": "4000004", "D": "4000005",
          "Z": "4000006"}
ID = {name: "0x" + str(position + 1) * 64 for position, name in enumerate(PREFIX)}
RENTED_SITE = "urn:epc:id:sgln:4000099.00007.0"
"""A warehouse M registered as its own GLN although it lies under nobody's prefix here."""

LS = f"urn:epc:class:lgtin:{PREFIX['S']}.012345.LS1"
LM = f"urn:epc:class:lgtin:{PREFIX['M']}.054321.LM1"
PO = {"S-M": "urn:epcglobal:cbv:bt:4000001000017:PO-S-M", "S-Z": "urn:epcglobal:cbv:bt:4000001000017:PO-S-Z",
      "M-C": "urn:epcglobal:cbv:bt:4000002000014:PO-M-C", "C-D": "urn:epcglobal:cbv:bt:4000003000011:PO-C-D"}


def party(name: str) -> str:
    return f"urn:epc:id:pgln:{PREFIX[name]}.00000"


def site(name: str) -> str:
    return f"urn:epc:id:sgln:{PREFIX[name]}.00001.0"


def key_of(uri: str) -> str:
    return identifier_key(uri)


def registered(name: str) -> Party:
    """The enterprise as registered: its prefix, its site's GLN (and M's rented site)."""
    glns = [gln_of(identifier_key(site(name)))]
    if name == "M":
        glns.append(gln_of(identifier_key(RENTED_SITE)))
    return Party.of(ID[name], [g for g in glns if g], [PREFIX[name]])


def _event(step: str, day: int, lot: str, *, action: str = "OBSERVE", at: str | None = None,
           source: str | None = None, destination: str | None = None, po: str | None = None,
           **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent", "eventTime": f"2026-03-{day:02d}T08:00:00.000Z", "eventTimeZoneOffset": "+00:00",
        "action": action, "bizStep": step, "quantityList": [{"epcClass": lot, "quantity": 10, "uom": "KGM"}],
    }
    if at is not None:
        event["bizLocation"] = {"id": at}
    if source is not None:
        event["sourceList"] = [{"type": "owning_party", "source": party(source)}]
    if destination is not None:
        event["destinationList"] = [{"type": "owning_party", "destination": party(destination)}]
    if po is not None:
        event["bizTransactionList"] = [{"type": "po", "bizTransaction": PO[po]}]
    event.update(extra)
    return event


def sensor(value: float) -> list[dict[str, Any]]:
    return [{"sensorMetadata": {"time": "2026-03-09T08:00:00.000Z"},
             "sensorReport": [{"type": "gs1:Temperature", "value": value, "uom": "CEL"}]}]


# (name of the event, recording enterprise, event)
EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("S commissions LS", "S", _event("commissioning", 1, LS, action="ADD", at=site("S"))),
    ("S ships LS to M", "S", _event("shipping", 2, LS, at=site("S"), source="S", destination="M", po="S-M")),
    ("S ships LS to Z", "S", _event("shipping", 2, LS, at=site("S"), source="S", destination="Z", po="S-Z")),
    ("M receives LS from S", "M", _event("receiving", 3, LS, at=site("M"), source="S", destination="M",
                                         po="S-M")),
    ("M makes LM from LS", "M", {
        "type": "TransformationEvent", "eventTime": "2026-03-04T08:00:00.000Z", "eventTimeZoneOffset": "+00:00",
        "bizStep": "commissioning", "bizLocation": {"id": site("M")},
        "inputQuantityList": [{"epcClass": LS, "quantity": 10, "uom": "KGM"}],
        "outputQuantityList": [{"epcClass": LM, "quantity": 8, "uom": "KGM"}]}),
    ("M ships LM to C", "M", _event("shipping", 5, LM, at=site("M"), source="M", destination="C", po="M-C",
                                    sensorElementList=sensor(3.0))),
    ("C receives LM from M", "C", _event("receiving", 6, LM, at=site("C"), source="M", destination="C",
                                         po="M-C")),
    ("C ships LM to D", "C", _event("shipping", 7, LM, at=site("C"), source="C", destination="D", po="C-D")),
    ("B inspects LM", "B", _event("inspecting", 9, LM, at=site("B"), sensorElementList=sensor(99.0))),
    ("B observes LM at M's site", "B", _event("inspecting", 10, LM, at=site("M"))),
    ("B reads LM at a read point of M", "B", _event("inspecting", 11, LM, at=site("B"),
                                                    readPoint={"id": site("M")})),
    ("B claims LM came from M", "B", _event("receiving", 12, LM, at=site("B"), source="M", destination="B")),
    ("C ships LM to M's rented site", "C", _event("shipping", 13, LM, at=site("C"), destinationList=[
        {"type": "location", "destination": RENTED_SITE}])),
]
NAMES = [name for name, _who, _event in EVENTS]

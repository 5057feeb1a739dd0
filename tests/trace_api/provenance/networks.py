"""Small known networks for provenance tests: a food chain and a lift's life cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gs1.keys import parse_identifier


def key(uri: str) -> str:
    """The node key of `uri` (tested on its own in tests/gs1/test_keys.py)."""
    return parse_identifier(uri).key


def event(event_type: str, time: str, **members: Any) -> dict[str, Any]:
    return {"type": event_type, "eventTime": time, "eventTimeZoneOffset": "+00:00", **members}


def place(uri: str) -> dict[str, str]:
    return {"id": uri}


# --- food: two farms -> processor (transformation) -> pallet -> retailer ----------------------


class FoodChain:
    """A small food network; `farm` and `plant` are the two 7-digit GS1 company prefixes
    (end-to-end tests pick fresh ones so they never meet another test's identifiers)."""

    def __init__(self, farm: str = "4012345", plant: str = "0614141") -> None:
        self.FARM = f"urn:epc:id:sgln:{farm}.00001.0"
        self.FARM_PARTY = f"urn:epc:id:pgln:{farm}.00001"
        self.FARM2 = f"urn:epc:id:sgln:{farm}.00002.0"
        self.PLANT = f"urn:epc:id:sgln:{plant}.00001.0"
        self.PLANT_PARTY = f"urn:epc:id:pgln:{plant}.00001"
        self.SHOP = f"urn:epc:id:sgln:{plant}.00009.0"
        self.SHOP_PARTY = f"urn:epc:id:pgln:{plant}.00009"
        self.LOT_A = f"urn:epc:class:lgtin:{farm}.011111.FARMA"
        self.LOT_B = f"urn:epc:class:lgtin:{farm}.011111.FARMB"
        self.LOT_P = f"urn:epc:class:lgtin:{plant}.022222.P1"
        self.ITEM_1 = f"urn:epc:id:sgtin:{plant}.022222.1"
        self.ITEM_2 = f"urn:epc:id:sgtin:{plant}.022222.2"
        self.ITEM_3 = f"urn:epc:id:sgtin:{plant}.022222.3"
        self.PALLET_X = f"urn:epc:id:sscc:{plant}.1000000001"
        self.PALLET_Y = f"urn:epc:id:sscc:{plant}.1000000002"
        self.PO = f"urn:epcglobal:cbv:bt:{plant}000009:PO-77"

    FARM_EVENTS = (0, 1, 2)
    """Positions of the farm's events; the plant records the others."""

    def events(self) -> list[dict[str, Any]]:
        """Positions 0..10 (leaves 0..10 when loaded alone), see the comment on each."""
        return [
            # 0: farm A harvests lot A (commissioning, class level)
            event("ObjectEvent", "2026-01-01T08:00:00Z", action="ADD", bizStep="commissioning",
                  quantityList=[{"epcClass": self.LOT_A, "quantity": 1000, "uom": "KGM"}],
                  bizLocation=place(self.FARM)),
            # 1: farm 2 harvests lot B
            event("ObjectEvent", "2026-01-01T09:00:00Z", action="ADD", bizStep="commissioning",
                  quantityList=[{"epcClass": self.LOT_B, "quantity": 500, "uom": "KGM"}],
                  bizLocation=place(self.FARM2)),
            # 2: farm A ships lot A to the plant
            event("ObjectEvent", "2026-01-02T08:00:00Z", action="OBSERVE", bizStep="shipping",
                  quantityList=[{"epcClass": self.LOT_A, "quantity": 1000, "uom": "KGM"}],
                  readPoint=place(self.FARM),
                  sourceList=[{"type": "owning_party", "source": self.FARM_PARTY}],
                  destinationList=[{"type": "owning_party", "destination": self.PLANT_PARTY}]),
            # 3: the plant makes lot P (items 1, 2) from lots A and B
            event("TransformationEvent", "2026-01-03T08:00:00Z", bizStep="commissioning",
                  inputQuantityList=[{"epcClass": self.LOT_A, "quantity": 600, "uom": "KGM"},
                                     {"epcClass": self.LOT_B, "quantity": 400, "uom": "KGM"}],
                  outputEPCList=[self.ITEM_1, self.ITEM_2], ilmd={"cbvmda:lotNumber": "P1"},
                  bizLocation=place(self.PLANT)),
            # 4: item 3 is made from something else (not from A or B)
            event("ObjectEvent", "2026-01-03T09:00:00Z", action="ADD", bizStep="commissioning",
                  epcList=[self.ITEM_3], bizLocation=place(self.PLANT)),
            # 5, 6: items 1, 2 packed onto pallet X; item 3 onto pallet Y
            event("AggregationEvent", "2026-01-04T08:00:00Z", action="ADD", bizStep="packing",
                  parentID=self.PALLET_X, childEPCs=[self.ITEM_1, self.ITEM_2], bizLocation=place(self.PLANT)),
            event("AggregationEvent", "2026-01-04T08:05:00Z", action="ADD", bizStep="packing",
                  parentID=self.PALLET_Y, childEPCs=[self.ITEM_3], bizLocation=place(self.PLANT)),
            # 7: pallet X shipped to the shop under purchase order PO-77
            event("ObjectEvent", "2026-01-05T08:00:00Z", action="OBSERVE", bizStep="shipping",
                  epcList=[self.PALLET_X], readPoint=place(self.PLANT),
                  bizTransactionList=[{"type": "po", "bizTransaction": self.PO}],
                  sourceList=[{"type": "owning_party", "source": self.PLANT_PARTY}],
                  destinationList=[{"type": "owning_party", "destination": self.SHOP_PARTY},
                                   {"type": "location", "destination": self.SHOP}]),
            # 8: the shop receives pallet X
            event("ObjectEvent", "2026-01-06T08:00:00Z", action="OBSERVE", bizStep="receiving",
                  epcList=[self.PALLET_X], bizLocation=place(self.SHOP)),
            # 9: the shop unpacks pallet X
            event("AggregationEvent", "2026-01-06T09:00:00Z", action="DELETE", bizStep="unpacking",
                  parentID=self.PALLET_X, childEPCs=[self.ITEM_1, self.ITEM_2], bizLocation=place(self.SHOP)),
            # 10: item 1 sold
            event("ObjectEvent", "2026-01-07T08:00:00Z", action="OBSERVE", bizStep="retail_selling",
                  epcList=[self.ITEM_1], bizLocation=place(self.SHOP)),
        ]

    # Expected edges; `at(position)` names the event at that position (leaf index or hash id).

    def item_1_places(self, at: Callable[[int], object]) -> set[tuple[str, str, str, object]]:
        item, plant, shop = key(self.ITEM_1), key(self.PLANT), key(self.SHOP)
        return {(item, plant, "biz_location", at(3)), (item, plant, "biz_location", at(5)),
                (item, shop, "biz_location", at(9)), (item, shop, "biz_location", at(10))}

    def item_2_places(self, at: Callable[[int], object]) -> set[tuple[str, str, str, object]]:
        item, plant, shop = key(self.ITEM_2), key(self.PLANT), key(self.SHOP)
        return {(item, plant, "biz_location", at(3)), (item, plant, "biz_location", at(5)),
                (item, shop, "biz_location", at(9))}

    def pallet_x_places(self, at: Callable[[int], object]) -> set[tuple[str, str, str, object]]:
        x, plant, shop = key(self.PALLET_X), key(self.PLANT), key(self.SHOP)
        return {(x, plant, "biz_location", at(5)), (x, plant, "read_point", at(7)),
                (x, self.PO, "transaction:po", at(7)), (x, key(self.PLANT_PARTY), "source:owning_party", at(7)),
                (x, key(self.SHOP_PARTY), "destination:owning_party", at(7)),
                (x, shop, "destination:location", at(7)),
                (x, shop, "biz_location", at(8)), (x, shop, "biz_location", at(9))}

    def lot_a_places(self, at: Callable[[int], object]) -> set[tuple[str, str, str, object]]:
        a = key(self.LOT_A)
        return {(a, key(self.FARM), "biz_location", at(0)), (a, key(self.FARM), "read_point", at(2)),
                (a, key(self.FARM_PARTY), "source:owning_party", at(2)),
                (a, key(self.PLANT_PARTY), "destination:owning_party", at(2)),
                (a, key(self.PLANT), "biz_location", at(3))}

    def lot_b_places(self, at: Callable[[int], object]) -> set[tuple[str, str, str, object]]:
        b = key(self.LOT_B)
        return {(b, key(self.FARM2), "biz_location", at(1)), (b, key(self.PLANT), "biz_location", at(3))}

    def backward_from_item_1(self, at: Callable[[int], object], hub: str) -> set[tuple[str, str, str, object]]:
        """Every edge of the backward trace from item 1 (hub: the transformation node key)."""
        links = {
            (key(self.ITEM_1), key(self.LOT_P), "member", at(3)),
            (key(self.ITEM_1), key(self.PALLET_X), "contains", at(5)),
            (key(self.ITEM_1), key(self.PALLET_X), "contains", at(9)),
            (hub, key(self.ITEM_1), "output", at(3)),
            (key(self.LOT_A), hub, "input", at(3)), (key(self.LOT_B), hub, "input", at(3)),
        }
        return (links | self.item_1_places(at) | self.pallet_x_places(at) | self.lot_a_places(at)
                | self.lot_b_places(at))


FOOD = FoodChain()


def food_chain() -> list[dict[str, Any]]:
    return FOOD.events()


# --- special equipment: a lift from its maker to inspections ---------------------------------

LIFT = "urn:epc:id:giai:0614141.LIFT-0001"
MAKER_SITE = "urn:epc:id:sgln:0614141.00100.0"
MAKER = "urn:epc:id:pgln:0614141.00100"
INSTALLER = "urn:epc:id:pgln:4012345.00200"
BUILDING = "urn:epc:id:sgln:4012345.00300.0"
CONTROLLER = "urn:epc:id:giai:4012345.CTRL-77"
CERT = "urn:epcglobal:cbv:bt:4012345003001:INSTALL-9"


def lift_life_cycle() -> list[dict[str, Any]]:
    """Leaves 0..6: made, shipped, installed (controller associated), inspected, serviced."""
    return [
        event("ObjectEvent", "2025-03-01T08:00:00Z", action="ADD", bizStep="commissioning",
              epcList=[LIFT], bizLocation=place(MAKER_SITE)),
        event("ObjectEvent", "2025-03-10T08:00:00Z", action="OBSERVE", bizStep="shipping",
              epcList=[LIFT], readPoint=place(MAKER_SITE),
              sourceList=[{"type": "owning_party", "source": MAKER}],
              destinationList=[{"type": "owning_party", "destination": INSTALLER}]),
        event("ObjectEvent", "2025-03-20T08:00:00Z", action="OBSERVE", bizStep="installing",
              epcList=[LIFT], bizLocation=place(BUILDING),
              bizTransactionList=[{"type": "desadv", "bizTransaction": CERT}]),
        event("AssociationEvent", "2025-03-20T09:00:00Z", action="ADD", bizStep="assembling",
              parentID=LIFT, childEPCs=[CONTROLLER], bizLocation=place(BUILDING)),
        event("ObjectEvent", "2025-04-01T08:00:00Z", action="OBSERVE", bizStep="inspecting",
              disposition="conformant", epcList=[LIFT], bizLocation=place(BUILDING)),
        event("ObjectEvent", "2025-04-15T08:00:00Z", action="OBSERVE", bizStep="repairing",
              epcList=[LIFT], bizLocation=place(BUILDING)),
        event("ObjectEvent", "2026-04-01T08:00:00Z", action="OBSERVE", bizStep="inspecting",
              disposition="conformant", epcList=[LIFT], bizLocation=place(BUILDING)),
    ]

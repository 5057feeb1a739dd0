"""The records of the scan page's test ledger: real EPCIS 2.0 events and a signed product
master-data record, and the enterprises that sign them.

One lettuce lot from farm to shelf (commissioned, packed on a pallet, shipped in a cold
chain with temperature readings, received at a distribution centre and at a store), a
lift inspected by the special-equipment institute, and the lot's product master data
(/tmp/issue15 DESIGN.md, "Product master-data record"). Pure data: `testing/scan_ledger.py`
hashes, signs, logs and anchors them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anchoring.core.master_data import MASTER_DATA_FORMAT
from trace_api.enterprises.ids import enterprise_id_for, metadata_hash, sectors_mask
from trace_api.identity import uscc_check_character

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
TL_NAMESPACE = "https://traceledger.dev/ns/"  # trace_api/audit/epcis_view.py TL_NAMESPACE

GTIN = "09506000134352"
LOT = "LOT1"
RECALLED_LOT = "LOT2"
SSCC_URN = "urn:epc:id:sscc:9506001.0000000017"
LIFT_GIAI = "095060001343ELV1"


def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of `digits` (weights 3, 1 from the right; GS1 GenSpecs §7.9)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def gln(company_prefix: str, location_reference: str) -> str:
    """A 13-digit GLN: company prefix + location reference + check digit."""
    body = company_prefix + location_reference
    assert len(body) == 12, body
    return body + gs1_check_digit(body)


def sgln(company_prefix: str, location_reference: str) -> str:
    """The EPC URN of a GLN without extension (EPC TDS §6.3.3)."""
    return f"urn:epc:id:sgln:{company_prefix}.{location_reference}.0"


def uscc(first17: str) -> str:
    """A valid Unified Social Credit Code (GB 32100) from its first 17 characters."""
    return first17 + uscc_check_character(first17)


@dataclass(frozen=True)
class Enterprise:
    """An enterprise member: its signing key and the record whose hash is on chain."""

    name: str
    uscc: str
    sectors: tuple[str, ...]
    company_prefix: str
    glns: tuple[str, ...]
    private_key: bytes
    places: Mapping[str, str] = field(default_factory=dict)
    """GLN -> place name, for the stand-in's summary columns."""

    @property
    def enterprise_id(self) -> str:
        return enterprise_id_for(self.uscc)

    @property
    def record(self) -> dict[str, Any]:
        """The registered record (trace_api/enterprises/ids.py `metadata_hash` input)."""
        return {"name": self.name, "uscc": self.uscc, "sectors": sorted(self.sectors),
                "companyPrefixes": [self.company_prefix], "glns": list(self.glns)}

    @property
    def metadata_hash(self) -> bytes:
        return metadata_hash(name=self.name, uscc=self.uscc, sectors=self.sectors,
                             prefixes=[self.company_prefix], glns=self.glns)

    @property
    def sectors_mask(self) -> int:
        return sectors_mask(self.sectors)


def _key(label: str) -> bytes:
    return hashlib.sha256(f"scan ledger key {label}".encode()).digest()


FARM = Enterprise(
    name="云南绿源农场", uscc=uscc("91530114000000001"), sectors=("food",), company_prefix="9506000",
    glns=(gln("9506000", "00001"),), private_key=_key("farm"),
    places={gln("9506000", "00001"): "云南省昆明市呈贡区"},
)
CARRIER = Enterprise(
    name="滇运冷链物流", uscc=uscc("91530100000000002"), sectors=("food",), company_prefix="9506001",
    glns=(gln("9506001", "00001"), gln("9506001", "00002")), private_key=_key("carrier"),
    places={gln("9506001", "00001"): "昆明冷链中心", gln("9506001", "00002"): "上海配送中心"},
)
GROCER = Enterprise(
    name="鲜果超市", uscc=uscc("91310104000000003"), sectors=("food",), company_prefix="9506003",
    glns=(gln("9506003", "00001"),), private_key=_key("grocer"),
    places={gln("9506003", "00001"): "上海市徐汇区超市"},
)
INSPECTOR = Enterprise(
    name="上海市特种设备监督检验技术研究院", uscc=uscc("12310000000000004"),
    sectors=("special_equipment",), company_prefix="9506002",
    glns=(gln("9506002", "00001"),), private_key=_key("inspector"),
    places={gln("9506002", "00001"): "上海市静安区某大厦"},
)
ENTERPRISES = (FARM, CARRIER, GROCER, INSPECTOR)


@dataclass(frozen=True)
class RecordSpec:
    """One record to put in the log: what it is, who signs it, when the log receives it."""

    kind: str  # "event" | "masterData"
    body: dict[str, Any]
    signer: Enterprise
    received_at: str  # RFC 3339; the log's receive time
    label: str


def _lgtin(lot: str) -> str:
    return f"urn:epc:class:lgtin:9506000.0{GTIN[8:13]}.{lot}"  # EPC TDS §6.3.2: indicator first


def _event(event_type: str, event_time: str, biz_step: str, place: str, **members: Any) -> dict[str, Any]:
    return {
        "@context": [EPCIS_CONTEXT],
        "type": event_type,
        "eventTime": event_time,
        "eventTimeZoneOffset": event_time[-6:],
        **members,
        "bizStep": biz_step,
        "readPoint": {"id": place},
        "bizLocation": {"id": place},
    }


def _temperature(time: str, value: float) -> dict[str, Any]:
    return {"type": "Temperature", "time": time, "value": value, "uom": "CEL"}


FARM_FIELD = sgln("9506000", "00001")
COLD_HUB = sgln("9506001", "00001")
SHANGHAI_DC = sgln("9506001", "00002")
STORE = sgln("9506003", "00001")
LIFT_SITE = sgln("9506002", "00001")

COMMISSIONING = _event(
    "ObjectEvent", "2026-11-20T06:00:00.000+08:00", "commissioning", FARM_FIELD,
    epcList=[], action="ADD", disposition="active",
    quantityList=[{"epcClass": _lgtin(LOT), "quantity": 1200, "uom": "KGM"}],
    ilmd={"cbvmda:itemExpirationDate": "2026-12-05", "cbvmda:lotNumber": LOT},
)
PACKING = _event(
    "AggregationEvent", "2026-11-20T11:30:00.000+08:00", "packing", FARM_FIELD,
    parentID=SSCC_URN, childEPCs=[], action="ADD", disposition="in_progress",
    childQuantityList=[{"epcClass": _lgtin(LOT), "quantity": 1200, "uom": "KGM"}],
)
SHIPPING = _event(
    "ObjectEvent", "2026-11-20T22:00:00.000+08:00", "shipping", COLD_HUB,
    epcList=[SSCC_URN], action="OBSERVE", disposition="in_transit",
    sensorElementList=[{
        "sensorMetadata": {"time": "2026-11-22T08:00:00.000+08:00"},
        "sensorReport": [_temperature(f"2026-11-2{day}T{hour:02d}:00:00.000+08:00", value)
                         for (day, hour, value) in [(0, 22, 3.1), (1, 4, 3.4), (1, 10, 4.0), (1, 16, 5.8),
                                                    (1, 22, 4.4), (2, 4, 3.9)]],
    }],
)
RECEIVING_DC = _event(
    "ObjectEvent", "2026-11-22T08:00:00.000+08:00", "receiving", SHANGHAI_DC,
    epcList=[SSCC_URN], action="OBSERVE", disposition="in_progress",
)
RECEIVING_STORE = _event(
    "ObjectEvent", "2026-11-23T07:30:00.000+08:00", "receiving", STORE,
    epcList=[], action="OBSERVE", disposition="sellable_not_accessible",
    quantityList=[{"epcClass": _lgtin(LOT), "quantity": 200, "uom": "KGM"}],
)
RETAIL_SELLING = _event(
    "ObjectEvent", "2026-11-24T10:00:00.000+08:00", "retail_selling", STORE,
    epcList=[], action="OBSERVE", disposition="retail_sold",
    quantityList=[{"epcClass": _lgtin(LOT), "quantity": 12.5, "uom": "KGM"}],
)
LIFT_INSPECTION = {
    **_event(
        "ObjectEvent", "2026-11-21T10:00:00.000+08:00", "inspecting", LIFT_SITE,
        epcList=["urn:epc:id:giai:0950600.01343ELV1"], action="OBSERVE", disposition="conformant",
    ),
    "@context": [EPCIS_CONTEXT, {"tl": TL_NAMESPACE}],
    "tl:inspectionResult": "pass",
}

PRODUCT_RECORD = {
    "format": MASTER_DATA_FORMAT,
    "kind": "product",
    "subject": f"https://id.gs1.org/01/{GTIN}",
    "companyPrefix": FARM.company_prefix,
    "version": 1,
    "previous": None,
    "issuedAt": "2026-11-20T02:00:00.000Z",
    "product": {
        "name": {"zh": "有机生菜", "en": "Organic lettuce"},
        "description": {"zh": "云南高原种植，冷链直达", "en": "Grown on the Yunnan plateau, cold chain to the shelf"},
        "origin": {"name": "云南省昆明市呈贡区", "gln": FARM.glns[0]},
        "productClass": "fresh_vegetables",
        "certifications": [{"standard": "GB/T 19630 有机产品", "agency": "中国质量认证中心",
                            "value": "有机", "identification": "CQC-OP-2026-0815"}],
    },
}


# Leaf order is receive order. Sizes 4 and 7 get anchored: leaf 7 stays pending.
RECORDS: tuple[RecordSpec, ...] = (
    RecordSpec("event", COMMISSIONING, FARM, "2026-11-19T22:10:00.000Z", "commissioning"),
    RecordSpec("masterData", PRODUCT_RECORD, FARM, "2026-11-20T02:05:00.000Z", "product master data"),
    RecordSpec("event", PACKING, FARM, "2026-11-20T03:40:00.000Z", "packing"),
    RecordSpec("event", SHIPPING, CARRIER, "2026-11-20T14:05:00.000Z", "shipping"),
    RecordSpec("event", LIFT_INSPECTION, INSPECTOR, "2026-11-21T02:20:00.000Z", "lift inspection"),
    RecordSpec("event", RECEIVING_DC, CARRIER, "2026-11-22T00:10:00.000Z", "receiving at the DC"),
    RecordSpec("event", RECEIVING_STORE, GROCER, "2026-11-22T23:40:00.000Z", "receiving at the store"),
    RecordSpec("event", RETAIL_SELLING, GROCER, "2026-11-24T02:05:00.000Z", "retail selling"),
)
FOOD_LEAVES = (0, 2, 3, 5, 6, 7)
"""The lot's events, in time order (leaf 7 is pending)."""
MASTER_DATA_LEAF = 1
LIFT_LEAVES = (4,)

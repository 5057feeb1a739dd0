"""A stand-in for the trace API's consumer endpoints, over a `SmallLedger`, for the page tests.

It serves the real scan page router (`scanner_app.routes`) and the four endpoints the page
uses, in the shapes trace_api/README.md specifies: the Digital Link resolver's 303 to
`/scan?uri=`, `GET /v1/public/lookup`, `GET /v1/events/{id}/proof` and the read-only
JSON-RPC proxy `POST /v1/chain/rpc` (forwarding to anvil). Tests may tamper with what
it serves (`tampered_entries`) as a compromised server or database would.
"""

from __future__ import annotations

import base64
import copy
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from scanner_app.routes import router as scan_router
from testing.scan_ledger import SmallLedger, entry_fields

RPC_METHODS = frozenset({"eth_call", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getLogs"})
FOOD_PATH = "/01/09506000134352/10/LOT1"
RECALLED_PATH = "/01/09506000134352/10/LOT2"
EQUIPMENT_PATH = "/8004/095060001343ELV1"
COPIED_PATH = "/01/09506000134352/10/LOT1/21/77?auth=WRONGAUT"
PENDING_PATH = "/01/09506000134352/10/LOT3"
INVALID_PATH = "/01/09506000134353"  # wrong check digit


def _problem(status: int, kind: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": f"https://traceledger.dev/problems/{kind}", "title": title, "status": status, "detail": detail},
        status_code=status, media_type="application/problem+json",
    )


def _timeline_entry(ledger: SmallLedger, leaf: int, biz_step: str, time: str, place: str, who: str) -> dict[str, Any]:
    hash_id = ledger.event_hash_id(leaf)
    return {
        "eventHashId": hash_id, "eventType": "ObjectEvent", "bizStep": biz_step, "time": time,
        "location": {"id": f"urn:epc:id:sgln:9506000.13435.{leaf}", "name": place},
        "enterprise": {"name": who},
        "status": "anchored" if any(h.tree_size > leaf for h in ledger.heads) else "pending",
        "proofUrl": f"/v1/events/{quote(hash_id, safe='')}/proof",
    }


def food_view(ledger: SmallLedger, uri: str, *, recall: bool = False) -> dict[str, Any]:
    """A lettuce lot from farm to shelf: four anchored events, cold-chain readings, a certificate."""
    return {
        "uri": uri, "canonicalUri": "https://id.gs1.org" + urlsplit(uri).path, "kind": "food",
        "identifier": {"gtin": "09506000134352", "lot": "LOT2" if recall else "LOT1", "serial": None,
                       "expiry": "2026-12-05", "sscc": None, "giai": None},
        "product": {
            "name": {"zh": "有机生菜", "en": "Organic lettuce"},
            "description": {"zh": "云南高原种植，冷链直达", "en": "Grown on the Yunnan plateau, cold chain to the shelf"},
            "producer": {"name": "云南绿源农场", "enterpriseId": "0x" + "11" * 32},
            "origin": {"name": "云南省昆明市呈贡区", "gln": "9506000134352"},
            "dates": {"production": "2026-11-20", "expiry": "2026-12-05", "bestBefore": None},
        },
        "authenticity": {"authenticator": "absent", "cloneAlarm": False, "scanCount": 1, "distinctPlaces": 1},
        "recall": {"status": "open", "class": 1, "reason": "李斯特菌检测阳性 / Listeria detected",
                   "openedAt": "2026-11-25T09:30:00Z", "subject": "0x" + "ab" * 32} if recall else None,
        "timeline": [
            _timeline_entry(ledger, 5, "urn:epcglobal:cbv:bizstep:retail_selling", "2026-11-23T10:00:00Z", "上海市徐汇区超市", "鲜果超市"),
            _timeline_entry(ledger, 0, "urn:epcglobal:cbv:bizstep:harvesting", "2026-11-20T06:00:00Z", "云南省昆明市呈贡区", "云南绿源农场"),
            _timeline_entry(ledger, 1, "urn:epcglobal:cbv:bizstep:shipping", "2026-11-20T14:00:00Z", "昆明冷链中心", "滇运冷链物流"),
            _timeline_entry(ledger, 3, "urn:epcglobal:cbv:bizstep:receiving", "2026-11-22T08:00:00Z", "上海配送中心", "沪鲜配送"),
        ],
        "sensors": [{"time": f"2026-11-2{day}T{hour:02d}:00:00Z", "type": "Temperature", "value": value, "uom": "CEL"}
                    for (day, hour, value) in [(0, 14, 3.1), (0, 20, 3.4), (1, 2, 4.0), (1, 8, 5.8), (1, 14, 4.4),
                                               (1, 20, 3.9), (2, 2, 3.2), (2, 8, 2.8)]],
        "thresholds": {"Temperature": {"min": 0, "max": 5, "uom": "CEL"}},
        "certifications": [{"standard": "GB/T 19630 有机产品", "agency": "中国质量认证中心", "value": "有机",
                            "identification": "CQC-OP-2026-0815"}],
        "equipment": None,
        "chain": ledger.chain_info,
    }


def equipment_view(ledger: SmallLedger, uri: str) -> dict[str, Any]:
    """A passenger lift: made, installed, inspected (pass), maintained; inspection overdue."""
    return {
        "uri": uri, "canonicalUri": "https://id.gs1.org" + urlsplit(uri).path, "kind": "equipment",
        "identifier": {"gtin": None, "lot": None, "serial": None, "expiry": None, "sscc": None, "giai": "095060001343ELV1"},
        "product": {
            "name": {"zh": "乘客电梯 3 号梯", "en": "Passenger lift no. 3"},
            "description": None,
            "producer": {"name": "苏州迅达电梯有限公司", "enterpriseId": "0x" + "22" * 32},
            "origin": {"name": "江苏省苏州市", "gln": None},
            "dates": {"production": "2019-03-01", "expiry": None, "bestBefore": None},
        },
        "authenticity": {"authenticator": "absent", "cloneAlarm": False, "scanCount": 12, "distinctPlaces": 1},
        "recall": None,
        "timeline": [
            _timeline_entry(ledger, 2, "urn:epcglobal:cbv:bizstep:commissioning", "2019-03-01T02:00:00Z", "苏州工厂", "苏州迅达电梯有限公司"),
            _timeline_entry(ledger, 4, "urn:epcglobal:cbv:bizstep:installing", "2019-06-10T02:00:00Z", "上海市静安区某大厦", "上海安装工程公司"),
            _timeline_entry(ledger, 6, "urn:epcglobal:cbv:bizstep:inspecting", "2025-06-05T02:00:00Z", "上海市静安区某大厦", "上海市特种设备监督检验技术研究院"),
        ],
        "sensors": [], "thresholds": {}, "certifications": [],
        "equipment": {
            "registrationCode": "31103101002019060015", "maker": "苏州迅达电梯有限公司",
            "installer": "上海安装工程公司",
            "lastInspection": {"date": "2025-06-05", "result": "pass", "inspector": "上海市特种设备监督检验技术研究院"},
            "nextInspectionDue": "2026-06-05", "inspectionOverdue": True,
            "lastMaintenance": {"date": "2026-11-18", "by": "上海梯安维保有限公司"}, "maintenanceOverdue": False,
            "emergencyCode": "96333-0315",
        },
        "chain": ledger.chain_info,
    }


def copied_view(ledger: SmallLedger, uri: str) -> dict[str, Any]:
    view = food_view(ledger, uri)
    view["identifier"]["serial"] = "77"
    view["authenticity"] = {"authenticator": "invalid", "cloneAlarm": True, "scanCount": 41, "distinctPlaces": 9}
    return view


def pending_view(ledger: SmallLedger, uri: str) -> dict[str, Any]:
    view = food_view(ledger, uri)
    view["identifier"]["lot"] = "LOT3"
    view["timeline"] = [
        _timeline_entry(ledger, 0, "urn:epcglobal:cbv:bizstep:harvesting", "2026-11-20T06:00:00Z", "云南省昆明市呈贡区", "云南绿源农场"),
        _timeline_entry(ledger, 7, "urn:epcglobal:cbv:bizstep:shipping", "2026-11-24T06:00:00Z", "昆明冷链中心", "滇运冷链物流"),
    ]
    return view


class StandinApi:
    """The app plus the knobs tests turn: entries served tampered, a failing lookup."""

    def __init__(self, ledger: SmallLedger) -> None:
        self.ledger = ledger
        self.tampered_entries: dict[int, bytes] = {}
        self.lookup_status: int | None = None
        self._rpc_client: httpx.AsyncClient | None = None
        self.app = self._build()

    def view_for(self, uri: str) -> dict[str, Any] | None:
        parts = urlsplit(uri)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        makers = {
            FOOD_PATH: lambda: food_view(self.ledger, uri),
            RECALLED_PATH: lambda: food_view(self.ledger, uri, recall=True),
            EQUIPMENT_PATH: lambda: equipment_view(self.ledger, uri),
            COPIED_PATH: lambda: copied_view(self.ledger, uri),
            PENDING_PATH: lambda: pending_view(self.ledger, uri),
        }
        maker = makers.get(key) or makers.get(parts.path)
        return maker() if maker else None

    def bundle(self, leaf_index: int) -> dict[str, Any]:
        bundle = self.ledger.bundle(leaf_index)
        if leaf_index in self.tampered_entries:
            # A changed database row: the server builds entry and entryFields from the row, but
            # the leaf hash and proof come from the log's tiles, which still commit to the original.
            entry = self.tampered_entries[leaf_index]
            bundle["entry"] = base64.b64encode(entry).decode("ascii")
            bundle["entryFields"] = entry_fields(entry)
        return bundle

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.include_router(scan_router)
        ledger = self.ledger

        @app.get("/v1/public/lookup")
        def lookup(uri: str = "") -> Any:
            if self.lookup_status is not None:
                return _problem(self.lookup_status, "unavailable", "Unavailable", "stand-in failure")
            if urlsplit(uri).path == INVALID_PATH or not uri.startswith(("http://", "https://")):
                return _problem(400, "invalid-digital-link", "Invalid Digital Link", "GTIN check digit is wrong")
            view = self.view_for(uri)
            if view is None:
                return _problem(404, "unknown-identifier", "Unknown identifier", "no record of this code")
            return copy.deepcopy(view)

        @app.get("/v1/events/{event_hash_id:path}/proof")
        def proof(event_hash_id: str) -> Any:
            leaf_index = ledger.leaf_index_of(event_hash_id)
            if leaf_index is None:
                return _problem(404, "not-found", "Not found", "no such event")
            return self.bundle(leaf_index)

        @app.post("/v1/chain/rpc")
        async def rpc(request: Request) -> Any:
            call = await request.json()
            if call.get("method") not in RPC_METHODS:
                return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32601, "message": "method not allowed"}}
            if self._rpc_client is None:  # one client: building one per call costs ~100 ms here
                self._rpc_client = httpx.AsyncClient(timeout=10)
            answer = await self._rpc_client.post(ledger.anvil.url, json=call)
            return JSONResponse(answer.json())

        def resolve(request: Request) -> RedirectResponse:
            return RedirectResponse(f"/scan?uri={quote(str(request.url), safe='')}", status_code=303)

        for prefix in ("/01/{rest:path}", "/8004/{rest:path}"):
            app.add_api_route(prefix, resolve, methods=["GET"])
        return app

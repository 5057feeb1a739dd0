"""A stand-in for the trace API's consumer endpoints, over a `SmallLedger`, for the page tests.

It serves the real scan page router (`scanner_app.routes`) and the four endpoints the page
uses, in the shapes trace_api/README.md and the issue 15 design specify: the Digital
Link resolver's 303 to `/scan?uri=`, `GET /v1/public/lookup` (with `evidence`: each
event's body, proof bundle and receive-time block, the product's master-data record, the
enterprises' records), `GET /v1/events/{id}/proof` and the read-only JSON-RPC proxy
`POST /v1/chain/rpc` (forwarding to anvil). The page's `anchors.js` pins the ledger's
trust anchors. The public reads (lookup, proof bundles) answer GETs from any origin
(CORS, `PublicReadsCors`), so a bundle built by `traceledger scan-page build` and hosted
on another origin reads its records here and the chain from anvil directly.

Tests make it lie as a compromised server or database would, with the knobs of
`StandinApi` (all reset by `reset()`): any event body, proof member, summary column,
master-data record, enterprise record or receive-time block it serves, the log and
witness keys in every bundle, recalls hidden, JSON-RPC answers rewritten.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from scanner_app import routes as scan_routes
from testing.scan_ledger import SmallLedger, entry_fields
from testing.scan_records import (
    ENTERPRISES,
    FOOD_LEAVES,
    GTIN,
    LIFT_GIAI,
    LIFT_LEAVES,
    MASTER_DATA_LEAF,
    Enterprise,
    gln,
)
from trace_api.records.columns import format_time_ms, record_columns

RPC_METHODS = frozenset({"eth_call", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getLogs"})
FOOD_PATH = f"/01/{GTIN}/10/LOT1"
RECALLED_PATH = f"/01/{GTIN}/10/LOT2"
EQUIPMENT_PATH = f"/8004/{LIFT_GIAI}"
COPIED_PATH = f"/01/{GTIN}/10/LOT1/21/77?auth=WRONGAUT"
PENDING_PATH = f"/01/{GTIN}/10/LOT1/21/88"  # an item of the lot, scanned before its last event was anchored
INVALID_PATH = "/01/09506000134353"  # wrong check digit
SCANNER_APP = Path(scan_routes.__file__).resolve().parent
PUBLIC_READS = re.compile(r"^/v1/(public/.+|events/.+/proof)$")
"""What a page on another origin reads from the API (GET, CORS): lookups and proof bundles."""

RpcHook = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""(call, anvil's answer) -> the answer served."""


def _problem(status: int, kind: str, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {"type": f"https://traceledger.dev/problems/{kind}", "title": title, "status": status, "detail": detail},
        status_code=status, media_type="application/problem+json",
    )


def _place_names() -> dict[str, str]:
    return {gln: name for enterprise in ENTERPRISES for gln, name in enterprise.places.items()}


def _gln_of_sgln(urn: str) -> str | None:
    """The GLN of `urn:epc:id:sgln:<prefix>.<ref>.0` (EPC TDS §6.3.3), with its check digit."""
    parts = urn.removeprefix("urn:epc:id:sgln:").split(".")
    return gln(parts[0], parts[1]) if urn.startswith("urn:epc:id:sgln:") and len(parts) == 3 else None


class PublicReadsCors:
    """CORS for the public reads only (`PUBLIC_READS`, GET from any origin), so a scan page
    hosted on another origin reads lookups and proofs; the JSON-RPC proxy and the page's own
    files stay same-origin (a page elsewhere asks its own node)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET"], allow_headers=["accept"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = scope["type"] == "http" and PUBLIC_READS.match(scope["path"]) is not None
        await (self.cors if public else self.app)(scope, receive, send)


class StandinApi:
    """The app plus the knobs tests turn (see the module docstring)."""

    def __init__(self, ledger: SmallLedger) -> None:
        self.ledger = ledger
        self._rpc_client: httpx.AsyncClient | None = None
        self.reset()
        self.fastapi = self._build()
        self.app: ASGIApp = PublicReadsCors(self.fastapi)

    def reset(self) -> None:
        """Serve the truth again."""
        self.lookup_status: int | None = None
        self.tampered_entries: dict[int, bytes] = {}
        """leaf -> entry bytes served (a changed database row; leaf hash and proof unchanged)."""
        self.event_bodies: dict[int, dict[str, Any]] = {}
        """leaf -> the event body served in `evidence`."""
        self.master_data_records: dict[int, dict[str, Any]] = {}
        """leaf -> the master-data record served in `evidence`."""
        self.proof_members: dict[int, dict[str, Any]] = {}
        """leaf -> bundle members replaced in that leaf's bundle."""
        self.all_proof_members: dict[str, Any] = {}
        """bundle members replaced in every bundle (e.g. `log`, `witnesses`: other keys)."""
        self.summary_columns: dict[int, dict[str, Any]] = {}
        """leaf -> timeline columns replaced (`time`, `eventType`, `bizStep`, `location`)."""
        self.member_blocks: dict[int, int | None] = {}
        """leaf -> the receive-time block hint served."""
        self.enterprise_records: dict[str, dict[str, Any]] = {}
        """enterprise id -> the enterprise record served."""
        self.hide_recalls = False
        self.rpc_hook: RpcHook | None = None

    # --- what is served -------------------------------------------------------------------

    def bundle(self, leaf_index: int) -> dict[str, Any]:
        bundle = self.ledger.bundle(leaf_index)
        if leaf_index in self.tampered_entries:
            # A changed database row: the server builds entry and entryFields from the row, but
            # the leaf hash and proof come from the log's tiles, which still commit to the original.
            entry = self.tampered_entries[leaf_index]
            bundle["entry"] = base64.b64encode(entry).decode("ascii")
            bundle["entryFields"] = entry_fields(entry)
        bundle.update(copy.deepcopy(self.all_proof_members))
        bundle.update(copy.deepcopy(self.proof_members.get(leaf_index, {})))
        return bundle

    def evidence_item(self, leaf_index: int) -> dict[str, Any]:
        item = self.ledger.evidence_of(leaf_index)
        item["proof"] = self.bundle(leaf_index)
        if leaf_index in self.member_blocks:
            item["memberBlock"] = self.member_blocks[leaf_index]
        if "event" in item and leaf_index in self.event_bodies:
            item["event"] = self.event_bodies[leaf_index]
        if "record" in item and leaf_index in self.master_data_records:
            item["record"] = self.master_data_records[leaf_index]
        return copy.deepcopy(item)

    def summary(self, leaf_index: int) -> dict[str, Any]:
        """The lookup's timeline entry of an event: its columns as the API derives them from
        the stored body (trace_api/records/columns.py), then any tampering."""
        record = self.ledger.records[leaf_index]
        event_type, time_ms, biz_step, _, _, biz_location, read_point = record_columns(record.body)
        location = biz_location or read_point
        gln = _gln_of_sgln(location) if location else None
        entry = {
            "eventHashId": record.hash_id, "eventType": event_type, "bizStep": biz_step,
            "time": format_time_ms(time_ms),
            "location": {"id": location, "name": _place_names().get(gln or "")} if location else None,
            "enterprise": {"name": record.signer.name},
            "status": "anchored" if any(h.tree_size > leaf_index for h in self.ledger.heads) else "pending",
            "proofUrl": f"/v1/events/{quote(record.hash_id, safe='')}/proof",
        }
        entry.update(copy.deepcopy(self.summary_columns.get(leaf_index, {})))
        return entry

    def enterprise_item(self, enterprise: Enterprise) -> dict[str, Any]:
        record = self.enterprise_records.get(enterprise.enterprise_id, enterprise.record)
        return {"enterpriseId": enterprise.enterprise_id, "record": copy.deepcopy(record)}

    def evidence(self, leaves: tuple[int, ...], master_data: tuple[int, ...]) -> dict[str, Any]:
        signers: list[Enterprise] = []
        for leaf in (*leaves, *master_data):
            signer = self.ledger.records[leaf].signer
            if signer not in signers:
                signers.append(signer)
        return {
            "events": [self.evidence_item(leaf) for leaf in leaves],
            "masterData": [self.evidence_item(leaf) for leaf in master_data],
            "enterprises": [self.enterprise_item(enterprise) for enterprise in signers],
        }

    def view_for(self, uri: str) -> dict[str, Any] | None:
        parts = urlsplit(uri)
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        makers = {
            FOOD_PATH: lambda: self.food_view(uri),
            RECALLED_PATH: lambda: self.food_view(uri, lot="LOT2"),
            EQUIPMENT_PATH: lambda: self.equipment_view(uri),
            COPIED_PATH: lambda: self.copied_view(uri),
            PENDING_PATH: lambda: self.food_view(uri, with_pending=True),
        }
        maker = makers.get(key) or makers.get(parts.path)
        return maker() if maker else None

    # --- the lookup's views -----------------------------------------------------------------

    def food_view(self, uri: str, *, lot: str = "LOT1", with_pending: bool = False) -> dict[str, Any]:
        """The lettuce lot from farm to shelf (`with_pending`: as seen while its last event was
        pending). LOT2 is served the same events, which are about LOT1, not LOT2. The product
        columns are those of the master-data record served (a faked record fakes them too)."""
        anchored = tuple(leaf for leaf in FOOD_LEAVES if any(h.tree_size > leaf for h in self.ledger.heads))
        leaves = FOOD_LEAVES if with_pending else anchored
        recalled = lot == "LOT2" and not self.hide_recalls
        served = self.master_data_records.get(MASTER_DATA_LEAF, self.ledger.records[MASTER_DATA_LEAF].body)
        product = served["product"]
        return {
            "uri": uri, "canonicalUri": "https://id.gs1.org" + urlsplit(uri).path, "kind": "food",
            "identifier": {"gtin": GTIN, "lot": lot, "serial": None, "expiry": "2026-12-05", "sscc": None, "giai": None},
            "product": {
                "name": product["name"], "description": product["description"],
                "producer": {"name": self.ledger.records[MASTER_DATA_LEAF].signer.name,
                             "enterpriseId": self.ledger.records[MASTER_DATA_LEAF].signer.enterprise_id},
                "origin": product["origin"],
                "dates": {"production": "2026-11-20", "expiry": "2026-12-05", "bestBefore": None},
            },
            "authenticity": {"authenticator": "absent", "cloneAlarm": False, "scanCount": 1, "distinctPlaces": 1},
            "recall": {"status": "open", "class": 1, "reason": "李斯特菌检测阳性 / Listeria detected",
                       "openedAt": "2026-11-25T01:20:00.000Z", "subject": self.ledger.recalled_subject} if recalled else None,
            "timeline": [self.summary(leaf) for leaf in leaves],
            "sensors": [], "thresholds": {"Temperature": {"min": 0, "max": 5, "uom": "CEL"}},
            "certifications": product["certifications"],
            "equipment": None,
            "chain": self.ledger.chain_info,
            "evidence": self.evidence(leaves, (MASTER_DATA_LEAF,)),
        }

    def equipment_view(self, uri: str) -> dict[str, Any]:
        """The passenger lift, inspected (pass) by the special-equipment institute."""
        inspector = self.ledger.records[LIFT_LEAVES[0]].signer.name
        return {
            "uri": uri, "canonicalUri": "https://id.gs1.org" + urlsplit(uri).path, "kind": "equipment",
            "identifier": {"gtin": None, "lot": None, "serial": None, "expiry": None, "sscc": None, "giai": LIFT_GIAI},
            "product": {
                "name": {"zh": "乘客电梯 3 号梯", "en": "Passenger lift no. 3"}, "description": None,
                "producer": {"name": "苏州迅达电梯有限公司", "enterpriseId": None},
                "origin": {"name": "江苏省苏州市", "gln": None},
                "dates": {"production": "2019-03-01", "expiry": None, "bestBefore": None},
            },
            "authenticity": {"authenticator": "absent", "cloneAlarm": False, "scanCount": 12, "distinctPlaces": 1},
            "recall": None,
            "timeline": [self.summary(leaf) for leaf in LIFT_LEAVES],
            "sensors": [], "thresholds": {}, "certifications": [],
            "equipment": {
                "registrationCode": "31103101002019060015", "maker": "苏州迅达电梯有限公司",
                "installer": "上海安装工程公司",
                "lastInspection": {"date": "2026-11-21", "result": "pass", "inspector": inspector},
                "nextInspectionDue": "2027-11-21", "inspectionOverdue": False,
                "lastMaintenance": None, "maintenanceOverdue": False, "emergencyCode": "96333-0315",
            },
            "chain": self.ledger.chain_info,
            "evidence": self.evidence(LIFT_LEAVES, ()),
        }

    def copied_view(self, uri: str) -> dict[str, Any]:
        view = self.food_view(uri)
        view["identifier"]["serial"] = "77"
        view["authenticity"] = {"authenticator": "invalid", "cloneAlarm": True, "scanCount": 41, "distinctPlaces": 9}
        return view

    # --- the app ------------------------------------------------------------------------------

    def _serve_page_files(self, app: FastAPI) -> None:
        """Serve what scanner_app/routes.py does not serve yet: page modules not (yet) in its
        list, and the ledger's `anchors.js` when routes.py cannot pin one."""

        def module_route(body: bytes) -> Callable[[], Response]:
            return lambda: Response(body, media_type="text/javascript; charset=utf-8")

        anchors = self.ledger.trust_anchors
        pin = getattr(scan_routes, "pin_trust_anchors", None)
        if pin is not None:
            from scanner_app.trust_anchors import parse_trust_anchors

            pin(app, parse_trust_anchors(anchors))
        else:
            module = f"export const TRUST_ANCHORS = Object.freeze({json.dumps(anchors, indent=2)});\n"
            app.add_api_route(f"{scan_routes.SCAN_PATH}/assets/anchors.js", module_route(module.encode()), methods=["GET"])
        for path in sorted(SCANNER_APP.glob("*.js")):
            if path.name not in scan_routes.ASSETS and path.name != "anchors.js":
                app.add_api_route(f"{scan_routes.SCAN_PATH}/assets/{path.name}", module_route(path.read_bytes()),
                                  methods=["GET"])

    def _build(self) -> FastAPI:
        app = FastAPI()
        self._serve_page_files(app)
        app.include_router(scan_routes.router)
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
            return view

        @app.get("/v1/events/{event_hash_id:path}/proof")
        def proof(event_hash_id: str) -> Any:
            leaf_index = ledger.leaf_index_of(event_hash_id)
            if leaf_index is None:
                return _problem(404, "not-found", "Not found", "no such event")
            return self.bundle(leaf_index)

        @app.post("/v1/chain/rpc")
        async def rpc(request: Request) -> Any:
            payload = await request.json()
            calls = payload if isinstance(payload, list) else [payload]  # JSON-RPC 2.0 batches too
            if self._rpc_client is None:  # one client: building one per call costs ~100 ms here
                self._rpc_client = httpx.AsyncClient(timeout=10)
            allowed = [call for call in calls if call.get("method") in RPC_METHODS]
            answers = (await self._rpc_client.post(ledger.anvil.url, json=allowed)).json() if allowed else []
            by_id = {answer.get("id"): answer for answer in answers}
            replies = []
            for call in calls:
                answer = by_id.get(call.get("id")) if call in allowed else {
                    "jsonrpc": "2.0", "id": call.get("id"), "error": {"code": -32601, "message": "method not allowed"}}
                if self.rpc_hook is not None and call in allowed:
                    answer = self.rpc_hook(call, answer)
                replies.append(answer)
            return JSONResponse(replies if isinstance(payload, list) else replies[0])

        def resolve(request: Request) -> RedirectResponse:
            return RedirectResponse(f"/scan?uri={quote(str(request.url), safe='')}", status_code=303)

        for prefix in ("/01/{rest:path}", "/8004/{rest:path}"):
            app.add_api_route(prefix, resolve, methods=["GET"])
        return app

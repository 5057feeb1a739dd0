"""The resolver over HTTP on a real database (SQLite and PostgreSQL): 303 for browsers,
linksets, 307 per link type, walk-up serial -> lot -> GTIN, 400/404 problems."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.trace_api.provenance.graphdb import ENTERPRISE_A, GraphDb
from trace_api.problems import install_problem_handlers
from trace_api.products.classes import ProductClass
from trace_api.products.service import Certification, Product, save_product
from trace_api.resolver import routes

BASE = "https://trace.example"
GTIN = "09506000134352"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "zh-CN,en;q=0.5"}


def _commissioning(serial: str, lot: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+00:00",
        "epcList": [f"https://id.gs1.org/01/{GTIN}/21/{serial}"], "action": "ADD",
        "bizStep": "commissioning", "ilmd": {"cbvmda:lotNumber": lot},
    }


@pytest.fixture(scope="module")
def client(api_db: GraphDb) -> TestClient:
    save_product(api_db.engine, Product(
        gtin=GTIN, enterprise_id=ENTERPRISE_A, name={"zh": "有机苹果", "en": "Organic apples"},
        description={"zh": "", "en": ""}, product_class=ProductClass.CHILLED,
        certifications=(Certification(standard="GB/T 19630", agency="CQC", value="organic",
                                      identification="CQC-1"),),
    ))
    api_db.load([_commissioning("S1", "L1")])
    app = FastAPI()
    app.state.ctx = SimpleNamespace(engine=api_db.engine,
                                    settings=SimpleNamespace(public_base_url=BASE + "/"))
    install_problem_handlers(app)
    app.include_router(routes.router)
    return TestClient(app, follow_redirects=False)


def _scan_url(uri: str) -> str:
    return f"{BASE}/scan?uri={quote(uri, safe='')}"


def test_browser_gets_303_to_scan_page_with_the_full_uri(client: TestClient) -> None:
    path = f"/01/{GTIN}/10/L1/21/S1?17=270131&auth=ABCDEFGH"
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == _scan_url(f"{BASE}{path}")
    assert response.headers["link"] == (
        f'<{BASE}/01/{GTIN}/10/L1/21/S1?linkType=all>; rel="linkset"; type="application/linkset+json"')
    assert response.headers["vary"] == "Accept, Accept-Language"


def test_head_answers_like_get(client: TestClient) -> None:
    response = client.head(f"/01/{GTIN}/21/S1", headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == _scan_url(f"{BASE}/01/{GTIN}/21/S1")


@pytest.mark.parametrize(("query", "headers"), [
    ("?linkType=all", BROWSER),
    ("?linkType=linkset", {}),
    ("", {"Accept": "application/linkset+json"}),
])
def test_linkset(client: TestClient, query: str, headers: dict[str, str]) -> None:
    response = client.get(f"/01/{GTIN}/10/L1/21/S1{query}", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/linkset+json"
    uri = quote(f"{BASE}/01/{GTIN}/10/L1/21/S1", safe="")
    scan = f"{BASE}/scan?uri={uri}"
    voc = "https://ref.gs1.org/voc/"
    page = {"href": scan, "title": "产品信息 / Product information", "type": "text/html",
            "hreflang": ["zh", "en"]}
    assert json.loads(response.content) == {"linkset": [{
        "anchor": f"{BASE}/01/{GTIN}/10/L1/21/S1",
        "itemDescription": "Organic apples, lot L1, serial S1",
        voc + "pip": [page, {"href": f"{BASE}/v1/products/{GTIN}", "title": "Product master data",
                             "type": "application/json"}],
        voc + "traceability": [{"href": f"{BASE}/v1/public/lookup?uri={uri}",
                                "title": "Provenance, anchored on the ledger", "type": "application/json"}],
        voc + "verificationService": [{**page, "title": "验证 / Verify on the ledger"}],
        voc + "recallStatus": [{"href": f"{BASE}/v1/public/recall?uri={uri}",
                                "title": "Recall status (RecallRegistry)", "type": "application/json"}],
        voc + "certificationInfo": [{"href": f"{BASE}/v1/products/{GTIN}/certifications",
                                     "title": "Certifications", "type": "application/json"}],
        voc + "defaultLink": [page],
    }]}


def test_specific_link_type_redirects_307(client: TestClient) -> None:
    uri = quote(f"{BASE}/01/{GTIN}/10/L1", safe="")
    response = client.get(f"/01/{GTIN}/10/L1?linkType=gs1:recallStatus", headers=BROWSER)
    assert response.status_code == 307
    assert response.headers["location"] == f"{BASE}/v1/public/recall?uri={uri}"
    # A link type we do not serve falls back to the default link.
    response = client.get(f"/01/{GTIN}/10/L1?linkType=gs1:epil", headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["location"] == _scan_url(f"{BASE}/01/{GTIN}/10/L1")


@pytest.mark.parametrize(("path", "anchor"), [
    (f"/01/{GTIN}/10/L1/21/S999", f"/01/{GTIN}/10/L1"),  # unknown serial -> its lot
    (f"/01/{GTIN}/10/L9/21/S999", f"/01/{GTIN}"),  # unknown lot -> the GTIN (product master)
    (f"/01/{GTIN}/21/S1", f"/01/{GTIN}/21/S1"),  # serial known without its lot
    (f"/01/{GTIN}/10/L1", f"/01/{GTIN}/10/L1"),  # lot known as the item's class
])
def test_walk_up(client: TestClient, path: str, anchor: str) -> None:
    response = client.get(path + "?linkType=all")
    assert response.status_code == 200
    assert json.loads(response.content)["linkset"][0]["anchor"] == BASE + anchor
    assert client.get(path, headers=BROWSER).headers["location"] == _scan_url(BASE + path)


@pytest.mark.parametrize("path", ["/01/09506000134369/21/1", "/00/106141411234567897",
                                  "/8004/0950600013430000001", "/414/9506000134376"])
def test_truly_unknown_is_404_problem(client: TestClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "https://traceledger.dev/problems/unknown-identifier"
    assert problem["uri"] == "https://id.gs1.org" + path


@pytest.mark.parametrize(("path", "kind", "ai"), [
    ("/01/09506000134353", "invalid-check-digit", "01"),
    ("/01/9506000134352", "invalid-ai-value", "01"),  # GTIN-13 is not a Digital Link key
    (f"/01/{GTIN}/10/L%20OT", "invalid-ai-value", "10"),  # space is not in GS1 set 82
    (f"/01/{GTIN}/10/{'X' * 21}", "invalid-ai-value", "10"),
    (f"/01/{GTIN}?17=271340", "invalid-ai-value", "17"),
    ("/00/106141411234567890", "invalid-check-digit", "00"),
    ("/414/9506000134377", "invalid-check-digit", "414"),
])
def test_invalid_codes_are_400_problems_naming_the_ai(client: TestClient, path: str, kind: str,
                                                      ai: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"] == f"https://traceledger.dev/problems/{kind}"
    assert problem["ai"] == ai
    assert problem["detail"]


def test_qualifiers_out_of_order_are_400(client: TestClient) -> None:
    response = client.get(f"/01/{GTIN}/21/S1/10/L1", headers=BROWSER)
    assert response.status_code == 400
    assert response.json()["type"] == "https://traceledger.dev/problems/invalid-digital-link"


@pytest.mark.parametrize(("path", "recorded"), [
    (f"/01/{GTIN}/10/L1/21/S1", True),
    (f"/01/{GTIN}/21/S1", True),
    (f"/01/{GTIN}/10/L2/21/S1", False),  # recorded, but in lot L1: no label for L2
    (f"/01/{GTIN}/10/L1/21/S999", False),
    (f"/01/{GTIN}/10/L1", False),  # not a serial
])
def test_serial_recorded_in_lot(client: TestClient, api_db: GraphDb, path: str, recorded: bool) -> None:
    from gs1 import parse_digital_link
    from trace_api.resolver.known import serial_recorded_in_lot

    assert serial_recorded_in_lot(api_db.engine, parse_digital_link(BASE + path)) is recorded

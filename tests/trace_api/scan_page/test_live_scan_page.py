"""The scan page on the real system (`traceledger up --dev`, SQLite and PostgreSQL), in
Debian's headless Chromium: a producer prints a label, a consumer opens its Digital Link URI
(or shows the printed label to the camera), the resolver's 303 lands on `/scan`, and every
record of the timeline is verified in the browser against the chain. A proof altered in
transit, a record row changed in the database, and an open recall on chain are all seen.

The page itself is tested in depth in tests/scanner_app (against a stand-in API); here it
meets the real lookup, proof bundles and JSON-RPC proxy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest
import zxingcpp
from PIL import Image

from anchoring.anchor_contract import connect
from testing.chromium import fake_camera_args, launch_chromium, new_phone_context
from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.scanner_app.y4m import label_video

ANCHOR_TIMEOUT_S = 120


@dataclass
class Shop:
    system: LiveSystem
    farm: RegisteredEnterprise
    gtin: str
    label_uri: str  # serial 2 of lot L1, with its authenticator, on the API host
    label_png: bytes
    recalled_uri: str  # serial 1 of lot R1, recalled on chain

    @property
    def headers(self) -> dict[str, str]:
        return self.system.auth(self.farm.api_key)

    def lookup(self, uri: str) -> dict[str, Any]:
        response = httpx.get(f"{self.system.api_url}/v1/public/lookup", params={"uri": uri}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def bundle(self, proof_url: str) -> dict[str, Any]:
        return httpx.get(self.system.api_url + proof_url, timeout=60).json()  # type: ignore[no-any-return]


def _post(system: LiveSystem, path: str, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return httpx.post(system.api_url + path, json=body, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def shop(live_system: LiveSystem) -> Shop:
    """A farm with a product, two printed lots, a shipping event with cold-chain readings,
    everything anchored; lot R1 recalled on chain."""
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "100")
    farm = live_system.enterprise(name="云南绿源农场", custody="custodial", prefixes=[prefix], glns=[gln])
    headers = live_system.auth(farm.api_key)
    gtin = "0" + with_check_digit(prefix + "001")
    response = _post(live_system, "/v1/products", headers, {
        "gtin": gtin, "productClass": "chilled", "category": "fresh vegetables",
        "name": {"zh": "有机生菜", "en": "Organic lettuce"},
        "description": {"zh": "云南高原种植", "en": "Grown on the Yunnan plateau"},
        "origin": {"name": "云南省昆明市", "gln": gln},
        "certifications": [{"standard": "GB/T 19630 有机产品", "agency": "CQC", "value": "有机",
                            "identification": "CQC-OP-2026-0815"}],
    })
    assert response.status_code == 201, response.text
    for lot in ("L1", "R1"):
        response = _post(live_system, "/v1/labels/batch", headers,
                         {"gtin": gtin, "lot": lot, "serials": "1-3", "expiry": "2027-01-31", "format": "zip-svg"})
        assert response.status_code == 200, response.text
    shipped = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=2)  # after commissioning
    later = shipped + dt.timedelta(hours=6)
    stamp = lambda t: t.isoformat().replace("+00:00", "Z")
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": stamp(shipped),
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": stamp(shipped), "eventTimeZoneOffset": "+08:00",
            "epcList": [f"https://id.gs1.org/01/{gtin}/21/2"], "action": "OBSERVE",
            "bizStep": "shipping", "disposition": "in_transit",
            "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"},
            "sensorElementList": [{"sensorMetadata": {"time": stamp(shipped)}, "sensorReport": [
                {"type": "gs1:Temperature", "value": 3.5, "uom": "CEL"},
                {"type": "gs1:Temperature", "value": 4.1, "uom": "CEL", "time": stamp(later)}]}],
        }]},
    }
    response = _post(live_system, "/v1/capture", headers, document)
    assert response.status_code == 202, response.text
    response = httpx.get(f"{live_system.api_url}/v1/labels", headers=headers, timeout=60,
                         params={"uri": f"{live_system.api_url}/01/{gtin}/10/L1/21/2?17=270131", "format": "svg"})
    assert response.status_code == 200, response.text
    png = httpx.get(f"{live_system.api_url}/v1/labels", headers=headers, timeout=60,
                    params={"uri": f"{live_system.api_url}/01/{gtin}/10/L1/21/2?17=270131", "format": "png"})
    assert png.status_code == 200, png.text
    (label_uri,) = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)).convert("L"))]
    live_system.open_recall_on_chain(hashlib.sha256(f"https://id.gs1.org/01/{gtin}/10/R1".encode()).digest(),
                                     1, b"\x02" * 32)
    world = Shop(live_system, farm, gtin, label_uri, png.content, f"{live_system.api_url}/01/{gtin}/10/R1/21/1")
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while True:
        views = [world.lookup(world.label_uri), world.lookup(world.recalled_uri)]
        settled = all(e["status"] == "anchored" for v in views for e in v["timeline"]) and views[1]["recall"]
        if settled:
            break
        assert time.monotonic() < deadline, f"not anchored in {ANCHOR_TIMEOUT_S} s: {views}"
        time.sleep(1)
    assert [e["bizStep"] for e in views[0]["timeline"]] == ["commissioning", "shipping"]
    return world


@pytest.fixture(scope="module")
def chromium(playwright_instance: Any) -> Iterator[Any]:
    browser = launch_chromium(playwright_instance)
    yield playwright_instance, browser
    browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = new_phone_context(chromium[1])
    yield context.new_page()
    context.close()


def _verified_texts(shop: Shop, uri: str) -> list[str]:
    """The exact verdict lines the page must show for `uri`'s timeline (Shanghai time, zh-CN)."""
    from zoneinfo import ZoneInfo

    lines = []
    for entry in shop.lookup(uri)["timeline"]:
        anchor = shop.bundle(entry["proofUrl"])["anchor"]
        block = connect(shop.system.rpc_url).eth.get_block(anchor["blockNumber"])
        t = dt.datetime.fromtimestamp(block["timestamp"], ZoneInfo("Asia/Shanghai"))
        lines.append(f"✓ 已在账本上验证：区块 {anchor['blockNumber']}，时间 "
                     f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}:{t.second:02d}，见证方 ")
    return lines


def _open(page: Any, url: str) -> str:
    page.goto(url)
    page.wait_for_selector("body[data-verification]", timeout=30_000)
    return page.get_attribute("body", "data-verification")


def _verdicts(page: Any) -> list[str]:
    return page.eval_on_selector_all(".timeline .verify", "nodes => nodes.map(n => n.textContent)")


def test_label_uri_redirects_to_scan_and_every_record_is_verified_in_the_browser(shop: Shop, page: Any) -> None:
    assert _open(page, shop.label_uri) == "verified"
    assert page.url == f"{shop.system.api_url}/scan?uri={quote(shop.label_uri, safe='')}"
    assert page.text_content("#verify-summary") == "✓ 全部 2 条记录已在账本上验证"
    assert page.text_content("#product-heading") == "有机生菜"
    expected = _verified_texts(shop, shop.label_uri)
    shown = _verdicts(page)
    assert [line[: len(prefix)] for line, prefix in zip(shown, expected, strict=True)] == expected
    assert page.eval_on_selector_all(".timeline h3", "n => n.map(x => x.textContent)") == ["赋码", "发货"]
    assert page.text_content("#cold-chain-verdict") == "所有读数都在允许范围内"
    assert page.locator("#recall-banner").count() == 0


def test_proof_altered_in_transit_is_caught(shop: Shop, page: Any) -> None:
    def alter(route: Any) -> None:
        response = route.fetch()
        bundle = response.json()
        if "entry" in bundle:
            entry = bytearray(base64.b64decode(bundle["entry"]))
            entry[140] ^= 0x01  # a salt byte
            bundle["entry"] = base64.b64encode(bytes(entry)).decode("ascii")
        route.fulfill(response=response, body=json.dumps(bundle))

    page.route("**/v1/events/*/proof", alter)
    assert _open(page, shop.label_uri) == "failed"
    assert _verdicts(page) == ["✗ 验证失败：日志条目与事件一致", "✗ 验证失败：日志条目与事件一致"]
    assert page.text_content("#verify-summary") == "✗ 验证失败：2 条记录未通过检查"


def _tamper_row(system: LiveSystem, leaf_index: int, change: Any) -> bytes:
    """Apply `change(entry) -> entry` to the record row of `leaf_index`; return the original."""
    if system.backend == "sqlite":
        path = system.database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=30) as connection:
            (original,) = connection.execute("SELECT entry FROM api_events WHERE leaf_index = ?", (leaf_index,)).fetchone()
            connection.execute("UPDATE api_events SET entry = ? WHERE leaf_index = ?", (change(bytes(original)), leaf_index))
        return bytes(original)
    with psycopg.connect(system.database_url, autocommit=True) as connection:
        (original,) = connection.execute("SELECT entry FROM api_events WHERE leaf_index = %s", (leaf_index,)).fetchone()
        connection.execute("UPDATE api_events SET entry = %s WHERE leaf_index = %s", (change(bytes(original)), leaf_index))
    return bytes(original)


def test_record_changed_in_the_database_fails_verification(shop: Shop, page: Any) -> None:
    shipping = shop.lookup(shop.label_uri)["timeline"][1]
    leaf_index = shop.bundle(shipping["proofUrl"])["leafIndex"]
    original = _tamper_row(shop.system, leaf_index, lambda e: e[:126] + bytes(32))  # another salt
    try:
        assert _open(page, shop.label_uri) == "failed"
        verdicts = _verdicts(page)
        assert verdicts[0].startswith("✓ 已在账本上验证")
        # The server derives the leaf hash from the changed row: only the proof can tell.
        assert verdicts[1] == "✗ 验证失败：默克尔包含证明"
        assert page.get_attribute("#verify-1", "data-failed-step") == "inclusion"
    finally:
        _tamper_row(shop.system, leaf_index, lambda _e: original)


def test_open_recall_on_chain_shows_the_red_banner(shop: Shop, page: Any) -> None:
    assert _open(page, shop.recalled_uri) == "verified"
    assert page.eval_on_selector_all("#recall-banner > strong, #recall-banner > p", "n => n.map(x => x.textContent)") == [
        "召回警告", "此产品已被召回，请勿食用或使用。"]
    assert page.eval_on_selector("#result", "n => n.firstElementChild.id") == "recall-banner"


def test_printed_label_shown_to_the_camera_is_scanned_and_verified(shop: Shop, chromium: Any, tmp_path: Path) -> None:
    playwright, _ = chromium
    video = label_video(shop.label_png, tmp_path / "label.y4m")
    browser = launch_chromium(playwright, extra_args=fake_camera_args(video))
    try:
        context = new_phone_context(browser)
        context.grant_permissions(["camera"], origin=shop.system.api_url)
        camera_page = context.new_page()
        camera_page.goto(f"{shop.system.api_url}/scan")
        camera_page.wait_for_selector("body[data-ready]")
        camera_page.click("#camera-start")
        camera_page.wait_for_selector("body[data-verification]", timeout=30_000)
        assert camera_page.get_attribute("body", "data-decoder") == "jsQR"
        assert camera_page.get_attribute("body", "data-verification") == "verified"
        assert camera_page.url == f"{shop.system.api_url}/scan?uri={quote(shop.label_uri, safe='')}"
    finally:
        browser.close()

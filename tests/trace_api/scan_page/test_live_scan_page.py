"""The scan page on the real system (`traceledger up --dev`, SQLite and PostgreSQL), in
Debian's headless Chromium: a producer registers a product (its signed master-data record
goes into the log), prints a label and ships; a consumer opens the label's Digital Link URI
(or shows the printed label to the camera), the resolver's 303 lands on `/scan`, and the
page verifies in the browser everything it shows, from the lookup's `evidence` alone,
against the trust anchors pinned in `/scan/assets/anchors.js` (issue 15).

Each way the platform can lie is caught at its own step of `POST /v1/verify`: the issue's
own scenario (an event's time changed in the API's columns, body and entry left alone:
`event-hash`), a proof altered in transit, a record row changed in the database, an
enterprise name changed in the database; a recall the API hides is still read from
RecallRegistry. The same page built with `traceledger scan-page build` and hosted on a
second origin, reading chain state from the ledger node's own JSON-RPC, verifies too, and
so does one reading it from a regulator's own follower (`node run --follow`, issue 16).

The page itself is tested in depth in tests/scanner_app (against a stand-in API); here it
meets the real lookup, evidence, CORS and JSON-RPC.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
import zxingcpp
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from PIL import Image

from anchoring.anchor_contract import connect
from testing.chromium import fake_camera_args, launch_chromium, new_phone_context
from testing.loopback_http import serve
from testing.processes import Launched, free_port, python_command, repo_env
from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.scanner_app.y4m import label_video
from trace_api.verification.steps import STEP_NAMES

ANCHOR_TIMEOUT_S = 120
VERDICT_TIMEOUT_MS = 30_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
FARM_NAME = "云南绿源农场"
TRACELEDGER = Path(sys.executable).with_name("traceledger")  # the installed CLI of this venv
CLI_TIMEOUT_S = 120
SALT_BYTE = 140  # anchoring/core/entry.py: the salt is bytes 126..157 of a v1 entry


@dataclass
class Shop:
    system: LiveSystem
    farm: RegisteredEnterprise
    gtin: str
    label_uri: str  # serial 2 of lot L1, with its authenticator, on the API host
    label_png: bytes
    recalled_uri: str  # serial 1 of lot R1, recalled on chain

    def lookup(self, uri: str) -> dict[str, Any]:
        response = httpx.get(f"{self.system.api_url}/v1/public/lookup", params={"uri": uri}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def evidence_of(self, uri: str, biz_step: str) -> dict[str, Any]:
        """The lookup's evidence for the one timeline event of `biz_step`."""
        view = self.lookup(uri)
        (index,) = [i for i, entry in enumerate(view["timeline"]) if entry["bizStep"] == biz_step]
        evidence: dict[str, Any] = view["evidence"]["events"][index]
        assert evidence["eventHashId"] == view["timeline"][index]["eventHashId"]
        return evidence


def _post(system: LiveSystem, path: str, headers: dict[str, str], body: dict[str, Any]) -> httpx.Response:
    return httpx.post(system.api_url + path, json=body, headers=headers, timeout=120)


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def open_shop(live_system: LiveSystem) -> Shop:
    """A custodial farm with a product (its master-data record signed into the log), two
    printed lots, a shipping event with cold-chain readings, everything anchored; lot R1
    recalled on chain."""
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "100")
    farm = live_system.enterprise(name=FARM_NAME, custody="custodial", prefixes=[prefix], glns=[gln])
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
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": _stamp(shipped),
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": _stamp(shipped), "eventTimeZoneOffset": "+08:00",
            "epcList": [f"https://id.gs1.org/01/{gtin}/21/2"], "action": "OBSERVE",
            "bizStep": "shipping", "disposition": "in_transit",
            "bizLocation": {"id": f"https://id.gs1.org/414/{gln}"},
            "sensorElementList": [{"sensorMetadata": {"time": _stamp(shipped)}, "sensorReport": [
                {"type": "gs1:Temperature", "value": 3.5, "uom": "CEL"},
                {"type": "gs1:Temperature", "value": 4.1, "uom": "CEL", "time": _stamp(later)}]}],
        }]},
    }
    response = _post(live_system, "/v1/capture", headers, document)
    assert response.status_code == 202, response.text
    png = httpx.get(f"{live_system.api_url}/v1/labels", headers=headers, timeout=60,
                    params={"uri": f"{live_system.api_url}/01/{gtin}/10/L1/21/2?17=270131", "format": "png"})
    assert png.status_code == 200, png.text
    (label_uri,) = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)).convert("L"))]
    live_system.open_recall_on_chain(hashlib.sha256(f"https://id.gs1.org/01/{gtin}/10/R1".encode()).digest(),
                                     1, b"\x02" * 32)
    shop = Shop(live_system, farm, gtin, label_uri, png.content, f"{live_system.api_url}/01/{gtin}/10/R1/21/1")
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while True:
        views = [shop.lookup(shop.label_uri), shop.lookup(shop.recalled_uri)]
        # Settled: every record anchored and its receive-time block known (the chain mirror
        # caught up), the recall indexed.
        evidence = [e for v in views for e in v["evidence"]["events"] + v["evidence"]["masterData"]]
        if all(e["proof"]["status"] == "anchored" and e["memberBlock"] is not None for e in evidence) and views[1]["recall"]:
            break
        assert time.monotonic() < deadline, f"not anchored in {ANCHOR_TIMEOUT_S} s: {views}"
        time.sleep(1)
    assert [e["bizStep"] for e in views[0]["timeline"]] == ["commissioning", "shipping"]
    assert [m["kind"] for m in views[0]["evidence"]["masterData"]] == ["product"]
    return shop


@pytest.fixture(scope="module")
def shop(live_system: LiveSystem) -> Shop:
    return open_shop(live_system)


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


# --- reading the page ------------------------------------------------------------------------


def _open(page: Any, url: str) -> str:
    """Go to `url`; once the page has a verdict on everything it was given, return it."""
    page.goto(url)
    page.wait_for_selector("body[data-verification]", timeout=VERDICT_TIMEOUT_MS)
    return str(page.get_attribute("body", "data-verification"))


def _texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")  # type: ignore[no-any-return]


def _facts(page: Any, section: str) -> dict[str, str]:
    return dict(page.eval_on_selector_all(
        f"#{section} dl.facts > div", "rows => rows.map(r => [r.querySelector('dt').textContent, r.querySelector('dd').textContent])"))


@dataclass(frozen=True)
class Verdict:
    """One timeline record as the page shows it."""

    status: str  # verified | pending | failed
    failed_step: str | None
    line: str  # the status line
    steps: list[tuple[str, bool]]  # details.checks: (data-step, passed)
    detail: str  # why the failed step failed ("" if none did)
    heading: str


def _verdicts(page: Any) -> dict[str, Verdict]:
    """Event Hash ID -> the page's verdict on that record (the page orders failed records
    last: it cannot trust their time)."""
    rows = page.eval_on_selector_all(".timeline li.event", """items => items.map(li => {
        const status = li.querySelector('.verify');
        return [li.dataset.event, status.dataset.status, status.dataset.failedStep || null, status.textContent,
                [...li.querySelectorAll('details.checks li[data-step]')].map(s => [s.dataset.step, s.classList.contains('ok')]),
                li.querySelector('details.checks li:not(.ok) .detail')?.textContent || '',
                li.querySelector('h3').textContent];
    })""")
    return {event: Verdict(status, failed, line, [tuple(s) for s in steps], detail, heading)
            for event, status, failed, line, steps, detail, heading in rows}


def _verdict_lines(shop: Shop, uri: str) -> list[str]:
    """The start of the status line the page must show for each of `uri`'s records, in
    timeline order: block and time read from the chain here (Shanghai time, zh-CN)."""
    w3 = connect(shop.system.rpc_url)
    lines = []
    for evidence in shop.lookup(uri)["evidence"]["events"]:
        number = evidence["proof"]["anchor"]["blockNumber"]
        t = dt.datetime.fromtimestamp(w3.eth.get_block(number)["timestamp"], SHANGHAI)
        lines.append(f"✓ 已在账本上验证：区块 {number}，时间 "
                     f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}:{t.second:02d}，见证方 ")
    return lines


def _zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _production_day(body: dict[str, Any]) -> dt.date:
    """The commissioning event's local date, as the page derives the production date."""
    moment = dt.datetime.fromisoformat(body["eventTime"])
    return moment.astimezone(dt.datetime.strptime(body["eventTimeZoneOffset"], "%z").tzinfo).date()


# --- changing the API's database behind its back ---------------------------------------------


def _sql(system: LiveSystem, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement (`?` placeholders) on the API's database, committed; its rows."""
    if system.backend == "sqlite":
        with contextlib.closing(sqlite3.connect(system.database_url.removeprefix("sqlite:///"), timeout=30)) as lite, lite:
            return lite.execute(statement, params).fetchall()
    with psycopg.connect(system.database_url, autocommit=True) as pg:
        cursor = pg.execute(statement.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


@contextlib.contextmanager
def _column_changed(system: LiveSystem, table: str, column: str, keys: tuple[str, ...],
                    where: tuple[str, Any], change: Callable[[Any], Any]) -> Iterator[None]:
    """Set `column` of every row of `table` with `where[0] = where[1]` to `change(old)`;
    each row (named by its primary key `keys`) gets its own value back on exit."""
    key_list = ", ".join(keys)
    rows = _sql(system, f"SELECT {key_list}, {column} FROM {table} WHERE {where[0]} = ?", (where[1],))
    assert rows, f"no row of {table} with {where[0]} = {where[1]!r}"
    match = " AND ".join(f"{key} = ?" for key in keys)

    def write(value_of: Callable[[Any], Any]) -> None:
        for *key, value in rows:
            _sql(system, f"UPDATE {table} SET {column} = ? WHERE {match}", (value_of(value), *key))

    write(change)
    try:
        yield
    finally:
        write(lambda original: original)


# --- the honest label ------------------------------------------------------------------------


def test_label_uri_redirects_to_scan_and_everything_shown_is_verified_in_the_browser(shop: Shop, page: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    assert _open(page, shop.label_uri) == "verified"
    assert page.url == f"{shop.system.api_url}/scan?uri={quote(shop.label_uri, safe='')}"
    assert page.text_content("#verify-summary") == "✓ 全部 2 条记录已在账本上验证"
    # The product from its verified master-data record, the producer's name from its record
    # whose hash MemberRegistry holds, the production date from the commissioning body.
    commissioning = shop.evidence_of(shop.label_uri, "commissioning")
    assert page.text_content("#product-heading") == "有机生菜"
    assert page.text_content("#master-data-version") == "产品资料第 1 版，已验证企业签名"
    assert page.locator("#master-data-failed").count() == 0
    assert _facts(page, "product") == {
        "生产企业": FARM_NAME, "产地": "云南省昆明市", "商品条码 (GTIN)": shop.gtin, "批号": "L1", "序列号": "2",
        "生产日期": _zh_date(_production_day(commissioning["event"])),
        "保质期至": "2027年1月31日 (取自标签，未经链上验证)",  # printed on the label: labelled so
    }
    assert _texts(page, ".unverified") == [" (取自标签，未经链上验证)"]  # the expiry printed on the label, only
    assert page.eval_on_selector_all(".timeline h3", "n => n.map(x => x.textContent)") == ["赋码", "发货"]
    expected = _verdict_lines(shop, shop.label_uri)
    verdicts = list(_verdicts(page).values())
    assert [v.line[: len(prefix)] for v, prefix in zip(verdicts, expected, strict=True)] == expected
    for verdict in verdicts:
        assert verdict.steps == [(step, True) for step in STEP_NAMES]
    assert page.text_content("#cold-chain-verdict") == "所有读数都在允许范围内"
    assert page.locator("#recall-banner").count() == 0
    platform = httpx.get(f"{shop.system.api_url}/scan/trust-anchors.json", timeout=60).json()
    assert page.text_content("#trust-anchors").startswith(f"信任锚：{platform['name']}")  # whose anchors
    # Proofs came inside the lookup: no request per record.
    assert not [url for url in requested if "/proof" in url]


def test_open_recall_is_read_from_the_chain_even_when_the_api_hides_it(shop: Shop, page: Any) -> None:
    def hide_recall(route: Any) -> None:
        response = route.fetch()
        view = response.json()
        view["recall"] = None
        route.fulfill(response=response, body=json.dumps(view))

    for hidden in (False, True):
        if hidden:
            page.route("**/v1/public/lookup*", hide_recall)
        assert _open(page, shop.recalled_uri) == "verified"
        assert _texts(page, "#recall-banner > strong, #recall-banner > p") == [
            "召回警告", "此产品已被召回，请勿食用或使用。", "召回状态读取自链上召回登记合约"]
        assert page.get_attribute("#recall-banner", "data-source") == "chain"
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
        camera_page.wait_for_selector("body[data-verification]", timeout=VERDICT_TIMEOUT_MS)
        assert camera_page.get_attribute("body", "data-decoder") == "jsQR"
        assert camera_page.get_attribute("body", "data-verification") == "verified"
        assert camera_page.url == f"{shop.system.api_url}/scan?uri={quote(shop.label_uri, safe='')}"
    finally:
        browser.close()


# --- the scenario: a column that feeds the display -------------------------------------


def test_event_time_changed_in_the_api_columns_fails_at_event_hash_and_the_wrong_date_is_not_shown(
    shop: Shop, page: Any
) -> None:
    """Issue 15 as filed: one commissioning event's `event_time_ms` changed in `api_events`,
    `api_prov_events` and `api_prov_node_events`; body, entry and Event Hash ID untouched."""
    commissioning = shop.evidence_of(shop.label_uri, "commissioning")
    leaf_index = commissioning["proof"]["leafIndex"]
    genuine_day = _production_day(commissioning["event"])
    wrong = dt.datetime(2026, 1, 2, 9, 30, tzinfo=SHANGHAI)
    assert wrong.date() != genuine_day
    wrong_ms = int(wrong.timestamp() * 1000)
    with contextlib.ExitStack() as stack:
        for table, keys in (("api_events", ("leaf_index",)), ("api_prov_events", ("leaf_index",)),
                            ("api_prov_node_events", ("leaf_index", "ordinal"))):
            stack.enter_context(_column_changed(shop.system, table, "event_time_ms", keys,
                                                ("leaf_index", leaf_index), lambda _old: wrong_ms))
        served = shop.evidence_of(shop.label_uri, "commissioning")
        assert served["event"] == commissioning["event"] and served["proof"]["entry"] == commissioning["proof"]["entry"]
        assert shop.lookup(shop.label_uri)["timeline"][0]["time"] == "2026-01-02T01:30:00.000Z"  # the API says so

        assert _open(page, shop.label_uri) == "failed"
        verdicts = _verdicts(page)
        failed = verdicts[commissioning["eventHashId"]]
        assert failed.failed_step == "event-hash"
        assert failed.line == "✗ 验证失败：事件哈希由本机从事件内容重新计算"
        assert failed.steps == [("event-hash", False)]
        assert "2026-01-02T01:30:00.000Z" in failed.detail  # "the platform's summary says time ..."
        assert failed.heading != "赋码"  # nothing of a failed record is shown
        assert [v.status for v in verdicts.values()] == ["verified", "failed"]  # shipping still verifies
        assert page.text_content("#verify-summary") == "✗ 验证失败：1 条记录未通过检查"
        shown = page.inner_text("#result")
        assert _zh_date(wrong.date()) not in shown and "2026-01-02" not in shown
        assert "生产日期" not in _facts(page, "product")

    assert _open(page, shop.label_uri) == "verified"  # restored
    assert _facts(page, "product")["生产日期"] == _zh_date(genuine_day)


# --- a proof altered in transit, a record row changed, an enterprise name changed ----------------


@pytest.mark.parametrize(("fields_too", "step"), [(False, "entry-matches"), (True, "inclusion")],
                         ids=["entry-alone", "entry-and-its-fields"])
def test_proof_altered_in_transit_fails_at_its_step(shop: Shop, page: Any, fields_too: bool, step: str) -> None:
    """A salt byte of the shipping record's entry flipped inside the lookup answer: the entry
    then disagrees with the bundle's `entryFields` (entry-matches); with `entryFields`
    altered to match, the leaf hash no longer is SHA-256(0x00 || entry) (inclusion)."""
    shipping = shop.evidence_of(shop.label_uri, "shipping")["eventHashId"]

    def alter(route: Any) -> None:
        response = route.fetch()
        view = response.json()
        for item in view["evidence"]["events"]:
            if item["eventHashId"] == shipping:
                entry = bytearray(base64.b64decode(item["proof"]["entry"]))
                entry[SALT_BYTE] ^= 0x01
                item["proof"]["entry"] = base64.b64encode(bytes(entry)).decode("ascii")
                if fields_too:
                    item["proof"]["entryFields"]["salt"] = "0x" + entry[126:158].hex()
        route.fulfill(response=response, body=json.dumps(view))

    page.route("**/v1/public/lookup*", alter)
    assert _open(page, shop.label_uri) == "failed"
    verdicts = _verdicts(page)
    assert verdicts[shipping].failed_step == step
    assert verdicts[shipping].steps[-1] == (step, False)
    assert [v.status for event, v in verdicts.items() if event != shipping] == ["verified"]
    assert page.text_content("#verify-summary") == "✗ 验证失败：1 条记录未通过检查"


def test_record_row_changed_in_the_database_fails_at_inclusion(shop: Shop, page: Any) -> None:
    """Another salt in the shipping record's stored entry: the server derives the bundle
    (entry fields, leaf hash) from the changed row, so only the proof to the signed root can
    tell (event hash, signature and membership do not cover the salt)."""
    shipping = shop.evidence_of(shop.label_uri, "shipping")
    with _column_changed(shop.system, "api_events", "entry", ("leaf_index",),
                         ("leaf_index", shipping["proof"]["leafIndex"]), lambda entry: bytes(entry)[:126] + bytes(32)):
        assert _open(page, shop.label_uri) == "failed"
        verdicts = _verdicts(page)
        assert verdicts[shipping["eventHashId"]].failed_step == "inclusion"
        assert verdicts[shipping["eventHashId"]].line == "✗ 验证失败：默克尔包含证明"
        assert verdicts[shipping["eventHashId"]].steps == [(step, True) for step in STEP_NAMES[:4]] + [("inclusion", False)]
        assert [v.status for event, v in verdicts.items() if event != shipping["eventHashId"]] == ["verified"]
    assert _open(page, shop.label_uri) == "verified"


def test_enterprise_name_changed_in_the_database_is_shown_unverified_and_the_page_is_red(shop: Shop, page: Any) -> None:
    fake = "假冒有机农场"
    with _column_changed(shop.system, "api_enterprises", "name", ("enterprise_id",),
                         ("enterprise_id", shop.farm.id), lambda _name: fake):
        served = {e["enterpriseId"]: e["record"]["name"] for e in shop.lookup(shop.label_uri)["evidence"]["enterprises"]}
        assert served[shop.farm.id] == fake
        assert _open(page, shop.label_uri) == "failed"
        assert fake not in page.inner_text("body")
        assert FARM_NAME not in page.inner_text("#result")  # the page has no verified name to show
        assert "生产企业" not in _facts(page, "product")
        marks = page.eval_on_selector_all(".unverified", "n => n.map(x => x.dataset.unverified)")
        assert {"placeUnnamed", "enterpriseUnverified"} <= set(marks)
        # The records themselves still verify: it is the name that does not.
        assert [v.status for v in _verdicts(page).values()] == ["verified", "verified"]
        assert page.get_attribute("#verify-summary", "data-status") == "failed"
    assert _open(page, shop.label_uri) == "verified"


# --- the page on a second origin, with its own RPC endpoint ------------------------------------


def _cli(*args: str) -> None:
    result = subprocess.run([str(TRACELEDGER), *args], capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False)
    assert result.returncode == 0, f"traceledger {' '.join(args)}:\n{result.stdout}\n{result.stderr}"


def test_page_hosted_on_a_second_origin_with_its_own_rpc_endpoint_verifies_the_honest_record(
    shop: Shop, chromium: Any, tmp_path: Path
) -> None:
    """A regulator's copy: anchors fetched from the platform and reviewed, the bundle built
    to read records from the platform's API (CORS) and chain state from the ledger node's own
    JSON-RPC (not the API's /v1/chain/rpc proxy), served as plain files from another port."""
    _verifies_on_a_second_origin(shop, chromium, tmp_path, shop.system.rpc_url)


def test_page_reading_chain_state_from_a_regulators_own_follower_verifies_the_honest_record(
    shop: Shop, chromium: Any, tmp_path: Path
) -> None:
    """The regulator runs its own follower (`node run --follow`, keyless, every block
    re-executed and checked) and its copy of the page reads chain state from it alone."""
    system = shop.system
    port = free_port()
    follower_url = f"http://127.0.0.1:{port}"
    follower = Launched(
        python_command("ledger_node", "run", "--data-dir", str(tmp_path / "follower"),
                       "--rpc-port", str(port), "--follow", system.rpc_url,
                       "--genesis", str(system.data_dir / "node" / "genesis.json")),
        env=repo_env(), log_path=tmp_path / "follower.log")
    try:
        head = int(httpx.post(system.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber",
                                                    "params": []}, timeout=10).json()["result"], 16)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                health = httpx.get(f"{follower_url}/health", timeout=5).json()
                if health["head"] >= head:
                    break
            time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "follower.log").read_text()[-3000:])
        assert health["follower"]["rejections"] == []
        _verifies_on_a_second_origin(shop, chromium, tmp_path, follower_url)
    finally:
        follower.stop()


def _verifies_on_a_second_origin(shop: Shop, chromium: Any, tmp_path: Path, rpc_url: str) -> None:
    system = shop.system
    anchors_file, site = tmp_path / "anchors.json", tmp_path / "site"
    _cli("scan-page", "anchors", "--api", system.api_url, "--out", str(anchors_file))
    anchors = json.loads(anchors_file.read_text(encoding="utf-8"))
    assert anchors["chainId"] == system.chain_id
    assert anchors["contracts"]["traceAnchor"].lower() == system.contract_address("TraceAnchor").lower()
    _cli("scan-page", "build", "--anchors", str(anchors_file), "--out", str(site),
         "--api", system.api_url, "--rpc", rpc_url)
    static = FastAPI()
    static.mount("/", StaticFiles(directory=site, html=True))  # plain files, none of the platform's headers
    context = new_phone_context(chromium[1])
    asked: set[str] = set()
    try:
        with serve(static) as origin:
            assert urlsplit(origin).netloc not in {urlsplit(system.api_url).netloc, urlsplit(rpc_url).netloc}
            page = context.new_page()
            page.on("request", lambda request: asked.add(f"{urlsplit(request.url).scheme}://{urlsplit(request.url).netloc}"))
            failures: list[str] = []
            page.on("requestfailed", lambda request: failures.append(f"{request.url}: {request.failure}"))
            assert _open(page, f"{origin}/?uri={quote(shop.label_uri, safe='')}") == "verified", failures
            assert page.text_content("#verify-summary") == "✓ 全部 2 条记录已在账本上验证"
            assert page.text_content("#product-heading") == "有机生菜"
            assert _facts(page, "product")["生产企业"] == FARM_NAME
            for verdict in _verdicts(page).values():
                assert verdict.steps == [(step, True) for step in STEP_NAMES]
            assert f"节点 {urlsplit(rpc_url).netloc}" in page.text_content("#trust-anchors")
    finally:
        context.close()
    # Records from the platform's API, chain state from the given node, nothing else.
    assert asked == {origin, system.api_url, rpc_url}

"""The scan page in headless Chromium against the stand-in API over a real anchored ledger:
label URI -> 303 -> /scan -> timeline verified in the browser; tampering, recalls,
equipment, copied codes, errors, languages, keyboard, contrast and the 360 px layout."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from testing.scan_ledger import WITNESS_NAME, SmallLedger
from testing.scan_standin_api import (
    COPIED_PATH,
    EQUIPMENT_PATH,
    FOOD_PATH,
    INVALID_PATH,
    PENDING_PATH,
    RECALLED_PATH,
    StandinApi,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
RED = "rgb(176, 0, 32)"  # --bad, #b00020


def zh_time(seconds: int) -> str:
    """Intl.DateTimeFormat('zh-CN', {dateStyle: 'medium', timeStyle: 'medium'}) in Shanghai."""
    t = datetime.fromtimestamp(seconds, SHANGHAI)
    return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def en_time(seconds: int) -> str:
    """Intl.DateTimeFormat('en-GB', {dateStyle: 'medium', timeStyle: 'medium'}) in Shanghai."""
    t = datetime.fromtimestamp(seconds, SHANGHAI)
    return f"{t.day} {t.strftime('%b')} {t.year}, {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}"


def open_verified(page: Any, url: str) -> str:
    """Go to `url`, wait until every timeline record has a verdict; return the overall one."""
    page.goto(url)
    page.wait_for_selector("body[data-verification]", timeout=20_000)
    return page.get_attribute("body", "data-verification")


def texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent.trim())")


def facts(page: Any, section: str) -> dict[str, str]:
    return dict(page.eval_on_selector_all(
        f"#{section} dl.facts > div", "rows => rows.map(r => [r.querySelector('dt').textContent, r.querySelector('dd').textContent])"))


def test_label_uri_redirects_to_the_scan_page_and_every_record_verifies(
    page: Any, base_url: str, ledger: SmallLedger, screenshot_dir: Path
) -> None:
    label_uri = base_url + FOOD_PATH
    assert open_verified(page, label_uri) == "verified"
    assert page.url == f"{base_url}/scan?uri={quote(label_uri, safe='')}"
    assert page.text_content("#verify-summary") == "✓ 全部 4 条记录已在账本上验证"
    assert page.text_content("#product-heading") == "有机生菜"
    assert facts(page, "product") == {
        "生产企业": "云南绿源农场", "产地": "云南省昆明市呈贡区", "商品条码 (GTIN)": "09506000134352",
        "批号": "LOT1", "生产日期": "2026年11月20日", "保质期至": "2026年12月5日",
    }
    # farm to shelf, oldest first, with places
    assert texts(page, ".timeline h3") == ["收获", "发货", "收货", "零售"]
    assert texts(page, ".timeline .facts div:first-child dd") == [
        "云南省昆明市呈贡区", "昆明冷链中心", "上海配送中心", "上海市徐汇区超市"]
    first, second = ledger.heads
    witnessed_first = f"{WITNESS_NAME}, {short(ledger.witness.lower())}"
    assert texts(page, ".timeline .verify") == [
        f"✓ 已在账本上验证：区块 {first.block_number}，时间 {zh_time(first.block_time)}，见证方 {witnessed_first}",
        f"✓ 已在账本上验证：区块 {first.block_number}，时间 {zh_time(first.block_time)}，见证方 {witnessed_first}",
        f"✓ 已在账本上验证：区块 {first.block_number}，时间 {zh_time(first.block_time)}，见证方 {witnessed_first}",
        f"✓ 已在账本上验证：区块 {second.block_number}，时间 {zh_time(second.block_time)}，见证方 {WITNESS_NAME}",
    ]
    # cold chain: the band 0..5 °C and the one reading above it
    assert page.get_attribute("#cold-chain svg", "aria-label") == "温度曲线，允许范围 0 至 5 °C；最低 2.8，最高 5.8"
    assert page.locator("#cold-chain svg rect.band").count() == 1
    assert page.locator("#cold-chain svg circle.bad").count() == 1
    assert page.text_content("#cold-chain-verdict") == "1 个读数超出允许范围"
    assert texts(page, "#certifications li") == ["GB/T 19630 有机产品 · 中国质量认证中心 · 有机 CQC-OP-2026-0815"]
    assert page.locator("#recall-banner").count() == 0
    page.screenshot(path=str(screenshot_dir / "scan-food-zh.png"), full_page=True, scale="css")


def test_proof_bundle_altered_in_transit_fails_the_entry_check(page: Any, base_url: str, ledger: SmallLedger) -> None:
    target = ledger.event_hash_id(1)  # the shipping record

    def alter_one_byte(route: Any) -> None:
        response = route.fetch()
        bundle = response.json()
        if bundle["eventHashId"] == target:
            entry = bytearray(base64.b64decode(bundle["entry"]))
            entry[100] ^= 0x01  # inside the signature
            bundle["entry"] = base64.b64encode(bytes(entry)).decode("ascii")
        route.fulfill(response=response, body=json.dumps(bundle))

    page.route("**/v1/events/*/proof", alter_one_byte)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert page.text_content("#verify-summary") == "✗ 验证失败：1 条记录未通过检查"
    verdicts = texts(page, ".timeline .verify")
    assert verdicts[1] == "✗ 验证失败：日志条目与事件一致"
    assert [v.startswith("✓ 已在账本上验证") for v in verdicts] == [True, False, True, True]
    assert page.get_attribute("#verify-1", "data-failed-step") == "entry"
    assert page.eval_on_selector("#verify-1", "n => getComputedStyle(n).color") == RED


def test_record_changed_in_the_database_fails_the_leaf_hash_check(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger, screenshot_dir: Path
) -> None:
    entry = bytearray(ledger.entries[3])
    entry[125] ^= 0x01  # receive time moved by a millisecond in the stored row
    api.tampered_entries[3] = bytes(entry)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert texts(page, ".timeline .verify")[2] == "✗ 验证失败：叶子哈希"
    assert page.get_attribute("#verify-2", "data-failed-step") == "leafHash"
    page.click("#verify-2 + details summary")
    assert texts(page, "#verify-2 + details li")[-1] == "✗ 叶子哈希 — SHA-256(0x00 || entry) differs from leafHash"
    page.screenshot(path=str(screenshot_dir / "scan-tampered-zh.png"), full_page=True, scale="css")


def test_open_recall_shows_a_red_banner_first(page: Any, base_url: str, screenshot_dir: Path) -> None:
    assert open_verified(page, base_url + RECALLED_PATH) == "verified"
    banner = page.locator("#recall-banner")
    assert banner.get_attribute("role") == "alert"
    assert texts(page, "#recall-banner > strong, #recall-banner > p") == ["召回警告", "此产品已被召回，请勿食用或使用。"]
    recall_facts = dict(page.eval_on_selector_all(
        "#recall-banner dl > div", "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent])"))
    assert recall_facts == {"原因": "李斯特菌检测阳性 / Listeria detected", "召回级别": "1", "发布时间": "2026年11月25日 17:30"}
    assert page.eval_on_selector("#recall-banner", "n => getComputedStyle(n).backgroundColor") == RED
    assert page.eval_on_selector("#result", "n => n.firstElementChild.id") == "recall-banner"
    page.screenshot(path=str(screenshot_dir / "scan-recall-zh.png"), full_page=True, scale="css")


def test_equipment_shows_inspection_maintenance_and_overdue_in_red(page: Any, base_url: str, screenshot_dir: Path) -> None:
    assert open_verified(page, base_url + EQUIPMENT_PATH) == "verified"
    assert page.text_content("#product-heading") == "乘客电梯 3 号梯"
    assert facts(page, "equipment") == {
        "注册代码": "31103101002019060015", "制造单位": "苏州迅达电梯有限公司", "安装单位": "上海安装工程公司",
        "最近检验": "2025年6月5日", "检验结论": "合格", "检验机构": "上海市特种设备监督检验技术研究院",
        "下次检验日期": "2026年6月5日 (已逾期)", "最近维保": "2026年11月18日", "维保单位": "上海梯安维保有限公司",
        "应急救援代码": "96333-0315",
    }
    assert page.eval_on_selector("#next-due", "n => getComputedStyle(n).color") == RED
    assert texts(page, ".timeline h3") == ["赋码", "安装", "检验"]
    assert page.text_content("#verify-summary") == "✓ 全部 3 条记录已在账本上验证"
    page.screenshot(path=str(screenshot_dir / "scan-equipment-zh.png"), full_page=True, scale="css")


def test_wrong_authenticator_and_clone_alarm_warn(page: Any, base_url: str) -> None:
    assert open_verified(page, base_url + COPIED_PATH) == "verified"
    assert page.text_content("#auth-warning") == "此标签的防伪码不正确，可能是假冒产品。"
    assert page.text_content("#clone-warning") == "此代码已在 9 个不同地点被扫描 41 次，可能被复制。"


def test_pending_record_is_shown_as_waiting_for_the_anchor(page: Any, base_url: str) -> None:
    assert open_verified(page, base_url + PENDING_PATH) == "pending"
    assert texts(page, ".timeline .verify")[1] == "… 已记录并签名，等待锚定上链"
    assert page.text_content("#verify-summary") == "1 条已验证，1 条等待上链"


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("typed-garbage", "这不是有效的溯源码，请检查后重试。"),
        ("typed-bad-check-digit", "这不是有效的溯源码，请检查后重试。"),
        ("server-400", "这不是有效的溯源码，请检查后重试。"),
        ("unknown-404", "没有找到这个代码的记录。"),
        ("network-down", "网络连接出现问题，请稍后重试。"),
        ("server-500", "服务暂时不可用，请稍后重试。"),
    ],
)
def test_errors_get_a_friendly_message_and_never_a_stack_trace(
    page: Any, base_url: str, api: StandinApi, how: str, expected: str
) -> None:
    page.goto(base_url + "/scan")
    page.wait_for_selector("body[data-ready]")
    code = {
        "typed-garbage": "hello world", "typed-bad-check-digit": "09506000134353",
        "server-400": base_url + INVALID_PATH, "unknown-404": "09506000134369",
        "network-down": "01/09506000134352/10/LOT1", "server-500": "01/09506000134352/10/LOT1",
    }[how]
    if how == "network-down":
        page.route("**/v1/public/lookup*", lambda route: route.abort("internetdisconnected"))
    if how == "server-500":
        api.lookup_status = 500
    page.fill("#code-input", code)
    page.press("#code-input", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == expected
    assert page.is_hidden("#result")
    body = page.inner_text("body")
    for leak in ("Traceback", "Error:", "problem", "stack", "undefined"):
        assert leak not in body


def test_english_follows_the_browser_language(browser: Any, base_url: str, ledger: SmallLedger, screenshot_dir: Path) -> None:
    from testing.chromium import new_phone_context

    context = new_phone_context(browser, locale="en-US")
    try:
        page = context.new_page()
        assert open_verified(page, base_url + FOOD_PATH) == "verified"
        assert page.get_attribute("html", "lang") == "en"
        assert page.title() == "Trace check · TraceLedger"
        assert page.text_content("#verify-summary") == "✓ All 4 records verified on the ledger"
        head = ledger.heads[1]
        assert texts(page, ".timeline .verify")[3] == (
            f"✓ Verified on ledger: block {head.block_number}, time {en_time(head.block_time)}, witnessed by {WITNESS_NAME}")
        assert texts(page, ".timeline h3") == ["Harvested", "Shipped", "Received", "Sold"]
        assert page.text_content("#lang-switch") == "中文"
        page.screenshot(path=str(screenshot_dir / "scan-food-en.png"), full_page=True, scale="css")
    finally:
        context.close()


def test_chinese_by_default_and_the_switch_is_remembered(page: Any, base_url: str) -> None:
    assert open_verified(page, base_url + FOOD_PATH) == "verified"
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.title() == "溯源验证 · TraceLedger"
    page.focus("#lang-switch")
    page.keyboard.press("Enter")  # keyboard works on the switch
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#verify-summary") == "✓ All 4 records verified on the ledger"
    assert page.text_content("#scan-heading") == "Scan the QR code on the label"
    page.reload()
    page.wait_for_selector("body[data-verification]")
    assert page.get_attribute("html", "lang") == "en"
    page.click("#lang-switch")
    assert page.text_content("#verify-summary") == "✓ 全部 4 条记录已在账本上验证"


def test_keyboard_alone_reaches_every_control_and_looks_a_code_up(page: Any, base_url: str) -> None:
    page.goto(base_url + "/scan")
    page.wait_for_selector("body[data-ready]")
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert order == ["lang-switch", "camera-start", "image-input", "code-input", "查询"]
    assert page.eval_on_selector("#code-input", "n => n.labels[0].textContent") == "或输入标签上的链接或商品条码 (GTIN)"
    page.focus("#code-input")
    page.keyboard.type("01/09506000134352/10/LOT1")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-verification]")
    assert page.text_content("#verify-summary") == "✓ 全部 4 条记录已在账本上验证"
    assert page.url == f"{base_url}/scan?uri={quote(base_url + FOOD_PATH, safe='')}"


_CONTRAST = """() => {
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const rgba = (text) => text.match(/[\\d.]+/g).map(Number);
  const background = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const node of document.querySelectorAll('body *')) {
    if (node.closest('svg') || node.closest('[hidden]') || !node.offsetParent && node.tagName !== 'BODY') continue;
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own) continue;
    const fg = luminance(rgba(getComputedStyle(node).color)), bg = luminance(background(node));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    out.push([node.tagName + (node.id ? '#' + node.id : '') + '.' + node.className, Math.round(ratio * 100) / 100]);
  }
  return out;
}"""


@pytest.mark.parametrize("path", [FOOD_PATH, RECALLED_PATH, EQUIPMENT_PATH, COPIED_PATH])
def test_every_visible_text_has_contrast_of_at_least_4_5(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger, path: str
) -> None:
    api.tampered_entries[5] = bytes([ledger.entries[5][0]]) + bytes(157)  # one failed verdict (red text) too
    open_verified(page, base_url + path)
    measured = page.evaluate(_CONTRAST)
    assert len(measured) > 30
    low = [(name, ratio) for name, ratio in measured if ratio < 4.5]
    assert low == []


def test_360_px_layout_does_not_scroll_sideways(page: Any, base_url: str, screenshot_dir: Path) -> None:
    page.goto(base_url + "/scan")
    page.wait_for_selector("body[data-ready]")
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    page.screenshot(path=str(screenshot_dir / "scan-home-zh.png"), scale="css")
    open_verified(page, base_url + EQUIPMENT_PATH)
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    open_verified(page, base_url + FOOD_PATH)
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    width = page.eval_on_selector("#cold-chain svg", "n => n.getBoundingClientRect().width")
    assert 280 <= width <= 340


def test_a_pending_record_is_checked_again_until_it_is_anchored(page: Any, base_url: str, ledger: SmallLedger) -> None:
    served = []

    def pending_first(route: Any) -> None:
        response = route.fetch()
        bundle = response.json()
        if bundle["eventHashId"] == ledger.event_hash_id(5) and not served:
            served.append("pending")
            bundle = ledger.bundle(5, pending=True)  # the anchorer has not put its head on chain yet
        route.fulfill(response=response, body=json.dumps(bundle))

    page.route("**/v1/events/*/proof", pending_first)
    assert open_verified(page, base_url + FOOD_PATH) == "pending"
    assert texts(page, ".timeline .verify")[3] == "… 已记录并签名，等待锚定上链"
    page.wait_for_selector("body[data-verification='verified']", timeout=10_000)
    assert page.text_content("#verify-summary") == "✓ 全部 4 条记录已在账本上验证"
    assert texts(page, ".timeline .verify")[3].startswith(f"✓ 已在账本上验证：区块 {ledger.heads[1].block_number}")

"""The scan page in headless Chromium against the stand-in API over a real anchored ledger:
the specification of what a consumer sees (issue 15).

Honest pages: every record of the lookup's `evidence` verifies in the browser against the
pinned trust anchors, and everything shown (product, producer, origin, certifications,
timeline, cold chain, equipment dates, the recall) comes from verified inputs. Then one
test per way the server can lie: the page is not green, the lie fails at its own named
step (`data-failed-step`, the names of `POST /v1/verify`), and the lied-about value is
not shown. Then errors, languages, keyboard, contrast and the 360 px layout.
"""

from __future__ import annotations

import copy
import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from anchoring.core import (
    Checkpoint,
    LogEntry,
    NoteSigner,
    TraceRecord,
    WitnessCosigner,
    encode_entry,
    sign_checkpoint,
    sign_record,
)
from anchoring.core.keccak import keccak256
from testing.scan_ledger import LOG_ORIGIN, WITNESS_NAME, SmallLedger, address_of
from testing.scan_records import CARRIER, FARM, SHIPPING, gln
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
GREEN = "rgb(10, 107, 47)"  # --ok, #0a6b2f
STEPS = ["event-hash", "entry-matches", "signature", "submitter-active",
         "inclusion", "checkpoint", "anchored-on-chain", "witnesses"]
STEP_ZH = {
    "event-hash": "事件哈希由本机从事件内容重新计算", "entry-matches": "日志条目与事件一致",
    "signature": "企业签名 (EIP-712)", "submitter-active": "签名企业当时是有效成员",
    "checkpoint": "日志检查点签名", "witnesses": "见证方联署",
}
FOOD_EVENT_LEAVES = (0, 2, 3, 5, 6)
"""The food lot's anchored events, oldest first: the lookup's timeline."""
NOT_SHOWN = "未通过验证的记录（内容不显示）"


# --- helpers -----------------------------------------------------------------------------------


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
    """Go to `url`, wait until every record has a verdict; return the overall one."""
    page.goto(url)
    page.wait_for_selector("body[data-verification]", timeout=20_000)
    return page.get_attribute("body", "data-verification")


def texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent.trim())")


def facts(page: Any, section: str) -> dict[str, str]:
    return dict(page.eval_on_selector_all(
        f"#{section} dl.facts > div", "rows => rows.map(r => [r.querySelector('dt').textContent, r.querySelector('dd').textContent])"))


def facts_of_entry(page: Any, index: int) -> dict[str, str]:
    """The facts (place, party, quantity) of the `index`th timeline entry."""
    return dict(page.eval_on_selector_all(
        f"li.event:nth-child({index + 1}) dl.facts > div",
        "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent])"))


def color(page: Any, selector: str) -> str:
    return page.eval_on_selector(selector, "n => getComputedStyle(n).color")


_RECORD = """(id) => {
  const item = [...document.querySelectorAll('li.event')].find((n) => n.dataset.event === id);
  if (!item) return null;
  const status = item.querySelector('.verify');
  return {
    status: status.dataset.status, failedStep: status.dataset.failedStep ?? null, text: status.textContent,
    heading: item.querySelector('h3').textContent, color: getComputedStyle(status).color,
    steps: [...item.querySelectorAll('details.checks li')].map((li) => [li.dataset.step, li.textContent]),
    reason: item.querySelector('.reason').hidden ? null
      : {code: item.querySelector('.reason').dataset.reason, text: item.querySelector('.reason').textContent},
  };
}"""


def record(page: Any, hash_id: str) -> dict[str, Any]:
    """The timeline entry of the record listed as `hash_id`: verdict, heading and checks."""
    found = page.evaluate(_RECORD, hash_id)
    assert found is not None, f"{hash_id} is not on the page"
    return found


def assert_red(page: Any, failed: int = 1) -> None:
    """The page is not green: the body says failed, the summary is red and says so."""
    assert page.get_attribute("body", "data-verification") == "failed"
    assert page.get_attribute("#verify-summary", "data-status") == "failed"
    assert page.text_content("#verify-summary") == f"✗ 验证失败：{failed} 条记录未通过检查"
    assert color(page, "#verify-summary") == RED
    assert "✓ 全部" not in page.inner_text("body")


def assert_failed_at(page: Any, hash_id: str, step: str, detail: str) -> None:
    """Record `hash_id` failed at `step` (red, named, the checks up to it shown, its reason
    given) and none of its body is shown."""
    found = record(page, hash_id)
    assert (found["status"], found["failedStep"]) == ("failed", step)
    assert found["text"] == f"✗ 验证失败：{STEP_ZH[step]}"
    assert found["color"] == RED
    assert found["heading"] == NOT_SHOWN
    at = STEPS.index(step)
    assert [s for s, _ in found["steps"]] == STEPS[: at + 1]
    assert all(text.startswith("✓ ") for _, text in found["steps"][:at])
    assert found["steps"][at][1].startswith(f"✗ {STEP_ZH[step]} — ")
    assert detail in found["steps"][at][1]
    # Why, for people, in Chinese (the technical detail above stays as the checks list it).
    assert found["reason"] is not None and re.search(r"[\u4e00-\u9fff]", found["reason"]["text"]), found["reason"]


def page_text(page: Any) -> str:
    """Everything the page holds as text or attribute (a lie must be in none of it)."""
    return page.content()


def _entry_signed_by(ledger: SmallLedger, leaf: int, key: bytes, *, submitter: str | None = None) -> bytes:
    """Leaf `leaf`'s entry (same digest, receive time, salt) signed by `key`, naming
    `submitter` (default: the key's own address)."""
    original = ledger.entries[leaf]
    named = submitter or address_of(key)
    signature = sign_record(TraceRecord(original[1:33], named), ledger.domain, key)
    return encode_entry(LogEntry(event_hash=original[1:33], submitter=bytes.fromhex(named[2:]), signature=signature,
                                 received_at_ms=int.from_bytes(original[118:126], "big"), salt=original[126:]))


def _revert_until(flag: dict[str, bool], data: str) -> Any:
    """An RPC hook answering `eth_call` with `data` by a revert while `flag["anchored"]` is false."""

    def hook(call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        if not flag["anchored"] and call["method"] == "eth_call" and call["params"][0].get("data") == data:
            return {"jsonrpc": "2.0", "id": call.get("id"), "error": {"code": 3, "message": "execution reverted"}}
        return answer

    return hook


# --- honest pages ------------------------------------------------------------------------------


def test_food_lot_every_record_verifies_and_everything_shown_comes_from_verified_records(
    page: Any, base_url: str, ledger: SmallLedger, screenshot_dir: Path
) -> None:
    label_uri = base_url + FOOD_PATH
    assert open_verified(page, label_uri) == "verified"
    assert page.url == f"{base_url}/scan?uri={quote(label_uri, safe='')}"  # the resolver's 303
    assert page.text_content("#verify-summary") == "✓ 全部 5 条记录已在账本上验证"
    assert color(page, "#verify-summary") == GREEN
    # product: name, producer, origin from the signed master data and the on-chain enterprise record
    assert page.text_content("#product-heading") == "有机生菜"
    assert page.text_content("#master-data-version") == "产品资料第 1 版，已验证企业签名"
    assert page.locator("#master-data-failed").count() == 0
    assert facts(page, "product") == {
        "生产企业": "云南绿源农场", "产地": "云南省昆明市呈贡区", "商品条码 (GTIN)": "09506000134352",
        "批号": "LOT1", "生产日期": "2026年11月20日",  # the date of the verified commissioning event
    }
    assert texts(page, "#certifications li") == ["GB/T 19630 有机产品 · 中国质量认证中心 · 有机 CQC-OP-2026-0815"]
    # the timeline, farm to shelf, from the signed bodies; places named by verified enterprise records
    assert page.eval_on_selector_all("li.event", "ns => ns.map(n => n.dataset.event)") == [
        ledger.event_hash_id(leaf) for leaf in FOOD_EVENT_LEAVES]
    assert texts(page, ".timeline h3") == ["赋码", "包装", "发货", "收货", "收货"]
    assert texts(page, ".timeline time") == [
        "2026年11月20日 06:00", "2026年11月20日 11:30", "2026年11月20日 22:00", "2026年11月22日 08:00", "2026年11月23日 07:30"]
    assert [facts_of_entry(page, index) for index in range(5)] == [
        {"地点": "云南绿源农场", "企业": "云南绿源农场", "数量": "1200 KGM"},
        {"地点": "云南绿源农场", "企业": "云南绿源农场", "数量": "1200 KGM"},
        {"地点": "滇运冷链物流", "企业": "滇运冷链物流"},
        {"地点": "滇运冷链物流", "企业": "滇运冷链物流"},
        {"地点": "鲜果超市", "企业": "鲜果超市", "数量": "200 KGM"},
    ]
    first, second = ledger.heads
    witnessed_first = f"{WITNESS_NAME}, {short(ledger.witness.lower())}"  # cosigned, and on chain
    assert texts(page, ".timeline .verify") == [
        *[f"✓ 已在账本上验证：区块 {first.block_number}，时间 {zh_time(first.block_time)}，见证方 {witnessed_first}"] * 3,
        *[f"✓ 已在账本上验证：区块 {second.block_number}，时间 {zh_time(second.block_time)}，见证方 {WITNESS_NAME}"] * 2,
    ]
    for index in range(5):
        steps = page.eval_on_selector_all(f"#verify-{index} ~ details li", "ns => ns.map(n => [n.dataset.step, n.className])")
        assert steps == [[step, "ok"] for step in STEPS]
    # cold chain: the shipping body's own sensor readings, one above the 0..5 °C band
    assert page.get_attribute("#cold-chain svg", "aria-label") == "温度曲线，允许范围 0 至 5 °C；最低 3.1，最高 5.8"
    assert page.locator("#cold-chain svg rect.band").count() == 1
    assert page.locator("#cold-chain svg circle.bad").count() == 1
    assert page.text_content("#cold-chain-verdict") == "1 个读数超出允许范围"
    # whose anchors the page uses, and the node it asked
    assert page.text_content("#trust-anchors") == (
        f"信任锚：TraceLedger scan test ledger · 链 {ledger.chain_id} · 节点 {base_url.removeprefix('http://')}")
    assert page.locator("#recall-banner").count() == 0
    assert page.locator("#recall-unchecked").count() == 0
    assert page.locator("#not-linked").count() == 0
    page.screenshot(path=str(screenshot_dir / "scan-food-zh.png"), full_page=True, scale="css")


def test_equipment_shows_the_verified_lift_inspection_only(page: Any, base_url: str, ledger: SmallLedger,
                                                          screenshot_dir: Path) -> None:
    assert open_verified(page, base_url + EQUIPMENT_PATH) == "verified"
    assert page.text_content("#verify-summary") == "✓ 全部 1 条记录已在账本上验证"
    # from the inspector's signed event; the API's own columns (name, maker, codes) are not signed
    assert facts(page, "equipment") == {
        "最近检验": "2026年11月21日", "检验结论": "合格", "检验机构": "上海市特种设备监督检验技术研究院",
    }
    assert color(page, "#equipment dd span.ok") == GREEN
    assert texts(page, ".timeline h3") == ["检验"]
    assert page.text_content("#product-heading") == "产品"
    body = page.inner_text("body")
    for unsigned in ("乘客电梯 3 号梯", "苏州迅达电梯有限公司", "96333-0315"):
        assert unsigned not in body
    page.screenshot(path=str(screenshot_dir / "scan-equipment-zh.png"), full_page=True, scale="css")


def test_open_recall_is_read_from_the_chain_and_shown_first(page: Any, base_url: str, screenshot_dir: Path) -> None:
    assert open_verified(page, base_url + RECALLED_PATH) == "verified"
    banner = page.locator("#recall-banner")
    assert banner.get_attribute("role") == "alert"
    assert banner.get_attribute("data-source") == "chain"
    assert page.eval_on_selector("#result", "n => n.firstElementChild.id") == "recall-banner"
    assert texts(page, "#recall-banner > strong, #recall-banner > p") == [
        "召回警告", "此产品已被召回，请勿食用或使用。", "召回状态读取自链上召回登记合约"]
    recall_facts = dict(page.eval_on_selector_all(
        "#recall-banner dl > div", "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent])"))
    # class and time from RecallRegistry (opened 2026-11-25T01:20Z); the API's reason text
    # because its SHA-256 is the recall's reasonHash on chain
    assert recall_facts == {"原因": "李斯特菌检测阳性 / Listeria detected", "召回级别": "1", "发布时间": "2026年11月25日 09:20"}
    assert page.eval_on_selector("#recall-banner", "n => getComputedStyle(n).backgroundColor") == RED
    # the server sent the records of LOT1: none of them is shown as this lot's history
    assert page.text_content("#not-linked") == "5 条记录与此代码无关，未显示"
    assert page.locator("li.event").count() == 0
    page.screenshot(path=str(screenshot_dir / "scan-recall-zh.png"), full_page=True, scale="css")


def test_pending_record_is_shown_as_waiting_for_the_anchor(page: Any, base_url: str, ledger: SmallLedger) -> None:
    assert open_verified(page, base_url + PENDING_PATH) == "pending"
    assert page.text_content("#verify-summary") == "5 条已验证，1 条等待上链"
    pending = record(page, ledger.event_hash_id(7))
    assert (pending["status"], pending["text"], pending["heading"]) == ("pending", "… 已记录并签名，等待锚定上链", "零售")
    assert [s for s, _ in pending["steps"]] == STEPS
    assert pending["steps"][6][1] == "✗ 根哈希已锚定在链上 — no head of size 8 anchored yet"
    assert [text[:10] for text in texts(page, ".timeline .verify")] == ["✓ 已在账本上验证："] * 5 + ["… 已记录并签名，等"]


def test_a_pending_record_is_checked_again_until_it_is_anchored(page: Any, base_url: str, api: StandinApi,
                                                                ledger: SmallLedger) -> None:
    """The anchorer has not put the head of size 7 on chain yet when the page opens; a few
    seconds later it has, and the page turns green without a reload."""
    selector = "0x" + keccak256(b"rootAtSize(uint64)")[:4].hex()
    flag = {"anchored": False}
    api.rpc_hook = _revert_until(flag, selector + (7).to_bytes(32, "big").hex())
    for leaf in (5, 6):
        api.proof_members[leaf] = {"status": "pending", "anchor": None}
    assert open_verified(page, base_url + FOOD_PATH) == "pending"
    assert page.text_content("#verify-summary") == "3 条已验证，2 条等待上链"
    assert record(page, ledger.event_hash_id(5))["text"] == "… 已记录并签名，等待锚定上链"
    flag["anchored"] = True
    page.wait_for_selector("body[data-verification='verified']", timeout=10_000)
    assert page.text_content("#verify-summary") == "✓ 全部 5 条记录已在账本上验证"
    assert record(page, ledger.event_hash_id(5))["text"].startswith(f"✓ 已在账本上验证：区块 {ledger.heads[1].block_number}")


def test_copied_label_warnings_are_marked_as_reported_by_the_platform(page: Any, base_url: str) -> None:
    assert open_verified(page, base_url + COPIED_PATH) == "verified"
    reported = " (由平台提供，无法在您的设备上验证)"
    assert page.text_content("#auth-warning") == "此标签的防伪码不正确，可能是假冒产品。" + reported
    assert page.text_content("#clone-warning") == "此代码已在 9 个不同地点被扫描 41 次，可能被复制。" + reported
    for warning in ("#auth-warning", "#clone-warning"):
        assert page.get_attribute(f"{warning} .unverified", "data-unverified") == "platformReported"
    assert facts(page, "product")["序列号"] == "77"


# --- each lie: not green, failed at its own step, the lie not shown ---------------------------------


def test_lie_1_a_changed_summary_column_fails_event_hash_and_is_not_shown(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger, screenshot_dir: Path
) -> None:
    """Issue 15's report: the commissioning time changed in the API's columns (body, entry
    and hash ID left alone) moved the production date under a green tick."""
    api.summary_columns[0] = {"time": "2026-01-01T22:00:00.000Z"}  # 2026-01-02 06:00 in Shanghai
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    assert_failed_at(page, ledger.event_hash_id(0), "event-hash",
                     'the platform\'s summary says time "2026-01-01T22:00:00.000Z", the signed event says ')
    assert "2026年1月2日" not in page.inner_text("body")
    assert "生产日期" not in facts(page, "product")  # its source, the commissioning event, failed
    page.click("li.event:last-child details summary")
    page.screenshot(path=str(screenshot_dir / "scan-tampered-zh.png"), full_page=True, scale="css")


def test_lie_2_a_changed_body_fails_entry_matches_and_its_readings_are_not_shown(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    body = copy.deepcopy(SHIPPING)
    body["sensorElementList"][0]["sensorReport"][3]["value"] = 4.8  # the 5.8 °C excursion hidden
    api.event_bodies[3] = body
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    assert_failed_at(page, ledger.event_hash_id(3), "entry-matches", "the entry commits to 0x")
    assert page.locator("#cold-chain").count() == 0  # no readings from an unverified body
    assert "4.8" not in page.inner_text("body")


@pytest.mark.parametrize("with_its_proof", [False, True], ids=["body-only", "body-and-its-genuine-proof"])
def test_lie_3_a_swapped_body_of_another_event_fails_entry_matches(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger, with_its_proof: bool
) -> None:
    """The row of the DC receipt (leaf 5) now holds the store receipt's body (leaf 6), the
    columns derived from it; or also leaf 6's genuine entry and proof."""
    swapped = ledger.records[6].body
    api.event_bodies[5] = swapped
    api.summary_columns[5] = {k: v for k, v in api.summary(6).items() if k in ("time", "eventType", "bizStep", "location")}
    if with_its_proof:
        api.proof_members[5] = api.bundle(6)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    detail = (f"the platform lists {ledger.event_hash_id(5)}, but sent the record {ledger.event_hash_id(6)}"
              if with_its_proof else "the entry commits to 0x")
    assert_failed_at(page, ledger.event_hash_id(5), "entry-matches", detail)
    # the store receipt is shown once, as itself; the DC receipt not at all
    assert texts(page, ".timeline h3") == ["赋码", "包装", "发货", "收货", NOT_SHOWN]
    assert texts(page, ".timeline time")[-1] == "2026年11月23日 07:30"


def test_a_listed_record_without_its_signed_body_fails_and_shows_nothing(
    page: Any, base_url: str, ledger: SmallLedger
) -> None:
    """The lookup lists the shipping event (its columns, a place name) but sends no body for it."""
    shipping = ledger.event_hash_id(3)

    def drop_its_evidence(route: Any) -> None:
        response = route.fetch()
        view = response.json()
        view["evidence"]["events"] = [item for item in view["evidence"]["events"] if item["eventHashId"] != shipping]
        route.fulfill(response=response, json=view)

    page.route("**/v1/public/lookup*", drop_its_evidence)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    assert_failed_at(page, shipping, "event-hash", "the platform sent no signed event body for this record")
    assert "发货" not in texts(page, ".timeline h3")
    assert page.locator("#cold-chain").count() == 0


def test_lie_4_a_fake_master_data_name_fails_and_is_shown_nowhere(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    fake = copy.deepcopy(ledger.records[1].body)
    fake["product"]["name"] = {"zh": "特级有机生菜", "en": "Premium organic lettuce"}
    api.master_data_records[1] = fake  # the lookup's product columns say so too
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert page.get_attribute("#master-data-failed", "data-failed-step") == "entry-matches"
    assert page.text_content("#master-data-failed") == "✗ 产品资料未通过验证：日志条目与事件一致"
    assert "the entry commits to 0x" in page.get_attribute("#master-data-failed", "title")
    assert page.get_attribute("#verify-summary", "data-status") == "failed"
    assert page.text_content("#verify-summary").startswith("✗ 验证失败")
    assert color(page, "#verify-summary") == RED
    for lie in ("特级有机生菜", "Premium organic lettuce"):
        assert lie not in page_text(page)
    assert page.text_content("#product-heading") == "产品"
    assert page.locator("#master-data-version").count() == 0
    assert page.locator("#certifications").count() == 0  # nothing else from the failed record
    assert "产地" not in facts(page, "product")


def test_lie_5_a_forged_signature_fails_signature(page: Any, base_url: str, api: StandinApi, ledger: SmallLedger) -> None:
    carrier = address_of(CARRIER.private_key)
    stranger = secrets.token_bytes(32)
    api.tampered_entries[3] = _entry_signed_by(ledger, 3, stranger, submitter=carrier)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    assert_failed_at(page, ledger.event_hash_id(3), "signature",
                     f"signature recovers to {address_of(stranger)}, the entry names {carrier}")
    assert "发货" not in texts(page, ".timeline h3")


def test_lie_6_a_valid_signature_by_a_non_member_key_fails_submitter_active(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    stranger = secrets.token_bytes(32)
    api.tampered_entries[0] = _entry_signed_by(ledger, 0, stranger)
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page)
    assert_failed_at(page, ledger.event_hash_id(0), "submitter-active",
                     f"MemberRegistry.hasRole({address_of(stranger)}, Enterprise) at block {ledger.member_blocks[0]}")
    assert "赋码" not in texts(page, ".timeline h3")


def test_lie_7_a_recall_hidden_by_the_api_still_shows_red(page: Any, base_url: str, api: StandinApi) -> None:
    api.hide_recalls = True
    open_verified(page, base_url + RECALLED_PATH)
    assert page.get_attribute("#recall-banner", "data-source") == "chain"
    assert page.eval_on_selector("#result", "n => n.firstElementChild.id") == "recall-banner"
    assert page.text_content("#recall-banner > strong") == "召回警告"
    assert page.eval_on_selector("#recall-banner", "n => getComputedStyle(n).backgroundColor") == RED
    recall_facts = dict(page.eval_on_selector_all(
        "#recall-banner dl > div", "rows => rows.map(r => [r.children[0].textContent, r.children[1].textContent])"))
    assert recall_facts == {"召回级别": "1", "发布时间": "2026年11月25日 09:20"}  # no notice text offered, none shown


def test_lie_8_a_different_log_key_fails_checkpoint(page: Any, base_url: str, api: StandinApi, ledger: SmallLedger) -> None:
    """The server presents its own log key, and checkpoints signed with it."""
    impostor = NoteSigner.from_seed(LOG_ORIGIN, bytes(32))
    api.all_proof_members = {"log": {"origin": LOG_ORIGIN, "verifierKey": impostor.verifier().verifier_key}}
    for leaf in (*FOOD_EVENT_LEAVES, 1):
        api.proof_members[leaf] = {"checkpoint": ledger.signed_checkpoint(ledger.bundle(leaf)["treeSize"], signer=impostor)}
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page, failed=6)  # five events and the product master data
    detail = (f"the server presented log key {impostor.verifier().verifier_key}, "
              f"the page trusts {ledger.trust_anchors['log']['verifierKey']}")
    for leaf in FOOD_EVENT_LEAVES:
        assert_failed_at(page, ledger.event_hash_id(leaf), "checkpoint", detail)
    assert page.get_attribute("#master-data-failed", "data-failed-step") == "checkpoint"


def test_lie_9_a_different_witness_key_fails_witnesses(page: Any, base_url: str, api: StandinApi,
                                                       ledger: SmallLedger) -> None:
    """The server presents another key for the pinned witness, and cosignatures made with it."""
    impostor = WitnessCosigner.from_seed(WITNESS_NAME, bytes(32), timestamp=1)
    api.all_proof_members = {"witnesses": [{"name": WITNESS_NAME, "verifierKey": impostor.verifier().verifier_key}]}
    for leaf in (*FOOD_EVENT_LEAVES, 1):
        bundle = ledger.bundle(leaf)
        checkpoint = Checkpoint(LOG_ORIGIN, bundle["treeSize"], bytes.fromhex(bundle["rootHash"][2:]))
        api.proof_members[leaf] = {"checkpoint": sign_checkpoint(checkpoint, [ledger.log_signer, impostor])}
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert_red(page, failed=6)  # five events and the product master data
    detail = (f"the server presented witness key {impostor.verifier().verifier_key} for {WITNESS_NAME}, "
              f"the page trusts {ledger.trust_anchors['witnesses'][0]['verifierKey']}")
    for leaf in FOOD_EVENT_LEAVES:
        assert_failed_at(page, ledger.event_hash_id(leaf), "witnesses", detail)


def test_lie_10_a_fake_enterprise_name_is_labelled_unverified_and_not_green(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    api.enterprise_records[CARRIER.enterprise_id] = {**CARRIER.record, "name": "顺丰冷运"}
    assert open_verified(page, base_url + FOOD_PATH) == "failed"
    assert page.get_attribute("#verify-summary", "data-status") == "failed"
    assert color(page, "#verify-summary") == RED
    assert "✓ 全部" not in page.inner_text("body")
    assert "顺丰冷运" not in page_text(page)
    assert page.text_content("li.event:nth-child(3) h3") == "发货"  # the record itself verified
    assert page.get_attribute("#verify-2", "data-status") == "verified"
    carrier = address_of(CARRIER.private_key)
    assert facts_of_entry(page, 2) == {"地点": f"{gln('9506001', '00001')} (地点名称未经验证)",
                                       "企业": f"{short(carrier)} (企业名称未经验证)"}
    assert sorted(set(page.eval_on_selector_all(".timeline .unverified", "ns => ns.map(n => n.dataset.unverified)"))) == [
        "enterpriseUnverified", "placeUnnamed"]
    # the other enterprises' names, verified on chain, are still shown
    assert facts_of_entry(page, 0)["企业"] == FARM.name



# --- errors, languages, keyboard, contrast, layout ---------------------------------------------------


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
    assert page.get_attribute("body", "data-verification") is None
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
        assert page.text_content("#verify-summary") == "✓ All 5 records verified on the ledger"
        head = ledger.heads[1]
        assert texts(page, ".timeline .verify")[4] == (
            f"✓ Verified on ledger: block {head.block_number}, time {en_time(head.block_time)}, witnessed by {WITNESS_NAME}")
        assert texts(page, ".timeline h3") == ["Commissioned", "Packed", "Shipped", "Received", "Received"]
        assert page.text_content("#product-heading") == "Organic lettuce"
        assert page.text_content("#master-data-version") == "Product data version 1, signed by the enterprise"
        assert page.text_content("#trust-anchors").startswith("Trust anchors: TraceLedger scan test ledger · chain ")
        assert page.text_content("#lang-switch") == "中文"
        page.screenshot(path=str(screenshot_dir / "scan-food-en.png"), full_page=True, scale="css")
    finally:
        context.close()


def test_a_failed_step_is_named_in_the_users_language(browser: Any, base_url: str, api: StandinApi,
                                                      ledger: SmallLedger) -> None:
    from testing.chromium import new_phone_context

    api.summary_columns[0] = {"time": "2026-01-01T22:00:00.000Z"}
    context = new_phone_context(browser, locale="en-US")
    try:
        page = context.new_page()
        assert open_verified(page, base_url + FOOD_PATH) == "failed"
        assert page.text_content("#verify-summary") == "✗ Verification failed: 1 records did not pass"
        found = record(page, ledger.event_hash_id(0))
        assert found["text"] == "✗ Verification failed: Event Hash ID recomputed on this device from the event"
        assert found["heading"] == "Record that failed verification (content not shown)"
        assert found["reason"] == {"code": "summary-mismatch",
                                   "text": "What the platform shows differs from the event the enterprise signed."}
    finally:
        context.close()


def test_chinese_by_default_and_the_switch_is_remembered(page: Any, base_url: str) -> None:
    assert open_verified(page, base_url + FOOD_PATH) == "verified"
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.title() == "溯源验证 · TraceLedger"
    page.focus("#lang-switch")
    page.keyboard.press("Enter")  # keyboard works on the switch
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("#verify-summary") == "✓ All 5 records verified on the ledger"
    assert page.text_content("#scan-heading") == "Scan the QR code on the label"
    page.reload()
    page.wait_for_selector("body[data-verification]")
    assert page.get_attribute("html", "lang") == "en"
    page.click("#lang-switch")
    assert page.text_content("#verify-summary") == "✓ 全部 5 条记录已在账本上验证"


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
    assert page.text_content("#verify-summary") == "✓ 全部 5 条记录已在账本上验证"
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


@pytest.mark.parametrize("path", [COPIED_PATH, RECALLED_PATH, EQUIPMENT_PATH])  # COPIED: the food page and its warnings
def test_every_visible_text_has_contrast_of_at_least_4_5(
    page: Any, base_url: str, api: StandinApi, ledger: SmallLedger, path: str
) -> None:
    # red and warning texts too: one record failed, one enterprise name unverified
    api.tampered_entries[5] = bytes([ledger.entries[5][0]]) + bytes(157)
    api.enterprise_records[CARRIER.enterprise_id] = {**CARRIER.record, "name": "顺丰冷运"}
    open_verified(page, base_url + path)
    page.eval_on_selector_all("details.checks", "ns => ns.forEach(n => { n.open = true; })")
    measured = page.evaluate(_CONTRAST)
    assert len(measured) > 20
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
    page.eval_on_selector_all("details.checks", "ns => ns.forEach(n => { n.open = true; })")  # long hashes wrap
    assert page.evaluate("document.documentElement.scrollWidth") == 360
    width = page.eval_on_selector("#cold-chain svg", "n => n.getBoundingClientRect().width")
    assert 280 <= width <= 340

"""The scan page hosted on a second origin, as a regulator would (issue 15, deliverable 4).

The static bundle is built by the real CLI (`traceledger scan-page build`) with the test
ledger's trust anchors pinned, its API the stand-in and its JSON-RPC endpoint anvil itself,
then served as plain files from another loopback port. The page there reads records from
the platform's API across origins (CORS on the public reads) and chain state from its own
node, never through the platform's proxy: it verifies an honest lot, and it still catches
the API lying.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from testing.loopback_http import serve
from testing.scan_ledger import SmallLedger
from testing.scan_standin_api import FOOD_PATH, RECALLED_PATH, StandinApi

TRACELEDGER = Path(sys.executable).with_name("traceledger")
"""The installed CLI entry point of this venv (pyproject [project.scripts])."""
REGULATOR = "市场监管总局 · 自托管验证页"
RED = "rgb(176, 0, 32)"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="module")
def regulator(standin: tuple[StandinApi, str], ledger: SmallLedger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundle built by the CLI and served under /trace/ of another origin; yields its URL."""
    _, api_url = standin
    work = tmp_path_factory.mktemp("regulator")
    anchors = work / "anchors.json"
    anchors.write_text(json.dumps(ledger.trust_anchors), encoding="utf-8")
    site = work / "site"
    built = subprocess.run(
        [str(TRACELEDGER), "scan-page", "build", "--out", str(site / "trace"), "--anchors", str(anchors),
         "--api", api_url, "--rpc", ledger.anvil.url, "--name", REGULATOR, "--check-rpc", ledger.anvil.url],
        capture_output=True, text=True, timeout=120, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    static = FastAPI()
    static.mount("/", StaticFiles(directory=site, html=True))
    with serve(static) as origin:
        yield origin + "/trace/"


def texts(page: Any, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent.trim())")


def _open(page: Any, regulator: str, label_uri: str) -> list[str]:
    """Open the hosted page for `label_uri`, wait for the verdict; return every URL it asked."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{regulator}index.html?uri={quote(label_uri, safe='')}")
    page.wait_for_selector("body[data-verification]", timeout=20_000)
    return asked


def _platform_node_lies(call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The platform's JSON-RPC proxy answering every question with another chain's zeros."""
    return {"jsonrpc": "2.0", "id": call.get("id"), "result": "0x" + "00" * 32}


def test_an_honest_lot_verifies_with_records_from_the_api_and_chain_state_from_its_own_node(
    page: Any, regulator: str, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    api.rpc_hook = _platform_node_lies  # whatever the platform's node says must not matter here
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    asked = _open(page, regulator, base_url + FOOD_PATH)
    assert page.get_attribute("body", "data-verification") == "verified"
    assert page.text_content("#verify-summary") == "✓ 全部 5 条记录已在账本上验证"
    assert page.text_content("#product-heading") == "有机生菜"
    assert texts(page, ".timeline h3") == ["赋码", "包装", "发货", "收货", "收货"]
    node = urlsplit(ledger.anvil.url).netloc
    assert page.text_content("#trust-anchors") == f"信任锚：{REGULATOR} · 链 {ledger.chain_id} · 节点 {node}"
    # three origins: the page's own files, the platform's API (records only), the regulator's node
    by_origin: dict[str, set[str]] = {}
    for url in asked:
        by_origin.setdefault(_origin(url), set()).add(urlsplit(url).path)
    assert set(by_origin) == {_origin(regulator), base_url, _origin(ledger.anvil.url)}
    assert by_origin[base_url] == {"/v1/public/lookup"}
    assert errors == []


def test_a_lie_from_the_api_is_still_caught_on_the_second_origin(
    page: Any, regulator: str, base_url: str, api: StandinApi, ledger: SmallLedger
) -> None:
    api.summary_columns[0] = {"time": "2026-01-01T22:00:00.000Z"}  # issue 15's changed column
    _open(page, regulator, base_url + FOOD_PATH)
    assert page.get_attribute("body", "data-verification") == "failed"
    assert page.text_content("#verify-summary") == "✗ 验证失败：1 条记录未通过检查"
    assert page.eval_on_selector("#verify-summary", "n => getComputedStyle(n).color") == RED
    failed = page.eval_on_selector_all(".timeline .verify[data-failed-step]", "ns => ns.map(n => n.dataset.failedStep)")
    assert failed == ["event-hash"]
    assert "2026年1月2日" not in page.inner_text("body")


def test_a_recall_the_api_hides_is_read_from_the_regulators_node(
    page: Any, regulator: str, base_url: str, api: StandinApi
) -> None:
    api.hide_recalls = True
    api.rpc_hook = _platform_node_lies
    _open(page, regulator, base_url + RECALLED_PATH)
    assert page.get_attribute("#recall-banner", "data-source") == "chain"
    assert page.eval_on_selector("#result", "n => n.firstElementChild.id") == "recall-banner"
    assert page.text_content("#recall-banner > strong") == "召回警告"

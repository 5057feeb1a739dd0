"""The README's "Try it" walkthrough, call for call, on `traceledger up --dev` (SQLite), so
the walkthrough cannot rot: register a custodial enterprise with the admin key, a product,
print a label batch, scan a label (303 to /scan, consumer view), wait until anchored, fetch
the proof bundle, `traceledger verify`, `traceledger trace`, a recall, the audit export; and
the dev enterprises of `up --dev` work with their keys from dev-api-keys.json."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from typer.testing import CliRunner

from anchoring.core import RecordDomain, TraceRecord, sign_record
from gs1.keys import complete_gtin
from testing.system import LiveSystem, random_company_prefix, random_uscc
from traceledger_cli.main import app

ANCHOR_TIMEOUT_S = 90.0
LOT = "TEA2026A"

pytestmark = pytest.mark.parametrize("live_system", ["sqlite"], indirect=True)


def wait_for(fetch: Any, done: Any, what: str) -> Any:
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    while True:
        value = fetch()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {value}")
        time.sleep(0.5)


def test_try_it_walkthrough(live_system: LiveSystem, tmp_path: Path) -> None:
    api = live_system.api_url
    admin = live_system.admin_headers
    prefix = random_company_prefix()
    gtin = complete_gtin("0" + prefix + "001")

    # 1. a custodial enterprise, registered by the admin; its first API key comes back once
    registered = httpx.post(f"{api}/v1/enterprises", headers=admin, timeout=60, json={
        "name": "Minhou Tea Farm", "uscc": random_uscc(), "sectors": ["food"],
        "companyPrefixes": [prefix], "glns": ["9506000134352"], "custody": "custodial"})
    assert registered.status_code == 201, registered.text
    farm_id, farm_key = registered.json()["enterpriseId"], registered.json()["apiKey"]["key"]
    assert (registered.json()["status"], registered.json()["custody"]) == ("active", "custodial")
    farm = live_system.auth(farm_key)

    # 2. the product
    product = httpx.post(f"{api}/v1/products", headers=farm, timeout=60, json={
        "gtin": gtin, "name": {"zh": "明侯绿茶", "en": "Minhou green tea"}, "productClass": "ambient",
        "category": "tea", "origin": {"name": "Minhou tea garden", "gln": "9506000134352"}})
    assert product.status_code == 201, product.text

    # 3. ten labels: the serials are commissioned (one event) and printed as PNGs in a ZIP
    batch = httpx.post(f"{api}/v1/labels/batch", headers=farm, timeout=120, json={
        "gtin": gtin, "lot": LOT, "serials": "1-10", "expiry": "2027-11-30", "format": "zip-png"})
    assert batch.status_code == 200, batch.text
    assert batch.headers["content-type"] == "application/zip"
    [event_id] = batch.headers["TL-Commissioning-Events"].split(",")
    archive = zipfile.ZipFile(io.BytesIO(batch.content))
    assert archive.namelist() == [f"{n:04d}.png" for n in range(1, 11)]
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(archive.read("0001.png"))))
    uri = decoded.text
    assert uri.startswith(f"{api}/01/{gtin}/10/{LOT}/21/1?17=271130&auth=")

    # 4. a browser opening the label's Digital Link lands on the scan page
    scanned = httpx.get(uri, headers={"Accept": "text/html"}, timeout=30)
    assert scanned.status_code == 303
    assert scanned.headers["location"] == f"{api}/scan?uri={urllib.parse.quote(uri, safe='')}"
    page = httpx.get(scanned.headers["location"], timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")

    # 5. what the page shows once the record is anchored
    def lookup() -> dict[str, Any]:
        response = httpx.get(f"{api}/v1/public/lookup", params={"uri": uri}, timeout=30)
        assert response.status_code == 200, response.text
        return dict(response.json())

    view = wait_for(lookup, lambda v: [t["status"] for t in v["timeline"]] == ["anchored"], "the anchor")
    assert view["product"]["name"] == {"zh": "明侯绿茶", "en": "Minhou green tea"}
    assert view["product"]["producer"] == {"name": "Minhou Tea Farm", "enterpriseId": farm_id}
    assert (view["authenticity"]["authenticator"], view["authenticity"]["cloneAlarm"]) == ("valid", False)
    assert [(t["eventHashId"], t["bizStep"]) for t in view["timeline"]] == [(event_id, "commissioning")]
    assert view["recall"] is None

    # 6. the proof bundle, verified with `traceledger verify`
    proof = httpx.get(f"{api}/v1/events/{urllib.parse.quote(event_id, safe='')}/proof", headers=farm,
                      timeout=30)
    assert proof.status_code == 200, proof.text
    assert (proof.json()["status"], proof.json()["event"]["bizStep"]) == ("anchored", "commissioning")
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(proof.text, encoding="utf-8")
    runner = CliRunner()
    verified = runner.invoke(app, ["verify", str(proof_file), "--url", api], env={"COLUMNS": "200"})
    assert verified.exit_code == 0, verified.output
    assert verified.output.rstrip().splitlines()[-2:] == ["verified", "1 of 1 event(s) verified"]

    # 7. the lot's forward trace, by the enterprise itself
    lot_uri = f"https://id.gs1.org/01/{gtin}/10/{LOT}"
    traced = runner.invoke(app, ["trace", lot_uri, "--url", api, "--api-key", farm_key, "--direction", "forward"],
                           env={"COLUMNS": "200"})
    assert traced.exit_code == 0, traced.output
    lines = [line.rstrip() for line in traced.output.splitlines()]
    assert lines[0] == f"{lot_uri} (lot)  verdict: verified"
    assert lines[-1] == "verdict: verified — 1/1 events verified, 12 nodes"

    # 8. a recall of the lot, opened by the enterprise (its own prefix); the scan page shows it
    recall = httpx.post(f"{api}/v1/recalls", headers=farm, timeout=60, json={
        "uri": lot_uri, "class": "II", "reason": "Label misprint: allergen statement missing"})
    assert recall.status_code == 201, recall.text
    recall_id = recall.json()["id"]
    listed = wait_for(
        lambda: httpx.get(f"{api}/v1/recalls", params={"status": "open"}, headers=farm, timeout=30).json(),
        lambda body: recall_id in {r["id"] for r in body["recalls"]}, "the mirrored recall")
    [mirrored] = [r for r in listed["recalls"] if r["id"] == recall_id]
    assert (mirrored["class"], mirrored["uri"], mirrored["openedByEnterprise"]) == ("II", lot_uri, farm_id)
    impact = httpx.get(f"{api}/v1/recalls/{recall_id}/impact", headers=farm, timeout=60).json()
    assert (impact["counts"]["lot"], impact["counts"]["item"]) == (1, 10)
    assert lookup()["recall"]["reason"] == "Label misprint: allergen statement missing"

    # 9. the evidence export: one FSMA 204 row per commissioned serial, anchored
    export = httpx.get(f"{api}/v1/audit/export", params={"enterprise": farm_id, "format": "csv"},
                       headers=farm, timeout=60)
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert sorted(row["traceability_lot_code"] for row in rows) == sorted(
        f"(01){gtin}(21){n}" for n in range(1, 11))
    assert {(row["event_hash_id"], row["anchor_status"]) for row in rows} == {(event_id, "anchored")}


def test_dev_enterprises_are_ready_to_use(live_system: LiveSystem) -> None:
    """`up --dev` put the genesis enterprises in the API: enterprise1 (food, 0614141) can
    register its products with the key from dev-api-keys.json."""
    document = json.loads((live_system.data_dir / "dev-api-keys.json").read_text())["enterprises"]
    food = document["enterprise1"]
    assert (food["sectors"], food["companyPrefixes"], food["signingAddress"]) == (
        ["food"], ["0614141"], live_system.dev_keys["enterprise1"]["address"])
    product = {"gtin": "00614141000012", "name": {"en": "Dev apples"}, "productClass": "chilled"}
    response = httpx.post(f"{live_system.api_url}/v1/products", headers=live_system.auth(food["apiKey"]),
                          timeout=60, json=product)
    # A self-custody enterprise signs its master-data record itself (issue 15).
    assert response.status_code == 422, response.text
    to_sign = response.json()["masterData"]
    signature = sign_record(
        TraceRecord(bytes.fromhex(to_sign["eventHash"][2:]), to_sign["submitter"]),
        RecordDomain(live_system.chain_id, live_system.contract_address("TraceAnchor")),
        bytes.fromhex(live_system.dev_keys["enterprise1"]["privateKey"].removeprefix("0x")))
    response = httpx.post(f"{live_system.api_url}/v1/products", headers=live_system.auth(food["apiKey"]),
                          timeout=60, json={**product, "issuedAt": to_sign["record"]["issuedAt"],
                                            "signature": "0x" + signature.hex()})
    assert response.status_code == 201, response.text
    assert response.json()["enterpriseId"] == food["enterpriseId"]

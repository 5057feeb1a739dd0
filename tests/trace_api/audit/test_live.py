"""End to end on the real system (`traceledger up --dev`, SQLite and PostgreSQL): signed
capture through HTTP, anchoring by the real anchorer, findings for a regulator signed in
with OIDC, and an evidence bundle whose anchors are checked with eth_call on the chain."""

from __future__ import annotations

import io
import json
import time
import urllib.parse
import zipfile

import httpx
from eth_hash.auto import keccak

from anchoring.core import RecordDomain, TraceRecord, event_hash_id, sign_record
from testing.system import (
    LiveSystem,
    RegisteredEnterprise,
    random_company_prefix,
    with_check_digit,
)
from tests.trace_api.audit.builders import CONTEXT, at, harvest, receive, ship

ANCHOR_TIMEOUT_S = 90


def capture(live: LiveSystem, enterprise: RegisteredEnterprise, events: list[dict]) -> list[str]:  # type: ignore[type-arg]
    domain = RecordDomain(live.chain_id, live.contract_address("TraceAnchor"))
    document = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-20T09:00:00.000Z", "epcisBody": {"eventList": events}}
    hash_ids = [event_hash_id(event, context=CONTEXT) for event in events]
    assert enterprise.account is not None
    document["tl:signatures"] = {
        hash_id: "0x" + sign_record(TraceRecord(bytes.fromhex(hash_id[14:78]), enterprise.signing_address),
                                    domain, bytes(enterprise.account.key)).hex()
        for hash_id in hash_ids}
    response = httpx.post(f"{live.api_url}/v1/capture", content=json.dumps(document).encode(),
                          headers={**live.auth(enterprise.api_key), "Content-Type": "application/ld+json"},
                          timeout=60)
    assert response.status_code == 202, response.text
    assert [event["status"] for event in response.json()["events"]] == ["accepted"] * len(events)
    return hash_ids


def wait_anchored(live: LiveSystem, enterprise: RegisteredEnterprise, hash_ids: list[str]) -> None:
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    for hash_id in hash_ids:
        while True:
            proof = httpx.get(f"{live.api_url}/v1/events/{urllib.parse.quote(hash_id, safe='')}/proof",
                              headers=live.auth(enterprise.api_key), timeout=30).json()
            if proof.get("status") == "anchored":
                break
            assert time.monotonic() < deadline, f"{hash_id} not anchored: {proof}"
            time.sleep(0.5)


def root_at_size(live: LiveSystem, tree_size: int) -> str:
    data = "0x" + keccak(b"rootAtSize(uint64)")[:4].hex() + tree_size.to_bytes(32, "big").hex()
    response = httpx.post(live.rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [
        {"to": live.contract_address("TraceAnchor"), "data": data}, "latest"]}, timeout=30)
    return str(response.json()["result"])


def test_findings_and_bundle_end_to_end(live_system: LiveSystem) -> None:
    # Each records at its own GLN (capture's write rules: shipping and receiving happen
    # where the enterprise stands).
    farm_gln, shop_gln = (with_check_digit(random_company_prefix() + "100") for _ in range(2))
    farm = live_system.enterprise(name="Audit Farm", glns=[farm_gln])
    shop = live_system.enterprise(name="Audit Shop", glns=[shop_gln])
    lot = f"urn:epc:class:lgtin:{farm.company_prefixes[0]}.0123.AUD1"
    stray = f"urn:epc:class:lgtin:{farm.company_prefixes[0]}.0123.AUD2"
    at_farm, at_shop = ({"readPoint": {"id": f"https://id.gs1.org/414/{gln}"}}
                        for gln in (farm_gln, shop_gln))
    farm_ids = capture(live_system, farm, [harvest(at(1), lot=lot), ship(at(2), lot=lot, **at_farm)])
    shop_ids = capture(live_system, shop, [receive(at(3), lot=lot, **at_shop),
                                           receive(at(3, 9), lot=stray, **at_shop)])
    wait_anchored(live_system, farm, farm_ids)
    wait_anchored(live_system, shop, shop_ids)

    regulator = live_system.auth(live_system.regulator_token())
    response = httpx.get(f"{live_system.api_url}/v1/audit/findings", params={"enterprise": shop.id},
                         headers=regulator, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scanned"] == 2
    assert [(f["rule"], f["eventHashId"], f["message"]) for f in body["findings"]] == [
        ("broken_chain", shop_ids[1], f"{stray} received with no earlier shipment recorded by a member")]

    # the same finding rides on the trace of the stray lot, for a regulator and for the shop
    stray_message = f"{stray} received with no earlier shipment recorded by a member"
    for headers in (regulator, live_system.auth(shop.api_key)):
        traced = httpx.get(f"{live_system.api_url}/v1/trace", params={"id": stray, "direction": "backward"},
                           headers=headers, timeout=60)
        assert traced.status_code == 200, traced.text
        assert [(f["rule"], f["severity"], f["eventHashId"], f["enterpriseId"], f["message"])
                for f in traced.json()["findings"]] == [
            ("broken_chain", "high", shop_ids[1], shop.id, stray_message)]

    # the shop may not audit the farm
    denied = httpx.get(f"{live_system.api_url}/v1/audit/findings", params={"enterprise": farm.id},
                       headers=live_system.auth(shop.api_key), timeout=60)
    assert denied.status_code == 403

    exported = httpx.get(f"{live_system.api_url}/v1/audit/export",
                         params={"enterprise": farm.id, "format": "bundle"}, headers=regulator,
                         timeout=120)
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["records"], manifest["anchored"], manifest["chainId"]) == (2, 2, live_system.chain_id)
    for name in sorted(n for n in archive.namelist() if n.startswith("proofs/")):
        proof = json.loads(archive.read(name))
        assert proof["eventHashId"] in farm_ids
        # step 6 of the README: the chain itself names the root the proof leads to
        assert root_at_size(live_system, proof["treeSize"]) == proof["rootHash"]
        assert proof["anchor"]["rootHash"] == proof["rootHash"]

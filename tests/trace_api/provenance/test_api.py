"""`/v1/trace` and `/v1/recalls` end to end on the live system (SQLite and PostgreSQL):
events captured through `/v1/capture`, anchored by the running anchorer, traced with
verification; a recall opened on chain, mirrored by the indexer, and its impact listed."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gs1.keys import TRANSFORMATION_PREFIX
from testing.system import LiveSystem, RegisteredEnterprise
from tests.trace_api.provenance.networks import FoodChain, key
from trace_api.provenance.views import ImpactJson

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
TIMEOUT_S = 90.0


def fresh_prefix() -> str:
    """A 7-digit company prefix no other test uses (8 + 6 random digits)."""
    return "8" + "".join(secrets.choice("0123456789") for _ in range(6))


@dataclass
class World:
    live: LiveSystem
    food: FoodChain
    farm: RegisteredEnterprise
    plant: RegisteredEnterprise
    hash_ids: list[str]  # by position in FoodChain.events()


def capture(live: LiveSystem, enterprise: RegisteredEnterprise, events: list[dict[str, Any]]) -> list[str]:
    document = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-20T09:00:00.000Z", "epcisBody": {"eventList": events}}
    response = httpx.post(f"{live.api_url}/v1/capture", json=document, headers=live.auth(enterprise.api_key),
                          timeout=60)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["accepted"], job["rejected"]) == (len(events), 0), job
    return [result["eventHashId"] for result in job["events"]]


@pytest.fixture(scope="module")
def world(live_system: LiveSystem) -> World:
    food = FoodChain(farm=fresh_prefix(), plant=fresh_prefix())
    farm = live_system.enterprise(name="Farm", custody="custodial", prefixes=[food.FARM.split(":")[4].split(".")[0]])
    plant = live_system.enterprise(name="Plant", custody="custodial",
                                   prefixes=[food.PLANT.split(":")[4].split(".")[0]])
    events = food.events()
    farm_ids = capture(live_system, farm, [events[p] for p in FoodChain.FARM_EVENTS])
    plant_ids = capture(live_system, plant, [e for p, e in enumerate(events) if p not in FoodChain.FARM_EVENTS])
    farm_iter, plant_iter = iter(farm_ids), iter(plant_ids)
    hash_ids = [next(farm_iter) if p in FoodChain.FARM_EVENTS else next(plant_iter) for p in range(len(events))]
    return World(live_system, food, farm, plant, hash_ids)


def get_trace(world: World, identifier: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    return httpx.get(f"{world.live.api_url}/v1/trace", params={"id": identifier, **params}, headers=headers,
                     timeout=60)


def wait_verified(world: World, identifier: str, direction: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        response = get_trace(world, identifier, world.live.admin_headers, direction=direction)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["verdict"] == "verified" or time.monotonic() > deadline:
            return body
        time.sleep(1)


def test_backward_trace_is_exact_and_verified(world: World) -> None:
    food = world.food
    body = wait_verified(world, food.ITEM_1, "backward")
    assert body["verdict"] == "verified"
    hub = TRANSFORMATION_PREFIX + world.hash_ids[3]
    edges = {(e["source"], e["target"], e["relation"], e["eventHashId"]) for e in body["edges"]}
    assert edges == food.backward_from_item_1(lambda position: world.hash_ids[position], hub)
    assert {n["id"]: n["depth"] for n in body["nodes"] if n["kind"] not in
            ("location", "party", "transaction", "enterprise")} == {
        key(food.ITEM_1): {"backward": 0}, hub: {"backward": 0}, key(food.LOT_P): {"backward": 1},
        key(food.PALLET_X): {"backward": 1}, key(food.LOT_A): {"backward": 1}, key(food.LOT_B): {"backward": 1}}
    assert {n["id"] for n in body["nodes"] if n["kind"] == "enterprise"} == {
        f"urn:traceledger:enterprise:{world.farm.id.lower()}", f"urn:traceledger:enterprise:{world.plant.id.lower()}"}
    assert [e["eventHashId"] for e in body["events"]] == [world.hash_ids[p] for p in (0, 1, 2, 3, 5, 7, 8, 9, 10)]
    for event in body["events"]:
        assert event["verification"]["signature"] == "valid"
        assert event["verification"]["inclusion"] == "verified"
        assert event["verification"]["verified"] is True
        assert event["verification"]["anchor"]["treeSize"] > event["leafIndex"]
    assert (body["truncated"], body["truncationReason"], body["cycles"]) == (False, None, [])


def test_trace_by_digital_link_and_limits(world: World) -> None:
    food = world.food
    digital_link = key(food.LOT_A).replace("https://id.gs1.org", "https://example.com") + "?17=270101"
    body = get_trace(world, digital_link, world.live.admin_headers, direction="forward", depth=1).json()
    assert body["id"] == key(food.LOT_A)
    assert {n["id"] for n in body["nodes"] if n["kind"] in ("lot", "item", "transformation")} == {
        key(food.LOT_A), TRANSFORMATION_PREFIX + world.hash_ids[3], key(food.ITEM_1), key(food.ITEM_2)}
    assert (body["truncated"], body["truncationReason"]) == (True, "depth")
    before = get_trace(world, food.ITEM_1, world.live.admin_headers, direction="backward",
                       at="2026-01-03T07:59:59Z").json()
    assert (before["events"], before["verdict"], before["at"]) == ([], "unverified", "2026-01-03T07:59:59.000Z")


def test_who_may_trace(world: World) -> None:
    food = world.food
    assert get_trace(world, food.ITEM_1, {}).status_code == 401
    assert get_trace(world, food.LOT_A, world.live.auth(world.farm.api_key)).status_code == 200
    hidden = get_trace(world, food.ITEM_1, world.live.auth(world.farm.api_key))  # only the plant names it
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    regulator = get_trace(world, food.ITEM_1, world.live.auth(world.live.regulator_token()))
    assert regulator.status_code == 200


@pytest.mark.parametrize(("identifier", "params", "status", "detail"), [
    ("urn:epc:id:sgtin:06141.1.1", {}, 400, "company prefix"),
    ("https://id.gs1.org/01/09506000134353", {}, 400, "check digit"),
    ("urn:epc:id:sgtin:0614141.022222.1", {"direction": "up"}, 400, None),
    ("urn:epc:id:sgtin:0614141.022222.1", {"depth": 99}, 400, None),
    ("urn:epc:id:sgtin:0614141.022222.1", {"at": "yesterday"}, 400, "RFC 3339"),
    ("urn:epc:id:sgtin:0614141.022222.1", {"at": "1" * 5_000}, 400, "at most 15 digits"),
    ("urn:epc:id:sgtin:0614141.022222.1", {"at": "\u00b2"}, 400, "RFC 3339"),
    ("urn:epc:id:sgtin:8999999.022222.404", {}, 404, "no captured event"),
])
def test_bad_input(world: World, identifier: str, params: dict[str, Any], status: int, detail: str | None) -> None:
    response = get_trace(world, identifier, world.live.admin_headers, **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if detail is not None:
        assert detail in response.json()["detail"]


def wait_mirrored(world: World, recall_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        response = httpx.get(f"{world.live.api_url}/v1/recalls/{recall_id}", headers=world.live.admin_headers,
                             timeout=30)
        if response.status_code == 200 and response.json()["status"] == status:
            return response.json()
        time.sleep(1)
    pytest.fail(f"recall {recall_id} not mirrored as {status} within {TIMEOUT_S} s")


def test_recall_open_mirror_impact_close(world: World) -> None:
    food, live = world.food, world.live
    regulator = live.auth(live.regulator_token())
    opened = httpx.post(f"{live.api_url}/v1/recalls", headers=regulator, timeout=60, json={
        "uri": key(food.LOT_A), "class": "I", "reason": "Listeria monocytogenes in lot FARMA"})
    assert opened.status_code == 201, opened.text
    recall_id = opened.json()["id"]
    assert recall_id == "0x" + hashlib.sha256(key(food.LOT_A).encode()).hexdigest()
    mirrored = wait_mirrored(world, recall_id, "open")
    assert (mirrored["class"], mirrored["reason"], mirrored["uri"]) == (
        "I", "Listeria monocytogenes in lot FARMA", key(food.LOT_A))
    listed = httpx.get(f"{live.api_url}/v1/recalls", params={"status": "open"}, headers=regulator, timeout=30).json()
    assert recall_id in {r["id"] for r in listed["recalls"]}

    impact = httpx.get(f"{live.api_url}/v1/recalls/{recall_id}/impact", headers=regulator, timeout=60).json()
    ImpactJson.model_validate(impact)
    assert [e["id"] for e in impact["lots"]] == sorted([key(food.LOT_A), key(food.LOT_P)])
    assert [e["id"] for e in impact["items"]] == sorted([key(food.ITEM_1), key(food.ITEM_2)])
    assert [e["id"] for e in impact["logisticUnits"]] == [key(food.PALLET_X)]
    assert [e["id"] for e in impact["locations"]] == sorted(key(u) for u in (food.FARM, food.PLANT, food.SHOP))
    assert [e["id"] for e in impact["parties"]] == sorted(
        key(u) for u in (food.FARM_PARTY, food.PLANT_PARTY, food.SHOP_PARTY))
    assert [e["id"] for e in impact["enterprises"]] == sorted([world.farm.id.lower(), world.plant.id.lower()])
    assert impact["truncated"] is False
    as_csv = httpx.get(f"{live.api_url}/v1/recalls/{recall_id}/impact", headers={**regulator, "Accept": "text/csv"},
                       timeout=60)
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["category", "id", "depth"]
    assert len(rows) == 1 + sum(impact["counts"].values())

    again = httpx.post(f"{live.api_url}/v1/recalls", headers=regulator, timeout=60, json={
        "uri": key(food.LOT_A), "class": "II", "reason": "twice"})
    assert again.status_code == 409, again.text
    changed = httpx.patch(f"{live.api_url}/v1/recalls/{recall_id}", headers=regulator, timeout=60,
                          json={"class": "II", "reason": "Listeria confirmed in 2 of 12 samples"})
    assert changed.status_code == 200, changed.text
    updated = wait_mirrored(world, recall_id, "updated")
    assert (updated["class"], updated["reason"]) == ("II", "Listeria confirmed in 2 of 12 samples")
    closed = httpx.post(f"{live.api_url}/v1/recalls/{recall_id}/close", headers=regulator, timeout=60,
                        json={"reason": "lot destroyed under supervision"})
    assert closed.status_code == 200, closed.text
    history = wait_mirrored(world, recall_id, "closed")["history"]
    assert [(h["change"], h["class"], h["reason"]) for h in history] == [
        ("opened", "I", "Listeria monocytogenes in lot FARMA"),
        ("updated", "II", "Listeria confirmed in 2 of 12 samples"),
        ("closed", None, "lot destroyed under supervision")]
    assert httpx.get(f"{live.api_url}/v1/recalls", timeout=30).status_code == 401
    missing = httpx.get(f"{live.api_url}/v1/recalls/0x{'0' * 64}", headers=regulator, timeout=30)
    assert missing.status_code == 404
    assert httpx.get(f"{live.api_url}/v1/recalls/not-a-subject", headers=regulator, timeout=30).status_code == 400


def test_enterprise_recalls_only_its_own_prefix(world: World) -> None:
    food, live = world.food, world.live
    plant = live.auth(world.plant.api_key)
    foreign = httpx.post(f"{live.api_url}/v1/recalls", headers=plant, timeout=60, json={
        "uri": key(food.LOT_A), "class": "III", "reason": "not ours"})
    assert foreign.status_code == 403, foreign.text
    own = httpx.post(f"{live.api_url}/v1/recalls", headers=plant, timeout=60, json={
        "uri": key(food.LOT_P), "class": "II", "reason": "undeclared allergen"})
    assert own.status_code == 201, own.text
    mirrored = wait_mirrored(world, own.json()["id"], "open")
    assert mirrored["openedByEnterprise"] == world.plant.id.lower()
    assert mirrored["history"][0]["companyPrefix"] == food.PLANT.split(":")[4].split(".")[0]
    impact = httpx.get(f"{live.api_url}/v1/recalls/{own.json()['id']}/impact", headers=plant, timeout=60).json()
    assert [e["id"] for e in impact["items"]] == sorted([key(food.ITEM_1), key(food.ITEM_2)])
    assert httpx.get(f"{live.api_url}/v1/recalls/{own.json()['id']}/impact",
                     headers=live.auth(world.farm.api_key), timeout=60).status_code == 403
    bad = httpx.post(f"{live.api_url}/v1/recalls", headers=plant, timeout=60, json={
        "uri": "urn:epc:id:sgtin:bad", "class": "II", "reason": "x"})
    assert bad.status_code == 400
    assert httpx.post(f"{live.api_url}/v1/recalls", headers=plant, timeout=60, json={
        "uri": key(food.LOT_P), "class": "IV", "reason": "x"}).status_code == 400



def test_self_custody_enterprise_relays_its_own_signed_recall(world: World) -> None:
    from anchoring.anchor_contract import connect, fee_params
    from contracts.artifacts import load_artifact

    live = world.live
    prefix = fresh_prefix()
    maker = live.enterprise(name="Lift maker", sectors=["special_equipment"], custody="self", prefixes=[prefix])
    assert maker.account is not None
    lift = f"https://id.gs1.org/8004/{prefix}LIFT-1"
    body = {"uri": lift, "class": "II", "reason": "brake defect in batch 7"}
    asked = httpx.post(f"{live.api_url}/v1/recalls", headers=live.auth(maker.api_key), json=body, timeout=60)
    assert asked.status_code == 400 and asked.json()["type"].endswith("/signature-required"), asked.text
    call = asked.json()
    w3 = connect(live.rpc_url)
    registry = w3.eth.contract(address=call["contract"], abi=load_artifact("RecallRegistry").abi)
    arguments = [bytes.fromhex(a[2:]) if isinstance(a, str) and a.startswith("0x") else a for a in call["arguments"]]
    transaction = registry.functions.openRecall(*arguments).build_transaction({
        "from": maker.account.address, "nonce": w3.eth.get_transaction_count(maker.account.address),
        "gas": 500_000, "chainId": live.chain_id, **fee_params(w3)})
    signed = maker.account.sign_transaction(transaction)
    wrong = {**body, "class": "I", "signedTransaction": "0x" + bytes(signed.raw_transaction).hex()}
    mismatch = httpx.post(f"{live.api_url}/v1/recalls", headers=live.auth(maker.api_key), json=wrong, timeout=60)
    assert mismatch.status_code == 400 and "another call" in mismatch.json()["title"], mismatch.text
    relayed = httpx.post(f"{live.api_url}/v1/recalls", headers=live.auth(maker.api_key), timeout=60,
                         json={**body, "signedTransaction": "0x" + bytes(signed.raw_transaction).hex()})
    assert relayed.status_code == 201, relayed.text
    mirrored = wait_mirrored(world, relayed.json()["id"], "open")
    assert (mirrored["uri"], mirrored["class"], mirrored["reason"], mirrored["openedByEnterprise"]) == (
        lift, "II", "brake defect in batch 7", maker.id.lower())


def test_traceledger_trace_prints_the_tree(world: World) -> None:
    from typer.testing import CliRunner

    from traceledger_cli.main import app

    food = world.food
    wait_verified(world, food.ITEM_2, "backward")
    result = CliRunner().invoke(app, ["trace", food.ITEM_2, "--url", world.live.api_url, "--api-key",
                                      world.live.admin_key, "--direction", "backward"],
                                env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.output.splitlines()]
    assert lines[0] == f"{key(food.ITEM_2)} (item)  verdict: verified"
    hub = TRANSFORMATION_PREFIX + world.hash_ids[3]
    identifier_lines = [line.strip("│├└─ ") for line in lines if "(" in line and "✔" not in line]
    assert identifier_lines == [
        f"{key(food.ITEM_2)} (item)  verdict: verified",
        f"{key(food.PALLET_X)} (logistic_unit)",  # children in key order: /00/ < /01/ < urn:
        f"{key(food.LOT_P)} (lot)",
        f"{hub} (transformation)",
        f"{key(food.LOT_A)} (lot)",
        f"{key(food.LOT_B)} (lot)",
    ]
    # 6 identifiers, 4 locations, 3 parties, 1 purchase order, 2 enterprises; events 0-3, 5, 7-9
    assert lines[-1] == "verdict: verified — 8/8 events verified, 16 nodes"
    assert sum("✔ 2026-01-05T08:00:00.000Z shipping" in line for line in lines) == 1


def test_trace_carries_audit_findings_and_matches_its_schema(world: World) -> None:
    """`findings` on a trace are the audit findings of `/v1/audit/findings?id=` (whose scope
    is the same both-direction trace), and the answers fit the documented models."""
    from trace_api.provenance.views import TraceJson

    body = wait_verified(world, world.food.ITEM_1, "both")
    TraceJson.model_validate(body)
    audit = httpx.get(f"{world.live.api_url}/v1/audit/findings", params={"id": world.food.ITEM_1},
                      headers=world.live.admin_headers, timeout=60)
    assert audit.status_code == 200, audit.text
    assert sorted((f["rule"], f["leafIndex"], f["message"]) for f in body["findings"]) == sorted(
        (f["rule"], f["leafIndex"], f["message"]) for f in audit.json()["findings"])
    assert {f["leafIndex"] for f in body["findings"]} <= {e["leafIndex"] for e in body["events"]}
    skipped = get_trace(world, world.food.ITEM_1, world.live.admin_headers, findings="false").json()
    assert skipped["findings"] == []

"""`GET /v1/public/lookup`'s `evidence` on the real system (issue 15, SQLite and PostgreSQL).

Everything the scan page needs to verify what it shows by itself, checked here with
`anchoring.core` and the chain alone, never with the API's word: each event body hashes
to its Event Hash ID and the log entry commits to it, the signature recovers to the
submitter, the inclusion proof leads to the anchored root on chain, the proof equals
`GET /v1/events/{id}/proof`, `memberBlock` is the last block at the receive time (and the
submitter was a member there); the product's master-data record hashes to its ID and is
proven the same way; every enterprise record hashes to the metadata hash on chain.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from web3 import Web3

from anchoring.anchor_contract import connect
from anchoring.core import (
    RecordDomain,
    TraceRecord,
    canonical_json,
    decode_entry,
    event_hash_digest,
    event_hash_id,
    leaf_hash,
    master_data_digest,
    master_data_hash_id,
    recover_record_signer,
    verify_inclusion,
)
from anchoring.core.keccak import keccak256
from contracts.abi import MemberRole
from contracts.artifacts import load_artifact
from testing.system import LiveSystem, RegisteredEnterprise, random_company_prefix, with_check_digit

ANCHOR_TIMEOUT_S = 120


@dataclass
class Shop:
    system: LiveSystem
    farm: RegisteredEnterprise
    retailer: RegisteredEnterprise
    gtin: str
    gln: str

    def lookup(self, uri: str) -> dict[str, Any]:
        response = httpx.get(f"{self.system.api_url}/v1/public/lookup", params={"uri": uri}, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def _capture(system: LiveSystem, farm: RegisteredEnterprise, events: list[dict[str, Any]]) -> None:
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-21T00:00:00Z", "epcisBody": {"eventList": events}}
    response = httpx.post(f"{system.api_url}/v1/capture", json=document,
                          headers=system.auth(farm.api_key), timeout=60)
    assert response.status_code == 202, response.text


def _kick_chain(system: LiveSystem) -> None:
    """Any transaction makes a block, so the last record's receive time has a later block."""
    system.enterprise(name="Block Maker Co.", custody="custodial")


@pytest.fixture(scope="module")
def shop(live_system: LiveSystem) -> Shop:
    prefix = random_company_prefix()
    gln = with_check_digit(prefix + "100")
    farm = live_system.enterprise(name="闽侯苹果农场", custody="custodial", prefixes=[prefix], glns=[gln])
    gtin = "0" + with_check_digit(prefix + "001")
    retailer_prefix = random_company_prefix()
    retailer_gln = with_check_digit(retailer_prefix + "200")
    retailer = live_system.enterprise(name="Fuzhou Fresh Mart", custody="custodial",
                                      prefixes=[retailer_prefix], glns=[retailer_gln])
    response = httpx.post(f"{live_system.api_url}/v1/products", headers=live_system.auth(farm.api_key),
                          timeout=60, json={"gtin": gtin, "productClass": "chilled",
                                            "name": {"zh": "有机苹果", "en": "Organic apples"},
                                            "origin": {"name": "Minhou, Fujian", "gln": gln}})
    assert response.status_code == 201, response.text
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    lot = f"https://id.gs1.org/01/{gtin}/10/L7"
    place = {"id": f"https://id.gs1.org/414/{gln}"}
    _capture(live_system, farm, [
        {"type": "ObjectEvent", "eventTime": (now - dt.timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
         "eventTimeZoneOffset": "+08:00", "epcList": [], "quantityList": [{"epcClass": lot, "quantity": 40,
                                                                           "uom": "KGM"}],
         "action": "ADD", "bizStep": "commissioning", "bizLocation": place},
        {"type": "ObjectEvent", "eventTime": (now - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
         "eventTimeZoneOffset": "+08:00", "quantityList": [{"epcClass": lot, "quantity": 40, "uom": "KGM"}],
         "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit", "bizLocation": place,
         "destinationList": [{"type": "owning_party",
                              "destination": f"https://id.gs1.org/417/{retailer_gln}"}]},
    ])
    return Shop(live_system, farm, retailer, gtin, gln)


def _evidence_when_settled(shop: Shop, uri: str) -> dict[str, Any]:
    """The view once every record is anchored and has its member block."""
    deadline = time.monotonic() + ANCHOR_TIMEOUT_S
    kicked = False
    while True:
        view = shop.lookup(uri)
        evidence = view["evidence"]
        records = evidence["events"] + evidence["masterData"]
        anchored = all(item["proof"]["status"] == "anchored" for item in records)
        if anchored and all(item["memberBlock"] is not None for item in records):
            return view
        if anchored and not kicked:
            _kick_chain(shop.system)
            kicked = True
        assert time.monotonic() < deadline, evidence
        time.sleep(1)


def _check_proof(system: LiveSystem, w3: Web3, bundle: dict[str, Any], digest: bytes,
                 member_block: int) -> str:
    """The bundle's entry commits to `digest`, is signed by its submitter, is in the tree
    anchored on chain; the submitter was an enterprise member at `member_block`, which is
    the last block at the receive time. Returns the submitter."""
    entry_bytes = base64.b64decode(bundle["entry"])
    entry = decode_entry(entry_bytes)
    assert entry.event_hash == digest
    submitter = Web3.to_checksum_address(entry.submitter)
    domain = RecordDomain(system.chain_id, system.contract_address("TraceAnchor"))
    assert recover_record_signer(TraceRecord(digest, submitter), domain, entry.signature) == submitter
    root = bytes.fromhex(bundle["rootHash"].removeprefix("0x"))
    verify_inclusion(leaf_hash(entry_bytes), bundle["leafIndex"], bundle["treeSize"],
                     [bytes.fromhex(node.removeprefix("0x")) for node in bundle["inclusionProof"]], root)
    anchor = w3.eth.contract(address=system.contract_address("TraceAnchor"),
                             abi=list(load_artifact("TraceAnchor").abi))
    assert bytes(anchor.functions.rootAtSize(bundle["treeSize"]).call()) == root
    second = entry.received_at_ms // 1000
    assert w3.eth.get_block(member_block)["timestamp"] <= second
    assert w3.eth.get_block(member_block + 1)["timestamp"] > second
    registry = w3.eth.contract(address=system.contract_address("MemberRegistry"),
                               abi=list(load_artifact("MemberRegistry").abi))
    assert registry.functions.hasRole(submitter, MemberRole.ENTERPRISE).call(block_identifier=member_block)
    return submitter


def test_evidence_lets_a_reader_verify_every_record_alone(shop: Shop) -> None:
    system = shop.system
    w3 = connect(system.rpc_url)
    view = _evidence_when_settled(shop, f"https://id.gs1.org/01/{shop.gtin}/10/L7")
    evidence = view["evidence"]
    assert [item["eventHashId"] for item in evidence["events"]] == [
        entry["eventHashId"] for entry in view["timeline"]]
    assert [entry["bizStep"] for entry in view["timeline"]] == ["commissioning", "shipping"]
    for item, entry in zip(evidence["events"], view["timeline"], strict=True):
        body = item["event"]
        assert body["@context"] and body["bizStep"] == entry["bizStep"]
        assert event_hash_id(body) == item["eventHashId"]
        public = httpx.get(system.api_url + entry["proofUrl"], timeout=60).json()
        assert item["proof"] == public
        submitter = _check_proof(system, w3, item["proof"], event_hash_digest(item["eventHashId"]),
                                 item["memberBlock"])
        assert submitter == shop.farm.signing_address

    (master,) = evidence["masterData"]
    assert master["kind"] == "product"
    assert master_data_hash_id(master["record"]) == master["recordHashId"] == master["proof"]["eventHashId"]
    assert master["record"]["subject"] == f"https://id.gs1.org/01/{shop.gtin}"
    assert master["record"]["product"]["name"] == {"zh": "有机苹果", "en": "Organic apples"}
    assert master["record"]["product"]["origin"] == {"name": "Minhou, Fujian", "gln": shop.gln}
    _check_proof(system, w3, master["proof"], master_data_digest(master["record"]), master["memberBlock"])

    registry = w3.eth.contract(address=system.contract_address("MemberRegistry"),
                               abi=list(load_artifact("MemberRegistry").abi))
    # The producer and submitter, and the party the shipping names as its destination.
    enterprises = {item["enterpriseId"]: item["record"] for item in evidence["enterprises"]}
    assert set(enterprises) == {shop.farm.id, shop.retailer.id}
    assert enterprises[shop.farm.id] == {
        "name": "闽侯苹果农场", "uscc": shop.farm.uscc, "sectors": ["food"],
        "companyPrefixes": shop.farm.company_prefixes, "glns": [shop.gln]}
    assert enterprises[shop.retailer.id]["name"] == "Fuzhou Fresh Mart"
    for enterprise_id, record in enterprises.items():
        _status, _sectors, metadata_hash, _key = registry.functions.enterprise(
            bytes.fromhex(enterprise_id[2:])).call()
        assert keccak256(canonical_json(record)) == bytes(metadata_hash), record


def test_updated_master_data_is_the_one_shown(shop: Shop) -> None:
    response = httpx.post(f"{shop.system.api_url}/v1/products", headers=shop.system.auth(shop.farm.api_key),
                          timeout=60, json={"gtin": shop.gtin, "productClass": "chilled",
                                            "name": {"zh": "红富士", "en": "Red Fuji"}})
    assert response.status_code == 200, response.text
    written = response.json()["masterData"]
    (master,) = shop.lookup(f"https://id.gs1.org/01/{shop.gtin}")["evidence"]["masterData"]
    assert (master["recordHashId"], master["record"]["version"]) == (written["recordHashId"], 2)
    assert master["record"]["previous"] == written["previous"]


def test_unknown_product_has_no_master_data(live_system: LiveSystem) -> None:
    """A GTIN known only from events (no product registered): events, but no master data."""
    prefix = random_company_prefix()
    farm = live_system.enterprise(name="Unlisted Farm Co.", custody="custodial", prefixes=[prefix])
    gtin = "0" + with_check_digit(prefix + "002")
    _capture(live_system, farm, [{
        "type": "ObjectEvent", "eventTime": "2026-11-20T08:00:00Z", "eventTimeZoneOffset": "+08:00",
        "epcList": [f"https://id.gs1.org/01/{gtin}/21/1"], "action": "ADD", "bizStep": "commissioning"}])
    response = httpx.get(f"{live_system.api_url}/v1/public/lookup",
                         params={"uri": f"https://id.gs1.org/01/{gtin}/21/1"}, timeout=60)
    assert response.status_code == 200, response.text
    evidence = response.json()["evidence"]
    assert evidence["masterData"] == []
    assert [item["event"]["bizStep"] for item in evidence["events"]] == ["commissioning"]
    assert [item["enterpriseId"] for item in evidence["enterprises"]] == [farm.id]

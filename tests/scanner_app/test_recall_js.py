"""scanner_app/recall.js against a real RecallRegistry on anvil, under Node.

A regulator opens recalls on canonical Digital Links; the page, given a scanned code (any
host, any qualifiers), finds the most specific open recall covering it and nothing else:
a lot recall reaches a serial of that lot, a closed recall is not reported, a GTIN recall
covers every lot and serial, and the API's reason text is shown only if it hashes to the
on-chain reasonHash.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from contracts.abi import MemberRole
from contracts.artifacts import load_artifact
from gs1.keys import recall_subject
from testing.anvil import ANVIL_BINARY, Anvil

REPO = Path(__file__).resolve().parents[2]
NODE = shutil.which("node") or "node"
HOOKS = REPO / "tests" / "scanner_app" / "node" / "recall_vendor_hooks.mjs"
DRIVER = REPO / "tests" / "scanner_app" / "node" / "recall_read.mjs"
pytestmark = pytest.mark.skipif(shutil.which("node") is None or not ANVIL_BINARY.exists(), reason="needs node and anvil (./dev install)")

GTIN_A, GTIN_B, GTIN_C = "09506000134352", "09506000134376", "09506000164908"
LOT_RECALL = f"https://id.gs1.org/01/{GTIN_A}/10/LOT1"
CLOSED_RECALL = f"https://id.gs1.org/01/{GTIN_A}/10/LOT2"
GTIN_RECALL = f"https://id.gs1.org/01/{GTIN_B}"
NARROW, WIDE = f"https://id.gs1.org/01/{GTIN_C}/10/L%2F7", f"https://id.gs1.org/01/{GTIN_C}"
LOT_REASON = "Listeria monocytogenes found in lot LOT1 (SAMR notice 2026-118)"


def sha256_hex(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class Registry:
    """MemberRegistry + RecallRegistry on anvil, with a regulator who opens recalls."""

    def __init__(self, anvil: Anvil) -> None:
        self.w3 = anvil.w3
        self.url = anvil.url
        accounts: list[str] = list(self.w3.eth.accounts)
        self.admin, self.regulator = accounts[0], accounts[1]
        members = self._deploy("MemberRegistry", [self.admin], 1)
        self._send(members.functions.proposeRoleChange(self.regulator, MemberRole.REGULATOR), self.admin)
        self.recalls = self._deploy("RecallRegistry", members.address)
        self.opened_at: dict[str, int] = {}

    def _deploy(self, name: str, *args: Any) -> Any:
        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": self.admin}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    def _send(self, call: Any, sender: str) -> dict[str, Any]:
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
        assert receipt["status"] == 1
        return dict(receipt)

    def open(self, uri: str, recall_class: int, reason: str) -> None:
        subject = bytes.fromhex(recall_subject(uri)[2:])
        receipt = self._send(self.recalls.functions.openRecall(subject, recall_class, bytes.fromhex(sha256_hex(reason)[2:]), ""),
                             self.regulator)
        self.opened_at[uri] = self.w3.eth.get_block(receipt["blockNumber"])["timestamp"]

    def update(self, uri: str, recall_class: int, reason: str) -> None:
        subject = bytes.fromhex(recall_subject(uri)[2:])
        self._send(self.recalls.functions.updateRecall(subject, recall_class, bytes.fromhex(sha256_hex(reason)[2:])),
                   self.regulator)

    def close(self, uri: str, reason: str) -> None:
        subject = bytes.fromhex(recall_subject(uri)[2:])
        self._send(self.recalls.functions.closeRecall(subject, bytes.fromhex(sha256_hex(reason)[2:])), self.regulator)


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    anvil = Anvil.started(accounts=3)
    try:
        registry = Registry(anvil)
        registry.open(LOT_RECALL, 1, LOT_REASON)
        registry.open(CLOSED_RECALL, 2, "lot 2 labelling error")
        registry.close(CLOSED_RECALL, "relabelled")
        registry.open(GTIN_RECALL, 2, "undeclared allergen: peanut")
        registry.update(GTIN_RECALL, 1, "undeclared allergen: peanut (class raised)")
        registry.open(WIDE, 3, "whole product")
        registry.open(NARROW, 1, "this lot")
        yield registry
    finally:
        anvil.stop()


def read(registry: Registry, queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    document = {"rpcUrl": registry.url,
                "anchors": {"contracts": {"recallRegistry": registry.recalls.address.lower()}},
                "queries": queries}
    done = subprocess.run([NODE, "--import", str(HOOKS), str(DRIVER)], input=json.dumps(document).encode(),
                          capture_output=True, timeout=60, check=False, cwd=REPO)
    assert done.returncode == 0, done.stderr.decode()
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def test_an_open_lot_recall_reaches_a_serial_of_that_lot(registry: Registry) -> None:
    [answer] = read(registry, [{"uri": f"https://brand.example/shop/01/{GTIN_A}/10/LOT1/21/SER-9?17=271231",
                                "reason": LOT_REASON}])
    assert answer["ok"], answer
    assert answer["recall"] == {
        "subject": recall_subject(LOT_RECALL), "canonicalUri": LOT_RECALL, "status": "Open",
        "recallClass": 1, "sequence": 1, "openedAt": registry.opened_at[LOT_RECALL], "updatedAt": None,
        "closedAt": None, "reasonHash": sha256_hex(LOT_REASON), "enterpriseId": None,
        "openedBy": registry.regulator.lower(), "reason": LOT_REASON, "reasonVerified": True,
    }


def test_a_reason_that_does_not_hash_to_the_chain_is_not_shown(registry: Registry) -> None:
    answers = read(registry, [{"uri": LOT_RECALL, "reason": "All fine, a precautionary check"},
                              {"uri": LOT_RECALL}])
    assert [a["recall"]["reasonVerified"] for a in answers] == [False, False]
    assert [a["recall"]["reason"] for a in answers] == [None, None]
    assert answers[0]["recall"]["subject"] == recall_subject(LOT_RECALL)


def test_a_closed_recall_is_not_reported(registry: Registry) -> None:
    answers = read(registry, [{"uri": f"https://id.gs1.org/01/{GTIN_A}/10/LOT2/21/S1"}, {"uri": CLOSED_RECALL},
                              {"uri": f"https://id.gs1.org/01/{GTIN_A}/10/LOT3"}, {"uri": f"https://id.gs1.org/01/{GTIN_A}"}])
    assert [a["ok"] for a in answers] == [True] * 4
    assert [a["recall"] for a in answers] == [None] * 4


def test_a_gtin_recall_covers_every_lot_and_serial(registry: Registry) -> None:
    uris = [GTIN_RECALL, f"https://shop.example/01/{GTIN_B}/10/ANY", f"https://id.gs1.org/01/{GTIN_B}/21/X%2F1",
            f"https://id.gs1.org/01/{GTIN_B}/10/A/21/B", f"https://id.gs1.org/01/{GTIN_B}/22/V1/10/A",
            f"https://id.gs1.org/01/{GTIN_B}/235/TPX1"]
    answers = read(registry, [{"uri": uri, "reason": "undeclared allergen: peanut (class raised)"} for uri in uris])
    for uri, answer in zip(uris, answers, strict=True):
        recall = answer["recall"]
        assert recall["canonicalUri"] == GTIN_RECALL, uri
        assert (recall["status"], recall["recallClass"], recall["reasonVerified"]) == ("Updated", 1, True), uri
        assert recall["updatedAt"] is not None


def test_the_most_specific_open_recall_comes_first(registry: Registry) -> None:
    narrow, other_lot = read(registry, [{"uri": f"https://id.gs1.org/01/{GTIN_C}/10/L%2f7/21/9"},
                                        {"uri": f"https://id.gs1.org/01/{GTIN_C}/10/L8"}])
    assert narrow["recall"]["canonicalUri"] == NARROW and narrow["recall"]["recallClass"] == 1
    assert other_lot["recall"]["canonicalUri"] == WIDE and other_lot["recall"]["recallClass"] == 3


def test_other_products_and_bad_codes(registry: Registry) -> None:
    fine, sscc, bad = read(registry, [{"uri": "https://id.gs1.org/01/09506000134369"},
                                      {"uri": "https://id.gs1.org/00/106141412345678908"},
                                      {"uri": f"https://id.gs1.org/01/{GTIN_A}/21/S1/10/LOT1"}])
    assert fine == {"ok": True, "recall": None} and sscc == {"ok": True, "recall": None}
    assert not bad["ok"] and bad["error"].startswith("DigitalLinkError")


def test_the_page_asks_the_registry_the_anchors_pin(registry: Registry) -> None:
    other = Web3.to_checksum_address("0x" + "42" * 20)  # no contract there: an empty answer
    document = {"rpcUrl": registry.url, "anchors": {"contracts": {"recallRegistry": other.lower()}},
                "queries": [{"uri": LOT_RECALL}]}
    done = subprocess.run([NODE, "--import", str(HOOKS), str(DRIVER)], input=json.dumps(document).encode(),
                          capture_output=True, timeout=60, check=True, cwd=REPO)
    [answer] = json.loads(done.stdout)
    assert not answer["ok"] and answer["error"].startswith("RpcError")

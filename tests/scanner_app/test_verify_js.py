"""scanner_app/verify.js in headless Chromium: bundles made by `anchoring.core` verify, and
each tampering makes exactly the step that should catch it fail.

The module is imported into a page on the stand-in's origin (a secure context, so
WebCrypto's SHA-256 and Ed25519 are there) and checks against the real TraceAnchor on anvil
through the stand-in's read-only JSON-RPC proxy.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from anchoring.core import (
    Checkpoint,
    NoteSigner,
    inclusion_proof,
    leaf_hash,
    root_hash,
    sign_checkpoint,
)
from anchoring.core.keccak import keccak256
from testing.scan_ledger import (
    LOG_ORIGIN,
    WITNESS_NAME,
    SmallLedger,
    entry_fields,
    event_hash_id,
)

REPO = Path(__file__).resolve().parents[2]
VERIFY_JS = REPO / "scanner_app" / "verify.js"
ALL_STEPS = [
    "format", "entry", "leafHash", "inclusion", "checkpointSignature", "checkpointHead",
    "witnessCosignatures", "chainId", "anchoredRoot", "anchorBlock",
]

_RUN_VERIFY = """async ([bundle, options]) => {
  const verify = await import('/scan/assets/verify.js');
  const rpc = verify.jsonRpcClient(options.rpcUrl || '/v1/chain/rpc');
  return verify.verifyBundle(bundle, {rpc, expectedEventHashId: options.expectedEventHashId,
                                      expectedChain: options.expectedChain});
}"""


@pytest.fixture(scope="module")
def verifier_page(browser: Any, standin: Any) -> Any:
    """A page on the stand-in's origin (the module is fetched from there)."""
    _, base_url = standin
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/scan")
    yield page
    context.close()


def verify(page: Any, bundle: dict[str, Any], **options: Any) -> dict[str, Any]:
    return page.evaluate(_RUN_VERIFY, [bundle, options])


def failure(result: dict[str, Any]) -> tuple[str, str, str]:
    return result["status"], result["failedStep"], result["message"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


# --- constants --------------------------------------------------------------------------


def test_selectors_and_topics_match_the_trace_anchor_abi() -> None:
    abi = json.loads((REPO / "contracts" / "build" / "TraceAnchor.json").read_text())["abi"]

    def signature(item: dict[str, Any]) -> str:
        return f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"

    functions = {signature(i): "0x" + keccak256(signature(i).encode())[:4].hex() for i in abi if i["type"] == "function"}
    events = {signature(i): "0x" + keccak256(signature(i).encode()).hex() for i in abi if i["type"] == "event"}
    source = VERIFY_JS.read_text()
    embedded_selectors = dict(re.findall(r'"(\w+\([\w,]*\))": "(0x[0-9a-f]{8})"', source))
    embedded_topics = dict(re.findall(r'"(\w+\([\w,]*\))":\s*"(0x[0-9a-f]{64})"', source))
    assert embedded_selectors == {
        name: functions[name] for name in ("rootAtSize(uint64)", "headIndexBySize(uint64)", "headAt(uint256)")
    }
    assert embedded_topics == {
        "TreeHeadWitnessed(uint256,address,uint64,bytes32)": events["TreeHeadWitnessed(uint256,address,uint64,bytes32)"]
    }
    # headAt's tuple layout, which verify.js reads word by word:
    head_at = next(i for i in abi if i.get("name") == "headAt")
    assert [c["name"] for c in head_at["outputs"][0]["components"]] == ["treeSize", "blockNumber", "timestamp", "rootHash"]


def test_inclusion_roots_match_the_python_core_for_every_leaf_of_small_trees(verifier_page: Any) -> None:
    leaves = [hashlib.sha256(bytes([n])).digest() for n in range(17)]
    cases = []
    for size in range(1, 18):
        for index in range(size):
            cases.append({
                "index": index, "size": size, "leaf": list(leaves[index]),
                "proof": [list(h) for h in inclusion_proof(index, size, leaves[:size])],
                "root": root_hash(leaves[:size]).hex(),
            })
    computed = verifier_page.evaluate("""async (cases) => {
      const verify = await import('/scan/assets/verify.js');
      const out = [];
      for (const c of cases) {
        const root = await verify.rootFromInclusionProof(c.index, c.size, Uint8Array.from(c.leaf),
                                                         c.proof.map((p) => Uint8Array.from(p)));
        out.push(verify.toHex(root).slice(2));
      }
      return out;
    }""", cases)
    assert computed == [case["root"] for case in cases]
    assert len(computed) == 153


def test_leaf_hash_matches_the_python_core(verifier_page: Any, ledger: SmallLedger) -> None:
    entry = ledger.entries[3]
    computed = verifier_page.evaluate("""async (entry) => {
      const verify = await import('/scan/assets/verify.js');
      return verify.toHex(await verify.leafHash(Uint8Array.from(entry)));
    }""", list(entry))
    assert computed == "0x" + leaf_hash(entry).hex()


# --- bundles that verify ---------------------------------------------------------------


def test_anchored_and_witnessed_bundle_verifies_with_block_time_and_witnesses(
    verifier_page: Any, ledger: SmallLedger
) -> None:
    head = ledger.heads[0]
    result = verify(verifier_page, ledger.bundle(2), expectedEventHashId=ledger.event_hash_id(2),
                    expectedChain={"chainId": ledger.chain_id, "traceAnchor": ledger.contract.address})
    assert result["status"] == "verified"
    assert result["failedStep"] is None
    assert [s["step"] for s in result["steps"]] == ALL_STEPS
    assert all(s["ok"] for s in result["steps"])
    assert result["anchor"] == {
        "witnesses": [WITNESS_NAME],
        "chainWitnesses": [ledger.witness.lower()],
        "blockNumber": head.block_number,
        "blockTime": head.block_time,
        "blockHash": head.block_hash,
        "headIndex": 0,
    }


def test_bundle_of_second_head_verifies_without_chain_witness(verifier_page: Any, ledger: SmallLedger) -> None:
    head = ledger.heads[1]
    result = verify(verifier_page, ledger.bundle(5))
    assert result["status"] == "verified"
    assert result["anchor"]["headIndex"] == 1
    assert result["anchor"]["blockNumber"] == head.block_number
    assert result["anchor"]["chainWitnesses"] == []
    assert result["anchor"]["witnesses"] == [WITNESS_NAME]


def test_pending_bundle_checks_the_log_and_stops_before_the_chain(verifier_page: Any, ledger: SmallLedger) -> None:
    bundle = ledger.bundle(7)
    assert bundle["status"] == "pending" and bundle["anchor"] is None
    result = verify(verifier_page, bundle)
    assert result["status"] == "pending"
    assert [s["step"] for s in result["steps"]] == ALL_STEPS[:7]
    assert all(s["ok"] for s in result["steps"])


# --- each check catches its tampering ---------------------------------------------------


def _forged_tree_bundle(ledger: SmallLedger) -> dict[str, Any]:
    """A self-consistent bundle from another tree of size 4, signed with the real log key
    (as a compromised log would): only the chain can tell."""
    forged = [_flip(e, 150) for e in ledger.entries[:4]]  # other salts: another tree
    hashes = [leaf_hash(e) for e in forged]
    root = root_hash(hashes)
    bundle = ledger.bundle(1)
    bundle.update({
        "eventHashId": event_hash_id(forged[1][1:33]),
        "entry": _b64(forged[1]), "entryFields": entry_fields(forged[1]),
        "leafHash": "0x" + hashes[1].hex(), "rootHash": "0x" + root.hex(),
        "inclusionProof": ["0x" + h.hex() for h in inclusion_proof(1, 4, hashes)],
        "checkpoint": sign_checkpoint(Checkpoint(LOG_ORIGIN, 4, root), [ledger.log_signer]),
    })
    bundle["anchor"]["rootHash"] = bundle["rootHash"]
    return bundle


def _tamper_cases(ledger: SmallLedger) -> dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, str]]]:
    """name -> (bundle, options, (failed step, message))."""
    good = ledger.bundle(1)
    entry = base64.b64decode(good["entry"])
    cases: dict[str, tuple[dict[str, Any], dict[str, Any], tuple[str, str]]] = {}

    def case(name: str, mutate: Any, expected: tuple[str, str], **options: Any) -> None:
        bundle = copy.deepcopy(good)
        mutate(bundle)
        cases[name] = (bundle, options, expected)

    case("format version", lambda b: b.update(format="traceledger.proof/v2"),
         ("format", 'proof bundle format is "traceledger.proof/v2", expected traceledger.proof/v1'))
    case("non-canonical base64", lambda b: b.update(entry=b["entry"].rstrip("=") + "A="),
         ("format", "entry is not valid base64"))
    case("uppercase hex", lambda b: b.update(leafHash=b["leafHash"].upper().replace("0X", "0x")),
         ("format", "leafHash is not 0x-prefixed lowercase hex"))
    case("entry byte flipped", lambda b: b.update(entry=_b64(_flip(entry, 140))),
         ("entry", "entry's salt differs from entryFields"))
    case("entry of another event", lambda b: None,
         ("entry", "proof is for another event than the one shown"), expectedEventHashId=ledger.event_hash_id(2))
    tampered_row = _flip(entry, 120)  # receive time changed in the database, fields rebuilt from it
    case("database row changed", lambda b: b.update(entry=_b64(tampered_row), entryFields=entry_fields(tampered_row)),
         ("leafHash", "SHA-256(0x00 || entry) differs from leafHash"))
    case("proof hash flipped", lambda b: b["inclusionProof"].__setitem__(0, "0x" + _flip(bytes.fromhex(b["inclusionProof"][0][2:]), 0).hex()),
         ("inclusion", "the inclusion proof leads to another root"))
    case("proof truncated", lambda b: b["inclusionProof"].pop(),
         ("inclusion", "inclusion proof is shorter than the path"))
    case("leaf index moved", lambda b: b.update(leafIndex=0),
         ("inclusion", "the inclusion proof leads to another root"))
    case("leaf index outside tree", lambda b: b.update(leafIndex=4),
         ("inclusion", "leaf index 4 is not inside a tree of size 4"))

    def flip_log_signature(b: dict[str, Any]) -> None:
        lines = b["checkpoint"].split("\n")
        name, blob = lines[4].rsplit(" ", 1)
        lines[4] = f"{name} {_b64(_flip(base64.b64decode(blob), 20))}"
        b["checkpoint"] = "\n".join(lines)

    case("checkpoint signature flipped", flip_log_signature,
         ("checkpointSignature", "the log's Ed25519 signature on the checkpoint is invalid"))
    other_key = NoteSigner.from_seed(LOG_ORIGIN, bytes(32)).verifier().verifier_key
    case("another log key", lambda b: b["log"].update(verifierKey=other_key),
         ("checkpointSignature", f"checkpoint carries no signature by the log key {LOG_ORIGIN}"))
    case("checkpoint of another size", lambda b: b.update(checkpoint=ledger.signed_checkpoint(7)),
         ("checkpointHead", "checkpoint size 7 differs from treeSize 4"))
    case("checkpoint of another log", lambda b: b["log"].update(origin="other.example/log"),
         ("checkpointHead", f"checkpoint is of log {LOG_ORIGIN}, not other.example/log"))

    def flip_cosignature(b: dict[str, Any]) -> None:
        lines = b["checkpoint"].split("\n")
        name, blob = lines[5].rsplit(" ", 1)
        lines[5] = f"{name} {_b64(_flip(base64.b64decode(blob), 30))}"
        b["checkpoint"] = "\n".join(lines)

    case("witness cosignature flipped", flip_cosignature,
         ("witnessCosignatures", f"cosignature by witness {WITNESS_NAME} is invalid"))
    case("wrong chain id", lambda b: b["anchor"].update(chainId=1),
         ("chainId", f"ledger is chain {ledger.chain_id}, the bundle names 1"))
    case("another contract than the page expects", lambda b: None,
         ("chainId", "anchor names another TraceAnchor contract than the page expects"),
         expectedChain={"chainId": ledger.chain_id, "traceAnchor": "0x" + "00" * 20})
    forged = _forged_tree_bundle(ledger)
    cases["log key compromised: another tree of an anchored size"] = (
        forged, {}, ("anchoredRoot", "the root anchored for size 4 differs"))
    pending = ledger.bundle(7)
    pending["status"] = "anchored"
    pending["anchor"] = dict(ledger.bundle(5)["anchor"], treeSize=8, rootHash=pending["rootHash"])
    cases["unanchored head claimed anchored"] = (
        pending, {}, ("anchoredRoot", "no head of size 8 is anchored on chain"))
    case("wrong block number", lambda b: b["anchor"].update(blockNumber=b["anchor"]["blockNumber"] + 1),
         ("anchorBlock", f"head was anchored in block {ledger.heads[0].block_number}, the bundle says {ledger.heads[0].block_number + 1}"))
    case("wrong block hash", lambda b: b["anchor"].update(blockHash="0x" + "ee" * 32),
         ("anchorBlock", f"block {ledger.heads[0].block_number} has another hash than the bundle names"))
    case("ledger unreachable", lambda b: None,
         ("chainId", "ledger query failed: eth_chainId: HTTP 404"), rpcUrl="/v1/chain/nowhere")
    return cases


CASE_NAMES = [
    "format version", "non-canonical base64", "uppercase hex", "entry byte flipped", "entry of another event",
    "database row changed", "proof hash flipped", "proof truncated", "leaf index moved", "leaf index outside tree",
    "checkpoint signature flipped", "another log key", "checkpoint of another size", "checkpoint of another log",
    "witness cosignature flipped", "wrong chain id", "another contract than the page expects",
    "log key compromised: another tree of an anchored size", "unanchored head claimed anchored",
    "wrong block number", "wrong block hash", "ledger unreachable",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_tampering_fails_exactly_the_step_that_checks_it(verifier_page: Any, ledger: SmallLedger, name: str) -> None:
    cases = _tamper_cases(ledger)
    assert sorted(cases) == sorted(CASE_NAMES)
    bundle, options, (step, message) = cases[name]
    result = verify(verifier_page, bundle, **options)
    assert failure(result) == ("failed", step, message)
    # every step before the failing one passed, in order
    passed = [s["step"] for s in result["steps"] if s["ok"]]
    assert passed == ALL_STEPS[: ALL_STEPS.index(step)]
    assert result["steps"][-1] == {"step": step, "ok": False, "detail": message}


def test_memoized_rpc_shares_answers_and_forgets_failures(verifier_page: Any) -> None:
    calls = verifier_page.evaluate("""async () => {
      const verify = await import('/scan/assets/verify.js');
      const log = [];
      let failNext = true;
      const rpc = verify.memoizedRpc(async (method, params) => {
        log.push(method + JSON.stringify(params));
        if (method === 'eth_blockNumber' && failNext) { failNext = false; throw new Error('down'); }
        return method;
      });
      await Promise.all([rpc('eth_chainId', []), rpc('eth_chainId', []), rpc('eth_call', [{to: '0x1'}, 'latest'])]);
      await rpc('eth_blockNumber', []).catch(() => null);
      await rpc('eth_blockNumber', []);
      await rpc('eth_blockNumber', []);
      return log;
    }""")
    assert calls == ['eth_chainId[]', 'eth_call[{"to":"0x1"},"latest"]', "eth_blockNumber[]", "eth_blockNumber[]"]

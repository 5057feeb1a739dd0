"""scanner_app/verify.js in headless Chromium: honest records verify at all eight steps of
`POST /v1/verify`, and each lie a server can tell fails at its own named step.

The module runs in a page on the stand-in's origin (a secure context: WebCrypto's SHA-256
and Ed25519) with the trust anchors the stand-in pins (`/scan/assets/anchors.js`), reads
the lookup's `evidence` as the page does, and checks against real contracts on anvil
through the stand-in's JSON-RPC proxy. The lies are the stand-in's knobs
(testing/scan_standin_api.py); bundles, entries and signatures are made by
`anchoring.core`.

Which step catches a changed body: the one `POST /v1/verify` names. The page recomputes
the hash from the body it is given (step event-hash holds: any body has a hash), so a body
that is not the one the entry commits to fails at entry-matches, whether it was edited or
is another event's body. A changed summary column (what the platform shows beside the body)
fails at event-hash; a liar who changes the body and not its columns is caught there first.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest

from anchoring.core import (
    Checkpoint,
    LogEntry,
    NoteSigner,
    RecordDomain,
    TraceRecord,
    WitnessCosigner,
    canonical_json,
    encode_entry,
    event_hash_id,
    inclusion_proof,
    leaf_hash,
    recover_record_signer,
    root_hash,
    sign_checkpoint,
    sign_record,
)
from anchoring.core.errors import SignatureError
from anchoring.core.keccak import keccak256
from anchoring.core.record_signature import SECP256K1_ORDER
from contracts.abi import Contract, event_topic, function_selector
from testing.scan_ledger import LOG_ORIGIN, WITNESS_NAME, SmallLedger, address_of, entry_fields
from testing.scan_records import CARRIER, FARM, RECEIVING_STORE, SHIPPING, STORE
from testing.scan_standin_api import FOOD_PATH, PENDING_PATH, StandinApi
from trace_api.verification.steps import STEP_NAMES

REPO = Path(__file__).resolve().parents[2]
JCS_DATA = REPO.parent / "shared" / "data" / "jcs-rfc8785"
STEPS = ["event-hash", "entry-matches", "signature", "submitter-active",
         "inclusion", "checkpoint", "anchored-on-chain", "witnesses"]
FOOD_URI = "https://id.gs1.org" + FOOD_PATH
PENDING_URI = "https://id.gs1.org" + PENDING_PATH
FOOD_EVENT_LEAVES = [0, 2, 3, 5, 6]  # the lookup's timeline / evidence.events, in order
MASTER_DATA_PICK = len(FOOD_EVENT_LEAVES)  # evidence.masterData[0], after the events

_VERIFY_LOOKUP = """async ([uri, pick, options]) => {
  const verify = await import('/scan/assets/verify.js');
  const { TRUST_ANCHORS } = await import('/scan/assets/anchors.js');
  const view = await (await fetch('/v1/public/lookup?uri=' + encodeURIComponent(uri))).json();
  const rpc = verify.jsonRpcClient(options.rpcUrl || TRUST_ANCHORS.endpoints.rpc);
  const records = [
    ...view.evidence.events.map((item, i) => ({kind: 'event', body: item.event, proof: item.proof,
                                               memberBlock: item.memberBlock, summary: view.timeline[i],
                                               eventHashId: (options.listedAs || {})[i] ?? view.timeline[i].eventHashId})),
    ...view.evidence.masterData.map((item) => ({kind: 'masterData', body: item.record, proof: item.proof,
                                                memberBlock: item.memberBlock})),
  ];
  const chosen = pick === null ? records : [records[pick]];
  const results = [];
  for (const record of chosen) results.push(await verify.verifyRecord(record, {rpc, anchors: TRUST_ANCHORS}));
  const enterprises = [];
  for (const item of view.evidence.enterprises) {
    enterprises.push(await verify.verifyEnterpriseRecord(item.enterpriseId, item.record, {rpc, anchors: TRUST_ANCHORS}));
  }
  return {results, enterprises};
}"""


@pytest.fixture(scope="module")
def verifier_page(browser: Any, standin: Any) -> Any:
    """A page on the stand-in's origin (the modules are fetched from there)."""
    _, base_url = standin
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/scan")
    yield page
    context.close()


def verify_lookup(page: Any, uri: str, pick: int | None = None, **options: Any) -> dict[str, Any]:
    """Verify the lookup's records (all, or the `pick`th) and enterprises as the page does."""
    return page.evaluate(_VERIFY_LOOKUP, [uri, pick, options])


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _digest(hash_id: str) -> str:
    return "0x" + hash_id.split(";", 1)[1].split("?", 1)[0]


# --- honest records ------------------------------------------------------------------------


def test_every_honest_record_verifies_at_all_eight_steps(verifier_page: Any, ledger: SmallLedger, api: StandinApi) -> None:
    checked = verify_lookup(verifier_page, FOOD_URI)
    leaves = [*FOOD_EVENT_LEAVES, 1]
    assert len(checked["results"]) == len(leaves)
    for leaf, result in zip(leaves, checked["results"], strict=True):
        record = ledger.records[leaf]
        assert (result["status"], result["failedStep"], result["message"]) == ("verified", None, "")
        assert [s["step"] for s in result["steps"]] == STEPS
        assert all(s["ok"] and s["status"] == "ok" for s in result["steps"])
        assert result["steps"][0]["detail"] == record.hash_id
        assert result["submitter"] == address_of(record.signer.private_key)
        assert result["enterpriseId"] == record.signer.enterprise_id
        assert result["body"] == record.body
        head = next(h for h in ledger.heads if h.tree_size > leaf)
        assert result["anchor"] == {
            "blockNumber": head.block_number, "blockTime": head.block_time, "blockHash": head.block_hash,
            "headIndex": head.head_index, "witnesses": [WITNESS_NAME],
            "chainWitnesses": [ledger.witness.lower()] if head.head_index == 0 else [],
        }
    assert checked["enterprises"] == [
        {"ok": True, "detail": f"MemberRegistry.enterprise({e.enterprise_id}).metadataHash is 0x{e.metadata_hash.hex()}"}
        for e in (FARM, CARRIER, ledger.records[6].signer)
    ]


def test_a_record_not_yet_anchored_is_pending_with_every_other_step_holding(verifier_page: Any, api: StandinApi) -> None:
    result = verify_lookup(verifier_page, PENDING_URI, 5)["results"][0]  # leaf 7, beyond the anchored size 7
    assert result["status"] == "pending" and result["failedStep"] is None
    assert [(s["step"], s["status"]) for s in result["steps"]] == [
        *((step, "ok") for step in STEPS[:6]), ("anchored-on-chain", "pending"), ("witnesses", "ok")]
    assert result["steps"][6]["detail"] == "no head of size 8 anchored yet"


# --- each lie fails at its own step --------------------------------------------------------


def _entry_signed_by(ledger: SmallLedger, leaf: int, key: bytes, *, submitter: str | None = None,
                     domain: RecordDomain | None = None, digest: bytes | None = None) -> dict[str, Any]:
    """Bundle members for leaf `leaf`'s record with an entry signed by `key` (naming
    `submitter`, default the key's own address), same receive time and salt."""
    original = ledger.entries[leaf]
    digest = digest if digest is not None else original[1:33]
    named = submitter or address_of(key)
    signature = sign_record(TraceRecord(digest, named), domain or ledger.domain, key)
    entry = encode_entry(LogEntry(event_hash=digest, submitter=bytes.fromhex(named[2:]), signature=signature,
                                  received_at_ms=int.from_bytes(original[118:126], "big"), salt=original[126:]))
    return {"entry": _b64(entry), "entryFields": entry_fields(entry)}


def _high_s_twin(ledger: SmallLedger, leaf: int) -> dict[str, Any]:
    entry = ledger.entries[leaf]
    r, s, v = entry[53:85], int.from_bytes(entry[85:117], "big"), entry[117]
    twin = r + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - v])  # (r, n - s, v^1): same key
    forged = entry[:53] + twin + entry[118:]
    return {"entry": _b64(forged), "entryFields": entry_fields(forged)}


def _forged_tree(ledger: SmallLedger, leaf: int) -> dict[str, Any]:
    """A self-consistent tree of an anchored size (4) holding the real entry, signed with the
    real log key and cosigned by the real witness (a compromised log): only the chain can tell."""
    entries = [ledger.entries[leaf], *(_flip(e, 150) for e in ledger.entries[1:4])]
    hashes = [leaf_hash(e) for e in entries]
    root = root_hash(hashes)
    return {"leafIndex": 0, "leafHash": "0x" + hashes[0].hex(), "rootHash": "0x" + root.hex(),
            "inclusionProof": ["0x" + h.hex() for h in inclusion_proof(0, 4, hashes)],
            "checkpoint": ledger.signed_checkpoint(4, root)}


def _flip_cosignature(checkpoint: str) -> str:
    lines = checkpoint.split("\n")
    name, blob = lines[5].rsplit(" ", 1)
    lines[5] = f"{name} {_b64(_flip(base64.b64decode(blob), 30))}"
    return "\n".join(lines)


def _rewrite_answers(method: str, first_param: Any, rewrite: Any) -> Any:
    def hook(call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        if call["method"] == method and (first_param is None or call["params"][0] == first_param):
            answer = dict(answer, result=rewrite(answer["result"]))
        return answer
    return hook


def _master_data(ledger: SmallLedger, **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(ledger.records[1].body)
    for path, value in changes.items():
        target = document
        *parents, last = path.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return document


def _sha256_jcs(document: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical_json(document)).digest()


def _signed_master_data(ledger: SmallLedger, api: StandinApi, document: dict[str, Any], signer: Any) -> None:
    """Serve `document` as the master data, logged in an entry signed by `signer`."""
    digest = _sha256_jcs(document)
    hash_id = f"ni:///sha-256;{digest.hex()}?format=traceledger.masterdata/v1"
    api.master_data_records[1] = document
    api.proof_members[1] = {**_entry_signed_by(ledger, 1, signer.private_key, digest=digest), "eventHashId": hash_id}


Case = tuple[str, int, str, str]  # uri, pick, step, message (a regular expression if it starts with ^)


LIES: dict[str, Any] = {}
"""Lie name -> (ledger, api) -> Case: sets the stand-in up to tell it, says what must catch it."""


def lie(name: str) -> Any:
    """Register the decorated set-up as lie `name`."""

    def register(setup: Any) -> Any:
        LIES[name] = setup
        return setup

    return register


def _food(leaf: int) -> int:
    """The position of food event `leaf` in the lookup's evidence."""
    return FOOD_EVENT_LEAVES.index(leaf)


def _member_block(ledger: SmallLedger, leaf: int) -> Any:
    """The block the server names as leaf `leaf`'s receive-time block."""
    return ledger.w3.eth.get_block(ledger.member_blocks[leaf])


@lie("summary time changed")
def _summary_time_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    api.summary_columns[0] = {"time": "2026-01-02T00:00:00.000Z"}
    return FOOD_URI, _food(0), "event-hash", ("the platform's summary says time \"2026-01-02T00:00:00.000Z\", "
                                             "the signed event says \"2026-11-19T22:00:00.000Z\"")


@lie("summary bizStep changed")
def _summary_bizstep_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    api.summary_columns[2] = {"bizStep": "receiving"}
    return FOOD_URI, _food(2), "event-hash", ("the platform's summary says bizStep \"receiving\", "
                                             "the signed event says \"packing\"")


@lie("summary location changed")
def _summary_location_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    api.summary_columns[3] = {"location": {"id": STORE, "name": "上海市徐汇区超市"}}
    return FOOD_URI, _food(3), "event-hash", (f"the platform's summary says location \"{STORE}\", "
                                             "the signed event says \"https://id.gs1.org/414/9506001000014\"")


@lie("summary eventType changed")
def _summary_eventtype_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    api.summary_columns[5] = {"eventType": "TransformationEvent"}
    return FOOD_URI, _food(5), "event-hash", ("the platform's summary says eventType \"TransformationEvent\", "
                                             "the signed event says \"ObjectEvent\"")


@lie("body changed")
def _body_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    body = copy.deepcopy(SHIPPING)
    body["sensorElementList"][0]["sensorReport"][3]["value"] = 4.8  # the 5.8 °C excursion hidden
    api.event_bodies[3] = body
    return FOOD_URI, _food(3), "entry-matches", (
        f"the entry commits to {_digest(ledger.records[3].hash_id)}, the record hashes to {_digest(event_hash_id(body))}")


@lie("body of another event swapped in")
def _body_of_another_event_swapped_in(ledger: SmallLedger, api: StandinApi) -> Case:
    api.event_bodies[5] = RECEIVING_STORE
    api.summary_columns[5] = {k: v for k, v in api.summary(6).items() if k in ("time", "location")}
    return FOOD_URI, _food(5), "entry-matches", (
        f"the entry commits to {_digest(ledger.records[5].hash_id)}, the record hashes to {_digest(ledger.records[6].hash_id)}")


@lie("bundle format unknown")
def _bundle_format_unknown(ledger: SmallLedger, api: StandinApi) -> Case:
    api.proof_members[0] = {"format": "traceledger.proof/v2"}
    return FOOD_URI, _food(0), "entry-matches", 'bundle format is "traceledger.proof/v2", expected traceledger.proof/v1'


@lie("forged signature")
def _forged_signature(ledger: SmallLedger, api: StandinApi) -> Case:
    farm = address_of(FARM.private_key)
    stranger = secrets.token_bytes(32)
    api.proof_members[2] = _entry_signed_by(ledger, 2, stranger, submitter=farm)
    return FOOD_URI, _food(2), "signature", f"signature recovers to {address_of(stranger)}, the entry names {farm}"


@lie("signature for another chain")
def _signature_for_another_chain(ledger: SmallLedger, api: StandinApi) -> Case:
    farm = address_of(FARM.private_key)
    other_domain = RecordDomain(1, ledger.contract.address)
    api.proof_members[2] = _entry_signed_by(ledger, 2, FARM.private_key, domain=other_domain)
    return FOOD_URI, _food(2), "signature", f"^signature recovers to 0x[0-9a-fA-F]{{40}}, the entry names {farm}$"


@lie("high-s twin signature")
def _high_s_twin_signature(ledger: SmallLedger, api: StandinApi) -> Case:
    api.proof_members[2] = _high_s_twin(ledger, 2)
    return FOOD_URI, _food(2), "signature", "signature unusable: signature s must lie in 1 .. n/2 (EIP-2 low-s form)"


@lie("signature by a non-member key")
def _signature_by_a_non_member_key(ledger: SmallLedger, api: StandinApi) -> Case:
    stranger = secrets.token_bytes(32)
    api.proof_members[0] = _entry_signed_by(ledger, 0, stranger)
    return FOOD_URI, _food(0), "submitter-active", (
        f"MemberRegistry.hasRole({address_of(stranger)}, Enterprise) at block {_member_block(ledger, 0)['number']} "
        f"(time {_member_block(ledger, 0)['timestamp']}, receive time {ledger.records[0].received_at_ms // 1000}) is false")


@lie("receive-time block hint lying")
def _receive_time_block_hint_lying(ledger: SmallLedger, api: StandinApi) -> Case:
    api.member_blocks[0] = 2
    return FOOD_URI, _food(0), "submitter-active", (
        f"block 2 is not the last block at or before the receive time {ledger.records[0].received_at_ms // 1000}")


@lie("receive-time block hint missing")
def _receive_time_block_hint_missing(ledger: SmallLedger, api: StandinApi) -> Case:
    api.member_blocks[0] = None
    return FOOD_URI, _food(0), "submitter-active", "the server gave no receive-time block for this record"


@lie("RPC serves another chain id")
def _rpc_serves_another_chain_id(ledger: SmallLedger, api: StandinApi) -> Case:
    api.rpc_hook = _rewrite_answers("eth_chainId", None, lambda _: "0x1")
    return FOOD_URI, _food(0), "submitter-active", f"the ledger endpoint serves chain 1, the page trusts chain {ledger.chain_id}"


@lie("RPC serves another genesis block")
def _rpc_serves_another_genesis_block(ledger: SmallLedger, api: StandinApi) -> Case:
    api.rpc_hook = _rewrite_answers("eth_getBlockByNumber", "0x0", lambda block: dict(block, hash="0x" + "ab" * 32))
    return FOOD_URI, _food(0), "submitter-active", (
        f"the ledger endpoint's genesis block is 0x{'ab' * 32}, the page trusts {ledger.genesis_hash}")


@lie("ledger unreachable")
def _ledger_unreachable(ledger: SmallLedger, api: StandinApi) -> Case:
    return FOOD_URI, _food(0), "submitter-active", "^ledger query failed: eth_(chainId|getBlockByNumber): HTTP 404$"


@lie("database row changed")
def _database_row_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    api.tampered_entries[3] = _flip(ledger.entries[3], 150)  # salt: signature and membership still hold
    return FOOD_URI, _food(3), "inclusion", "leafHash is not SHA-256(0x00 || entry)"


@lie("inclusion proof changed")
def _inclusion_proof_changed(ledger: SmallLedger, api: StandinApi) -> Case:
    proof = ledger.bundle(2)["inclusionProof"]
    api.proof_members[2] = {"inclusionProof": ["0x" + _flip(bytes.fromhex(proof[0][2:]), 0).hex(), *proof[1:]]}
    return FOOD_URI, _food(2), "inclusion", "the inclusion proof leads to another root"


@lie("another log key served")
def _another_log_key_served(ledger: SmallLedger, api: StandinApi) -> Case:
    impostor = NoteSigner.from_seed(LOG_ORIGIN, bytes(32))
    root = bytes.fromhex(ledger.bundle(0)["rootHash"][2:])
    api.all_proof_members = {"log": {"origin": LOG_ORIGIN, "verifierKey": impostor.verifier().verifier_key}}
    api.proof_members[0] = {"checkpoint": sign_checkpoint(Checkpoint(LOG_ORIGIN, 4, root), [impostor])}
    return FOOD_URI, _food(0), "checkpoint", (
        f"the server presented log key {impostor.verifier().verifier_key}, the page trusts {ledger.trust_anchors['log']['verifierKey']}")


@lie("checkpoint signed by another key")
def _checkpoint_signed_by_another_key(ledger: SmallLedger, api: StandinApi) -> Case:
    impostor = NoteSigner.from_seed(LOG_ORIGIN, bytes(32))
    api.proof_members[0] = {"checkpoint": ledger.signed_checkpoint(4, signer=impostor)}
    return FOOD_URI, _food(0), "checkpoint", f"checkpoint carries no signature by the log key {LOG_ORIGIN}"


@lie("another witness key served")
def _another_witness_key_served(ledger: SmallLedger, api: StandinApi) -> Case:
    impostor = WitnessCosigner.from_seed(WITNESS_NAME, bytes(32), timestamp=1)
    root = bytes.fromhex(ledger.bundle(0)["rootHash"][2:])
    api.all_proof_members = {"witnesses": [{"name": WITNESS_NAME, "verifierKey": impostor.verifier().verifier_key}]}
    api.proof_members[0] = {"checkpoint": sign_checkpoint(Checkpoint(LOG_ORIGIN, 4, root), [ledger.log_signer, impostor])}
    return FOOD_URI, _food(0), "witnesses", (
        f"the server presented witness key {impostor.verifier().verifier_key} for {WITNESS_NAME}, "
        f"the page trusts {ledger.trust_anchors['witnesses'][0]['verifierKey']}")


@lie("witness cosignature invalid")
def _witness_cosignature_invalid(ledger: SmallLedger, api: StandinApi) -> Case:
    api.proof_members[0] = {"checkpoint": _flip_cosignature(ledger.bundle(0)["checkpoint"])}
    return FOOD_URI, _food(0), "witnesses", f"cosignature by witness {WITNESS_NAME} is invalid"


@lie("another tree of an anchored size")
def _another_tree_of_an_anchored_size(ledger: SmallLedger, api: StandinApi) -> Case:
    api.proof_members[0] = _forged_tree(ledger, 0)
    return FOOD_URI, _food(0), "anchored-on-chain", (
        f"TraceAnchor.rootAtSize(4) = 0x{ledger.heads[0].root.hex()}, not the proof's root")


@lie("unanchored size claimed anchored")
def _unanchored_size_claimed_anchored(ledger: SmallLedger, api: StandinApi) -> Case:
    api.proof_members[7] = {"status": "anchored", "anchor": ledger.bundle(6)["anchor"]}
    return PENDING_URI, 5, "anchored-on-chain", "the bundle claims an anchor, but TraceAnchor has no head of size 8"


@lie("anchor block misstated")
def _anchor_block_misstated(ledger: SmallLedger, api: StandinApi) -> Case:
    anchor = ledger.bundle(0)["anchor"]
    api.proof_members[0] = {"anchor": dict(anchor, blockNumber=anchor["blockNumber"] + 1)}
    return FOOD_URI, _food(0), "anchored-on-chain", "bundle anchor disagrees with the chain on blockNumber"


@lie("fake master-data name")
def _fake_master_data_name(ledger: SmallLedger, api: StandinApi) -> Case:
    document = _master_data(ledger, product__name={"zh": "有机菠菜", "en": "Organic spinach"})
    api.master_data_records[1] = document
    return FOOD_URI, MASTER_DATA_PICK, "entry-matches", (
        f"the entry commits to {_digest(ledger.records[1].hash_id)}, the record hashes to 0x{_sha256_jcs(document).hex()}")


@lie("master data signed by a member not holding the prefix")
def _master_data_signed_by_a_member_not_holding_the_prefix(ledger: SmallLedger, api: StandinApi) -> Case:
    _signed_master_data(ledger, api, ledger.records[1].body, CARRIER)
    return FOOD_URI, MASTER_DATA_PICK, "submitter-active", (
        f"MemberRegistry.holdsCompanyPrefix({address_of(CARRIER.private_key)}, {FARM.company_prefix}) "
        f"at block {_member_block(ledger, 0)['number']} is false")


@lie("master data for a GTIN outside its company prefix")
def _master_data_for_a_gtin_outside_its_company_prefix(ledger: SmallLedger, api: StandinApi) -> Case:
    _signed_master_data(ledger, api, _master_data(ledger, companyPrefix=CARRIER.company_prefix), CARRIER)
    return FOOD_URI, MASTER_DATA_PICK, "submitter-active", (
        f"GTIN 09506000134352 is not under company prefix {CARRIER.company_prefix}")


@lie("unknown master-data version")
def _unknown_master_data_version(ledger: SmallLedger, api: StandinApi) -> Case:
    api.master_data_records[1] = _master_data(ledger, format="traceledger.masterdata/v2")
    return FOOD_URI, MASTER_DATA_PICK, "event-hash", (
        'unknown master-data version: format "traceledger.masterdata/v2", kind "product"')


@lie("unknown master-data kind")
def _unknown_master_data_kind(ledger: SmallLedger, api: StandinApi) -> Case:
    api.master_data_records[1] = _master_data(ledger, kind="service")
    return FOOD_URI, MASTER_DATA_PICK, "event-hash", (
        'unknown master-data version: format "traceledger.masterdata/v1", kind "service"')




def test_a_valid_record_of_another_event_cannot_stand_in_for_the_listed_one(
    verifier_page: Any, ledger: SmallLedger, api: StandinApi
) -> None:
    # The lookup lists leaf 5 but sends leaf 6's body, entry and proof, all genuine.
    listed = ledger.records[5].hash_id
    result = verify_lookup(verifier_page, FOOD_URI, _food(6), listedAs={_food(6): listed})["results"][0]
    assert (result["status"], result["failedStep"]) == ("failed", "entry-matches")
    assert result["message"] == f"the platform lists {listed}, but sent the record {ledger.records[6].hash_id}"


# What the page tells a person (i18n.js `reasons.*`), for the lies the issue names and their kin.
REASON_OF_LIE = {
    "summary time changed": "summary-mismatch", "summary location changed": "summary-mismatch",
    "body changed": "body-mismatch", "body of another event swapped in": "body-mismatch",
    "forged signature": "bad-signature", "signature for another chain": "bad-signature",
    "signature by a non-member key": "not-a-member",
    "RPC serves another chain id": "wrong-chain", "RPC serves another genesis block": "wrong-chain",
    "ledger unreachable": "ledger-unreachable", "database row changed": "not-in-log",
    "another log key served": "log-key", "another witness key served": "witness-key",
    "another tree of an anchored size": "not-anchored", "fake master-data name": "body-mismatch",
    "master data signed by a member not holding the prefix": "prefix-not-held",
    "unknown master-data version": "unknown-master-data-version",
    "unknown master-data kind": "unknown-master-data-version",
}


@pytest.mark.parametrize("name", list(LIES))
def test_each_lie_fails_at_its_own_step(verifier_page: Any, ledger: SmallLedger, api: StandinApi, name: str) -> None:
    uri, pick, step, message = LIES[name](ledger, api)
    options = {"rpcUrl": "/v1/chain/nowhere"} if name == "ledger unreachable" else {}
    result = verify_lookup(verifier_page, uri, pick, **options)["results"][0]
    assert (result["status"], result["failedStep"]) == ("failed", step), result["steps"]
    if message.startswith("^"):
        assert re.fullmatch(message, result["message"]), result["message"]
    else:
        assert result["message"] == message
    # every step before the failing one held, in order; nothing after it was claimed
    assert [(s["step"], s["ok"]) for s in result["steps"]] == [
        *((earlier, True) for earlier in STEPS[: STEPS.index(step)]), (step, False)]
    assert result["steps"][-1]["detail"] == result["message"]
    if name in REASON_OF_LIE:
        assert result["reason"] == REASON_OF_LIE[name]


def test_an_enterprise_record_must_hash_to_the_metadata_hash_on_chain(
    verifier_page: Any, ledger: SmallLedger, api: StandinApi
) -> None:
    renamed = dict(FARM.record, name="云南绿源有机农业集团")
    api.enterprise_records[FARM.enterprise_id] = renamed
    farm, carrier, _ = verify_lookup(verifier_page, FOOD_URI, 0)["enterprises"]
    assert farm == {"ok": False, "detail": (
        f"the record hashes to 0x{keccak256(canonical_json(renamed)).hex()}, "
        f"MemberRegistry.enterprise({FARM.enterprise_id}).metadataHash is 0x{FARM.metadata_hash.hex()}")}
    assert carrier["ok"] is True


@pytest.mark.parametrize(("enterprise_id", "record", "detail"), [
    (FARM.enterprise_id, CARRIER.record, f"the record's USCC is not that of enterprise {FARM.enterprise_id}"),
    ("0x" + keccak256(b"91110000000000000X").hex(), dict(FARM.record, uscc="91110000000000000X"),
     "MemberRegistry does not know enterprise 0x" + keccak256(b"91110000000000000X").hex()),
    ("0x1234", FARM.record, "the enterprise id is not 0x + 64 hex"),
])
def test_enterprise_records_that_are_not_the_registered_one_fail(
    verifier_page: Any, enterprise_id: str, record: dict[str, Any], detail: str
) -> None:
    checked = verifier_page.evaluate("""async ([id, record]) => {
      const verify = await import('/scan/assets/verify.js');
      const { TRUST_ANCHORS } = await import('/scan/assets/anchors.js');
      return verify.verifyEnterpriseRecord(id, record, {rpc: verify.jsonRpcClient('/v1/chain/rpc'), anchors: TRUST_ANCHORS});
    }""", [enterprise_id, record])
    assert checked == {"ok": False, "detail": detail}


def test_bad_input_is_a_failed_step_never_an_exception(verifier_page: Any) -> None:
    results = verifier_page.evaluate("""async () => {
      const verify = await import('/scan/assets/verify.js');
      const out = [];
      for (const record of [null, {}, {kind: 'event', body: 7}, {kind: 'product', body: {}}, {kind: 'masterData', body: []}]) {
        out.push(await verify.verifyRecord(record, {}));
      }
      return out.map((r) => [r.status, r.failedStep, r.message]);
    }""")
    assert results == [
        ["failed", "event-hash", 'unknown record kind undefined'],
        ["failed", "event-hash", 'unknown record kind undefined'],
        ["failed", "event-hash", "the event is not a JSON object"],
        ["failed", "event-hash", 'unknown record kind "product"'],
        ["failed", "event-hash", "a master-data record is a JSON object"],
    ]


# --- the pieces, against the Python core ---------------------------------------------------


def test_step_names_are_those_of_post_v1_verify(verifier_page: Any) -> None:
    steps = verifier_page.evaluate("async () => (await import('/scan/assets/verify.js')).STEPS")
    assert steps == list(STEP_NAMES) == STEPS


def test_selectors_and_topics_are_those_of_the_contract_abis(verifier_page: Any) -> None:
    computed = verifier_page.evaluate("""async () => {
      const { SELECTORS, TOPICS } = await import('/scan/assets/verify.js');
      return { SELECTORS, TOPICS };
    }""")
    contract_of = {"rootAtSize": Contract.TRACE_ANCHOR, "headIndexBySize": Contract.TRACE_ANCHOR,
                   "headAt": Contract.TRACE_ANCHOR, "isRecalled": Contract.RECALL_REGISTRY,
                   "recallOf": Contract.RECALL_REGISTRY}
    assert computed["SELECTORS"] == {
        signature: "0x" + function_selector(contract_of.get(signature.split("(")[0], Contract.MEMBER_REGISTRY),
                                            signature.split("(")[0]).hex()
        for signature in computed["SELECTORS"]
    }
    assert len(computed["SELECTORS"]) == 9
    assert computed["TOPICS"] == {
        "TreeHeadWitnessed(uint256,address,uint64,bytes32)": "0x" + event_topic(Contract.TRACE_ANCHOR, "TreeHeadWitnessed").hex()}


def test_record_signers_recovered_in_the_browser_are_those_of_the_python_core(verifier_page: Any) -> None:
    cases = []
    for number in range(24):
        key = hashlib.sha256(f"eip712 case {number}".encode()).digest()
        domain = RecordDomain(number * 7919 + 1, "0x" + hashlib.sha256(f"contract {number}".encode()).digest()[:20].hex())
        digest = hashlib.sha256(f"event {number}".encode()).digest()
        submitter = address_of(key) if number % 3 else address_of(hashlib.sha256(b"someone else").digest())
        signature = sign_record(TraceRecord(digest, submitter), domain, key)
        cases.append({"chainId": domain.chain_id, "contract": domain.verifying_contract, "digest": digest.hex(),
                      "submitter": submitter, "signature": signature.hex(),
                      "separator": domain.domain_separator.hex(),
                      "expected": recover_record_signer(TraceRecord(digest, submitter), domain, signature)})
    recovered = verifier_page.evaluate("""async (cases) => {
      const e = await import('/scan/assets/eip712.js');
      const { hexBytes, toHex } = await import('/scan/assets/bytes.js');
      return cases.map((c) => {
        const separator = e.domainSeparator(c.chainId, e.addressBytes(c.contract));
        return [toHex(separator).slice(2), e.recoverRecordSigner(hexBytes('0x' + c.digest), e.addressBytes(c.submitter),
                                                                  separator, hexBytes('0x' + c.signature))];
      });
    }""", cases)
    assert recovered == [[case["separator"], case["expected"]] for case in cases]


def _python_refusal(signature: bytes) -> str:
    domain = RecordDomain(1, "0x" + "11" * 20)
    try:
        recover_record_signer(TraceRecord(bytes(32), "0x" + "22" * 20), domain, signature)
    except SignatureError as exc:
        return str(exc)
    raise AssertionError("the core accepted it")


@pytest.mark.parametrize("signature", [
    bytes(64) + b"\x1b",  # r = 0
    b"\x01" * 32 + (SECP256K1_ORDER - 1).to_bytes(32, "big") + b"\x1b",  # high s
    b"\x01" * 64 + b"\x1d",  # v = 29
    b"\x01" * 64,  # no v
])
def test_malformed_signatures_are_refused_as_the_python_core_refuses_them(verifier_page: Any, signature: bytes) -> None:
    message = verifier_page.evaluate("""async (signature) => {
      const e = await import('/scan/assets/eip712.js');
      try {
        e.recoverRecordSigner(new Uint8Array(32), new Uint8Array(20).fill(0x22),
                              e.domainSeparator(1, new Uint8Array(20).fill(0x11)), Uint8Array.from(signature));
      } catch (error) { return error.name + ': ' + error.message; }
      return 'accepted';
    }""", list(signature))
    assert message == "SignatureError: " + _python_refusal(signature)


def test_canonical_json_matches_rfc8785_vectors_and_es6_numbers(verifier_page: Any) -> None:
    documents = {path.name: (path.read_text(encoding="utf-8"), (JCS_DATA / "testdata" / "output" / path.name).read_text(encoding="utf-8"))
                 for path in sorted((JCS_DATA / "testdata" / "input").glob("*.json"))}
    numbers = [line.split(",", 1) for line in (JCS_DATA / "es6numbers" / "es6testfile10k.txt").read_text().splitlines()]
    computed = verifier_page.evaluate("""async ([documents, numbers]) => {
      const { canonicalJson } = await import('/scan/assets/jcs.js');
      const texts = Object.fromEntries(Object.entries(documents).map(([name, [input]]) => [name, canonicalJson(JSON.parse(input))]));
      const view = new DataView(new ArrayBuffer(8));
      const wrong = [];
      for (const [bits, expected] of numbers) {
        view.setBigUint64(0, BigInt('0x' + bits));
        const value = view.getFloat64(0);
        if (Number.isFinite(value) && canonicalJson(value) !== expected) wrong.push([bits, expected, canonicalJson(value)]);
      }
      return { texts, wrong };
    }""", [documents, numbers])
    assert computed["texts"] == {name: expected for name, (_, expected) in documents.items()}
    assert computed["wrong"] == []
    assert len(numbers) == 10_000


def test_canonical_json_and_keccak_of_enterprise_records_match_the_python_core(verifier_page: Any) -> None:
    records = [FARM.record, CARRIER.record, {"name": "A\u0000\u2028\"\\é𝄞", "n": [1.5, -0.0, 1e21, 1.2345678901234568e20]}]
    computed = verifier_page.evaluate("""async (records) => {
      const { canonicalJson } = await import('/scan/assets/jcs.js');
      const { keccak256 } = await import('/scan/assets/eip712.js');
      const { toHex, utf8 } = await import('/scan/assets/bytes.js');
      return records.map((r) => [canonicalJson(r), toHex(keccak256(utf8(canonicalJson(r))))]);
    }""", records)
    assert computed == [[canonical_json(r).decode(), "0x" + keccak256(canonical_json(r)).hex()] for r in records]


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
      if (verify.memoizedRpc(rpc) !== rpc) throw new Error('memoized twice');
      await Promise.all([rpc('eth_chainId', []), rpc('eth_chainId', []), rpc('eth_call', [{to: '0x1'}, 'latest'])]);
      await rpc('eth_blockNumber', []).catch(() => null);
      await rpc('eth_blockNumber', []);
      await rpc('eth_blockNumber', []);
      return log;
    }""")
    assert calls == ['eth_chainId[]', 'eth_call[{"to":"0x1"},"latest"]', "eth_blockNumber[]", "eth_blockNumber[]"]


def test_calls_made_together_go_out_as_one_batch_and_each_gets_its_own_answer(verifier_page: Any) -> None:
    posts = verifier_page.evaluate("""async () => {
      const { jsonRpcClient, MAX_BATCH_CALLS } = await import('/scan/assets/chain_reads.js');
      const posts = [];
      const fakeFetch = async (url, init) => {
        const body = JSON.parse(init.body);
        posts.push(Array.isArray(body) ? body.length : 'single');
        const answer = (call) => call.method === 'bad' ? {jsonrpc: '2.0', id: call.id, error: {code: 3, message: 'reverted'}}
                                                      : {jsonrpc: '2.0', id: call.id, result: call.params[0]};
        const replies = Array.isArray(body) ? body.map(answer).reverse() : answer(body);  // any order
        return {ok: true, json: async () => replies};
      };
      const rpc = jsonRpcClient('/nowhere', fakeFetch);
      const many = Array.from({length: MAX_BATCH_CALLS + 3}, (_, i) => rpc('echo', [i]));
      const bad = rpc('bad', []).then(() => 'resolved', (e) => `${e.name} ${e.code} ${e.reverted}`);
      const answers = await Promise.all(many);
      const alone = await rpc('echo', ['alone']);
      return {posts, answers, bad: await bad, alone};
    }""")
    assert posts["posts"] == [20, 4, "single"]
    assert posts["answers"] == list(range(23)) and posts["alone"] == "alone"
    assert posts["bad"] == "RpcError 3 true"


def test_one_page_asks_the_chain_identity_and_each_block_once(verifier_page: Any, api: StandinApi) -> None:
    """All records of a lookup, verified with one rpc: shared questions are asked once."""
    asked: list[str] = []

    def count(call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        asked.append(call["method"] + json.dumps(call["params"], sort_keys=True))
        return answer

    api.rpc_hook = count
    checked = verify_lookup(verifier_page, FOOD_URI)
    assert {r["status"] for r in checked["results"]} == {"verified"}
    assert asked.count("eth_chainId[]") == 1
    assert len(asked) == len(set(asked))

"""A small real ledger for the scan page tests: signed records in a log, heads on anvil.

The records are real (testing/scan_records.py): EPCIS 2.0 events whose Event Hash IDs
come from `anchoring.core.event_hash_id` and a product master-data record, each signed
with EIP-712 by an enterprise registered as an active member in a real `MemberRegistry`
(metadata hash and company prefix on chain). Everything a `traceledger.proof/v1` bundle
holds is made with `anchoring.core` (entries, RFC 9162 proofs, C2SP checkpoints and
cosignatures) and the heads are anchored on a real `TraceAnchor`; a `RecallRegistry`
holds an open recall of one lot. Block times are pinned (anvil `--timestamp` and
`evm_setNextBlockTimestamp`), so receive-time blocks (`member_block`) are the same on
every run. `trust_anchors` is what the page pins for this ledger.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web3 import Web3

from anchoring.core import (
    Checkpoint,
    LogEntry,
    NoteSigner,
    RecordDomain,
    TraceRecord,
    WitnessCosigner,
    consistency_proof,
    encode_entry,
    inclusion_proof,
    leaf_hash,
    root_hash,
    sign_checkpoint,
    sign_record,
)
from anchoring.core import (
    event_hash_id as compute_event_hash_id,
)
from anchoring.core.eip712 import format_address
from anchoring.core.keccak import keccak256
from anchoring.core.master_data import master_data_digest, master_data_hash_id
from gs1.keys import recall_subject
from testing.anvil import Anvil, deploy_contract, deploy_contracts, register_enterprise
from testing.scan_records import (
    ENTERPRISES,
    FARM,
    GTIN,
    RECALLED_LOT,
    RECORDS,
    Enterprise,
    RecordSpec,
)

LOG_ORIGIN = "scan.traceledger.test/log"
LOG_SEED = bytes(range(1, 33))
WITNESS_NAME = "samr.witness.test"
WITNESS_SEED = bytes(range(33, 65))
TRUST_ANCHORS_FORMAT = "traceledger.trust-anchors/v1"

GENESIS_TIME = 1_795_046_400  # 2026-11-19T00:00:00Z
REGISTERED_AT = GENESIS_TIME + 3_600
# Each head is anchored after the last record it covers was received (scan_records.RECORDS).
ANCHOR_TIMES = {4: 1_795_183_800, 7: 1_795_392_000}  # 2026-11-20T14:10Z, 2026-11-23T00:00Z
WITNESSED_AT = 1_795_184_100  # 2026-11-20T14:15Z: the first head is also witnessed on chain
RECALL_OPENED_AT = 1_795_569_600  # 2026-11-25T01:20Z
WITNESS_TIME = 1_795_183_900  # the witness's cosignature timestamp


def event_hash_id(event_hash: bytes) -> str:
    """The CBV 2.0 Event Hash ID naming a SHA-256 digest."""
    return f"ni:///sha-256;{event_hash.hex()}?ver=CBV2.0"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _ms(rfc3339: str) -> int:
    return int(datetime.fromisoformat(rfc3339).timestamp() * 1000)


def entry_fields(entry: bytes) -> dict[str, str]:
    """The bundle's `entryFields`: the v1 entry's fields (anchoring/core/entry.py offsets)."""
    return {
        "eventHash": _hex(entry[1:33]),
        "submitter": _hex(entry[33:53]),
        "signature": _hex(entry[53:118]),
        "receivedAt": _iso_ms(int.from_bytes(entry[118:126], "big")),
        "salt": _hex(entry[126:158]),
    }


def address_of(private_key: bytes) -> str:
    """The EIP-55 address of a secp256k1 key."""
    from coincurve import PrivateKey

    return format_address(keccak256(PrivateKey(private_key).public_key.format(compressed=False)[1:])[12:])


@dataclass
class PublishedHead:
    """A head the stand-in ledger published: index, size, root, its signed checkpoint, the
    transaction that anchored it and the witnesses that cosigned it (what the scan page
    is served; the chain-side type is contracts.anchored_head.AnchoredHead)."""

    head_index: int
    tree_size: int
    root: bytes
    checkpoint: str
    transaction_hash: str
    block_number: int
    block_hash: str
    block_time: int
    witnessed_by: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoggedRecord:
    """A record in the log: its body, digest and hash ID, the entry, who signed it."""

    spec: RecordSpec
    hash_id: str
    digest: bytes
    entry: bytes
    received_at_ms: int

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def body(self) -> dict[str, Any]:
        return self.spec.body

    @property
    def signer(self) -> Enterprise:
        return self.spec.signer


class SmallLedger:
    """anvil + MemberRegistry + TraceAnchor + RecallRegistry + an in-memory log of the
    records of testing/scan_records.py, anchored in heads of `anchor_sizes` (each
    consistent with the last); leaves beyond the last anchored size are `pending`
    (checkpointed, not anchored). The first head is also witnessed on chain and every
    checkpoint is cosigned.
    """

    def __init__(self, state_dir: Path, *, anchor_sizes: tuple[int, ...] = (4, 7)) -> None:
        self.anvil = Anvil(state_dir=state_dir, extra_args=["--timestamp", str(GENESIS_TIME)])
        self.log_signer = NoteSigner.from_seed(LOG_ORIGIN, LOG_SEED)
        self.cosigner = WitnessCosigner.from_seed(WITNESS_NAME, WITNESS_SEED, timestamp=WITNESS_TIME)
        self.anchor_sizes = anchor_sizes
        self.leaf_count = len(RECORDS)
        self.heads: list[PublishedHead] = []
        self.records: list[LoggedRecord] = []
        self.member_blocks: list[int | None] = []

    # --- set-up -------------------------------------------------------------------------

    def start(self) -> None:
        self.anvil.start()
        self.w3 = Web3(Web3.HTTPProvider(self.anvil.url))
        admin, anchorer, witness = list(self.w3.eth.accounts)[:3]
        self.admin, self.anchorer, self.witness = admin, anchorer, witness
        self.registry, self.contract = deploy_contracts(self.w3, admin, anchorer, [witness])
        self.recall_registry = deploy_contract(self.w3, admin, "RecallRegistry", self.registry.address)
        self.chain_id = self.w3.eth.chain_id
        self.genesis_hash = _hex(bytes(self.w3.eth.get_block(0)["hash"]))
        self.domain = RecordDomain(self.chain_id, self.contract.address)
        self.anvil.set_next_block_time(REGISTERED_AT)
        for enterprise in ENTERPRISES:
            register_enterprise(
                self.w3, self.registry, admin, enterprise_id=bytes.fromhex(enterprise.enterprise_id[2:]),
                signing_key=address_of(enterprise.private_key), sectors=enterprise.sectors_mask,
                prefixes=[enterprise.company_prefix], metadata_hash=enterprise.metadata_hash)
        for number, spec in enumerate(RECORDS):
            self.records.append(self._logged(number, spec))
        self.entries = [record.entry for record in self.records]
        self.leaf_hashes = [leaf_hash(entry) for entry in self.entries]
        previous = 0
        for size in self.anchor_sizes:
            self._anchor(previous, size)
            if previous == 0:
                self._witness_on_chain(self.heads[0])
            previous = size
        self._open_recall(f"https://id.gs1.org/01/{GTIN}/10/{RECALLED_LOT}")
        self.member_blocks = [self.member_block_at(record.received_at_ms) for record in self.records]

    def stop(self) -> None:
        self.anvil.stop()

    def _logged(self, number: int, spec: RecordSpec) -> LoggedRecord:
        if spec.kind == "event":
            hash_id = compute_event_hash_id(spec.body)
            digest = bytes.fromhex(hash_id.split(";", 1)[1].split("?", 1)[0])
        else:
            digest = master_data_digest(spec.body)
            hash_id = master_data_hash_id(spec.body)
        received_at_ms = _ms(spec.received_at)
        entry = self.sign_entry(digest, spec.signer.private_key, received_at_ms,
                                salt=hashlib.sha256(f"salt {number}".encode()).digest())
        return LoggedRecord(spec, hash_id, digest, entry, received_at_ms)

    def sign_entry(self, digest: bytes, private_key: bytes, received_at_ms: int, *,
                   salt: bytes = bytes(32), domain: RecordDomain | None = None) -> bytes:
        """A v1 log entry for `digest`, EIP-712 signed by `private_key` (in this ledger's
        domain unless another is given) and naming that key's address as submitter."""
        submitter = address_of(private_key)
        signature = sign_record(TraceRecord(digest, submitter), domain or self.domain, private_key)
        return encode_entry(LogEntry(event_hash=digest, submitter=bytes.fromhex(submitter[2:]),
                                     signature=signature, received_at_ms=received_at_ms, salt=salt))

    def signed_checkpoint(self, tree_size: int, root: bytes | None = None, *, signer: NoteSigner | None = None) -> str:
        """The log's checkpoint of `tree_size` (root computed unless given), cosigned by the witness."""
        root = root if root is not None else root_hash(self.leaf_hashes[:tree_size])
        return sign_checkpoint(Checkpoint(LOG_ORIGIN, tree_size, root), [signer or self.log_signer, self.cosigner])

    def _anchor(self, old_size: int, tree_size: int) -> None:
        root = root_hash(self.leaf_hashes[:tree_size])
        proof = consistency_proof(old_size, tree_size, self.leaf_hashes[:tree_size]) if old_size else []
        self.anvil.set_next_block_time(ANCHOR_TIMES.get(tree_size, self._latest_time() + 60))
        tx = self.contract.functions.anchor(tree_size, root, proof).transact({"from": self.anchorer})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1, f"anchoring size {tree_size} failed"
        block = self.w3.eth.get_block(receipt["blockNumber"])
        self.heads.append(PublishedHead(
            head_index=len(self.heads), tree_size=tree_size, root=root,
            checkpoint=self.signed_checkpoint(tree_size, root),
            transaction_hash=_hex(bytes(receipt["transactionHash"])),
            block_number=receipt["blockNumber"], block_hash=_hex(bytes(block["hash"])),
            block_time=block["timestamp"],
        ))

    def _witness_on_chain(self, head: PublishedHead) -> None:
        self.anvil.set_next_block_time(max(WITNESSED_AT, self._latest_time() + 1))
        tx = self.contract.functions.witness(head.tree_size, head.root).transact({"from": self.witness})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        head.witnessed_by.append(self.witness.lower())

    def _open_recall(self, canonical_uri: str) -> None:
        """The farm opens a class I recall of a lot it holds the company prefix of."""
        farm = address_of(FARM.private_key)
        self.anvil.rpc("anvil_impersonateAccount", farm)
        self.anvil.set_next_block_time(max(RECALL_OPENED_AT, self._latest_time() + 1))
        subject = bytes.fromhex(recall_subject(canonical_uri)[2:])
        # the platform keeps a notice by the SHA-256 of its text (trace_api/provenance/recalls.py)
        reason = hashlib.sha256("李斯特菌检测阳性 / Listeria detected".encode()).digest()
        tx = self.recall_registry.functions.openRecall(subject, 1, reason, FARM.company_prefix).transact({"from": farm})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1, "opening the recall failed"
        self.anvil.rpc("anvil_stopImpersonatingAccount", farm)
        self.recalled_subject = _hex(subject)

    def _latest_time(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def member_block_at(self, received_at_ms: int) -> int | None:
        """The server's hint: the last block whose timestamp (s) <= received_at_ms // 1000."""
        received_s = received_at_ms // 1000
        number = int(self.w3.eth.block_number)
        while number >= 0:
            if self.w3.eth.get_block(number)["timestamp"] <= received_s:
                return number
            number -= 1
        return None

    # --- what the API would serve ---------------------------------------------------------

    def event_hash_id(self, leaf_index: int) -> str:
        """The hash ID of the record at `leaf_index` (an Event Hash ID, or a master-data
        record hash ID)."""
        return self.records[leaf_index].hash_id

    def leaf_index_of(self, hash_id: str) -> int | None:
        for index, record in enumerate(self.records):
            if record.hash_id == hash_id:
                return index
        return None

    def bundle(self, leaf_index: int, *, pending: bool = False) -> dict[str, Any]:
        """The public proof bundle of a leaf, exactly as trace_api/README.md specifies
        (`pending`: as it was before its head was anchored, against the latest checkpoint)."""
        entry = self.entries[leaf_index]
        head = None if pending else next((h for h in self.heads if h.tree_size > leaf_index), None)
        tree_size = head.tree_size if head else self.leaf_count
        root = root_hash(self.leaf_hashes[:tree_size])
        return {
            "format": "traceledger.proof/v1",
            "eventHashId": self.event_hash_id(leaf_index),
            "status": "anchored" if head else "pending",
            "entry": base64.b64encode(entry).decode("ascii"),
            "entryFields": entry_fields(entry),
            "leafIndex": leaf_index,
            "treeSize": tree_size,
            "leafHash": _hex(self.leaf_hashes[leaf_index]),
            "rootHash": _hex(root),
            "inclusionProof": [_hex(h) for h in inclusion_proof(leaf_index, tree_size, self.leaf_hashes[:tree_size])],
            "checkpoint": head.checkpoint if head else self.signed_checkpoint(tree_size),
            "log": {"origin": LOG_ORIGIN, "verifierKey": self.log_signer.verifier().verifier_key},
            "witnesses": [{"name": WITNESS_NAME, "verifierKey": self.cosigner.verifier().verifier_key}],
            "anchor": None if head is None else {
                "chainId": self.chain_id, "contract": self.contract.address.lower(),
                "headIndex": head.head_index, "treeSize": head.tree_size, "rootHash": _hex(head.root),
                "transactionHash": head.transaction_hash, "blockNumber": head.block_number,
                "blockHash": head.block_hash, "blockTime": head.block_time,
                "witnessedBy": list(head.witnessed_by),
            },
        }

    def evidence_of(self, leaf_index: int) -> dict[str, Any]:
        """The lookup's `evidence` item of a record (DESIGN.md "Lookup response"): an event's
        body, bundle and receive-time block, or a master-data record's."""
        record = self.records[leaf_index]
        common = {"proof": self.bundle(leaf_index), "memberBlock": self.member_blocks[leaf_index]}
        if record.kind == "event":
            return {"eventHashId": record.hash_id, "event": record.body, **common}
        return {"kind": record.body["kind"], "recordHashId": record.hash_id, "record": record.body, **common}

    def enterprise_evidence(self, enterprises: list[Enterprise]) -> list[dict[str, Any]]:
        """The lookup's `evidence.enterprises`: each enterprise's id and registered record."""
        return [{"enterpriseId": e.enterprise_id, "record": e.record} for e in enterprises]

    @property
    def trust_anchors(self) -> dict[str, Any]:
        """What the page pins for this ledger (DESIGN.md "Trust anchors")."""
        return {
            "format": TRUST_ANCHORS_FORMAT,
            "name": "TraceLedger scan test ledger",
            "chainId": self.chain_id,
            "genesisHash": self.genesis_hash,
            "contracts": {"traceAnchor": self.contract.address, "memberRegistry": self.registry.address,
                          "recallRegistry": self.recall_registry.address},
            "log": {"origin": LOG_ORIGIN, "verifierKey": self.log_signer.verifier().verifier_key},
            "witnesses": [{"name": WITNESS_NAME, "verifierKey": self.cosigner.verifier().verifier_key}],
            "endpoints": {"api": "", "rpc": "/v1/chain/rpc"},
        }

    @property
    def chain_info(self) -> dict[str, Any]:
        return {"rpcUrl": "/v1/chain/rpc", "chainId": self.chain_id, "traceAnchor": self.contract.address}

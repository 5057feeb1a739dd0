"""A small real ledger for the scan page tests: log entries, signed checkpoints, heads on anvil.

Everything a `traceledger.proof/v1` bundle holds is made here with `anchoring.core` (entries,
RFC 9162 proofs, C2SP checkpoints and cosignatures, EIP-712 record signatures) and the
heads are anchored on a real TraceAnchor on anvil, so the page checks the same bytes and
the same contract calls it checks against a running system.
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
from testing.anvil import Anvil, deploy_contracts

LOG_ORIGIN = "scan.traceledger.test/log"
LOG_SEED = bytes(range(1, 33))
WITNESS_NAME = "samr.witness.test"
WITNESS_SEED = bytes(range(33, 65))
ENTERPRISE_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ENTERPRISE_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
RECEIVED_AT_MS = 1_795_000_000_000
WITNESS_TIME = 1_795_000_100


def event_hash_id(event_hash: bytes) -> str:
    """The CBV 2.0 Event Hash ID naming a SHA-256 digest."""
    return f"ni:///sha-256;{event_hash.hex()}?ver=CBV2.0"


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def entry_fields(entry: bytes) -> dict[str, str]:
    """The bundle's `entryFields`: the v1 entry's fields (anchoring/core/entry.py offsets)."""
    return {
        "eventHash": _hex(entry[1:33]),
        "submitter": _hex(entry[33:53]),
        "signature": _hex(entry[53:118]),
        "receivedAt": _iso_ms(int.from_bytes(entry[118:126], "big")),
        "salt": _hex(entry[126:158]),
    }


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


class SmallLedger:
    """anvil + TraceAnchor + an in-memory log of `leaf_count` entries, anchored in heads.

    `anchor_sizes` are the tree sizes put on chain in order (each consistent with the
    last); leaves beyond the last anchored size are `pending` (checkpointed, not anchored).
    The first head is also witnessed on chain and every checkpoint is cosigned.
    """

    def __init__(self, state_dir: Path, *, leaf_count: int = 8, anchor_sizes: tuple[int, ...] = (4, 7)) -> None:
        self.anvil = Anvil(state_dir=state_dir)
        self.log_signer = NoteSigner.from_seed(LOG_ORIGIN, LOG_SEED)
        self.cosigner = WitnessCosigner.from_seed(WITNESS_NAME, WITNESS_SEED, timestamp=WITNESS_TIME)
        self.leaf_count = leaf_count
        self.anchor_sizes = anchor_sizes
        self.heads: list[PublishedHead] = []
        self.entries: list[bytes] = []
        self.event_hashes: list[bytes] = []

    # --- set-up -------------------------------------------------------------------------

    def start(self) -> None:
        self.anvil.start()
        self.w3 = Web3(Web3.HTTPProvider(self.anvil.url))
        admin, anchorer, witness = self.w3.eth.accounts[:3]
        self.anchorer, self.witness = anchorer, witness
        _, self.contract = deploy_contracts(self.w3, admin, anchorer, [witness])
        self.chain_id = self.w3.eth.chain_id
        domain = RecordDomain(self.chain_id, self.contract.address)
        for number in range(self.leaf_count):
            event_hash = hashlib.sha256(f"scan test event {number}".encode()).digest()
            signature = sign_record(TraceRecord(event_hash, ENTERPRISE_ADDRESS), domain, ENTERPRISE_KEY)
            entry = LogEntry(
                event_hash=event_hash,
                submitter=bytes.fromhex(ENTERPRISE_ADDRESS[2:]),
                signature=signature,
                received_at_ms=RECEIVED_AT_MS + number * 60_000,
                salt=hashlib.sha256(f"salt {number}".encode()).digest(),
            )
            self.event_hashes.append(event_hash)
            self.entries.append(encode_entry(entry))
        self.leaf_hashes = [leaf_hash(entry) for entry in self.entries]
        previous = 0
        for size in self.anchor_sizes:
            self._anchor(previous, size)
            previous = size
        self._witness_on_chain(self.heads[0])

    def stop(self) -> None:
        self.anvil.stop()

    def signed_checkpoint(self, tree_size: int, root: bytes | None = None, *, signer: NoteSigner | None = None) -> str:
        """The log's checkpoint of `tree_size` (root computed unless given), cosigned by the witness."""
        root = root if root is not None else root_hash(self.leaf_hashes[:tree_size])
        return sign_checkpoint(Checkpoint(LOG_ORIGIN, tree_size, root), [signer or self.log_signer, self.cosigner])

    def _anchor(self, old_size: int, tree_size: int) -> None:
        root = root_hash(self.leaf_hashes[:tree_size])
        proof = consistency_proof(old_size, tree_size, self.leaf_hashes[:tree_size]) if old_size else []
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
        tx = self.contract.functions.witness(head.tree_size, head.root).transact({"from": self.witness})
        assert self.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        head.witnessed_by.append(self.witness.lower())

    # --- what the API would serve ---------------------------------------------------------

    def event_hash_id(self, leaf_index: int) -> str:
        return event_hash_id(self.event_hashes[leaf_index])

    def leaf_index_of(self, hash_id: str) -> int | None:
        for index in range(self.leaf_count):
            if self.event_hash_id(index) == hash_id:
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

    @property
    def chain_info(self) -> dict[str, Any]:
        return {"rpcUrl": "/v1/chain/rpc", "chainId": self.chain_id, "traceAnchor": self.contract.address}

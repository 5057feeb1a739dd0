"""An in-process API context over a fresh database with a real log, for the audit tests.

Records go in the way capture puts them (log store submit transaction: record rows,
identifiers and provenance graph rows with the leaf), the log integrates and signs real
checkpoints, and the mirror gets the chain facts a test names (blocks, anchored heads
with the log's real roots, enterprise status changes, recalls) as the indexer would
write them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from sqlmodel import Session

import trace_api.enterprises.store
import trace_api.provenance.models  # noqa: F401  (registers the api_prov_* tables)
from anchoring.core import (
    LogEntry,
    NoteSigner,
    RecordDomain,
    TraceRecord,
    encode_entry,
    event_hash_id,
    sign_checkpoint,
    sign_record,
)
from anchoring.keys import create_key_file, decrypt_signer_key
from indexer.sink.db import create_mirror_engine, migrate
from indexer.sink.models import (
    ChainBlock,
    ChainEnterpriseHistory,
    ChainRecallHistory,
    ChainTreeHead,
)
from trace_api.audit.epcis_view import AuditEvent
from trace_api.context import ApiContext
from trace_api.records.columns import event_epcs, record_columns
from trace_api.records.models import CapturedEvent
from trace_api.records.repository import RecordRow, insert_records
from trace_api.settings import ApiSettings

LOG_PASSPHRASE = "audit-test"
CHAIN_ID = 7331
TRACE_ANCHOR = "0x" + "7a" * 20


def open_context(db_url: str, work_dir: Path, *, log_key_file: Path) -> ApiContext:
    """A context on `db_url` (records, log and mirror in one database) with a written
    deployment; the chain is not started (no rule asks it: verdicts come from the mirror)."""
    node_dir = work_dir / "node"
    node_dir.mkdir(parents=True, exist_ok=True)
    contracts = {"MemberRegistry": {"address": "0x" + "01" * 20},
                 "RecallRegistry": {"address": "0x" + "02" * 20},
                 "TraceAnchor": {"address": TRACE_ANCHOR}}
    (node_dir / "deployment.json").write_text(
        json.dumps({"chainId": CHAIN_ID, "contracts": contracts}), encoding="utf-8")
    mirror = create_mirror_engine(db_url)
    migrate(mirror)
    mirror.dispose()
    return ApiContext.open(ApiSettings(
        database_url=db_url, mirror_database_url=db_url, rpc_url="http://127.0.0.1:1",
        node_data_dir=node_dir, log_key_file=log_key_file))


@dataclass
class AuditWorld:
    ctx: ApiContext
    signer: NoteSigner
    keys: dict[str, bytes] = field(default_factory=dict)
    block_number: int = 0

    @classmethod
    def open(cls, db_url: str, work_dir: Path) -> AuditWorld:
        key_file = work_dir / "log.key"
        create_key_file(key_file, "localhost/traceledger-log", LOG_PASSPHRASE, scrypt_n=2**4)
        ctx = open_context(db_url, work_dir, log_key_file=key_file)
        signer = NoteSigner.from_signer_key(decrypt_signer_key(key_file, LOG_PASSPHRASE))
        return cls(ctx=ctx, signer=signer)

    @property
    def domain(self) -> RecordDomain:
        return RecordDomain(self.ctx.deployment.chain_id, self.ctx.deployment.trace_anchor)

    def address(self, enterprise_id: str) -> str:
        key = self.keys.setdefault(enterprise_id, hashlib.sha256(enterprise_id.encode()).digest())
        return Account.from_key(key).address

    def add(self, enterprise_id: str, bodies: Sequence[dict[str, Any]], received_ms: Sequence[int],
            *, bad_signature: bool = False) -> list[AuditEvent]:
        """Record `bodies` as capture would (signed by the enterprise's key)."""
        submitter = self.address(enterprise_id)
        entries = []
        for body, received in zip(bodies, received_ms, strict=True):
            digest = bytes.fromhex(event_hash_id(body).split(";")[1].split("?")[0])
            signed = digest if not bad_signature else hashlib.sha256(digest).digest()
            signature = sign_record(TraceRecord(signed, submitter), self.domain, self.keys[enterprise_id])
            entries.append(encode_entry(LogEntry(
                event_hash=digest, submitter=bytes.fromhex(submitter[2:]), signature=signature,
                received_at_ms=received, salt=secrets.token_bytes(32))))
        stored: list[AuditEvent] = []

        def within(cursor: Any, receipts: Any) -> None:
            from trace_api.provenance.ingest import write_graph

            rows, captured = [], []
            for body, entry, receipt, received in zip(bodies, entries, receipts, received_ms, strict=True):
                hash_id = event_hash_id(body)
                values = (receipt.leaf_index, hash_id, enterprise_id, submitter, entry, received,
                          "capture-test", *record_columns(body), json.dumps(body))
                rows.append(RecordRow(values=values, epcs=event_epcs(body)))
                captured.append(CapturedEvent(receipt.leaf_index, hash_id, enterprise_id, submitter,
                                              received, body))
                stored.append(AuditEvent(leaf_index=receipt.leaf_index, event_hash_id=hash_id,
                                         enterprise_id=enterprise_id, submitter=submitter,
                                         received_at_ms=received, body=body, entry=entry))
            insert_records(cursor, rows)
            write_graph(cursor, captured)

        self.ctx.log_store.submit_encoded(entries, within=within)
        return stored

    def integrate(self) -> int:
        self.ctx.log_store.integrate(lambda checkpoint: sign_checkpoint(checkpoint, [self.signer]),
                                     origin="localhost/traceledger-log", max_batch=10_000)
        return self.ctx.log_store.head().tree_size

    def _block(self, session: Session, time_s: int) -> ChainBlock:
        self.block_number += 1
        block = ChainBlock(number=self.block_number, hash=f"0x{self.block_number:064x}",
                           parent_hash=f"0x{self.block_number - 1:064x}", timestamp=time_s,
                           miner="0x" + "00" * 20)
        session.add(block)
        return block

    def anchor(self, tree_size: int, time_s: int) -> str:
        """Mirror an anchored head of the log's real root at `tree_size`; returns its tx hash."""
        root = "0x" + self.ctx.log_store.root_at(tree_size).hex()
        with Session(self.ctx.mirror_engine) as session:
            block = self._block(session, time_s)
            tx = f"0x{0xA000 + block.number:064x}"
            session.add(ChainTreeHead(block_hash=block.hash, log_index=0, block_number=block.number,
                                      transaction_hash=tx, head_index=block.number - 1,
                                      tree_size=tree_size, root_hash=root, anchorer="0x" + "0a" * 20))
            session.commit()
        return tx

    def enterprise_status(self, enterprise_id: str, status: str, time_s: int) -> None:
        with Session(self.ctx.mirror_engine) as session:
            block = self._block(session, time_s)
            session.add(ChainEnterpriseHistory(
                block_hash=block.hash, log_index=0, block_number=block.number,
                transaction_hash=f"0x{0xB000 + block.number:064x}", enterprise_id=enterprise_id,
                change=status, status=status))
            session.commit()

    def recall(self, subject: str, status: str, time_s: int, recall_class: int | None = 1) -> None:
        with Session(self.ctx.mirror_engine) as session:
            block = self._block(session, time_s)
            session.add(ChainRecallHistory(
                block_hash=block.hash, log_index=0, block_number=block.number,
                transaction_hash=f"0x{0xC000 + block.number:064x}", subject=subject, sequence=1,
                change=status, status=status, recall_class=recall_class, reason_hash="0x" + "00" * 32,
                issuer="0x" + "0c" * 20))
            session.commit()

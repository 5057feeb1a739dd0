"""`format=bundle`: a streamed ZIP anyone can check without TraceLedger's software.

Layout (format `traceledger.evidence/v1`):

    README.txt                  how to verify, step by step (VERIFY_README below)
    events/<leaf>.json          each event body as stored (standalone JSON-LD)
    proofs/<leaf>.json          its traceledger.proof/v1 bundle (event included)
    checkpoints/<size>.txt      each signed checkpoint (C2SP signed note) the proofs use
    index.csv                   leaf_index, event_hash_id, status, tree_size, files
    manifest.json               format, chain, contract, filters, counts (written last)

Memory stays bounded: the ZIP goes out entry by entry through a non-seekable sink
(zipfile then writes data descriptors), and the index is spooled to a temporary file.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, cast

from trace_api.audit.epcis_view import AuditEvent
from trace_api.csv_cells import csv_writer
from trace_api.proofs.bundle import ProofBundle

BUNDLE_FORMAT = "traceledger.evidence/v1"
INDEX_COLUMNS = ("leaf_index", "event_hash_id", "status", "tree_size", "event_file", "proof_file",
                 "checkpoint_file")

VERIFY_README = """\
TraceLedger evidence bundle ({format})
=====================================

Generated {generated_at} for: {filters}
Chain id {chain_id}; TraceAnchor contract {trace_anchor}; {count} record(s).

Every record can be checked with standard tools and this text alone. For each line of
index.csv:

1. Event identity (GS1 CBV 2.0 section 8.9, Event Hash ID).
   Recompute the Event Hash ID of events/<leaf>.json: build the CBV 2.0 pre-hash string
   of the event (canonical property order, normalised values, its own @context applied)
   and take SHA-256 of its UTF-8 bytes; the ID is "ni:///sha-256;<hex>?ver=CBV2.0".
   GS1's reference tool (epcis-event-hash-generator, PyPI) does this from the command
   line. It must equal "eventHashId" in proofs/<leaf>.json.

2. The log entry. Base64-decode "entry" in the proof: 158 bytes, big-endian:
   version (1 byte, 0x01) | event hash (32) | submitter address (20) |
   signature r||s||v (65) | received-at ms since 1970 (8) | salt (32).
   The event hash must be the SHA-256 digest from step 1.

3. Authorship (EIP-712). Domain: name "TraceLedger", version "1", chainId {chain_id},
   verifyingContract {trace_anchor}. Type: TraceRecord(bytes32 eventHash,address submitter).
   digest = keccak256(0x1901 || domainSeparator || keccak256(typeHash || eventHash ||
   submitter as a 32-byte word)); recovering the signer of the entry's signature over the
   digest (any Ethereum library: eth_account, ethers verifyTypedData) must give the
   entry's submitter.

4. Inclusion (RFC 9162 section 2.1.3.2). leafHash = SHA-256(0x00 || entry bytes).
   Fold "inclusionProof" from leafIndex in a tree of "treeSize" leaves, hashing nodes as
   SHA-256(0x01 || left || right); the result must equal "rootHash".

5. The checkpoint (C2SP tlog-checkpoint in a C2SP signed note). checkpoints/<size>.txt:
   line 1 the log origin, line 2 the tree size, line 3 the base64 root hash, a blank
   line, then signature lines "— <name> <base64(key id || Ed25519 signature)>". Check the
   Ed25519 signature by the log's verifier key ("log.verifierKey" in the proof:
   <name>+<key id hex>+base64(0x01 || public key)) over the note text up to and
   including the blank line's preceding newline. Size and root must equal step 4's.
   Witness cosignature lines verify the same way with the witnesses' keys.

6. The anchor on chain. With any Ethereum JSON-RPC endpoint of the chain, eth_call the
   TraceAnchor contract {trace_anchor}:
     rootAtSize(uint64 treeSize)  selector 0x6867875b  -> must return rootHash;
     or verifyInclusion(bytes32 leafHash, uint64 leafIndex, uint64 treeSize, bytes32[] proof)
                                  selector 0x82c9321e  -> must return true.
   "anchor.transactionHash" and "anchor.blockNumber" in the proof show where the head
   was anchored (eth_getTransactionReceipt shows the TreeHeadAnchored event).

Records with status "pending" were not anchored when the bundle was made: steps 1-5
hold against the latest checkpoint; step 6 becomes possible once anchored (fetch a new
proof from /v1/events/<eventHashId>/proof).
"""


class _Sink:
    """A write-only, non-seekable file for zipfile; `drain()` hands out what was written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _info(name: str, when: dt.datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def stream_bundle(
    records: Iterable[AuditEvent],
    build_bundle: Callable[[int], ProofBundle],
    *,
    chain_id: int,
    trace_anchor: str,
    filters: Mapping[str, Any],
) -> Iterator[bytes]:
    """The ZIP (module docstring) of `records`, as chunks; `build_bundle(leaf)` gives the
    record's traceledger.proof/v1 bundle including its event."""
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    sink = _Sink()
    archive = zipfile.ZipFile(cast(IO[bytes], sink), mode="w", compression=zipfile.ZIP_DEFLATED)
    checkpoints: set[int] = set()
    count = 0
    anchored = 0
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as index:
        index_writer = csv_writer(index)
        index_writer.writerow(INDEX_COLUMNS)
        for record in records:
            proof = build_bundle(record.leaf_index)
            event_file = f"events/{record.leaf_index}.json"
            proof_file = f"proofs/{record.leaf_index}.json"
            archive.writestr(_info(event_file, when),
                             json.dumps(record.body, ensure_ascii=False, indent=1, sort_keys=True))
            archive.writestr(_info(proof_file, when),
                             json.dumps(proof.to_json(), ensure_ascii=False, indent=1, sort_keys=True))
            tree_size = proof.tree_size
            checkpoint_file = ""
            if tree_size is not None and proof.checkpoint is not None:
                checkpoint_file = f"checkpoints/{tree_size}.txt"
                if tree_size not in checkpoints:
                    checkpoints.add(tree_size)
                    archive.writestr(_info(checkpoint_file, when), proof.checkpoint)
            status = proof.status or ""
            anchored += status == "anchored"
            index_writer.writerow((record.leaf_index, record.event_hash_id, status,
                                   tree_size if tree_size is not None else "", event_file,
                                   proof_file, checkpoint_file))
            count += 1
            yield sink.drain()
        index.seek(0)
        with archive.open(_info("index.csv", when), mode="w") as member:
            while chunk := index.read(1024 * 1024):
                member.write(chunk.encode("utf-8"))
                yield sink.drain()
    readme = VERIFY_README.format(
        format=BUNDLE_FORMAT, generated_at=when.isoformat().replace("+00:00", "Z"),
        filters=json.dumps(dict(filters), sort_keys=True), chain_id=chain_id,
        trace_anchor=trace_anchor, count=count)
    archive.writestr(_info("README.txt", when), readme)
    manifest = {"format": BUNDLE_FORMAT, "generatedAt": when.isoformat().replace("+00:00", "Z"),
                "chainId": chain_id, "traceAnchor": trace_anchor, "filters": dict(filters),
                "records": count, "anchored": anchored, "checkpoints": sorted(checkpoints)}
    archive.writestr(_info("manifest.json", when), json.dumps(manifest, indent=1, sort_keys=True))
    archive.close()
    yield sink.drain()

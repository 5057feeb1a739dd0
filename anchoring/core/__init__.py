"""The pure core of TraceLedger: what decides whether a trace record is authentic.

Nothing here does I/O, reads a clock or draws randomness. Code whose change could break
old proofs lives here and nowhere else: every byte format is versioned and pinned by
golden tests. The names below are the public surface. The rest of the project also uses a
few helpers straight from their submodules, under the same care: `check_digit` (the one GS1
mod-10 check digit), `keccak.keccak256`, `eip712.format_address`, `event_hash.digital_link`
(EPC URI to Digital Link), `event_hash.terms` (the CBV 2.0 word tables), the proof-range
plans of `merkle` and the key encodings of `note`. Other submodule names are internal.

- Canonical JSON, RFC 8785: `canonical_json`, `parse_json_strict`, `canonicalize_json_text`.
- Event identity, GS1 CBV 2.0 §8.9: `event_hash_id`, `event_prehash`, `document_events`,
  `format_event_hash_id` / `event_hash_digest` (the ID of a digest and back).
- Authorship, EIP-712: `TraceRecord`, `RecordDomain`, `sign_record`, `recover_record_signer`,
  `verify_record_signature`, and the generic `typed_data_digest`.
- Log entries (leaves hide content): `LogEntry`, `encode_entry`, `decode_entry`, `leaf_hash`.
- The Merkle log, RFC 9162: `node_hash`, `root_hash`, `inclusion_proof`, `consistency_proof`,
  `verify_inclusion`, `verify_consistency`, `CompactRange`.
- Tree heads, C2SP signed-note / tlog-checkpoint / tlog-cosignature: `Checkpoint`,
  `format_checkpoint`, `parse_checkpoint`, `sign_checkpoint`, `open_checkpoint`, `sign_note`,
  `open_note`, `NoteSigner`, `NoteVerifier`, `WitnessCosigner`, `WitnessVerifier`.
- Master-data records (`traceledger.masterdata/v1`, signed and logged like events):
  `verify_master_data`, `master_data_digest`, `master_data_hash_id`,
  `format_record_hash_id` / `record_hash_digest`, `MASTER_DATA_FORMAT`.
- JSON nesting limit, checked before any parse: `MAX_JSON_DEPTH`, `check_json_depth`,
  `compute_json_depth`.
- Errors: every error is a `CoreError`; every "this is not authentic" is a `VerificationError`.
"""

from __future__ import annotations

from anchoring.core.checkpoint import (
    Checkpoint,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from anchoring.core.cosignature import WitnessCosigner, WitnessVerifier
from anchoring.core.eip712 import typed_data_digest
from anchoring.core.entry import LogEntry, decode_entry, encode_entry, entry_leaf_hash
from anchoring.core.errors import (
    CanonicalJSONError,
    CoreError,
    EntryFormatError,
    EventError,
    IndexOutOfRangeError,
    JsonTooDeepError,
    MalformedEventError,
    MasterDataError,
    NoteFormatError,
    NoteVerificationError,
    ProofShapeError,
    RootMismatchError,
    SignatureError,
    SignerMismatchError,
    TypedDataError,
    VerificationError,
)
from anchoring.core.event_hash import (
    event_hash_digest,
    event_hash_id,
    event_prehash,
    format_event_hash_id,
)
from anchoring.core.event_hash.document import DocumentEvent, document_events
from anchoring.core.jcs import canonical_json, canonicalize_json_text, parse_json_strict
from anchoring.core.json_depth import MAX_JSON_DEPTH, check_json_depth, compute_json_depth
from anchoring.core.master_data import (
    MASTER_DATA_FORMAT,
    format_record_hash_id,
    master_data_digest,
    master_data_hash_id,
    record_hash_digest,
    verify_master_data,
)
from anchoring.core.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from anchoring.core.note import NoteSigner, NoteVerifier, generate_signer_key, open_note, sign_note
from anchoring.core.record_signature import (
    RecordDomain,
    TraceRecord,
    recover_record_signer,
    sign_record,
    verify_record_signature,
)

__all__ = [
    "EMPTY_ROOT",
    "MASTER_DATA_FORMAT",
    "MAX_JSON_DEPTH",
    "CanonicalJSONError",
    "Checkpoint",
    "CompactRange",
    "CoreError",
    "DocumentEvent",
    "EntryFormatError",
    "EventError",
    "IndexOutOfRangeError",
    "JsonTooDeepError",
    "LogEntry",
    "MalformedEventError",
    "MasterDataError",
    "NoteFormatError",
    "NoteSigner",
    "NoteVerificationError",
    "NoteVerifier",
    "ProofShapeError",
    "RecordDomain",
    "RootMismatchError",
    "SignatureError",
    "SignerMismatchError",
    "TraceRecord",
    "TypedDataError",
    "VerificationError",
    "WitnessCosigner",
    "WitnessVerifier",
    "canonical_json",
    "canonicalize_json_text",
    "check_json_depth",
    "compute_json_depth",
    "consistency_proof",
    "decode_entry",
    "document_events",
    "encode_entry",
    "entry_leaf_hash",
    "event_hash_digest",
    "event_hash_id",
    "event_prehash",
    "format_checkpoint",
    "format_event_hash_id",
    "format_record_hash_id",
    "generate_signer_key",
    "inclusion_proof",
    "leaf_hash",
    "master_data_digest",
    "master_data_hash_id",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_json_strict",
    "record_hash_digest",
    "recover_record_signer",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "sign_record",
    "typed_data_digest",
    "verify_consistency",
    "verify_inclusion",
    "verify_master_data",
    "verify_record_signature",
]

"""Step-by-step verification of one trace record: `verify(ctx_or_verifier, event, bundle)`.

Given an EPCIS event and its `traceledger.proof/v1` bundle (fetched by the event's
recomputed hash when not given), the verdict is re-derived from the event, the bundle's
bytes and the chain alone (DESIGN.md, "Trust"). Nothing here reads the SQL mirror for a
verdict; the mirror may only *guess* a block number, which the chain then confirms.

Steps, numbered as the API, the CLI and the scan page show them:

1. event-hash: the CBV 2.0 Event Hash ID recomputed from the event (anchoring.core).
2. entry-matches: the log entry commits to that hash (entry bytes, bundle id, entryFields).
3. signature: the entry's EIP-712 signature (domain TraceLedger v1, the *trusted* chain id
   and TraceAnchor address) recovers to the entry's submitter.
4. submitter-active: `MemberRegistry.hasRole(submitter, Enterprise)` by `eth_call` at the
   last block whose timestamp (seconds) is at or before the entry's receive time — the
   key was the enterprise's current key and the enterprise neither suspended nor revoked.
5. inclusion: SHA-256(0x00 || entry) and the inclusion proof lead to the bundle's root
   (RFC 9162 §2.1.3.2).
6. checkpoint: the checkpoint note carries a valid signature by the log key and names
   the same tree size and root.
7. anchored-on-chain: `TraceAnchor.rootAtSize(treeSize)` by `eth_call` equals that root
   (and the bundle's head index, block and time agree with `headAt`).
8. witnesses: every cosignature line by a known witness key verifies, and every witness
   the bundle claims on chain has `TraceAnchor.hasWitnessed(head, witness)`.

Statuses: `ok`, `failed`, `pending` (nothing wrong, not anchored yet) and `skipped`
(could not be checked because an earlier input was missing or broken). Verdict:
`failed` (naming the first failed step) if any step failed, else `pending` if any step is
pending or skipped, else `verified`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anchoring.core import (
    CoreError,
    NoteVerifier,
    RecordDomain,
    TraceRecord,
    WitnessVerifier,
    decode_entry,
    event_hash_id,
    leaf_hash,
    open_checkpoint,
    open_note,
    recover_record_signer,
    root_from_inclusion_proof,
)
from anchoring.core.eip712 import format_address
from anchoring.core.entry import LogEntry
from anchoring.core.event_hash import HASH_ID_PREFIX, HASH_ID_SUFFIX
from trace_api.verification.chain_reader import CallReverted, ChainReader, ChainReadError

__all__ = ["STEP_NAMES", "ChainReadError", "Step", "Verdict", "Verifier", "verify"]

BUNDLE_FORMAT = "traceledger.proof/v1"

STEP_NAMES: tuple[str, ...] = (
    "event-hash",
    "entry-matches",
    "signature",
    "submitter-active",
    "inclusion",
    "checkpoint",
    "anchored-on-chain",
    "witnesses",
)
STEP_TITLES: dict[str, str] = {
    "event-hash": "Event Hash ID recomputed from the event",
    "entry-matches": "log entry commits to that event hash",
    "signature": "EIP-712 signature recovers to the submitter",
    "submitter-active": "submitter was an active enterprise key when the event was received",
    "inclusion": "leaf hash and inclusion proof lead to the root",
    "checkpoint": "checkpoint signed by the log key for that size and root",
    "anchored-on-chain": "root anchored on chain (eth_call TraceAnchor.rootAtSize)",
    "witnesses": "witness cosignatures and on-chain witnesses",
}

OK, FAILED, PENDING, SKIPPED = "ok", "failed", "pending", "skipped"


@dataclass(frozen=True)
class Step:
    """One numbered check with its outcome and a human-readable detail."""

    number: int
    name: str
    status: str
    detail: str

    @property
    def title(self) -> str:
        return STEP_TITLES[self.name]

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "title": self.title,
                "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """`verified` | `pending` | `failed`, the steps that led to it, and what was checked."""

    verdict: str
    steps: tuple[Step, ...]
    event_hash_id: str | None
    leaf_index: int | None
    tree_size: int | None
    failed_step: Step | None = None
    anchor: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        failed = self.failed_step
        return {
            "verdict": self.verdict,
            "eventHashId": self.event_hash_id,
            "leafIndex": self.leaf_index,
            "treeSize": self.tree_size,
            "failedStep": None if failed is None else {"number": failed.number, "name": failed.name},
            "steps": [step.to_json() for step in self.steps],
            "anchor": self.anchor,
        }


BundleSource = Callable[[str, "int | None"], "dict[str, Any] | None"]
"""Fetches the bundle of an Event Hash ID, optionally of one leaf (None: no such record)."""
BlockHint = Callable[[int], "int | None"]
"""Guesses the last block at or before a unix time (the chain confirms the guess)."""


@dataclass
class Verifier:
    """What a verification trusts: the chain (through `chain`), the ledger's chain id and
    TraceAnchor address, and the log's key. Build one per process and reuse it: the
    chain reader caches immutable answers.

    `log_verifier_key` None means "take the key the bundle names" (say so in step 6);
    `witness_keys` are cosignature verifier keys the caller trusts (a bundle's own list
    adds to them: a valid cosignature by a key the bundle names proves that key signed).
    """

    chain: ChainReader
    chain_id: int
    trace_anchor: str
    log_verifier_key: str | None = None
    witness_keys: tuple[str, ...] = ()
    bundle_source: BundleSource | None = None
    block_hint: BlockHint | None = None
    _domain: RecordDomain = field(init=False, repr=False)
    _log_verifiers: dict[str, NoteVerifier] = field(default_factory=dict, repr=False)
    _witness_verifiers: dict[str, WitnessVerifier] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.trace_anchor = format_address(bytes.fromhex(self.trace_anchor[2:]))
        self._domain = RecordDomain(self.chain_id, self.trace_anchor)

    @classmethod
    def offline(
        cls, rpc_url: str, trace_anchor: str, *, chain_id: int | None = None,
        log_verifier_key: str | None = None, witness_keys: tuple[str, ...] = (),
        bundle_source: BundleSource | None = None,
    ) -> Verifier:
        """A verifier for a third party: any JSON-RPC URL and the TraceAnchor address it
        trusts; the chain id is asked from the node when not given."""
        chain = ChainReader(rpc_url)
        return cls(chain=chain, chain_id=chain_id if chain_id is not None else chain.chain_id(),
                   trace_anchor=trace_anchor, log_verifier_key=log_verifier_key,
                   witness_keys=witness_keys, bundle_source=bundle_source)

    def log_verifier(self, key: str) -> NoteVerifier:
        verifier = self._log_verifiers.get(key)
        if verifier is None:
            verifier = self._log_verifiers[key] = NoteVerifier.from_verifier_key(key)
        return verifier

    def witness_verifier(self, key: str) -> WitnessVerifier:
        verifier = self._witness_verifiers.get(key)
        if verifier is None:
            verifier = self._witness_verifiers[key] = WitnessVerifier.from_verifier_key(key)
        return verifier

    def close(self) -> None:
        self.chain.close()


class _BundleError(Exception):
    """A bundle member is missing or malformed (the message names it)."""


def _member(bundle: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = bundle.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise _BundleError(f"bundle member {name!r} is missing or malformed")
    return value


def _hex_bytes(value: Any, what: str, size: int | None = 32) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise _BundleError(f"{what} is not 0x-hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as exc:
        raise _BundleError(f"{what} is not 0x-hex") from exc
    if size is not None and len(raw) != size:
        raise _BundleError(f"{what} must be {size} bytes, got {len(raw)}")
    return raw


def _digest_of(hash_id: str) -> bytes | None:
    if not hash_id.startswith(HASH_ID_PREFIX) or not hash_id.endswith(HASH_ID_SUFFIX):
        return None
    digest_hex = hash_id[len(HASH_ID_PREFIX) : -len(HASH_ID_SUFFIX)]
    try:
        return bytes.fromhex(digest_hex)
    except ValueError:
        return None


class _Run:
    """One verification in progress: the inputs decoded so far and the steps recorded."""

    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier
        self.steps: list[Step] = []
        self.entry: LogEntry | None = None
        self.entry_bytes: bytes | None = None
        self.root: bytes | None = None
        self.head_index: int | None = None
        self.anchor: dict[str, Any] | None = None

    def record(self, name: str, status: str, detail: str) -> None:
        self.steps.append(Step(STEP_NAMES.index(name) + 1, name, status, detail))


def verify(
    ctx_or_verifier: Any,
    event: Mapping[str, Any],
    bundle: Mapping[str, Any] | None = None,
    *,
    context: object = None,
    leaf_index: int | None = None,
) -> Verdict:
    """Verify `event` against `bundle` (or the bundle of its recomputed hash) and the chain.

    `ctx_or_verifier` is an `ApiContext` (the API's own verifier, bundles from its
    records) or a `Verifier` (anyone: a bundle plus a JSON-RPC URL). `context` is the
    JSON-LD `@context` of the document the event came in, when the event has none of its
    own. Never raises for bad input: every problem with the event or the bundle is a failed
    step. Raises `ChainReadError` when the chain cannot be asked: no verdict without it.
    """
    verifier = ctx_or_verifier if isinstance(ctx_or_verifier, Verifier) else _api_verifier(ctx_or_verifier)
    run = _Run(verifier)
    hash_id = _step_event_hash(run, event, context)
    if bundle is None and hash_id is not None and verifier.bundle_source is not None:
        bundle = verifier.bundle_source(hash_id, leaf_index)
    if bundle is None:
        detail = ("no record of this Event Hash ID" if hash_id is not None
                  else "no bundle given and the event's hash could not be computed")
        run.record("entry-matches", FAILED, detail)
        for name in STEP_NAMES[2:]:
            run.record(name, SKIPPED, "not checked: no proof bundle")
        return _verdict(run, hash_id, None, None)
    if not isinstance(bundle, Mapping):
        bundle = {}
    leaf = bundle.get("leafIndex") if isinstance(bundle.get("leafIndex"), int) else None
    size = bundle.get("treeSize") if isinstance(bundle.get("treeSize"), int) else None
    _step_entry(run, bundle, hash_id)
    _step_signature(run)
    _step_member(run)
    _step_inclusion(run, bundle)
    _step_checkpoint(run, bundle)
    _step_anchor(run, bundle)
    _step_witnesses(run, bundle)
    return _verdict(run, hash_id, leaf, size)


def _verdict(run: _Run, hash_id: str | None, leaf: int | None, size: int | None) -> Verdict:
    failed = next((step for step in run.steps if step.status == FAILED), None)
    if failed is not None:
        outcome = "failed"
    elif any(step.status in (PENDING, SKIPPED) for step in run.steps):
        outcome = "pending"
    else:
        outcome = "verified"
    return Verdict(outcome, tuple(run.steps), hash_id, leaf, size, failed, run.anchor)


# ---------------------------------------------------------------------- steps


def _step_event_hash(run: _Run, event: Mapping[str, Any], context: object) -> str | None:
    if not isinstance(event, Mapping):
        run.record("event-hash", FAILED, "the event is not a JSON object")
        return None
    try:
        hash_id = event_hash_id(event, context=context)
    except CoreError as exc:
        run.record("event-hash", FAILED, f"cannot compute the Event Hash ID: {exc}")
        return None
    except (TypeError, ValueError, KeyError) as exc:
        run.record("event-hash", FAILED, f"cannot compute the Event Hash ID: {exc}")
        return None
    run.record("event-hash", OK, hash_id)
    return hash_id


def _step_entry(run: _Run, bundle: Mapping[str, Any], hash_id: str | None) -> None:
    try:
        if bundle.get("format") != BUNDLE_FORMAT:
            raise _BundleError(f"bundle format is {bundle.get('format')!r}, expected {BUNDLE_FORMAT!r}")
        entry_bytes = base64.b64decode(_member(bundle, "entry", str), validate=True)
        entry = decode_entry(entry_bytes)
    except (_BundleError, CoreError, binascii.Error, ValueError) as exc:
        run.record("entry-matches", FAILED, f"bundle entry unreadable: {exc}")
        return
    run.entry, run.entry_bytes = entry, entry_bytes
    if hash_id is None:
        run.record("entry-matches", FAILED, "the event's hash is unknown (step 1 failed)")
        return
    recomputed = _digest_of(hash_id)
    if entry.event_hash != recomputed:
        run.record("entry-matches", FAILED,
                   f"the entry commits to 0x{entry.event_hash.hex()}, the event hashes to "
                   f"0x{(recomputed or b'').hex()}")
        return
    if bundle.get("eventHashId") != hash_id:
        run.record("entry-matches", FAILED,
                   f"bundle is for {bundle.get('eventHashId')!r}, the event is {hash_id}")
        return
    fields = bundle.get("entryFields")
    if isinstance(fields, Mapping):
        shown = {"eventHash": "0x" + entry.event_hash.hex(), "submitter": format_address(entry.submitter),
                 "signature": "0x" + entry.signature.hex(), "salt": "0x" + entry.salt.hex()}
        for name, value in shown.items():
            if name in fields and str(fields[name]).lower() != value.lower():
                run.record("entry-matches", FAILED,
                           f"entryFields.{name} disagrees with the entry bytes")
                return
    run.record("entry-matches", OK, f"entry commits to 0x{entry.event_hash.hex()}")


def _step_signature(run: _Run) -> None:
    entry = run.entry
    if entry is None:
        run.record("signature", SKIPPED, "not checked: no readable entry")
        return
    submitter = format_address(entry.submitter)
    try:
        record = TraceRecord(entry.event_hash, submitter)
        recovered = recover_record_signer(record, run.verifier._domain, entry.signature)
    except CoreError as exc:
        run.record("signature", FAILED, f"signature unusable: {exc}")
        return
    if recovered != submitter:
        run.record("signature", FAILED,
                   f"signature recovers to {recovered}, the entry names {submitter}")
        return
    run.record("signature", OK,
               f"signed by {submitter} (chain {run.verifier.chain_id}, TraceAnchor "
               f"{run.verifier.trace_anchor})")


def _step_member(run: _Run) -> None:
    entry = run.entry
    if entry is None:
        run.record("submitter-active", SKIPPED, "not checked: no readable entry")
        return
    submitter = format_address(entry.submitter)
    received_s = entry.received_at_ms // 1000
    try:
        status = run.verifier.chain.member_status_at(
            run.verifier.trace_anchor, submitter, received_s, hint=run.verifier.block_hint
        )
    except CallReverted as exc:
        run.record("submitter-active", FAILED, f"MemberRegistry could not be asked: {exc}")
        return
    if status is None:
        run.record("submitter-active", FAILED, "the chain has no block at or before the receive time")
        return
    where = (f"MemberRegistry.hasRole({submitter}, Enterprise) at block {status.block_number} "
             f"(time {status.block_time}, last block at or before receive time {received_s})")
    if not status.active:
        run.record("submitter-active", FAILED, f"{where} is false")
        return
    run.record("submitter-active", OK, f"{where} is true; enterprise {status.enterprise_id}")


def _step_inclusion(run: _Run, bundle: Mapping[str, Any]) -> None:
    if run.entry_bytes is None:
        run.record("inclusion", SKIPPED, "not checked: no readable entry")
        return
    computed_leaf = leaf_hash(run.entry_bytes)  # SHA-256(0x00 || entry), RFC 9162 §2.1.1
    try:
        if bundle.get("leafHash") is not None and _hex_bytes(bundle["leafHash"], "leafHash") != computed_leaf:
            raise _BundleError("leafHash is not SHA-256(0x00 || entry)")
        leaf_index = _member(bundle, "leafIndex", int)
        tree_size = _member(bundle, "treeSize", int) if bundle.get("treeSize") is not None else None
        proof_json = bundle.get("inclusionProof")
        if proof_json is None or tree_size is None:
            run.record("inclusion", PENDING, f"leaf {leaf_index} is not yet in a published tree")
            return
        if not isinstance(proof_json, list):
            raise _BundleError("inclusionProof is not a list")
        proof = [_hex_bytes(node, f"inclusionProof[{position}]") for position, node in enumerate(proof_json)]
        claimed_root = _hex_bytes(bundle.get("rootHash"), "rootHash")
        computed_root = root_from_inclusion_proof(leaf_index, tree_size, computed_leaf, proof)
    except (_BundleError, CoreError) as exc:
        run.record("inclusion", FAILED, str(exc))
        return
    if computed_root != claimed_root:
        run.record("inclusion", FAILED,
                   f"proof leads to 0x{computed_root.hex()}, the bundle says 0x{claimed_root.hex()}")
        return
    run.root = computed_root
    run.record("inclusion", OK,
               f"leaf {leaf_index} in tree of {tree_size} leaves, root 0x{computed_root.hex()}")


def _bundle_log_key(bundle: Mapping[str, Any]) -> str | None:
    log_json = bundle.get("log")
    key = log_json.get("verifierKey") if isinstance(log_json, Mapping) else None
    return key if isinstance(key, str) else None


def _step_checkpoint(run: _Run, bundle: Mapping[str, Any]) -> None:
    note = bundle.get("checkpoint")
    if note is None:
        run.record("checkpoint", PENDING, "no checkpoint published for this leaf yet")
        return
    key = run.verifier.log_verifier_key or _bundle_log_key(bundle)
    if not isinstance(note, str) or not isinstance(key, str):
        run.record("checkpoint", FAILED, "checkpoint or log verifier key missing or malformed")
        return
    source = "trusted log key" if run.verifier.log_verifier_key else "log key named by the bundle"
    try:
        checkpoint = open_checkpoint(note, run.verifier.log_verifier(key))
    except (CoreError, ValueError) as exc:
        run.record("checkpoint", FAILED, f"checkpoint not signed by the {source}: {exc}")
        return
    if checkpoint.tree_size != bundle.get("treeSize"):
        run.record("checkpoint", FAILED,
                   f"checkpoint is for size {checkpoint.tree_size}, the bundle's tree has "
                   f"{bundle.get('treeSize')}")
        return
    if run.root is None:
        run.record("checkpoint", PENDING if run.steps[-1].status == PENDING else SKIPPED,
                   "signature valid; root not compared (no verified inclusion proof)")
        return
    if checkpoint.root_hash != run.root:
        run.record("checkpoint", FAILED,
                   f"checkpoint root 0x{checkpoint.root_hash.hex()} differs from the proof's root")
        return
    run.record("checkpoint", OK, f"signed by the {source} ({key.split('+', 1)[0]}), size "
               f"{checkpoint.tree_size}")


def _step_anchor(run: _Run, bundle: Mapping[str, Any]) -> None:
    tree_size = bundle.get("treeSize")
    if run.root is None or not isinstance(tree_size, int):
        status = PENDING if bundle.get("status") == "pending" else SKIPPED
        run.record("anchored-on-chain", status, "no verified root to look up")
        return
    verifier = run.verifier
    try:
        root = verifier.chain.root_at_size(verifier.trace_anchor, tree_size)
        head = verifier.chain.anchored_head(verifier.trace_anchor, tree_size) if root else None
    except CallReverted as exc:
        run.record("anchored-on-chain", FAILED, f"TraceAnchor could not be asked: {exc}")
        return
    claimed = bundle.get("anchor") if isinstance(bundle.get("anchor"), Mapping) else None
    if root is None:
        if bundle.get("status") == "anchored" or claimed is not None:
            run.record("anchored-on-chain", FAILED,
                       f"the bundle claims an anchor, but TraceAnchor has no head of size {tree_size}")
        else:
            run.record("anchored-on-chain", PENDING, f"no head of size {tree_size} anchored yet")
        return
    if root != run.root:
        run.record("anchored-on-chain", FAILED,
                   f"TraceAnchor.rootAtSize({tree_size}) = 0x{root.hex()}, not the proof's root")
        return
    assert head is not None
    run.head_index = head.head_index
    if claimed is not None:
        mismatches = [
            name for name, value in (
                ("chainId", verifier.chain_id), ("headIndex", head.head_index),
                ("blockNumber", head.block_number), ("blockTime", head.block_time),
            )
            if claimed.get(name) is not None and claimed.get(name) != value
        ]
        contract = claimed.get("contract")
        if isinstance(contract, str) and contract.lower() != verifier.trace_anchor.lower():
            mismatches.append("contract")
        if mismatches:
            run.record("anchored-on-chain", FAILED,
                       f"bundle anchor disagrees with the chain on {', '.join(mismatches)}")
            return
    run.anchor = {
        "chainId": verifier.chain_id, "contract": verifier.trace_anchor,
        "headIndex": head.head_index, "treeSize": tree_size, "rootHash": "0x" + root.hex(),
        "blockNumber": head.block_number, "blockTime": head.block_time,
        "transactionHash": claimed.get("transactionHash") if claimed else None,
    }
    run.record("anchored-on-chain", OK,
               f"TraceAnchor.rootAtSize({tree_size}) matches; head {head.head_index}, "
               f"block {head.block_number}, time {head.block_time}")


def _step_witnesses(run: _Run, bundle: Mapping[str, Any]) -> None:
    verifier = run.verifier
    keys = list(verifier.witness_keys)
    listed = bundle.get("witnesses")
    if isinstance(listed, list):
        keys += [item["verifierKey"] for item in listed
                 if isinstance(item, Mapping) and isinstance(item.get("verifierKey"), str)]
    cosigned: list[str] = []
    note = bundle.get("checkpoint")
    if keys and isinstance(note, str):
        try:
            witnesses = [verifier.witness_verifier(key) for key in dict.fromkeys(keys)]
            log_key = verifier.log_verifier_key or _bundle_log_key(bundle)
            opened = open_note(note, [verifier.log_verifier(str(log_key)), *witnesses])
        except (CoreError, ValueError) as exc:
            run.record("witnesses", FAILED, f"a witness cosignature is invalid: {exc}")
            return
        names = {witness.name for witness in witnesses}
        cosigned = sorted({sig.name for sig in opened.signatures if sig.name in names})
    claimed = bundle.get("anchor") if isinstance(bundle.get("anchor"), Mapping) else None
    on_chain = claimed.get("witnessedBy") if claimed is not None else None
    confirmed: list[str] = []
    if isinstance(on_chain, list) and on_chain:
        if run.head_index is None:
            run.record("witnesses", SKIPPED if bundle.get("status") == "anchored" else PENDING,
                       "on-chain witnesses not checked: the head is not verified on chain")
            return
        for witness in on_chain:
            try:
                ok = isinstance(witness, str) and verifier.chain.has_witnessed(
                    verifier.trace_anchor, run.head_index, witness)
            except CallReverted as exc:
                run.record("witnesses", FAILED, f"hasWitnessed could not be asked: {exc}")
                return
            if not ok:
                run.record("witnesses", FAILED,
                           f"{witness} did not witness head {run.head_index} on chain")
                return
            confirmed.append(str(witness))
    parts = [f"{len(cosigned)} cosignature(s) verified" + (f" ({', '.join(cosigned)})" if cosigned else ""),
             f"{len(confirmed)} on-chain witness(es) confirmed" + (f" ({', '.join(confirmed)})" if confirmed else "")]
    status = OK if run.head_index is not None or cosigned else PENDING
    run.record("witnesses", status, "; ".join(parts))


# ---------------------------------------------------------------------- the API's verifier

_SERVICE_KEY = "verification.verifier"


def _api_verifier(ctx: Any) -> Verifier:
    """The API's verifier, built once per app: trusted values come from the deployment
    and the log key file, bundles from the records, block guesses from the mirror."""
    verifier = ctx.services.get(_SERVICE_KEY)
    if verifier is None:
        from trace_api.proofs.service import log_verifier_key, witness_verifier_keys
        from trace_api.verification.bundles import api_block_hint, api_bundle_source

        verifier = Verifier(
            chain=ChainReader(ctx.settings.rpc_url),
            chain_id=ctx.deployment.chain_id,
            trace_anchor=ctx.deployment.trace_anchor,
            log_verifier_key=log_verifier_key(ctx),
            witness_keys=tuple(witness_verifier_keys(ctx)),
            bundle_source=api_bundle_source(ctx),
            block_hint=api_block_hint(ctx),
        )
        ctx.services[_SERVICE_KEY] = verifier
    return verifier  # type: ignore[no-any-return]

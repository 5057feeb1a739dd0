"""The verification core: one pure function per step of a record's verification.

Each takes plain values (the event, the log entry, the inclusion proof, the checkpoint
note, keys) and, where the step needs the chain, what to ask as a parameter: a
`RootSource` (the chain itself, or the mirror's anchored heads when an audit scans many
records) or a `ChainReader`. Each returns what the step established, raises `StepFailed`
when the record does not verify at that step, and `StepPending` when nothing is wrong
but the step cannot be completed yet. The step names are those `POST /v1/verify`, the
CLI and the scan page show, in this order (`STEP_NAMES`):

1. event-hash: the CBV 2.0 Event Hash ID recomputed from the event (CBV 2.0 §8.9).
2. entry-matches: the log entry commits to that hash.
3. signature: the entry's EIP-712 signature recovers to the submitter.
4. submitter-active: `MemberRegistry.hasRole(submitter, Enterprise)` when it was received.
5. inclusion: SHA-256(0x00 || entry) and the proof lead to the root (RFC 9162 §2.1.3.2).
6. checkpoint: the checkpoint is signed by the log key for that size and root.
7. anchored-on-chain: the root is the one anchored for that tree size.
8. witnesses: cosignatures by known witnesses, and witnesses recorded on chain.

Callers: `service.verify` (all steps, for `POST /v1/verify` and `traceledger verify`),
`trace_api.audit.integrity_check` and `trace_api.provenance.event_states` (steps 1-3, 5
and 7 against the mirror's roots).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from anchoring.core import (
    Checkpoint,
    CoreError,
    LogEntry,
    NoteVerifier,
    RecordDomain,
    TraceRecord,
    WitnessVerifier,
    decode_entry,
    event_hash_digest,
    event_hash_id,
    leaf_hash,
    open_checkpoint,
    open_note,
    recover_record_signer,
    root_from_inclusion_proof,
)
from anchoring.core.eip712 import format_address
from contracts.anchored_head import AnchoredHead
from trace_api.verification.chain_reader import CallReverted, ChainReader

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

BlockHint = Callable[[int], "int | None"]
"""Guesses the last block at or before a unix time (the chain confirms the guess)."""


class StepFailed(Exception):
    """The record does not verify at this step; the message says why."""


class StepPending(Exception):
    """Nothing is wrong, but the step cannot be completed yet (e.g. not anchored yet)."""


class RootSource(Protocol):
    """Where anchored roots come from: the chain, or the mirror of it."""

    def root_at_size(self, tree_size: int) -> bytes | None:
        """The root anchored for the tree of `tree_size` leaves; None if none is."""


@dataclass(frozen=True)
class ChainRoots:
    """`TraceAnchor.rootAtSize` by `eth_call`: what a verdict rests on."""

    chain: ChainReader
    trace_anchor: str

    def root_at_size(self, tree_size: int) -> bytes | None:
        return self.chain.root_at_size(self.trace_anchor, tree_size)


@dataclass(frozen=True)
class MirrorRoots:
    """Anchored roots as the indexer mirror recorded them (audits scanning many records)."""

    roots: Mapping[int, bytes]

    @classmethod
    def of_heads(cls, heads: Iterable[AnchoredHead]) -> MirrorRoots:
        """From anchored heads (e.g. the mirror's rows, `AnchorInfo.anchored_head`)."""
        return cls({head.tree_size: head.root_hash for head in heads})

    def root_at_size(self, tree_size: int) -> bytes | None:
        return self.roots.get(tree_size)


# ---------------------------------------------------------------------- 1. event-hash


def compute_event_hash_id(event: object, context: object = None) -> str:
    """Step event-hash: the event's CBV 2.0 Event Hash ID (`context`: the JSON-LD
    `@context` of the document it came in, when it has none of its own)."""
    if not isinstance(event, Mapping):
        raise StepFailed("the event is not a JSON object")
    try:
        return event_hash_id(event, context=context)
    except (CoreError, TypeError, ValueError, KeyError) as exc:
        raise StepFailed(f"cannot compute the Event Hash ID: {exc}") from exc


# ---------------------------------------------------------------------- 2. entry-matches


def read_entry(entry_bytes: bytes) -> LogEntry:
    """The log entry of encoded `entry_bytes`; `StepFailed` if they do not decode."""
    try:
        return decode_entry(entry_bytes)
    except CoreError as exc:
        raise StepFailed(str(exc)) from exc


def verify_entry_matches(entry: LogEntry, event_hash_id: str) -> None:
    """Step entry-matches: the entry commits to the digest `event_hash_id` names."""
    try:
        named = event_hash_digest(event_hash_id)
    except CoreError as exc:
        raise StepFailed(str(exc)) from exc
    if entry.event_hash != named:
        raise StepFailed(f"the entry commits to 0x{entry.event_hash.hex()}, the event hashes to "
                         f"0x{named.hex()}")


def verify_entry_fields(entry: LogEntry, shown: Mapping[str, str]) -> None:
    """The entry's fields as a bundle shows them (`eventHash`, `submitter`, `signature`,
    `salt`; those present) are those of the entry bytes."""
    actual = {"eventHash": "0x" + entry.event_hash.hex(), "submitter": format_address(entry.submitter),
              "signature": "0x" + entry.signature.hex(), "salt": "0x" + entry.salt.hex()}
    for name, value in actual.items():
        if name in shown and shown[name].lower() != value.lower():
            raise StepFailed(f"entryFields.{name} disagrees with the entry bytes")


# ---------------------------------------------------------------------- 3. signature


def verify_entry_signature(entry: LogEntry, domain: RecordDomain, submitter: str | None = None) -> str:
    """Step signature: the entry's EIP-712 signature in `domain` recovers to the submitter
    the entry names. `submitter`, when given (whom the API recorded the record for), must
    be that same address. Returns the submitter, EIP-55."""
    named = format_address(entry.submitter)
    if submitter is not None and submitter.lower() != named.lower():
        raise StepFailed(f"the record is attributed to {submitter}, the entry names {named}")
    try:
        recovered = recover_record_signer(TraceRecord(entry.event_hash, named), domain, entry.signature)
    except (CoreError, ValueError) as exc:
        raise StepFailed(f"signature unusable: {exc}") from exc
    if recovered != named:
        raise StepFailed(f"signature recovers to {recovered}, the entry names {named}")
    return recovered


# ---------------------------------------------------------------------- 4. submitter-active


def verify_submitter_active(
    chain: ChainReader, trace_anchor: str, submitter: str, received_at_ms: int,
    hint: BlockHint | None = None,
) -> str:
    """Step submitter-active: `MemberRegistry.hasRole(submitter, Enterprise)` by `eth_call`
    at the last block whose time (seconds) is at or before `received_at_ms`. Returns what
    was read, as the step's detail. Raises `ChainReadError` when the chain cannot be asked."""
    received_s = received_at_ms // 1000
    try:
        status = chain.member_status_at(trace_anchor, submitter, received_s, hint=hint)
    except CallReverted as exc:
        raise StepFailed(f"MemberRegistry could not be asked: {exc}") from exc
    if status is None:
        raise StepFailed("the chain has no block at or before the receive time")
    where = (f"MemberRegistry.hasRole({submitter}, Enterprise) at block {status.block_number} "
             f"(time {status.block_time}, last block at or before receive time {received_s})")
    if not status.active:
        raise StepFailed(f"{where} is false")
    return f"{where} is true; enterprise {status.enterprise_id}"


# ---------------------------------------------------------------------- 5. inclusion


def root_from_entry(entry_bytes: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """Step inclusion, computing: the root the inclusion proof of the entry's leaf leads
    to. Requires 0 <= leaf_index < tree_size; `StepFailed` if the proof has the wrong shape."""
    computed_leaf = leaf_hash(entry_bytes)  # SHA-256(0x00 || entry), RFC 9162 §2.1.1
    try:
        return root_from_inclusion_proof(leaf_index, tree_size, computed_leaf, list(proof))
    except CoreError as exc:
        raise StepFailed(f"{type(exc).__name__}: {exc}") from exc


def verify_leaf_hash(entry_bytes: bytes, claimed: bytes) -> None:
    """A bundle's `leafHash` is SHA-256(0x00 || entry) (RFC 9162 §2.1.1)."""
    if leaf_hash(entry_bytes) != claimed:
        raise StepFailed("leafHash is not SHA-256(0x00 || entry)")


# ---------------------------------------------------------------------- 6. checkpoint


def verify_checkpoint(note: str, log_key: NoteVerifier, tree_size: int | None, *,
                      key_source: str = "log key") -> Checkpoint:
    """Step checkpoint: `note` is signed by `log_key` (`key_source` says where that key
    came from, for the detail) and names `tree_size`. Returns the checkpoint; its root is
    compared with the proof's by the caller, who knows whether there is one."""
    try:
        checkpoint = open_checkpoint(note, log_key)
    except (CoreError, ValueError) as exc:
        raise StepFailed(f"checkpoint not signed by the {key_source}: {exc}") from exc
    if checkpoint.tree_size != tree_size:
        raise StepFailed(f"checkpoint is for size {checkpoint.tree_size}, the bundle's tree has "
                         f"{tree_size}")
    return checkpoint


# ---------------------------------------------------------------------- 7. anchored-on-chain


def verify_anchored(root: bytes, tree_size: int, roots: RootSource) -> None:
    """Step anchored-on-chain: `root` is the root anchored for `tree_size` in `roots`.
    `StepPending` if no root is anchored for that size yet."""
    anchored = roots.root_at_size(tree_size)
    if anchored is None:
        raise StepPending(f"no head of size {tree_size} anchored yet")
    if anchored != root:
        raise StepFailed(f"TraceAnchor.rootAtSize({tree_size}) = 0x{anchored.hex()}, not the "
                         "proof's root")


# ---------------------------------------------------------------------- 8. witnesses


def verified_cosigners(note: str, log_key: NoteVerifier, witnesses: Sequence[WitnessVerifier]) -> list[str]:
    """Step witnesses, off chain: names of `witnesses` whose cosignature on `note` verifies
    (sorted). `StepFailed` if a line by one of them does not."""
    try:
        opened = open_note(note, [log_key, *witnesses])
    except (CoreError, ValueError) as exc:
        raise StepFailed(f"a witness cosignature is invalid: {exc}") from exc
    names = {witness.name for witness in witnesses}
    return sorted({signature.name for signature in opened.signatures if signature.name in names})


def verify_witnessed_on_chain(chain: ChainReader, trace_anchor: str, head_index: int,
                              witnesses: Sequence[str]) -> list[str]:
    """Step witnesses, on chain: `TraceAnchor.hasWitnessed(head, witness)` for each."""
    confirmed = []
    for witness in witnesses:
        try:
            ok = chain.has_witnessed(trace_anchor, head_index, witness)
        except CallReverted as exc:
            raise StepFailed(f"hasWitnessed could not be asked: {exc}") from exc
        if not ok:
            raise StepFailed(f"{witness} did not witness head {head_index} on chain")
        confirmed.append(witness)
    return confirmed


# ---------------------------------------------------------------------- a stored record

ProofSource = Callable[[int, int], Sequence[bytes]]
"""(leaf_index, tree_size) -> RFC 9162 inclusion proof (e.g. `proofs.cache.InclusionProofCache`)."""


def failed_steps_of_stored_record(
    *,
    event_hash_id: str,
    entry_bytes: bytes | None,
    submitter: str,
    domain: RecordDomain,
    body: Mapping[str, object] | None = None,
    leaf_index: int,
    tree_size: int | None = None,
    proofs: ProofSource,
    roots: RootSource,
) -> dict[str, str]:
    """The steps a stored record fails, by step name, with why (empty: all hold).

    Checks event-hash (when `body` is given: it hashes to `event_hash_id`), entry-matches
    (`entry_bytes` decode and commit to it), signature (by `submitter` in `domain`), and,
    when `tree_size` names the anchored head covering the leaf, inclusion (the proof from
    `proofs` leads to a root) and anchored-on-chain (that root is the one `roots` has
    for `tree_size`). A record whose body cannot be hashed or whose entry is missing or
    unreadable stops there.
    """
    failed: dict[str, str] = {}
    if body is not None:
        try:
            recomputed = compute_event_hash_id(body)
        except StepFailed as exc:
            return {"event-hash": f"body cannot be hashed ({exc})"}
        if recomputed != event_hash_id:
            failed["event-hash"] = f"body hashes to {recomputed}"
    if entry_bytes is None:
        return {**failed, "entry-matches": "no log entry stored"}
    try:
        entry = read_entry(entry_bytes)
    except StepFailed as exc:
        return {**failed, "entry-matches": str(exc)}
    for name, check in (("entry-matches", lambda: verify_entry_matches(entry, event_hash_id)),
                        ("signature", lambda: verify_entry_signature(entry, domain, submitter))):
        try:
            check()
        except StepFailed as exc:
            failed[name] = str(exc)
    if tree_size is None:
        return failed
    try:
        proof = proofs(leaf_index, tree_size)
        root = root_from_entry(entry_bytes, leaf_index, tree_size, proof)
    except (LookupError, ValueError) as exc:  # the log's tiles cannot give the proof
        return {**failed, "inclusion": f"{type(exc).__name__}: {exc}"}
    except StepFailed as exc:
        return {**failed, "inclusion": str(exc)}
    try:
        verify_anchored(root, tree_size, roots)
    except (StepFailed, StepPending) as exc:
        failed["anchored-on-chain"] = str(exc)
    return failed

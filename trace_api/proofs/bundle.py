"""The `traceledger.proof/v1` bundle as a typed value: `ProofBundle` (trace_api/README.md,
"Proof bundle").

The API builds one (`proofs.service.build_bundle`) and writes it with `to_json`; a bundle
from outside (`POST /v1/verify`, `traceledger verify FILE`) is read once with
`parse_bundle`, which never raises: a member that is missing, malformed or larger than
its bound is left None and named in `defects`, so verification fails the step that needs
it and still reports every other step.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BUNDLE_FORMAT = "traceledger.proof/v1"

MAX_PROOF_NODES = 64
"""An RFC 9162 inclusion proof has at most 63 nodes (tree sizes below 2**63)."""
MAX_ENTRY_CHARS = 1_024
"""Base64 of the 158-byte entry is 212 characters; a version with more fields stays under."""
MAX_CHECKPOINT_CHARS = 64 * 1024
"""A checkpoint note with its cosignature lines is a few hundred bytes per witness."""
MAX_WITNESSES = 256
"""Far more witnesses than any log names; each costs an Ed25519 check."""
MAX_TEXT_CHARS = 1_024
"""Hashes, addresses, keys, names and times are far shorter."""


@dataclass(frozen=True)
class EntryFields:
    """The entry's fields as the bundle shows them for reading (the `entry` bytes count)."""

    event_hash: str | None = None
    submitter: str | None = None
    signature: str | None = None
    received_at: str | None = None
    salt: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"eventHash": self.event_hash, "submitter": self.submitter,
                "signature": self.signature, "receivedAt": self.received_at, "salt": self.salt}

    def shown(self) -> dict[str, str]:
        """The members present, by their JSON names (what verification compares)."""
        return {name: value for name, value in self.to_json().items() if value is not None}


@dataclass(frozen=True)
class LogInfo:
    origin: str | None
    verifier_key: str | None

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "verifierKey": self.verifier_key}


@dataclass(frozen=True)
class WitnessInfo:
    name: str | None
    verifier_key: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "verifierKey": self.verifier_key}


@dataclass(frozen=True)
class AnchorClaim:
    """Where the bundle says its tree head is on chain; verification checks each member
    that is present against the chain."""

    chain_id: int | None = None
    contract: str | None = None
    head_index: int | None = None
    tree_size: int | None = None
    root_hash: str | None = None
    transaction_hash: str | None = None
    block_number: int | None = None
    block_hash: str | None = None
    block_time: int | None = None
    witnessed_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"chainId": self.chain_id, "contract": self.contract, "headIndex": self.head_index,
                "treeSize": self.tree_size, "rootHash": self.root_hash,
                "transactionHash": self.transaction_hash, "blockNumber": self.block_number,
                "blockHash": self.block_hash, "blockTime": self.block_time,
                "witnessedBy": list(self.witnessed_by)}


@dataclass(frozen=True)
class ProofBundle:
    """One record's proof: its entry, inclusion proof, checkpoint, log key and anchor.

    Hashes are bytes here and 0x-hex in JSON; `entry` is the raw log entry (base64 in
    JSON). `defects` names each member `parse_bundle` could not read, and why.
    """

    format: str | None
    event_hash_id: str | None
    status: str | None
    entry: bytes | None
    entry_fields: EntryFields | None
    leaf_index: int | None
    tree_size: int | None
    leaf_hash: bytes | None
    root_hash: bytes | None
    inclusion_proof: tuple[bytes, ...] | None
    checkpoint: str | None
    log: LogInfo | None
    witnesses: tuple[WitnessInfo, ...] = ()
    anchor: AnchorClaim | None = None
    event: dict[str, Any] | None = None
    defects: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The bundle document (member order as documented); `event` only when carried."""
        document: dict[str, Any] = {
            "format": self.format,
            "eventHashId": self.event_hash_id,
            "status": self.status,
            "entry": None if self.entry is None else base64.b64encode(self.entry).decode("ascii"),
            "entryFields": None if self.entry_fields is None else self.entry_fields.to_json(),
            "leafIndex": self.leaf_index,
            "treeSize": self.tree_size,
            "leafHash": _hex(self.leaf_hash),
            "rootHash": _hex(self.root_hash),
            "inclusionProof": None if self.inclusion_proof is None
            else [_hex(node) for node in self.inclusion_proof],
            "checkpoint": self.checkpoint,
            "log": None if self.log is None else self.log.to_json(),
            "witnesses": [witness.to_json() for witness in self.witnesses],
            "anchor": None if self.anchor is None else self.anchor.to_json(),
        }
        if self.event is not None:
            document["event"] = self.event
        return document


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


class _Defect(Exception):
    """A member is missing, malformed or too large (the message says which way)."""


def _text(value: Any, what: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise _Defect(f"bundle member {what!r} is missing or malformed")
    if len(value) > limit:
        raise _Defect(f"{what} is longer than {limit} characters")
    return value


def _integer(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Defect(f"bundle member {what!r} is missing or malformed")
    return value


def _hex32(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) > 2 + 2 * 32 + 2:
        raise _Defect(f"{what} is not 0x-hex")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as exc:
        raise _Defect(f"{what} is not 0x-hex") from exc
    if len(raw) != 32:
        raise _Defect(f"{what} must be 32 bytes, got {len(raw)}")
    return raw


def _entry(value: Any) -> bytes:
    text = _text(value, "entry", MAX_ENTRY_CHARS)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Defect(str(exc)) from exc


def _proof(value: Any) -> tuple[bytes, ...]:
    if not isinstance(value, list):
        raise _Defect("inclusionProof is not a list")
    if len(value) > MAX_PROOF_NODES:
        raise _Defect(f"inclusionProof has more than {MAX_PROOF_NODES} nodes")
    return tuple(_hex32(node, f"inclusionProof[{position}]") for position, node in enumerate(value))


def _entry_fields(value: Any) -> EntryFields:
    if not isinstance(value, Mapping):
        raise _Defect("bundle member 'entryFields' is missing or malformed")
    names = {"eventHash": "event_hash", "submitter": "submitter", "signature": "signature",
             "receivedAt": "received_at", "salt": "salt"}
    return EntryFields(**{attribute: str(value[name])[:MAX_TEXT_CHARS]
                          for name, attribute in names.items() if value.get(name) is not None})


def _log(value: Any) -> LogInfo:
    if not isinstance(value, Mapping):
        raise _Defect("bundle member 'log' is missing or malformed")
    origin = value.get("origin")
    key = value.get("verifierKey")
    return LogInfo(origin if isinstance(origin, str) else None,
                   _text(key, "log.verifierKey") if key is not None else None)


def _witnesses(value: Any) -> tuple[WitnessInfo, ...]:
    if not isinstance(value, list):
        return ()
    if len(value) > MAX_WITNESSES:
        raise _Defect(f"more than {MAX_WITNESSES} witnesses")
    return tuple(
        WitnessInfo(item.get("name") if isinstance(item.get("name"), str) else None,
                    _text(item["verifierKey"], "witnesses[].verifierKey"))
        for item in value if isinstance(item, Mapping) and isinstance(item.get("verifierKey"), str)
    )


def _optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _optional_text(value: Any) -> str | None:
    return value[:MAX_TEXT_CHARS] if isinstance(value, str) else None


def parse_anchor_claim(value: Any) -> AnchorClaim | None:
    """The `anchor` member (None unless an object); `_Defect` past the witness bound."""
    if not isinstance(value, Mapping):
        return None
    witnessed = value.get("witnessedBy")
    if isinstance(witnessed, list) and len(witnessed) > MAX_WITNESSES:
        raise _Defect(f"anchor.witnessedBy names more than {MAX_WITNESSES} witnesses")
    return AnchorClaim(
        chain_id=_optional_int(value.get("chainId")), contract=_optional_text(value.get("contract")),
        head_index=_optional_int(value.get("headIndex")), tree_size=_optional_int(value.get("treeSize")),
        root_hash=_optional_text(value.get("rootHash")),
        transaction_hash=_optional_text(value.get("transactionHash")),
        block_number=_optional_int(value.get("blockNumber")),
        block_hash=_optional_text(value.get("blockHash")),
        block_time=_optional_int(value.get("blockTime")),
        # A non-address claim stays in the list: the on-chain check then fails on it.
        witnessed_by=tuple(str(item)[:MAX_TEXT_CHARS] for item in witnessed)
        if isinstance(witnessed, list) else (),
    )


def parse_bundle(document: Any) -> ProofBundle:
    """A `ProofBundle` from bundle JSON (module docstring); never raises."""
    members: Mapping[str, Any] = document if isinstance(document, Mapping) else {}
    defects: dict[str, str] = {}

    def read(name: str, parse: Any, *, optional: bool = False) -> Any:
        value = members.get(name)
        if optional and value is None:
            return None
        try:
            return parse(value)
        except _Defect as exc:
            defects[name] = str(exc)
            return None

    event = members.get("event")
    return ProofBundle(
        format=_optional_text(members.get("format")),
        event_hash_id=_optional_text(members.get("eventHashId")),
        status=_optional_text(members.get("status")),
        entry=read("entry", _entry),
        entry_fields=read("entryFields", _entry_fields, optional=True),
        leaf_index=read("leafIndex", lambda value: _integer(value, "leafIndex")),
        tree_size=read("treeSize", lambda value: _integer(value, "treeSize"), optional=True),
        leaf_hash=read("leafHash", lambda value: _hex32(value, "leafHash"), optional=True),
        root_hash=read("rootHash", lambda value: _hex32(value, "rootHash"), optional=True),
        inclusion_proof=read("inclusionProof", _proof, optional=True),
        checkpoint=read("checkpoint", lambda value: _text(value, "checkpoint", MAX_CHECKPOINT_CHARS),
                        optional=True),
        log=read("log", _log, optional=True),
        witnesses=read("witnesses", _witnesses) or (),
        anchor=read("anchor", parse_anchor_claim),
        event=event if isinstance(event, dict) else None,
        defects=defects,
    )

"""The chain vocabulary, in one place: member roles, contract names, and the function
selectors, event topics and custom-error selectors of our contracts.

Roles mirror `contracts/src/Roles.sol`; selectors and topics are computed from the
committed ABIs in `contracts/build/` (keccak-256 of the canonical signature, Solidity
ABI spec "Function Selector" and "Events"), never typed by hand, and the tests hold them
to solc's own `methodIdentifiers` in the same artifacts. Callers name a function by
contract and name (`function_selector(Contract.TRACE_ANCHOR, "headAt")`); our contracts
overload no name, which `_entries` checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache
from typing import Any, Literal

from eth_utils.crypto import keccak

from contracts.artifacts import load_artifact
from contracts.errors import ContractsError

__all__ = [
    "AbiEntry",
    "Contract",
    "MemberRole",
    "abi_entry",
    "canonical_type",
    "error_selector",
    "errors_by_selector",
    "event_topic",
    "function_selector",
    "function_signature",
]


class MemberRole(IntEnum):
    """`enum Role` of contracts/src/Roles.sol: one role per account. The numbers are part
    of the ABI (events, errors, `MemberRegistry.roleOf`) and of the node's admission
    check; never reorder."""

    NONE = 0
    """Not a member (also: revoked, or an enterprise key rotated away)."""
    ADMIN = 1
    REGULATOR = 2
    ANCHORER = 3
    WITNESS = 4
    ENTERPRISE = 5


class Contract(StrEnum):
    """Our deployed contracts, by artifact name (also their key in deployment.json)."""

    MEMBER_REGISTRY = "MemberRegistry"
    RECALL_REGISTRY = "RecallRegistry"
    TRACE_ANCHOR = "TraceAnchor"


EntryKind = Literal["function", "event", "error"]


class UnknownAbiEntryError(ContractsError, LookupError):
    """The contract's ABI has no function, event or error of that name."""


@dataclass(frozen=True)
class AbiEntry:
    """One function, event or error of a contract ABI, with its canonical signature
    (`name(type,...)`, tuples expanded) and the keccak-256 of that signature."""

    contract: Contract
    kind: EntryKind
    name: str
    signature: str
    signature_hash: bytes
    item: Mapping[str, Any]

    @property
    def selector(self) -> bytes:
        """The first four bytes of the signature hash (functions and errors)."""
        return self.signature_hash[:4]


def canonical_type(argument: Mapping[str, Any]) -> str:
    """The canonical ABI type of an ABI input/output: tuples spelled out as `(t1,t2)[k]`."""
    kind = str(argument["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(part) for part in argument["components"])
        return f"({inner}){kind[len('tuple'):]}"
    return kind


def _signature(item: Mapping[str, Any]) -> str:
    return f"{item['name']}({','.join(canonical_type(arg) for arg in item['inputs'])})"


@cache
def _entries(contract: Contract) -> dict[tuple[EntryKind, str], AbiEntry]:
    entries: dict[tuple[EntryKind, str], AbiEntry] = {}
    for item in load_artifact(str(contract)).abi:
        kind = item.get("type")
        if kind not in ("function", "event", "error"):
            continue
        signature = _signature(item)
        key = (kind, str(item["name"]))
        if key in entries:  # an overload: a name would no longer say which one
            raise ContractsError(f"{contract} overloads {kind} {item['name']}")
        entries[key] = AbiEntry(Contract(contract), kind, str(item["name"]), signature,
                                keccak(text=signature), item)
    return entries


def abi_entry(contract: Contract | str, kind: EntryKind, name: str) -> AbiEntry:
    """The ABI entry `kind` `name` of `contract`; raises `UnknownAbiEntryError`."""
    entry = _entries(Contract(contract)).get((kind, name))
    if entry is None:
        raise UnknownAbiEntryError(f"{contract} has no {kind} {name}")
    return entry


def function_selector(contract: Contract | str, name: str) -> bytes:
    """The 4-byte selector of function `name` of `contract`."""
    return abi_entry(contract, "function", name).selector


def function_signature(contract: Contract | str, name: str) -> str:
    """The canonical signature of function `name` of `contract`, e.g. `headAt(uint256)`."""
    return abi_entry(contract, "function", name).signature


def event_topic(contract: Contract | str, name: str) -> bytes:
    """Topic 0 of event `name` of `contract`: keccak-256 of its signature (32 bytes)."""
    return abi_entry(contract, "event", name).signature_hash


def error_selector(contract: Contract | str, name: str) -> bytes:
    """The 4-byte selector of custom error `name` of `contract` (revert data prefix)."""
    return abi_entry(contract, "error", name).selector


def entries_of(contract: Contract | str, kind: EntryKind) -> list[AbiEntry]:
    """Every `kind` entry of `contract`, in ABI order."""
    return [entry for (entry_kind, _), entry in _entries(Contract(contract)).items()
            if entry_kind == kind]


@cache
def errors_by_selector() -> dict[bytes, AbiEntry]:
    """Every custom error of our contracts by its selector (shared errors such as
    `NotAuthorized` appear in several ABIs with one signature, so once here)."""
    table: dict[bytes, AbiEntry] = {}
    for contract in Contract:
        for entry in entries_of(contract, "error"):
            table.setdefault(entry.selector, entry)
    return table


ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
"""Solidity's `revert("...")` / `require(..., "...")` payload prefix (not in any ABI)."""
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]
"""Solidity's panic (assert, overflow, ...) payload prefix (not in any ABI)."""

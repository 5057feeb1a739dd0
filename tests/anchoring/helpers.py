"""Shared helpers of the anchoring tests: numbered entries, a chain on anvil, growing a log,
driving the anchorer."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from anchoring.anchorer import Anchorer, AnchorerConfig
from anchoring.core.entry import LogEntry
from anchoring.core.note import NoteSigner
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from testing.anvil import Anvil

ORIGIN = "log.traceledger.test/anchoring"
LOG_SEED = bytes(range(32))


def make_entry(number: int, *, salt: bytes | None = None) -> LogEntry:
    """A valid entry whose event hash encodes `number` (so tests can check order)."""
    return LogEntry(
        event_hash=number.to_bytes(32, "big"),
        submitter=bytes.fromhex("11" * 20),
        signature=bytes(64) + b"\x1b",
        received_at_ms=1_700_000_000_000 + number,
        salt=salt if salt is not None else secrets.token_bytes(32),
    )


def entry_number(encoded: bytes) -> int:
    """The `number` of an encoded entry made by `make_entry`."""
    return int.from_bytes(encoded[1:33], "big")


@dataclass
class Chain:
    """anvil with fresh MemberRegistry + TraceAnchor and funded anchorer and witness keys."""

    anvil: Anvil
    w3: Web3
    anchor: Any
    anchorer_account: LocalAccount
    witness_account: LocalAccount


def grow(store: LogStore, signer: NoteSigner, count: int) -> None:
    """Submit `count` more numbered entries and integrate them."""
    start = store.head().tree_size + store.pending_count()
    store.submit([make_entry(n) for n in range(start, start + count)])
    Sequencer(store, signer, SequencerConfig(origin=ORIGIN)).integrate_all()


def make_anchorer(store: LogStore, chain: Chain, **kwargs: Any) -> Anchorer:
    """An anchorer of `store` on `chain` with the chain's anchorer key."""
    config = AnchorerConfig(rpc_url=chain.anvil.url, anchor_address=chain.anchor.address, **kwargs)
    return Anchorer(store, chain.anchorer_account, config)


def run_until_idle(anchorer: Anchorer, rounds: int = 20) -> list[str]:
    """Step the anchorer until it reports up-to-date; return the outcomes."""
    outcomes = []
    for _ in range(rounds):
        outcomes.append(anchorer.step())
        if outcomes[-1] == "up-to-date":
            return outcomes
    raise AssertionError(f"anchorer not idle after {rounds} rounds: {outcomes}")

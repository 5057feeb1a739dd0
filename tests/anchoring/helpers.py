"""Shared helpers of the anchoring tests: a chain on anvil, growing a log, driving the anchorer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from anchoring.anchorer import Anchorer, AnchorerConfig
from anchoring.core.note import NoteSigner
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from testing.anvil import Anvil
from tests.anchoring.conftest import ORIGIN, make_entry


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

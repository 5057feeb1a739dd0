"""The witness: cosigns consistent checkpoints, refuses rollbacks and forks, witnesses on chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import Response

from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.cosignature import WitnessCosigner
from anchoring.core.note import NoteSigner
from anchoring.errors import WitnessAlarm
from anchoring.http import LogServeSettings, create_app
from anchoring.store import LogStore
from anchoring.witness import Witness, WitnessConfig
from testing.loopback_http import serve
from tests.anchoring.helpers import Chain, grow, make_anchorer, run_until_idle

WITNESS_NAME = "regulator.example/witness"


@pytest.fixture
def cosigner() -> WitnessCosigner:
    return WitnessCosigner.from_seed(WITNESS_NAME, bytes([7]) * 32, timestamp=0)


@pytest.fixture
def forked_store(db_url: str, table_prefix: str) -> Iterator[LogStore]:
    """A second log (other entries) signed with the same log key: a fork."""
    store = LogStore.open(db_url, table_prefix=table_prefix + "f")
    yield store
    store.drop_all()
    store.close()


def _witness(url: str, signer: NoteSigner, cosigner: WitnessCosigner, state: Path) -> Witness:
    config = WitnessConfig(
        log_url=f"{url}/log", log_verifier_key=signer.verifier().verifier_key, state_path=state
    )
    return Witness(config, cosigner)


def test_cosigns_growth_and_refuses_rollback_and_forks(
    store: LogStore,
    forked_store: LogStore,
    log_signer: NoteSigner,
    cosigner: WitnessCosigner,
    tmp_path: Path,
) -> None:
    state_path = tmp_path / "witness.json"
    grow(store, log_signer, 300)
    with (
        serve(create_app(LogServeSettings(database_url="-"), store=store)) as honest_url,
        serve(create_app(LogServeSettings(database_url="-"), store=forked_store)) as fork_url,
    ):
        witness = _witness(honest_url, log_signer, cosigner, state_path)
        state = witness.step()
        assert state.tree_size == 300
        grow(store, log_signer, 700)
        state = witness.step()
        assert state.tree_size == 1000
        cosigned = open_checkpoint(
            state.cosigned_note, log_signer.verifier(), [cosigner.verifier()], witness_quorum=1
        )
        assert (cosigned.tree_size, cosigned.root_hash) == (1000, store.head().root_hash)
        accepted = witness.state()

        fork = _witness(fork_url, log_signer, cosigner, state_path)
        for size in (500, 500, 500):  # smaller (rollback), equal (two roots), larger (inconsistent)
            grow(forked_store, log_signer, size)
            with pytest.raises(WitnessAlarm):
                fork.step()
            assert fork.state() == accepted  # never cosigned, state untouched
        assert forked_store.head().tree_size == 1500
        # The honest log still extends what was accepted.
        grow(store, log_signer, 1)
        assert witness.step().tree_size == 1001


def test_witnesses_anchored_heads_on_chain_and_refuses_a_forked_head(
    store: LogStore,
    forked_store: LogStore,
    log_signer: NoteSigner,
    cosigner: WitnessCosigner,
    tmp_path: Path,
    chain: Chain,
) -> None:
    grow(store, log_signer, 200)
    anchorer = make_anchorer(store, chain)
    run_until_idle(anchorer)
    grow(store, log_signer, 100)
    run_until_idle(anchorer)
    with serve(create_app(LogServeSettings(database_url="-"), store=store)) as url:
        config = WitnessConfig(
            log_url=f"{url}/log",
            log_verifier_key=log_signer.verifier().verifier_key,
            state_path=tmp_path / "w.json",
            rpc_url=chain.anvil.url,
            anchor_address=chain.anchor.address,
        )
        witness = Witness(config, cosigner, chain.witness_account)
        state = witness.step()
        assert state.next_head_index == 2
        for index in range(2):
            assert chain.anchor.functions.hasWitnessed(index, chain.witness_account.address).call()
        assert witness.step().next_head_index == 2  # idempotent: nothing witnessed twice

    # A second chain deployment whose head comes from a forked log: never witnessed.
    grow(forked_store, log_signer, 250)
    fork_anchorer = make_anchorer(forked_store, chain)
    from eth_account import Account

    from testing.anvil import deploy_contracts

    other_anchorer = Account.create()
    _, other_contract = deploy_contracts(
        chain.w3, chain.w3.eth.accounts[0], other_anchorer.address, [chain.witness_account.address]
    )
    fork_anchorer.contract = other_contract.w3.eth.contract(
        address=other_contract.address, abi=other_contract.abi
    )
    fork_anchorer._account = other_anchorer  # type: ignore[attr-defined]
    fork_anchorer.address = other_anchorer.address
    run_until_idle(fork_anchorer)
    with serve(create_app(LogServeSettings(database_url="-"), store=store)) as url:
        config = WitnessConfig(
            log_url=f"{url}/log",
            log_verifier_key=log_signer.verifier().verifier_key,
            state_path=tmp_path / "w2.json",
            rpc_url=chain.anvil.url,
            anchor_address=other_contract.address,
        )
        witness = Witness(config, cosigner, chain.witness_account)
        with pytest.raises(WitnessAlarm):
            witness.step()
        assert not other_contract.functions.hasWitnessed(0, chain.witness_account.address).call()


def test_a_checkpoint_pushed_while_a_pull_is_in_flight_is_no_rollback(
    store: LogStore,
    forked_store: LogStore,
    log_signer: NoteSigner,
    cosigner: WitnessCosigner,
    tmp_path: Path,
) -> None:
    """Push and pull in one process (`witness serve --log-url`): the log pushes a checkpoint
    while the witness's own fetch of `/log/checkpoint` is under way, so the fetch brings back
    an older one. That is no rollback if it is a prefix of what was accepted; if it is not
    (the puller is shown a fork), it is an alarm."""
    grow(store, log_signer, 300)
    older = store.head().checkpoint
    grow(store, log_signer, 100)
    newer = store.head().checkpoint
    grow(forked_store, log_signer, 300)
    forked = forked_store.head().checkpoint
    assert older is not None and newer is not None and forked is not None

    served: list[str] = []  # what the next fetch of the checkpoint answers
    witnesses: list[Witness] = []  # the witness whose fetch is in flight
    app = FastAPI()

    @app.get("/log/checkpoint")
    def checkpoint_in_flight() -> Response:
        witnesses[-1].add_checkpoint(newer, 0, [])  # the log's push lands first
        return Response(served.pop(), media_type="text/plain; charset=utf-8")

    app.mount("/", create_app(LogServeSettings(database_url="-"), store=store))
    with serve(app) as url:
        witnesses.append(_witness(url, log_signer, cosigner, tmp_path / "w1.json"))
        served.append(older)
        state = witnesses[-1].step()  # checks the older one against the pushed one
        assert (state.tree_size, state.root_hash) == (400, store.head().root_hash)
        assert witnesses[-1].state() == state

        witnesses.append(_witness(url, log_signer, cosigner, tmp_path / "w2.json"))
        served.append(forked)
        with pytest.raises(WitnessAlarm, match="not consistent"):
            witnesses[-1].step()
        after = witnesses[-1].state()
        assert after is not None and after.tree_size == 400  # the push's, nothing of the fork

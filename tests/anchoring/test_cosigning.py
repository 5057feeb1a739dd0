"""The log collects witness cosignatures (tlog-witness) and serves them on its checkpoint."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx

from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.cosignature import WitnessCosigner
from anchoring.core.note import NoteSigner
from anchoring.cosigning import CosignatureCollector, WitnessEndpoint
from anchoring.http import LogServeSettings, create_app
from anchoring.store import LogStore
from anchoring.witness import Witness, WitnessConfig
from anchoring.witness_http import create_witness_app, request_cosignature
from testing.loopback_http import serve
from testing.processes import free_port
from tests.anchoring.helpers import grow


def test_checkpoints_carry_cosignatures_of_consistent_witnesses(
    store: LogStore, log_signer: NoteSigner, tmp_path: Path
) -> None:
    cosigners = [
        WitnessCosigner.from_seed(f"regulator.example/w{n}", bytes([n]) * 32, timestamp=0)
        for n in (1, 2)
    ]
    with ExitStack() as stack:
        endpoints = []
        for number, cosigner in enumerate(cosigners):
            config = WitnessConfig(
                log_verifier_key=log_signer.verifier().verifier_key,
                state_path=tmp_path / f"w{number}.json",
            )
            url = stack.enter_context(serve(create_witness_app(Witness(config, cosigner))))
            endpoints.append(WitnessEndpoint(url, cosigner.verifier()))
        down = WitnessEndpoint(f"http://127.0.0.1:{free_port()}", cosigners[0].verifier())
        log_url = stack.enter_context(
            serve(create_app(LogServeSettings(database_url="-"), store=store))
        )
        verifiers = [e.verifier for e in endpoints]

        grow(store, log_signer, 300)
        # Witness 2 already cosigned size 300 for someone: the collector learns it from a 409.
        with httpx.Client() as client:
            assert (
                request_cosignature(
                    client, endpoints[1].url, store.head().checkpoint or "", 0, []
                ).status_code
                == 200
            )
        collector = CosignatureCollector(store, [*endpoints, down])
        assert collector.collect_once() == 2  # the unreachable witness is skipped, not fatal
        served = httpx.get(f"{log_url}/log/checkpoint").text
        assert (
            open_checkpoint(served, log_signer.verifier(), verifiers, witness_quorum=2).tree_size
            == 300
        )

        grow(store, log_signer, 500)  # both witnesses get a consistency proof from 300
        assert collector.collect_once() == 2
        assert collector.collect_once() == 0  # nothing new
        served = httpx.get(f"{log_url}/log/checkpoint").text
        checkpoint = open_checkpoint(served, log_signer.verifier(), verifiers, witness_quorum=2)
        assert checkpoint.tree_size == 800
        assert served.count("\n— ") == 3  # the log's signature and two cosignatures
        collector.stop()

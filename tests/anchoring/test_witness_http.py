"""The witness's tlog-witness `add-checkpoint` interface over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from anchoring.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from anchoring.core.cosignature import WitnessCosigner, cosignature_timestamp
from anchoring.core.note import NoteSigner, open_note
from anchoring.store import LogStore
from anchoring.witness import Witness, WitnessConfig
from anchoring.witness_http import create_witness_app, request_cosignature
from testing.loopback_http import serve
from tests.anchoring.helpers import ORIGIN, grow


@pytest.fixture
def witness_url(tmp_path: Path, log_signer: NoteSigner) -> Iterator[tuple[str, Witness]]:
    cosigner = WitnessCosigner.from_seed("regulator.example/w1", bytes([9]) * 32, timestamp=0)
    config = WitnessConfig(
        log_verifier_key=log_signer.verifier().verifier_key, state_path=tmp_path / "w.json"
    )
    witness = Witness(config, cosigner)
    with serve(create_witness_app(witness)) as url:
        yield url, witness


def test_add_checkpoint_follows_the_spec(
    store: LogStore,
    log_signer: NoteSigner,
    witness_url: tuple[str, Witness],
    db_url: str,
    table_prefix: str,
) -> None:
    url, witness = witness_url
    client = httpx.Client()
    grow(store, log_signer, 300)
    first = store.head().checkpoint
    assert first is not None

    response = request_cosignature(client, url, first, 0, [])
    assert response.status_code == 200, response.text
    assert response.text.startswith("— regulator.example/w1 ")
    # The client appends the lines to the checkpoint and verifies with the witness key.
    verifier = witness._cosigner.verifier()
    cosigned = open_checkpoint(
        first + response.text, log_signer.verifier(), [verifier], witness_quorum=1
    )
    assert cosigned.tree_size == 300
    note = open_note(first + response.text, [verifier])
    assert cosignature_timestamp(note.signatures[0]) > 0  # "MUST NOT be zero"

    grow(store, log_signer, 400)
    second = store.head().checkpoint
    assert second is not None
    stale = request_cosignature(client, url, second, 0, [])
    assert (stale.status_code, stale.headers["content-type"], stale.text) == (
        409,
        "text/x.tlog.size",
        "300\n",
    )
    proof = store.consistency_proof(300, 700)
    assert request_cosignature(client, url, second, 300, proof).status_code == 200
    assert request_cosignature(client, url, second, 700, []).status_code == 200  # same head again
    assert witness.state().tree_size == 700  # type: ignore[union-attr]

    # A fork signed with the log's own key: 422, and nothing changes.
    fork = LogStore.open(db_url, table_prefix=table_prefix + "f")
    try:
        grow(fork, log_signer, 800)
        fork_checkpoint = fork.head().checkpoint
        assert fork_checkpoint is not None
        response = request_cosignature(
            client, url, fork_checkpoint, 700, fork.consistency_proof(700, 800)
        )
        assert response.status_code == 422
        assert (
            response.status_code
            == request_cosignature(client, url, fork_checkpoint, 700, proof[:2]).status_code
        )
    finally:
        fork.drop_all()
        fork.close()
    assert witness.state().tree_size == 700  # type: ignore[union-attr]

    other_log = NoteSigner.from_seed(ORIGIN, bytes([5]) * 32)  # same origin, untrusted key
    forged = sign_checkpoint(Checkpoint(ORIGIN, 900, bytes(32)), [other_log])
    assert request_cosignature(client, url, forged, 700, []).status_code == 403
    unknown = sign_checkpoint(Checkpoint("other.example/log", 1, bytes(32)), [other_log])
    assert request_cosignature(client, url, unknown, 0, []).status_code == 404
    assert request_cosignature(client, url, second, 701, []).status_code == 400  # old > size
    bad_line = client.post(
        f"{url}/add-checkpoint", content=b"old 700\nnot base64!\n\n" + second.encode()
    )
    assert bad_line.status_code == 400
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, bytes(32)), [log_signer])
    assert (
        request_cosignature(client, url, empty, 0, []).status_code == 422
    )  # size 0, non-empty root
    assert witness.state().tree_size == 700  # type: ignore[union-attr]
    client.close()

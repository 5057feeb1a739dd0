"""The `traceledger log|anchorer|witness` commands end to end, as separate processes:
`log serve` integrates and serves, `anchorer run` anchors on anvil, `log verify` checks
it all, `witness run --once` cosigns and witnesses on chain, and exits 2 on a fork."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from anchoring.anchor_contract import read_heads
from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.cosignature import WitnessVerifier
from anchoring.core.entry import encode_entry
from anchoring.core.errors import NoteVerificationError
from anchoring.core.note import NoteVerifier, generate_signer_key
from anchoring.http import LogServeSettings, create_app
from anchoring.keys import load_log_signer
from anchoring.sequencer import Sequencer, SequencerConfig
from anchoring.store import LogStore
from testing.anvil import deploy_contracts
from testing.loopback_http import serve
from testing.processes import Launched, free_port, python_command, repo_env
from tests.anchoring.helpers import Chain, make_entry
from traceledger_cli.main import app

ORIGIN = "log.traceledger.test/cli"
PASSPHRASE = "cli test passphrase"


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except (httpx.HTTPError, ValueError, NoteVerificationError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start(*args: str) -> Launched:
    return Launched(python_command("traceledger_cli.main", *args),
                    env=repo_env({"TRACELEDGER_KEY_PASSPHRASE": PASSPHRASE}), read_lines=True)


def _succeeding(runner: CliRunner) -> Callable[..., str]:
    """`run(*args)`: invoke the CLI in-process, require exit code 0, return its output."""

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result.output.strip()

    return run


def test_the_log_services_from_the_command_line(
    tmp_path: Path, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACELEDGER_KEY_PASSPHRASE", PASSPHRASE)
    runner = CliRunner()
    run = _succeeding(runner)

    log_key = run("log", "keygen", "--name", ORIGIN, "--key-file", str(tmp_path / "log.key"))
    assert log_key.startswith(ORIGIN + "+")
    witness_key = run("log", "keygen", "--name", "regulator.test", "--witness",
                      "--key-file", str(tmp_path / "w.key"))  # fmt: skip
    anchorer_address = run("anchorer", "keygen", "--keystore", str(tmp_path / "anchorer.json"))
    witness_address = run("anchorer", "keygen", "--keystore", str(tmp_path / "witness.json"))
    w3 = chain.w3
    _, anchor = deploy_contracts(w3, w3.eth.accounts[0], anchorer_address, [witness_address])

    database_url = f"sqlite:///{tmp_path / 'log.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}/log"
    witness_port = free_port()
    processes = [
        _start("witness", "serve", "--log-key", log_key, "--key-file", str(tmp_path / "w.key"),
               "--state", str(tmp_path / "push.state"), "--port", str(witness_port)),
        _start("log", "serve", "--database-url", database_url,
               "--key-file", str(tmp_path / "log.key"), "--port", str(port),
               "--witness", f"http://127.0.0.1:{witness_port} {witness_key}"),
        _start("anchorer", "run", "--database-url", database_url, "--rpc-url", chain.anvil.url,
               "--anchor-address", anchor.address, "--keystore", str(tmp_path / "anchorer.json")),
    ]  # fmt: skip
    try:
        store = LogStore.open(database_url)
        store.submit_encoded([encode_entry(make_entry(n)) for n in range(777)])
        _wait(lambda: httpx.get(f"{url}/checkpoint").text.startswith(f"{ORIGIN}\n777\n"), "777")
        _wait(
            lambda: bool(read_heads(anchor)) and read_heads(anchor)[-1].tree_size == 777, "anchor"
        )
        # `log serve --witness` pushed the checkpoint to `witness serve` (tlog-witness).
        verifiers = [WitnessVerifier.from_verifier_key(witness_key)]
        log_verifier = NoteVerifier.from_verifier_key(log_key)
        _wait(
            lambda: (
                open_checkpoint(
                    httpx.get(f"{url}/checkpoint").text, log_verifier, verifiers, witness_quorum=1
                ).tree_size
                == 777
            ),
            "a cosigned checkpoint",
        )

        report = json.loads(run("log", "verify", "--url", url, "--log-key", log_key, "--json",
                                "--rpc-url", chain.anvil.url, "--anchor-address", anchor.address))  # fmt: skip
        assert report == {
            "verdict": "ok",
            "tree_size": 777,
            "root_hash": store.head().root_hash.hex(),
            "signature_checked": True,
            "anchored_heads_checked": len(read_heads(anchor)),
        }
        other_key = generate_signer_key(ORIGIN, bytes(32))[1]  # same name, another key
        result = runner.invoke(app, ["log", "verify", "--url", url, "--log-key", other_key])
        assert result.exit_code == 1 and result.output.startswith("FAILED")

        witness_args = ["witness", "run", "--once", "--log-key", log_key,
                        "--key-file", str(tmp_path / "w.key"), "--state", str(tmp_path / "w.state"),
                        "--rpc-url", chain.anvil.url, "--anchor-address", anchor.address,
                        "--keystore", str(tmp_path / "witness.json")]  # fmt: skip
        assert "accepted tree size 777" in run(*witness_args, "--log-url", url)
        last = read_heads(anchor)[-1]
        assert anchor.functions.hasWitnessed(last.head_index, witness_address).call()

        # A fork signed with the log's own key: the witness alarms (exit 2), cosigns nothing.
        forked = LogStore.open(f"sqlite:///{tmp_path / 'fork.db'}")
        forked.submit([make_entry(n) for n in range(800)])
        signer = load_log_signer(tmp_path / "log.key", PASSPHRASE)
        Sequencer(forked, signer, SequencerConfig(origin=ORIGIN)).integrate_all()
        state_before = (tmp_path / "w.state").read_text()
        with serve(create_app(LogServeSettings(database_url="-"), store=forked)) as fork_url:
            result = runner.invoke(app, [*witness_args, "--log-url", f"{fork_url}/log"])
        assert result.exit_code == 2
        assert (tmp_path / "w.state").read_text() == state_before
        store.close()
        forked.close()
    finally:
        output = ""
        for process in processes:
            process.stop(timeout_s=15)
            output += process.output()
    assert PASSPHRASE not in output and "PRIVATE+KEY" not in output  # no secret in any log
    assert "tree_size=777" in output  # logs carry tree size and root context


def test_witness_serve_also_pulls_and_witnesses_on_chain_and_exits_2_on_a_fork(
    tmp_path: Path, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`witness serve --log-url --rpc-url --anchor-address --keystore`: one process, one state
    file, cosigns what the log pushes (the log serves the cosignature) and, in its own rounds,
    witnesses every anchored head on chain; pulling from a fork of what it accepted, it logs
    the alarm at ERROR, stops serving and exits 2 with its state untouched."""
    monkeypatch.setenv("TRACELEDGER_KEY_PASSPHRASE", PASSPHRASE)
    runner = CliRunner()
    run = _succeeding(runner)

    log_key = run("log", "keygen", "--name", ORIGIN, "--key-file", str(tmp_path / "log.key"))
    witness_key = run("log", "keygen", "--name", "regulator.test", "--witness",
                      "--key-file", str(tmp_path / "w.key"))  # fmt: skip
    anchorer_address = run("anchorer", "keygen", "--keystore", str(tmp_path / "anchorer.json"))
    witness_address = run("anchorer", "keygen", "--keystore", str(tmp_path / "witness.json"))
    _, anchor = deploy_contracts(chain.w3, chain.w3.eth.accounts[0], anchorer_address,
                                 [witness_address])  # fmt: skip
    state = tmp_path / "witness-state.json"

    # The chain options come together, and only with --log-url (the rounds check heads
    # against the log's tiles).
    partial = runner.invoke(app, ["witness", "serve", "--log-key", log_key, "--key-file",
                                  str(tmp_path / "w.key"), "--state", str(state),
                                  "--rpc-url", chain.anvil.url])  # fmt: skip
    assert partial.exit_code == 1 and "--keystore" in partial.output

    database_url = f"sqlite:///{tmp_path / 'log.db'}"
    log_port, witness_port = free_port(), free_port()
    url = f"http://127.0.0.1:{log_port}/log"

    def witness_serve(log_url: str) -> Launched:
        return _start("witness", "serve", "--log-key", log_key, "--key-file",
                      str(tmp_path / "w.key"), "--state", str(state), "--port", str(witness_port),
                      "--log-url", log_url, "--rpc-url", chain.anvil.url,
                      "--anchor-address", anchor.address, "--keystore",
                      str(tmp_path / "witness.json"))  # fmt: skip

    witness = witness_serve(url)
    processes = [
        witness,
        _start("log", "serve", "--database-url", database_url, "--key-file",
               str(tmp_path / "log.key"), "--port", str(log_port),
               "--witness", f"http://127.0.0.1:{witness_port} {witness_key}"),
        _start("anchorer", "run", "--database-url", database_url, "--rpc-url", chain.anvil.url,
               "--anchor-address", anchor.address, "--keystore", str(tmp_path / "anchorer.json")),
    ]  # fmt: skip
    store = LogStore.open(database_url)
    log_verifier = NoteVerifier.from_verifier_key(log_key)
    verifiers = [WitnessVerifier.from_verifier_key(witness_key)]

    def grow_to(size: int) -> None:
        """Entries up to `size`; wait until its head is anchored and witnessed on chain and
        the log serves its checkpoint with the witness's cosignature (pushed)."""
        start = store.head().tree_size + store.pending_count()
        store.submit_encoded([encode_entry(make_entry(n)) for n in range(start, size)])
        _wait(lambda: [h.tree_size for h in read_heads(anchor)][-1:] == [size], f"head {size}", 60)
        last = read_heads(anchor)[-1].head_index
        _wait(lambda: anchor.functions.hasWitnessed(last, witness_address).call(),
              f"head {last} witnessed on chain", 60)  # fmt: skip
        _wait(lambda: open_checkpoint(httpx.get(f"{url}/checkpoint").text, log_verifier,
                                      verifiers, witness_quorum=1).tree_size == size,
              f"checkpoint {size} cosigned", 60)  # fmt: skip

    try:
        grow_to(300)
        grow_to(500)
        assert witness.process.poll() is None
        accepted = json.loads(state.read_text())
        assert (accepted["tree_size"], accepted["next_head_index"]) == (500, len(read_heads(anchor)))
        assert accepted["root_hash"] == store.head().root_hash.hex()
        witness.stop(timeout_s=15)

        # A fork (other entries, the log's own key), larger than what was accepted.
        forked = LogStore.open(f"sqlite:///{tmp_path / 'fork.db'}")
        forked.submit([make_entry(n) for n in range(600)])
        signer = load_log_signer(tmp_path / "log.key", PASSPHRASE)
        Sequencer(forked, signer, SequencerConfig(origin=ORIGIN)).integrate_all()
        state_before = state.read_text()
        with serve(create_app(LogServeSettings(database_url="-"), store=forked)) as fork_url:
            alarmed = witness_serve(f"{fork_url}/log")
            processes.append(alarmed)
            assert alarmed.process.wait(timeout=60) == 2
        output = alarmed.output()
        assert "ERROR anchoring.witness: WITNESS ALARM: checkpoint: tree size 600" in output
        assert "ALARM: checkpoint: tree size 600" in output
        assert state.read_text() == state_before
        forked.close()
    finally:
        store.close()
        for process in processes:
            process.stop(timeout_s=15)

"""`traceledger up` end to end: one command brings up node, log, anchorer, indexer and the
trace API (with a bootstrap admin key in admin.key, mode 0600, never logged; with --dev the
genesis enterprises are usable through the API, keys in dev-api-keys.json, and a witness
runs); /healthz reports every service up; an entry put into the log gets anchored on chain
and mirrored into SQL; after a capture the log's checkpoint carries the dev witness's valid
cosignature, the anchored head is witnessed on TraceAnchor, and the proof bundle and the
scan page's trust anchors list the witness key; SIGTERM stops it all; nothing in the data
directory is readable by group or others, even when an older version had left it so.
(Healing: test_up_heals.py.)"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from anchoring.core.checkpoint import open_checkpoint
from anchoring.core.cosignature import WitnessVerifier
from anchoring.core.entry import LogEntry
from anchoring.core.errors import VerificationError
from anchoring.core.note import NoteVerifier
from anchoring.keys import read_verifier_key
from anchoring.store import LogStore
from contracts.artifacts import load_artifact
from testing.processes import free_port
from testing.system import traceledger_up
from tests.cli.one_capture import capture_one_event
from traceledger_cli.system import LOG_ORIGIN, WITNESS_NAME

READY_TIMEOUT_S = 180
ANCHOR_TIMEOUT_S = 60


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _group_or_other_accessible(root: Path) -> list[str]:
    """Every path under root (root included) with any group or other permission bit."""
    loose = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if not path.is_symlink() and mode & 0o077:
            loose.append(f"{oct(mode)} {path.relative_to(root.parent)}")
    return loose


@pytest.fixture
def running_system(tmp_path: Path):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    # As an older version left it: a world-readable data dir with a world-readable log.
    (data_dir / "logs").mkdir(parents=True)
    data_dir.chmod(0o755)
    (data_dir / "logs").chmod(0o755)
    (data_dir / "logs" / "old.log").write_text("from an older version\n")
    (data_dir / "logs" / "old.log").chmod(0o644)
    rpc_port, log_port, api_port, witness_port = free_port(), free_port(), free_port(), free_port()
    with traceledger_up(data_dir, rpc_port=rpc_port, log_port=log_port, api_port=api_port,
                        witness_port=witness_port, ready_timeout_s=READY_TIMEOUT_S) as (process, lines):
        yield process, data_dir, rpc_port, log_port, api_port, witness_port, lines


def _wait_for(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.5)


def _check_dev_enterprises(data_dir: Path, api_port: int) -> list[str]:
    """The genesis enterprises are self-custody enterprises of the API, each with a working
    enterprise key in dev-api-keys.json (0600); returns the keys."""
    keys_file = data_dir / "dev-api-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    document = json.loads(keys_file.read_text())["enterprises"]
    accounts = json.loads((data_dir / "node" / "dev-keys.json").read_text())["accounts"]
    expected = {
        "enterprise1": ("0x" + Web3.keccak(b"dev-enterprise-1").hex().removeprefix("0x"), ["food"], ["0614141"]),
        "enterprise2": ("0x" + Web3.keccak(b"dev-enterprise-2").hex().removeprefix("0x"), ["special_equipment"],
                        ["4012345"]),
    }
    assert sorted(document) == sorted(expected)
    for role, (enterprise_id, sectors, prefixes) in expected.items():
        entry = document[role]
        assert (entry["enterpriseId"], entry["sectors"], entry["companyPrefixes"], entry["custody"],
                entry["signingAddress"]) == (enterprise_id, sectors, prefixes, "self", accounts[role]["address"])
        mine = httpx.get(f"http://127.0.0.1:{api_port}/v1/enterprises/{enterprise_id}",
                         headers={"Authorization": f"Bearer {entry['apiKey']}"})
        assert mine.status_code == 200, mine.text
        assert (mine.json()["status"], mine.json()["custody"]) == ("active", "self")
    return [entry["apiKey"] for entry in document.values()]


def test_up_runs_the_system_anchors_and_stops_cleanly(running_system) -> None:  # type: ignore[no-untyped-def]
    process, data_dir, rpc_port, log_port, api_port, witness_port, lines = running_system
    deployment = json.loads((data_dir / "node" / "deployment.json").read_text())

    chain_id = httpx.post(
        f"http://127.0.0.1:{rpc_port}",
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
    ).json()["result"]
    assert int(chain_id, 16) == deployment["chainId"]
    checkpoint = httpx.get(f"http://127.0.0.1:{log_port}/log/checkpoint")
    assert checkpoint.status_code == 200
    assert checkpoint.text.startswith(LOG_ORIGIN + "\n")

    # The older version's loose modes were tightened, and said so.
    console = " ".join("".join(lines).split())
    assert "note: 3 files and directories in" in console and "now owner-only" in console
    # The API answers, and reports every service up.
    health = httpx.get(f"http://127.0.0.1:{api_port}/healthz")
    assert health.status_code == 200
    body = health.json()
    assert (body["status"], body["chainId"], body["treeSize"]) == ("ok", deployment["chainId"], 0)
    assert {name: service["status"] for name, service in body["services"].items()} == {
        "api": "up", "node": "up", "log": "up", "anchorer": "up", "indexer": "up"}
    assert body["services"]["log"]["treeSize"] == 0
    assert body["services"]["anchorer"]["lagEntries"] == 0
    assert body["services"]["indexer"]["lagBlocks"] == 0
    # While it runs (the SQLite -wal and -shm files exist only now), nothing is loose.
    assert {"log.sqlite-wal", "log.sqlite-shm", "mirror.sqlite-wal"} <= {
        path.name for path in data_dir.iterdir()}
    assert _group_or_other_accessible(data_dir) == []
    # The bootstrap admin key (owner-only file) signs in as admin.
    key_file = data_dir / "admin.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "secrets" / "master.key").stat().st_mode) == 0o600
    admin_key = key_file.read_text().strip()
    assert admin_key.startswith("tlk_")
    keys = httpx.get(f"http://127.0.0.1:{api_port}/v1/api-keys",
                     headers={"Authorization": f"Bearer {admin_key}"})
    assert keys.status_code == 200
    assert [(key["role"], key["name"]) for key in keys.json()] == [
        ("admin", "bootstrap admin"), ("enterprise", "Dev Food Enterprise 1 (dev key)"),
        ("enterprise", "Dev Special Equipment Enterprise 2 (dev key)")]
    dev_keys = _check_dev_enterprises(data_dir, api_port)
    assert any(f"http://127.0.0.1:{api_port}" in line for line in lines)  # the URLs table
    assert any(f"http://127.0.0.1:{witness_port}" in line for line in lines)  # the witness's row

    # The test submits entries itself (the API would, for captured records), on the same
    # store the running sequencer integrates, so the log and anchorer are tested alone.
    store = LogStore.open(f"sqlite:///{(data_dir / 'log.sqlite').resolve()}")
    try:
        store.submit([
            LogEntry(event_hash=bytes([n]) * 32, submitter=bytes(20),
                     signature=bytes(64) + b"\x1b", received_at_ms=1_700_000_000_000 + n,
                     salt=bytes([n]) * 32)
            for n in range(1, 4)
        ])
    finally:
        store.close()

    web3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{rpc_port}"))
    anchor = web3.eth.contract(
        address=deployment["contracts"]["TraceAnchor"]["address"],
        abi=load_artifact("TraceAnchor").abi,
    )

    def anchored_size() -> int:
        count = anchor.functions.headCount().call()
        return int(anchor.functions.headAt(count - 1).call()[0]) if count else 0

    _wait_for(lambda: anchored_size() == 3, ANCHOR_TIMEOUT_S, "the 3-entry head on chain")

    def mirrored() -> bool:
        # Read-only, so the test never creates the file the indexer is about to migrate.
        uri = f"file:{data_dir / 'mirror.sqlite'}?mode=ro"
        try:
            with sqlite3.connect(uri, uri=True) as mirror:
                rows = mirror.execute("SELECT tree_size FROM chain_tree_heads").fetchall()
        except sqlite3.OperationalError:  # not created or not migrated yet
            return False
        return (3,) in rows

    _wait_for(mirrored, ANCHOR_TIMEOUT_S, "the indexer to mirror the anchored head")
    _check_the_dev_witness(data_dir, anchor, log_port, api_port, admin_key)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert "stopped" in "".join(lines)
    assert not any(_port_open(port) for port in (rpc_port, log_port, api_port, witness_port))
    secret = admin_key.split("_", 2)[2]
    assert len(secret) == 43
    assert secret not in "".join(lines)
    log_files = list((data_dir / "logs").glob("*.log"))
    for dev_key in dev_keys:
        assert dev_key not in "".join(lines) and dev_key not in "".join(p.read_text() for p in log_files)
    assert {path.name for path in log_files} >= {"init.log", "node.log", "log.log", "witness.log",
                                                 "anchorer.log", "indexer.log", "api.log"}
    for log_file in log_files:
        text = log_file.read_text()
        assert "privateKey" not in text and "Traceback" not in text, log_file.name
        assert secret not in text, log_file.name
    # Databases and their -wal/-shm files, logs, keys, keystores, deployment.json: all
    # owner-only, and so is every directory.
    names = {path.name for path in data_dir.rglob("*")}
    assert {"log.sqlite", "mirror.sqlite", "deployment.json", "master.key", "passphrase",
            "supervisor.log", "anchorer-keystore.json", "log-key.json", "witness-key.json",
            "witness-keystore.json", "state.json"} <= names
    assert _group_or_other_accessible(data_dir) == []


def _check_the_dev_witness(data_dir: Path, anchor, log_port: int, api_port: int,  # type: ignore[no-untyped-def]
                           admin_key: str) -> None:
    """A custodial enterprise captures one event; once it is anchored, `/log/checkpoint` carries
    a cosignature by the dev witness's key that verifies (C2SP tlog-cosignature), the anchoring
    head is witnessed on TraceAnchor by the dev witness account, and the API lists the witness
    key in the record's proof bundle and in the scan page's trust anchors."""
    witness_key = read_verifier_key(data_dir / "secrets" / "witness-key.json")
    assert witness_key.startswith(WITNESS_NAME + "+")
    log_verifier = NoteVerifier.from_verifier_key(read_verifier_key(data_dir / "secrets" / "log-key.json"))
    witness_verifier = WitnessVerifier.from_verifier_key(witness_key)  # refuses a non-cosignature key
    dev_accounts = json.loads((data_dir / "node" / "dev-keys.json").read_text())["accounts"]
    api = f"http://127.0.0.1:{api_port}"

    farm, proof_url = capture_one_event(api, admin_key, "Witnessed Farm")

    bundles: list[dict[str, object]] = []

    def anchored() -> bool:
        response = httpx.get(proof_url, headers=farm, timeout=30)
        assert response.status_code == 200, response.text
        bundles.append(response.json())
        return bundles[-1]["status"] == "anchored"

    _wait_for(anchored, ANCHOR_TIMEOUT_S, "the captured record to be anchored")
    bundle = bundles[-1]
    assert bundle["witnesses"] == [{"name": WITNESS_NAME, "verifierKey": witness_key}]
    trust_anchors = httpx.get(f"{api}/scan/trust-anchors.json", timeout=60)
    assert trust_anchors.status_code == 200, trust_anchors.text
    assert trust_anchors.json()["witnesses"] == [{"name": WITNESS_NAME, "verifierKey": witness_key}]

    def cosigned_size() -> int:
        note = httpx.get(f"http://127.0.0.1:{log_port}/log/checkpoint", timeout=30).text
        try:  # quorum 1: the witness's cosignature line must be there and verify
            return open_checkpoint(note, log_verifier, [witness_verifier], witness_quorum=1).tree_size
        except VerificationError:
            return -1

    tree_size = int(bundle["treeSize"])  # type: ignore[call-overload]
    _wait_for(lambda: cosigned_size() >= tree_size, ANCHOR_TIMEOUT_S,
              "the dev witness's cosignature on /log/checkpoint")
    head_index = bundle["anchor"]["headIndex"]  # type: ignore[index]
    _wait_for(lambda: anchor.functions.witnessCount(head_index).call() >= 1, ANCHOR_TIMEOUT_S,
              "the anchored head to be witnessed on TraceAnchor")
    assert anchor.functions.hasWitnessed(head_index, dev_accounts["witness"]["address"]).call()

"""`traceledger up` heals, end to end with real processes: a service killed with SIGKILL is
restarted with backoff and said so; the API answers /healthz again; after the node itself
is killed and restarted, the anchorer still anchors and the indexer still mirrors (they
reconnect; nobody else restarts, the dev witness included); a service that keeps failing
stops the whole system with a clear message and a non-zero exit. (The policy alone:
test_restart_policy.py; the loop with fakes: test_supervisor.py.)"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from web3 import Web3

from anchoring.core.entry import LogEntry
from anchoring.store import LogStore
from contracts.artifacts import load_artifact
from testing.processes import free_port
from testing.system import traceledger_up
from traceledger_cli.restart_policy import CRASH_BUDGET

READY_TIMEOUT_S = 240
HEAL_TIMEOUT_S = 120
"""A restarted API imports for a while on a busy 2-core machine."""
ANCHOR_TIMEOUT_S = 90
GIVE_UP_TIMEOUT_S = 300
"""1 + 2 + 4 + 8 + 16 s of backoff plus six failed API starts."""

SERVICE_COMMANDS = {  # `traceledger <group> <command>` of each supervised service
    "ledger node": ("node", "run"), "trace log": ("log", "serve"), "witness": ("witness", "serve"),
    "anchorer": ("anchorer", "run"), "indexer": ("indexer", "run"), "trace API": ("api", "serve"),
}


def _service_pid(data_dir: Path, service: str) -> int | None:
    """The pid of the running `service` of the system in data_dir (read from /proc)."""
    group, command = SERVICE_COMMANDS[service]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # exited meanwhile
        words = [word.decode(errors="replace") for word in argv]
        if "traceledger_cli.main" not in words:
            continue
        after = words.index("traceledger_cli.main") + 1
        if words[after:after + 2] == [group, command] and any(str(data_dir) in word
                                                              for word in words):
            return int(entry.name)
    return None


def _wait_for(condition: Callable[[], object], timeout: float, what: str,
              output: list[str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}" +
                        ("\n" + "".join(output) if output is not None else ""))
        time.sleep(0.5)


def _console(output: list[str]) -> str:
    """The console so far with rich's line wrapping undone."""
    return " ".join("".join(output).split())


def _kill_and_see_it_return(data_dir: Path, service: str, output: list[str]) -> int:
    """SIGKILL the service; wait for the supervisor's restart messages; return the new pid."""
    old_pid = _service_pid(data_dir, service)
    assert old_pid is not None, f"{service} is not running"
    os.kill(old_pid, signal.SIGKILL)
    said = f"{service} exited with code -9; restarting in 1 s (attempt 2)"
    _wait_for(lambda: said in _console(output), 10, f"'{said}'", output)
    back = f"{service} is up again (attempt 2)"
    _wait_for(lambda: back in _console(output), HEAL_TIMEOUT_S, f"'{back}'", output)
    new_pid = _service_pid(data_dir, service)
    assert new_pid is not None and new_pid != old_pid
    return new_pid


def _health(api_port: int) -> dict[str, object] | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=2)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def _all_up(api_port: int) -> bool:
    health = _health(api_port)
    return health is not None and health["status"] == "ok"


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_up_restarts_killed_services_and_stops_when_one_keeps_failing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rpc_port, log_port, api_port = free_port(), free_port(), free_port()
    with traceledger_up(data_dir, rpc_port=rpc_port, log_port=log_port, api_port=api_port,
                        ready_timeout_s=READY_TIMEOUT_S) as (process, output):
        _wait_for(lambda: _all_up(api_port), 30, "/healthz to report every service up", output)

        # 1. The indexer and the API come back after SIGKILL; the API answers /healthz again.
        _kill_and_see_it_return(data_dir, "indexer", output)
        _kill_and_see_it_return(data_dir, "trace API", output)
        _wait_for(lambda: _all_up(api_port), 30, "/healthz after the API's restart", output)
        supervisor_log = (data_dir / "logs" / "supervisor.log").read_text()
        assert "indexer exited with code -9; restarting in 1 s (attempt 2)" in supervisor_log
        assert "trace API is up again (attempt 2)" in supervisor_log

        # 2. The node restarts alone: the others reconnect; anchoring and mirroring resume.
        others = {name: _service_pid(data_dir, name)
                  for name in ("trace log", "witness", "anchorer", "indexer", "trace API")}
        _kill_and_see_it_return(data_dir, "ledger node", output)
        assert {name: _service_pid(data_dir, name) for name in others} == others
        _check_anchoring_and_mirroring(data_dir, rpc_port, output)
        _wait_for(lambda: _all_up(api_port), 30, "/healthz after the node's restart", output)
        assert {name: _service_pid(data_dir, name) for name in others} == others
        assert _console(output).count(" exited with code ") == 3  # the three kills

        # 3. An API that cannot start again (its port taken) stops the whole system.
        api_pid = _service_pid(data_dir, "trace API")
        assert api_pid is not None
        squatter = socket.socket()
        try:
            os.kill(api_pid, signal.SIGKILL)
            _take_port(squatter, api_port)
            exit_code = process.wait(timeout=GIVE_UP_TIMEOUT_S)
        finally:
            squatter.close()
        console = _console(output)
        assert exit_code == 1, console
        # uvicorn exits with its start-up failure code (3) when the port is taken.
        assert re.search(r"error: the trace API exited with code \d+ and keeps failing: "
                         rf"{CRASH_BUDGET + 1} crashes in a row, none after answering for 60 s; "
                         r"stopping the system; see \S+/logs/api\.log", console), console
        assert f"restarting in 16 s (attempt {CRASH_BUDGET + 1})" in console
        assert console.rstrip().endswith("stopped")
        assert not _port_open(rpc_port) and not _port_open(log_port)
        assert all(_service_pid(data_dir, name) is None for name in SERVICE_COMMANDS)


def _take_port(squatter: socket.socket, port: int) -> None:
    """Listen on `port` as soon as the killed API (and its workers) let go of it."""
    deadline = time.monotonic() + 10
    while True:
        try:
            squatter.bind(("127.0.0.1", port))
            squatter.listen()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _check_anchoring_and_mirroring(data_dir: Path, rpc_port: int, output: list[str]) -> None:
    """Three entries put into the log after the node's restart reach the chain and the mirror."""
    store = LogStore.open(f"sqlite:///{(data_dir / 'log.sqlite').resolve()}")
    try:
        store.submit([
            LogEntry(event_hash=bytes([n]) * 32, submitter=bytes(20),
                     signature=bytes(64) + b"\x1b", received_at_ms=int(time.time() * 1000),
                     salt=bytes([n]) * 32)
            for n in range(1, 4)
        ])
    finally:
        store.close()
    deployment = json.loads((data_dir / "node" / "deployment.json").read_text())
    web3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{rpc_port}"))
    anchor = web3.eth.contract(address=deployment["contracts"]["TraceAnchor"]["address"],
                               abi=load_artifact("TraceAnchor").abi)

    def anchored_size() -> int:
        count = anchor.functions.headCount().call()
        return int(anchor.functions.headAt(count - 1).call()[0]) if count else 0

    _wait_for(lambda: anchored_size() == 3, ANCHOR_TIMEOUT_S, "the 3-entry head on chain", output)

    def mirrored() -> bool:
        uri = f"file:{data_dir / 'mirror.sqlite'}?mode=ro"
        with sqlite3.connect(uri, uri=True) as mirror:
            return (3,) in mirror.execute("SELECT tree_size FROM chain_tree_heads").fetchall()

    _wait_for(mirrored, ANCHOR_TIMEOUT_S, "the indexer to mirror the anchored head", output)

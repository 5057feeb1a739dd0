"""Running the real `traceledger up` for end-to-end tests: start it, wait for `ready`, and
always stop it (SIGTERM, then kill) when the test or session is done.

Shared by `tests/cli/test_up.py` and the session-wide `live_system` fixture
(`tests/trace_api/conftest.py`).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

#: `traceledger up` prints this line once every service answers.
READY_LINE = "ready"
STOP_TIMEOUT_S = 60


@contextlib.contextmanager
def traceledger_up(data_dir: Path, *, rpc_port: int, log_port: int, api_port: int,
                   extra_args: Sequence[str] = (), env: Mapping[str, str] | None = None,
                   ready_timeout_s: float) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """`traceledger up --dev` on the given ports, yielded once it printed `ready`, as the
    process and the list its console lines keep arriving in (stdout and stderr merged).

    Fails the test with the console so far if it exits or is not ready in time. A test may
    stop the process itself (e.g. to check a clean exit); otherwise it gets SIGTERM on exit.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "traceledger_cli.main", "up", "--dev", "--data-dir", str(data_dir),
         "--rpc-port", str(rpc_port), "--log-port", str(log_port), "--api-port", str(api_port),
         *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(env) if env is not None else None,
    )
    output: list[str] = []
    ready = threading.Event()

    def read_output() -> None:
        # Drains the pipe for the whole run, so the system never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if line.strip() == READY_LINE:
                ready.set()

    threading.Thread(target=read_output, daemon=True).start()
    try:
        deadline = time.monotonic() + ready_timeout_s
        while not ready.wait(0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("traceledger up never printed ready:\n" + "".join(output))
        yield process, output
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

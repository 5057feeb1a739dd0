"""Start a process, wait until it is ready, stop it: the one way tests and benches do it.

A launched process runs in its own session (process group), so stopping it also stops
what it spawned (anvil's npm launcher and its binary; `traceledger up` and its services).
Its output goes to a log file or is read line by line, so a failure message can show it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STOP_TIMEOUT_S = 20.0
"""After SIGTERM, how long a process may take to exit before it gets SIGKILL."""
READER_JOIN_TIMEOUT_S = 10.0
"""After the process exited, how long its last lines may take to be read."""
OUTPUT_TAIL_CHARS = 3000
"""How much of a process's output a failure message quotes."""


class ProcessNotReady(RuntimeError):
    """The process exited, or was not ready by its deadline; the message quotes its output."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def repo_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment with the repository first on PYTHONPATH (for `python -m tests.…`
    workers and `python -m <package>` from any cwd), plus `extra`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def python_command(module: str, *args: str) -> list[str]:
    """`python -m module args…` with this interpreter."""
    return [sys.executable, "-m", module, *args]


class Launched:
    """A running child process: its output (a log file, or lines read by a thread), a
    readiness wait and a stop that always reaps it and its process group."""

    def __init__(self, command: Sequence[str], *, cwd: Path | None = REPO,
                 env: Mapping[str, str] | None = None, log_path: Path | None = None,
                 read_lines: bool = False, stderr_path: Path | None = None) -> None:
        """Start `command`. Output goes to `log_path` (appended), or with `read_lines` into
        `self.lines` (drained for the whole run so the child never blocks on a full pipe;
        stderr merged in unless `stderr_path` names a file for it), else nowhere."""
        self.log_path = log_path
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None
        if log_path is not None:
            with log_path.open("ab") as sink:
                self.process = subprocess.Popen(
                    list(command), cwd=cwd, env=dict(env) if env is not None else None,
                    stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        elif read_lines:
            with contextlib.ExitStack() as files:
                stderr = (files.enter_context(stderr_path.open("ab")) if stderr_path is not None
                          else subprocess.STDOUT)
                self.process = subprocess.Popen(
                    list(command), cwd=cwd, env=dict(env) if env is not None else None,
                    stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
            self._reader = threading.Thread(target=self._read_lines, daemon=True)
            self._reader.start()
        else:
            self.process = subprocess.Popen(
                list(command), cwd=cwd, env=dict(env) if env is not None else None,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read_lines(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        """Everything the process wrote so far (its log file or its lines)."""
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "".join(self.lines)

    def follow_lines(self, *, poll_s: float = 0.002) -> Iterator[str]:
        """Each line (with `read_lines`) as it arrives, until the process's output ends."""
        seen = 0
        while True:
            if seen < len(self.lines):
                seen += 1
                yield self.lines[seen - 1]
            elif self._reader is None or not self._reader.is_alive():
                yield from self.lines[seen:]
                return
            else:
                time.sleep(poll_s)

    def wait_until(self, ready: Callable[[], bool], *, timeout_s: float, what: str,
                   poll_s: float = 0.05) -> None:
        """Return once `ready()` is true (exceptions from it count as not yet); raise
        `ProcessNotReady` with the output tail if the process exits or `timeout_s` passes."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process.poll() is not None:
                raise ProcessNotReady(f"{what}: exited with {self.process.returncode}:\n"
                                      f"{self.output()[-OUTPUT_TAIL_CHARS:]}")
            with contextlib.suppress(Exception):
                if ready():
                    return
            if time.monotonic() > deadline:
                raise ProcessNotReady(f"{what}: not ready within {timeout_s} s:\n"
                                      f"{self.output()[-OUTPUT_TAIL_CHARS:]}")
            time.sleep(poll_s)

    def wait_for_line(self, line: str, *, timeout_s: float, what: str) -> None:
        """Return once the process printed exactly `line` (stripped); needs `read_lines`."""
        self.wait_until(lambda: any(seen.strip() == line for seen in self.lines),
                        timeout_s=timeout_s, what=what, poll_s=0.1)

    def stop(self, sig: int = signal.SIGTERM, *, timeout_s: float = STOP_TIMEOUT_S,
             whole_group: bool = True) -> None:
        """Stop the process (see `stop_process`); then every line it wrote is in `lines`."""
        stop_process(self.process, sig, timeout_s=timeout_s, whole_group=whole_group)
        if self._reader is not None:
            self._reader.join(timeout=READER_JOIN_TIMEOUT_S)


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str],
                 sig: int = signal.SIGTERM, *, timeout_s: float = STOP_TIMEOUT_S,
                 whole_group: bool = True) -> None:
    """Stop `process` (started with `start_new_session=True`): send `sig` to its process
    group (only to the process itself with `whole_group=False`, e.g. a supervisor that
    stops its own children), wait up to `timeout_s`, then SIGKILL the group; always reaps
    it, and kills what is left of the group even if the leader already exited."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            if whole_group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    else:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group

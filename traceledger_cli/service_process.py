"""One supervised service: its command, its log file, how to tell that it answers, and
its process (group).

Promises:
- `start()` runs the command in its own session (so a terminal's Ctrl-C reaches only the
  supervisor), output appended to `log_path`; the log file is created owner-only.
- `answers()` is True once the ready check passes (always True for a service without
  one), within READY_PROBE_TIMEOUT_S.
- `stop()` asks the process to finish (SIGTERM), kills it after STOP_TIMEOUT_S, and then
  kills whatever the service left behind in its process group (worker processes, the
  node's sealer), so a restarted service never meets its predecessor's children holding
  its port or its database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from traceledger_cli.private_files import PRIVATE_FILE_MODE

STOP_TIMEOUT_S = 15.0
READY_PROBE_TIMEOUT_S = 1.0
"""One readiness probe; short, so a slow service never stalls the supervision loop."""


def traceledger_command(*args: str) -> list[str]:
    """`traceledger ARGS` as a child process runs it: this interpreter with `-m`, so a
    service runs the same code as its supervisor whether or not the console script is on
    PATH."""
    return [sys.executable, "-m", "traceledger_cli.main", *args]


@dataclass
class Service:
    """One child process and how to tell that it answers."""

    name: str
    command: list[str]
    log_path: Path
    ready_url: str | None = None
    ready_body: dict[str, Any] | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Added to the supervisor's environment (settings that have no command-line option)."""
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the command; the previous process, if any, must have been stopped."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                             PRIVATE_FILE_MODE)
        with os.fdopen(descriptor, "ab") as log_file:
            self.process = subprocess.Popen(
                self.command, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True, env={**os.environ, **self.env} if self.env else None,
            )

    def answers(self) -> bool:
        """True when the ready check passes (or there is none)."""
        if self.ready_url is None:
            return True
        try:
            if self.ready_body is not None:
                response = httpx.post(self.ready_url, json=self.ready_body,
                                      timeout=READY_PROBE_TIMEOUT_S)
            else:
                response = httpx.get(self.ready_url, timeout=READY_PROBE_TIMEOUT_S)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def exited(self) -> int | None:
        """The exit code once the process has ended (negative: killed by that signal)."""
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; then clear the process group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.kill_leftovers()

    def kill_leftovers(self) -> None:
        """SIGKILL what is left of the service's process group once its leader has ended.

        The leader's pid is the group id (own session); its children keep the group even
        when orphaned, and nothing else can join it, so this reaches only the service's own.
        """
        if self.process is None or self.process.poll() is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already empty

"""Keeping the services of `traceledger up` running: start in order, restart what crashes,
stop newest first.

Promises:
- `start_all` starts the services one after the other, each only once the previous one
  answers; any failure there is a `StartupError` (a system that never came up is a
  configuration problem, not something to retry).
- `run` watches them until a stop is requested. A service that exits is restarted after
  the delay its `RestartPolicy` decides, said on the console and in the supervisor's log
  ("indexer exited with code -9; restarting in 1 s (attempt 2)"); a restarted service with
  a ready check is watched until it answers again, and one that does not answer within
  RESTART_READY_TIMEOUT_S counts as crashed. The others keep running: they reconnect to a
  restarted node or log on their own. When the policy gives up, `run` raises
  `ServiceFailed` naming the service and its log.
- `stop_all` stops every service, newest first, including their leftover children.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from traceledger_cli.restart_policy import GiveUp, RestartPolicy
from traceledger_cli.service_process import Service

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2
"""How often exits and readiness are checked; a crash is noticed within this."""
RESTART_READY_TIMEOUT_S = 120.0
"""As long as a first start may take (the API imports a lot on a busy machine)."""


class StartupError(Exception):
    """A part of the system did not come up; the message says which and where its log is."""


class ServiceFailed(Exception):
    """A service kept failing beyond its restart budget; the message says which and where."""


@dataclass
class _Watch:
    """The supervisor's state of one service."""

    service: Service
    policy: RestartPolicy
    state: str = "running"  # "running" | "starting" (restarted, not yet answering) | "waiting"
    attempt: int = 1
    restart_at: float = 0.0
    ready_deadline: float = 0.0


class Supervisor:
    """Starts, watches, restarts and stops a fixed list of services (in start order)."""

    def __init__(self, services: list[Service], *, console: Console,
                 policy_factory: Callable[[], RestartPolicy] = RestartPolicy,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._watches = [_Watch(service, policy_factory()) for service in services]
        self._console = console
        self._clock = clock
        self._sleep = sleep

    def start_all(self, timeout_s: float) -> None:
        """Start every service in order, each once the one before answers; all within
        `timeout_s`. Raises StartupError (the services started so far keep running:
        `stop_all` stops them)."""
        deadline = self._clock() + timeout_s
        for watch in self._watches:
            service = watch.service
            with self._console.status(f"starting the {service.name}"):
                service.start()
                watch.policy.started(self._clock())
                while not service.answers():
                    code = service.exited()
                    if code is not None:
                        raise StartupError(
                            f"the {service.name} exited with code {code}; see {service.log_path}"
                        )
                    if self._clock() > deadline:
                        raise StartupError(
                            f"the {service.name} did not answer; see {service.log_path}"
                        )
                    self._sleep(POLL_INTERVAL_S)
            watch.policy.answered(self._clock())
            self._console.print(f"[green]✓[/] {service.name} is up")

    def run(self) -> None:
        """Watch and heal until interrupted (the caller's signal handler raises); raises
        ServiceFailed when a service keeps failing."""
        while True:
            self.check_once()
            self._sleep(POLL_INTERVAL_S)

    def check_once(self) -> None:
        """One pass over every service: notice exits, restart when due, check readiness."""
        for watch in self._watches:
            now = self._clock()
            if watch.state == "waiting":
                if now >= watch.restart_at:
                    watch.service.start()
                    watch.policy.started(now)
                    watch.state = "starting"
                    watch.ready_deadline = now + RESTART_READY_TIMEOUT_S
                continue
            code = watch.service.exited()
            if code is None and watch.state == "starting":
                if watch.service.answers():
                    watch.policy.answered(self._clock())
                    watch.state = "running"
                    self._say(logging.INFO, "[green]✓[/]",
                              f"{watch.service.name} is up again (attempt {watch.attempt})")
                    continue
                if self._clock() > watch.ready_deadline:
                    self._say(logging.WARNING, "[yellow]![/]",
                              f"{watch.service.name} did not answer within "
                              f"{RESTART_READY_TIMEOUT_S:g} s of its restart; stopping it")
                    watch.service.stop()
                    code = watch.service.exited()
            if code is not None:
                self._crashed(watch, code, self._clock())

    def _crashed(self, watch: _Watch, code: int, now: float) -> None:
        service = watch.service
        # Its children (workers, the node's sealer) may outlive it, holding its port.
        service.kill_leftovers()
        decision = watch.policy.crashed(now)
        if isinstance(decision, GiveUp):
            message = (
                f"the {service.name} exited with code {code} and keeps failing: "
                f"{decision.crashes} crashes in a row, none after answering for "
                f"{decision.stable_run_s:g} s; stopping the system; see {service.log_path}"
            )
            log.error(message)
            raise ServiceFailed(message)
        watch.state = "waiting"
        watch.attempt = decision.attempt
        watch.restart_at = now + decision.delay_s
        self._say(logging.WARNING, "[yellow]![/]",
                  f"{service.name} exited with code {code}; restarting in "
                  f"{decision.delay_s:g} s (attempt {decision.attempt}); see {service.log_path}")

    def stop_all(self) -> None:
        """Stop every service, newest first."""
        for watch in reversed(self._watches):
            watch.service.stop()

    def _say(self, level: int, mark: str, message: str) -> None:
        """`message` to the console after `mark` (rich markup) and to the supervisor's log."""
        self._console.print(f"{mark} {escape(message)}", highlight=False)
        log.log(level, message)

"""When the supervisor restarts a crashed service, and when it gives up: the policy alone.

No processes and no clock of its own: the caller passes the time (`time.monotonic()` in
the supervisor, a fake clock in the tests), so each decision is a plain function of the
service's start and crash history.

Promises:
- A crash is answered with `Restart(delay_s, attempt)`: the first crash after a stable run
  waits `initial_delay_s`; each further crash in a row doubles the delay, never beyond
  `max_delay_s`. `attempt` numbers the coming start within the current streak (the first
  restart is attempt 2; the first start was attempt 1).
- A service that answered for `stable_run_s` or longer before it crashed ends the streak:
  one that crashes once a day is restarted after `initial_delay_s` every time and never
  given up on. Time spent starting (before it answered) never counts as stable.
- After `crash_budget` restarts in a row without such a stable run, the next crash is
  answered with `GiveUp`: the service keeps failing and restarting it again would only
  hide that.
"""

from __future__ import annotations

from dataclasses import dataclass

INITIAL_RESTART_DELAY_S = 1.0
"""Long enough for the dead process's port and file locks to be released."""
MAX_RESTART_DELAY_S = 30.0
"""A service waiting on something outside (a database coming back) is retried at least
twice a minute."""
CRASH_BUDGET = 5
"""Restarts in a row (1 + 2 + 4 + 8 + 16 s of waiting) before a failing service stops the
system: enough to ride out a restarting dependency, few enough that a broken service is
reported within a minute or two instead of looping forever."""
STABLE_RUN_S = 60.0
"""Answering this long counts as healthy: the next crash starts a new streak."""


@dataclass(frozen=True)
class Restart:
    """Start the service again after `delay_s`; it will be start `attempt` of the streak."""

    delay_s: float
    attempt: int


@dataclass(frozen=True)
class GiveUp:
    """The service crashed `crashes` times in a row, none after answering `stable_run_s`."""

    crashes: int
    stable_run_s: float


class RestartPolicy:
    """The restart history of one service. Call `started(now)` at every start, `answered(now)`
    once that start answers its ready check, and `crashed(now)` when it exits unasked;
    times are seconds on any monotonic clock."""

    def __init__(self, *, initial_delay_s: float = INITIAL_RESTART_DELAY_S,
                 max_delay_s: float = MAX_RESTART_DELAY_S, crash_budget: int = CRASH_BUDGET,
                 stable_run_s: float = STABLE_RUN_S) -> None:
        if not 0 < initial_delay_s <= max_delay_s:
            raise ValueError(
                f"need 0 < initial delay <= maximum delay, got {initial_delay_s}, {max_delay_s}"
            )
        if crash_budget < 0 or stable_run_s <= 0:
            raise ValueError(
                f"need crash budget >= 0 and stable run > 0, got {crash_budget}, {stable_run_s}"
            )
        self.initial_delay_s = initial_delay_s
        self.max_delay_s = max_delay_s
        self.crash_budget = crash_budget
        self.stable_run_s = stable_run_s
        self._started = False
        self._answered_at: float | None = None
        self._streak = 0  # crashes in a row, none after answering for stable_run_s

    def started(self, now: float) -> None:
        """The service was (re)started at `now`; it does not answer yet."""
        self._started = True
        self._answered_at = None

    def answered(self, now: float) -> None:
        """The current start answered its ready check at `now` (first time only counts)."""
        if self._started and self._answered_at is None:
            self._answered_at = now

    def crashed(self, now: float) -> Restart | GiveUp:
        """The service exited unasked at `now`: restart it (when) or give up.

        Requires a preceding `started`; a crash without a start is a caller bug.
        """
        if not self._started:
            raise RuntimeError("crashed() before started()")
        if self._answered_at is not None and now - self._answered_at >= self.stable_run_s:
            self._streak = 0
        self._started = False
        self._answered_at = None
        self._streak += 1
        if self._streak > self.crash_budget:
            return GiveUp(crashes=self._streak, stable_run_s=self.stable_run_s)
        # Doubling per crash in a row: 1, 2, 4, 8, 16 s with the defaults.
        delay_s = min(self.initial_delay_s * 2 ** (self._streak - 1), self.max_delay_s)
        return Restart(delay_s=delay_s, attempt=self._streak + 1)

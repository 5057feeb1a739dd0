"""How busy each process of a bench was while its load was on: CPU time from /proc (Linux),
sampled at the start and end of a window, as a percentage of one core.

A ledger node builds blocks in a child process (ledger_node/sealer.py), so each named
process is reported with the sum of its descendants beside it."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # proc(5) fields from the third (state) on: the command name before it is in
    # parentheses and may itself hold spaces or parentheses.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` has used so far, all its threads."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S  # utime, stime: 14, 15


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy (not idle, not waiting on I/O) since boot."""
    # proc(5) /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ...
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS_PER_S


def descendants(pid: int) -> Iterator[int]:
    """The processes below `pid` now (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat_fields(int(entry.name))[1]), []).append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue  # exited while we looked
    below = list(children.get(pid, []))
    while below:
        child = below.pop()
        yield child
        below.extend(children.get(child, []))


class CpuWindow:
    """CPU use of named processes and their descendants between two monotonic instants,
    sampled by a thread.

    `shares()` waits for the end of the window and returns, per name, the percent of one
    core used by the process and by its descendants (above 100 for more than one core
    busy); a process that exited before the end is left out, a descendant that started
    within the window counts from its start. The names in `alone` are sampled without
    their descendants (the bench itself, whose children are the processes it measures)."""

    def __init__(self, pids: Mapping[str, int], start_at: float, end_at: float, *,
                 alone: Collection[str] = ()) -> None:
        self.pids = dict(pids)
        self.alone = frozenset(alone)
        self.start_at, self.end_at = start_at, end_at
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._below: dict[str, list[int]] = {}
        self._machine: list[float] = []
        self._thread = threading.Thread(target=self._sample, name="cpu-window", daemon=True)

    def start(self) -> CpuWindow:
        self._thread.start()
        return self

    def shares(self) -> dict[str, dict[str, float]]:
        self._thread.join()
        span = self.end_at - self.start_at

        def used(pid: int) -> float:
            return self._last[pid] - self._first.get(pid, 0.0) if pid in self._last else 0.0

        return {name: {"process": round(100 * used(pid) / span, 1),
                       "descendants": round(100 * sum(map(used, self._below[name])) / span, 1)}
                for name, pid in self.pids.items() if pid in self._first and pid in self._last}

    def machine_share(self) -> float:
        """Percent of one core the whole machine was busy in the window (every process,
        ours or not)."""
        self._thread.join()
        return round(100 * (self._machine[1] - self._machine[0]) / (self.end_at - self.start_at), 1)

    def _sample(self) -> None:
        for instant, into in ((self.start_at, self._first), (self.end_at, self._last)):
            time.sleep(max(0.0, instant - time.monotonic()))
            self._machine.append(machine_busy_seconds())
            for name, pid in self.pids.items():
                self._below[name] = [] if name in self.alone else list(descendants(pid))
                for each in (pid, *self._below[name]):
                    try:
                        into[each] = cpu_seconds(each)
                    except (FileNotFoundError, ProcessLookupError):
                        pass

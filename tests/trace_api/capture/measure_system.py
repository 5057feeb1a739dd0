"""Measure CPU per captured event of every process of a real `traceledger up --dev`.

    .venv/bin/python -m tests.trace_api.capture.measure_system [--documents N] [--db URL]

Two clients POST signed 1,000-event documents over HTTP; the CPU each process of the
system used (from /proc, minus what it uses when idle) is divided by the events captured,
including a few seconds after the run so the log and anchorer catch up. On N idle cores
the whole system cannot exceed N / (sum of CPU per event). Not a test: numbers go in
reports, never in assertions. Linux only.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import httpx

from anchoring.core.record_signature import RecordDomain
from bench.api_bench import (
    bench_company_prefix,
    make_events,
    register_enterprise,
    signed_document,
    start_system,
)

IDLE_SAMPLE_S = 5.0
SETTLE_S = 3.0


def _process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parent = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--db", default=None, help="an empty PostgreSQL database (default SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        system = start_system(Path(tmp), args.db)
        try:
            deployment = system.deployment
            domain = RecordDomain(int(deployment["chainId"]),
                                  deployment["contracts"]["TraceAnchor"]["address"])
            prefix = bench_company_prefix()
            _, api_key, key, address = register_enterprise(system, prefix)
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/ld+json"}
            url = f"{system.api_url}/v1/capture"
            bodies = [signed_document(make_events(1000, start, prefix), domain, key, address)[0]
                      for start in range(0, 1000 * (args.documents + 1), 1000)]
            warm = httpx.post(url, content=bodies.pop(), headers=headers, timeout=300)
            assert warm.status_code == 202, warm.text  # starts the worker pool
            pids = _process_tree(system.process.pid)
            idle_start = {pid: _cpu_s(pid) for pid in pids}
            time.sleep(IDLE_SAMPLE_S)
            idle_rate = {pid: (_cpu_s(pid) - idle_start[pid]) / IDLE_SAMPLE_S for pid in pids}
            before = {pid: _cpu_s(pid) for pid in pids}
            window_start = time.perf_counter()
            lock = threading.Lock()

            def client() -> None:
                with httpx.Client(timeout=300) as http:
                    while True:
                        with lock:
                            if not bodies:
                                return
                            body = bodies.pop()
                        response = http.post(url, content=body, headers=headers)
                        assert response.status_code == 202, response.text

            clients = [threading.Thread(target=client) for _ in range(2)]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            wall = time.perf_counter() - window_start
            time.sleep(SETTLE_S)
            window = time.perf_counter() - window_start
            events = args.documents * 1000
            print(f"{events} events in {wall:.2f} s = {events / wall:,.0f} events/s; "
                  f"load average {os.getloadavg()}")
            total = 0.0
            for pid in _process_tree(system.process.pid):
                used = _cpu_s(pid) - before.get(pid, 0.0) - idle_rate.get(pid, 0.0) * window
                total += used
                if abs(used) >= 0.01:
                    print(f"  {used / events * 1e6:6.1f} us/event  {_command(pid)[:110]}")
            per_event = total / events * 1e6
            print(f"  all processes {per_event:.0f} us/event: ceiling on 2 idle cores "
                  f"{2e6 / per_event:,.0f} events/s")
        finally:
            system.stop()


if __name__ == "__main__":
    main()

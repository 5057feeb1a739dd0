"""The supervisor's loop with fake services and a fake clock: a crash is restarted after the
policy's delay and said on the console and in the log; a restarted service counts as up
only once it answers; the others are never touched; a service that keeps failing raises
ServiceFailed; stop_all stops newest first. (End to end with real processes:
tests/cli/test_up_heals.py.)"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from rich.console import Console

from traceledger_cli.restart_policy import CRASH_BUDGET, RestartPolicy
from traceledger_cli.supervisor import (
    RESTART_READY_TIMEOUT_S,
    ServiceFailed,
    StartupError,
    Supervisor,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeService:
    """Stands in for service_process.Service: the test decides when it exits and answers."""

    def __init__(self, name: str, journal: list[str]) -> None:
        self.name = name
        self.log_path = Path(f"/logs/{name}.log")
        self.journal = journal
        self.starts = 0
        self.exit_code: int | None = None
        self.answering = True
        self.leftovers_killed = 0

    def start(self) -> None:
        self.starts += 1
        self.exit_code = None
        self.journal.append(f"start {self.name}")

    def answers(self) -> bool:
        return self.answering

    def exited(self) -> int | None:
        return self.exit_code

    def stop(self) -> None:
        self.journal.append(f"stop {self.name}")
        if self.exit_code is None:
            self.exit_code = -15

    def kill_leftovers(self) -> None:
        self.leftovers_killed += 1


@pytest.fixture
def system():  # type: ignore[no-untyped-def]
    journal: list[str] = []
    services = [FakeService(name, journal) for name in ("node", "indexer", "api")]
    clock = FakeClock()
    output = io.StringIO()
    supervisor = Supervisor(services, console=Console(file=output, width=300),  # type: ignore[arg-type]
                            clock=clock, sleep=clock.sleep)
    supervisor.start_all(timeout_s=10)
    journal.clear()
    return supervisor, services, clock, output, journal


def _run_for(supervisor: Supervisor, clock: FakeClock, seconds: float) -> None:
    end = clock.now + seconds
    while clock.now < end:
        supervisor.check_once()
        clock.sleep(0.1)


def test_a_crashed_service_is_restarted_after_the_delay_and_said_so(system, caplog) -> None:  # type: ignore[no-untyped-def]
    supervisor, (node, indexer, api), clock, output, journal = system
    caplog.set_level(logging.INFO, logger="traceledger_cli.supervisor")
    clock.now = 100.0
    indexer.exit_code = -9
    supervisor.check_once()
    expected = "indexer exited with code -9; restarting in 1 s (attempt 2)"
    assert expected in output.getvalue()
    assert any(expected in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)
    assert indexer.leftovers_killed == 1
    _run_for(supervisor, clock, 0.9)
    assert indexer.starts == 1  # not before the delay
    _run_for(supervisor, clock, 0.2)
    assert indexer.starts == 2
    assert "indexer is up again (attempt 2)" in output.getvalue()
    assert journal == ["start indexer"]  # node and api untouched
    assert (node.starts, api.starts) == (1, 1)


def test_a_restarted_service_is_up_again_only_once_it_answers(system) -> None:  # type: ignore[no-untyped-def]
    supervisor, (_node, _indexer, api), clock, output, _journal = system
    api.exit_code = 1
    supervisor.check_once()
    api.answering = False
    _run_for(supervisor, clock, 5)
    assert api.starts == 2
    assert "api is up again" not in output.getvalue()
    api.answering = True
    supervisor.check_once()
    assert "api is up again (attempt 2)" in output.getvalue()


def test_a_restarted_service_that_never_answers_counts_as_crashed(system) -> None:  # type: ignore[no-untyped-def]
    supervisor, (_node, _indexer, api), clock, output, journal = system
    api.exit_code = 1
    supervisor.check_once()
    api.answering = False
    _run_for(supervisor, clock, 1 + RESTART_READY_TIMEOUT_S + 0.5)
    text = output.getvalue()
    assert f"api did not answer within {RESTART_READY_TIMEOUT_S:g} s of its restart" in text
    assert "api exited with code -15; restarting in 2 s (attempt 3)" in text
    assert journal[:2] == ["start api", "stop api"]


def test_a_service_that_keeps_failing_stops_the_system(system, caplog) -> None:  # type: ignore[no-untyped-def]
    supervisor, (node, indexer, api), clock, _output, journal = system
    caplog.set_level(logging.INFO, logger="traceledger_cli.supervisor")
    with pytest.raises(ServiceFailed) as failure:
        while True:
            if indexer.exit_code is None:
                indexer.exit_code = 3  # dies at once, every time
            supervisor.check_once()
            clock.sleep(0.1)
    message = str(failure.value)
    assert message == (
        f"the indexer exited with code 3 and keeps failing: {CRASH_BUDGET + 1} crashes in a "
        "row, none after answering for 60 s; stopping the system; see /logs/indexer.log"
    )
    assert indexer.starts == CRASH_BUDGET + 1
    assert 1 + 2 + 4 + 8 + 16 <= clock.now < 1 + 2 + 4 + 8 + 16 + 2  # backoff in between
    assert any(record.getMessage() == message and record.levelno == logging.ERROR
               for record in caplog.records)
    assert (node.starts, api.starts) == (1, 1)
    journal.clear()
    supervisor.stop_all()
    assert journal == ["stop api", "stop indexer", "stop node"]


def test_the_node_restarts_alone(system) -> None:  # type: ignore[no-untyped-def]
    supervisor, (node, indexer, api), clock, _output, journal = system
    node.exit_code = -9
    _run_for(supervisor, clock, 3)
    assert journal == ["start node"]
    assert (node.starts, indexer.starts, api.starts) == (2, 1, 1)


def test_a_failure_during_the_first_start_is_a_startup_error() -> None:
    journal: list[str] = []
    node, api = FakeService("node", journal), FakeService("api", journal)
    api.answering = False
    clock = FakeClock()

    def api_dies_while_starting(seconds: float) -> None:
        clock.sleep(seconds)
        api.exit_code = 2

    supervisor = Supervisor([node, api], console=Console(file=io.StringIO()),  # type: ignore[list-item]
                            clock=clock, sleep=api_dies_while_starting,
                            policy_factory=lambda: RestartPolicy(crash_budget=100))
    with pytest.raises(StartupError, match=r"the api exited with code 2; see /logs/api.log"):
        supervisor.start_all(timeout_s=10)
    assert node.starts == api.starts == 1  # never retried, whatever the budget


def test_a_service_that_never_answers_at_first_start_times_out() -> None:
    journal: list[str] = []
    api = FakeService("api", journal)
    api.answering = False
    clock = FakeClock()
    supervisor = Supervisor([api], console=Console(file=io.StringIO()),  # type: ignore[list-item]
                            clock=clock, sleep=clock.sleep)
    with pytest.raises(StartupError, match=r"the api did not answer; see /logs/api.log"):
        supervisor.start_all(timeout_s=5)
    assert 5 < clock.now < 6

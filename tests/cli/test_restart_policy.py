"""The restart policy on a fake clock: exponential backoff, capped; a budget of crashes in a
row; answering for a stable time ends the streak, starting time never counts. No processes."""

from __future__ import annotations

import pytest

from traceledger_cli.restart_policy import (
    CRASH_BUDGET,
    INITIAL_RESTART_DELAY_S,
    MAX_RESTART_DELAY_S,
    STABLE_RUN_S,
    GiveUp,
    Restart,
    RestartPolicy,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def _crash_loop(policy: RestartPolicy, clock: FakeClock, crashes: int,
                run_s: float = 0.5) -> list[Restart | GiveUp]:
    """Start, answer at once, run `run_s`, crash, wait the decided delay; `crashes` times."""
    decisions: list[Restart | GiveUp] = []
    for _ in range(crashes):
        policy.started(clock.now)
        policy.answered(clock.now)
        decision = policy.crashed(clock.advance(run_s))
        decisions.append(decision)
        if isinstance(decision, Restart):
            clock.advance(decision.delay_s)
    return decisions


def test_defaults_double_from_one_second_and_give_up_after_the_budget() -> None:
    clock = FakeClock()
    decisions = _crash_loop(RestartPolicy(), clock, CRASH_BUDGET + 1)
    assert decisions[:-1] == [
        Restart(delay_s=1.0, attempt=2), Restart(delay_s=2.0, attempt=3),
        Restart(delay_s=4.0, attempt=4), Restart(delay_s=8.0, attempt=5),
        Restart(delay_s=16.0, attempt=6),
    ]
    assert decisions[-1] == GiveUp(crashes=CRASH_BUDGET + 1, stable_run_s=STABLE_RUN_S)
    assert (INITIAL_RESTART_DELAY_S, CRASH_BUDGET) == (1.0, 5)


def test_delay_is_capped_at_the_maximum() -> None:
    clock = FakeClock()
    policy = RestartPolicy(initial_delay_s=1.0, max_delay_s=5.0, crash_budget=10)
    delays = [decision.delay_s for decision in _crash_loop(policy, clock, 8)
              if isinstance(decision, Restart)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    assert MAX_RESTART_DELAY_S >= 16.0  # the default budget's delays are never capped


def test_answering_for_the_stable_time_ends_the_streak() -> None:
    clock = FakeClock()
    policy = RestartPolicy()
    _crash_loop(policy, clock, CRASH_BUDGET)  # one crash short of giving up
    policy.started(clock.now)
    policy.answered(clock.advance(3.0))
    # It answered exactly the stable time: healthy; the next crash is a first crash again.
    assert policy.crashed(clock.advance(STABLE_RUN_S)) == Restart(delay_s=1.0, attempt=2)


def test_answering_just_short_of_the_stable_time_continues_the_streak() -> None:
    clock = FakeClock()
    policy = RestartPolicy()
    _crash_loop(policy, clock, CRASH_BUDGET)
    policy.started(clock.now)
    policy.answered(clock.advance(30.0))  # 30 s starting + 59.999 s answering
    decision = policy.crashed(clock.advance(STABLE_RUN_S - 0.001))
    assert decision == GiveUp(crashes=CRASH_BUDGET + 1, stable_run_s=STABLE_RUN_S)


def test_time_spent_starting_is_never_a_stable_run() -> None:
    clock = FakeClock()
    policy = RestartPolicy()
    _crash_loop(policy, clock, CRASH_BUDGET)
    policy.started(clock.now)  # never answers, dies after ten stable times
    decision = policy.crashed(clock.advance(STABLE_RUN_S * 10))
    assert decision == GiveUp(crashes=CRASH_BUDGET + 1, stable_run_s=STABLE_RUN_S)


def test_only_the_first_answer_of_a_start_counts() -> None:
    clock = FakeClock()
    policy = RestartPolicy()
    _crash_loop(policy, clock, CRASH_BUDGET)
    policy.started(clock.now)
    policy.answered(clock.now)
    policy.answered(clock.advance(STABLE_RUN_S - 1))  # a later probe does not restart the time
    assert policy.crashed(clock.advance(1.0)) == Restart(delay_s=1.0, attempt=2)


def test_a_service_that_crashes_rarely_is_never_given_up_on() -> None:
    clock = FakeClock()
    decisions = _crash_loop(RestartPolicy(), clock, 50, run_s=STABLE_RUN_S * 10)
    assert set(decisions) == {Restart(delay_s=1.0, attempt=2)}


def test_zero_budget_gives_up_at_the_first_crash() -> None:
    clock = FakeClock()
    assert _crash_loop(RestartPolicy(crash_budget=0), clock, 1) == [
        GiveUp(crashes=1, stable_run_s=STABLE_RUN_S)]


def test_crash_without_start_is_a_caller_bug() -> None:
    policy = RestartPolicy()
    with pytest.raises(RuntimeError):
        policy.crashed(0.0)
    policy.started(0.0)
    policy.crashed(1.0)
    with pytest.raises(RuntimeError):  # a crash is reported once per start
        policy.crashed(2.0)
    policy.answered(3.0)  # an answer without a start changes nothing
    with pytest.raises(RuntimeError):
        policy.crashed(100.0)


@pytest.mark.parametrize("arguments", [
    {"initial_delay_s": 0.0}, {"initial_delay_s": -1.0},
    {"initial_delay_s": 10.0, "max_delay_s": 5.0},
    {"crash_budget": -1}, {"stable_run_s": 0.0},
])
def test_nonsense_settings_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RestartPolicy(**arguments)  # type: ignore[arg-type]

"""The adaptive timeout of guest runs, and a hang that ends a property test without shrinking.

The policy (:class:`conformance.timeouts.TimeoutPolicy`) is a pure function of the runs it
was told about, tested here without a host. What it saves on a host that hangs on one class
of input is measured end to end in ``tests/test_hang_costs.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.adapters.base import RunOutcome
from conformance.timeouts import AFTER_HANG_FACTOR, HostHung, TimeoutPolicy

KILLED = "no exit within 120 s; the process group was killed"


def ran(seconds: float) -> RunOutcome:
    return RunOutcome("exited", exit_code=0, seconds=seconds)


def hung(seconds: float) -> RunOutcome:
    return RunOutcome("hung", message=KILLED, seconds=seconds)


def test_before_any_run_was_measured_a_run_gets_all_its_caller_allows() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    assert policy.timeout(120) == 120
    assert policy.timeout(1200) == 1200  # a soak of 10,000 rounds


def test_a_run_gets_factor_times_the_slowest_run_so_far_within_the_floor_and_the_ceiling() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    policy.settle(ran(0.4), 120)
    assert policy.timeout(120) == 10  # 4 s would be less than the floor
    policy.settle(ran(2.0), 120)
    policy.settle(ran(0.5), 120)  # a faster run changes nothing: the slowest decides
    assert policy.timeout(120) == pytest.approx(20)
    policy.settle(ran(30), 120)
    assert policy.timeout(120) == 120  # never above the ceiling


def test_a_heavy_run_gets_all_its_caller_allows_and_is_no_measure_of_the_others() -> None:
    # The Wasmtime CLI's soak of 10,000 rounds takes minutes where a scenario takes a second.
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    policy.settle(ran(0.8), 120)
    assert policy.timeout(1200) == 1200
    policy.settle(ran(225), 1200)
    assert policy.slowest == pytest.approx(0.8)
    assert policy.timeout(120) == 10


def test_a_resumable_run_adapts_by_its_weight_and_is_no_measure_of_the_others() -> None:
    # A corpus batch of 64 cases: 120 s and 2 s per further case. Cut short, it costs a rerun.
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    assert policy.timeout(246, resumable=True) == 246  # nothing measured yet
    policy.settle(ran(1.5), 120)
    assert policy.timeout(246, resumable=True) == pytest.approx(15 * 2.05)
    assert policy.timeout(246) == 246  # the same allowance, not resumable: a heavy run
    policy.settle(ran(20), 246, resumable=True)
    assert policy.slowest == pytest.approx(1.5)
    assert policy.settle(hung(30.75), 246, "test_a", resumable=True).message.endswith(
        "(timeout: 10 x the slowest run so far, 1.5 s x 2.05 for a heavier run, --wasi-nn-timeout-factor)"
    )


def test_a_run_allowed_less_than_the_ceiling_is_measured_and_timed_in_proportion() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=0)
    policy.settle(ran(1.5), 60)
    assert policy.slowest == pytest.approx(3.0)
    assert policy.timeout(120) == pytest.approx(30)
    assert policy.timeout(60) == pytest.approx(15)


def test_a_run_that_hung_is_no_measure_of_the_host() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    outcome = policy.settle(hung(120), 120)
    assert policy.slowest is None
    assert outcome.message == KILLED  # it had the whole timeout: nothing adaptive to explain


def test_a_run_cut_short_says_which_timeout_cut_it_and_how_to_change_it() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    policy.settle(ran(2.0), 120)
    outcome = policy.settle(hung(20), 120, "test_a")
    assert outcome.kind == "hung"
    assert outcome.message == f"{KILLED} (timeout: 10 x the slowest run so far, 2 s, --wasi-nn-timeout-factor)"
    floor_policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    floor_policy.settle(ran(0.3), 120)
    assert floor_policy.settle(hung(10), 120, "test_a").message.endswith(
        "(timeout: the floor, --wasi-nn-timeout-floor)"
    )


def test_after_a_hang_the_later_runs_of_that_test_get_less_time_and_other_tests_do_not() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=1)
    policy.settle(ran(2.0), 120, "test_a")
    assert policy.timeout(120, "test_a") == pytest.approx(20)
    policy.settle(hung(20), 120, "test_a")
    assert policy.timeout(120, "test_a") == pytest.approx(AFTER_HANG_FACTOR * 2.0)
    assert policy.timeout(120, "test_b") == pytest.approx(20)
    again = policy.settle(hung(6), 120, "test_a")
    assert again.message.endswith("; a run hung earlier in this test)")
    policy.settle(ran(4.0), 120, "test_b")
    assert policy.timeout(120, "test_a") == pytest.approx(AFTER_HANG_FACTOR * 4.0)


def test_after_a_hang_the_floor_still_holds() -> None:
    policy = TimeoutPolicy(ceiling=120, factor=10, floor=10)
    policy.settle(ran(2.0), 120, "test_a")
    policy.settle(hung(20), 120, "test_a")
    assert policy.timeout(120, "test_a") == 10


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"ceiling": 0}, "the timeout must be positive, got 0"),
        ({"factor": 0.5}, "the timeout factor must be at least 1, got 0.5"),
        ({"floor": -1}, "the timeout floor must not be negative, got -1"),
    ],
)
def test_timeouts_that_make_no_sense_are_refused(options: dict[str, float], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        TimeoutPolicy(**options)


def test_hypothesis_neither_shrinks_nor_replays_an_example_that_hung() -> None:
    """The first example that hangs ends the test: no smaller example is tried, each would hang too."""
    tried: list[int] = []

    @settings(max_examples=100, database=None, derandomize=True)
    @given(st.integers(0, 1000))
    def hangs_above_ten(value: int) -> None:
        tried.append(value)
        if value > 10:
            raise HostHung(f"{value} hung")

    with pytest.raises(HostHung):
        hangs_above_ten()
    assert [value for value in tried if value > 10] == [tried[-1]]


def test_hypothesis_shrinks_an_assertion_error_by_running_more_examples_that_fail() -> None:
    """What HostHung saves: each of these further failing examples would have waited out a timeout."""
    tried: list[int] = []

    @settings(max_examples=100, database=None, derandomize=True)
    @given(st.integers(0, 1000))
    def fails_above_ten(value: int) -> None:
        tried.append(value)
        assert value <= 10

    with pytest.raises(AssertionError):
        fails_above_ten()
    assert len([value for value in tried if value > 10]) > 3

"""A host that hangs on one class of input costs the run a timeout per hang, not a timeout per example.

The host is ``tests/mutants/hang_compute_on_empty_input.py``: the reference host, except that
compute never returns when an input has a zero-size dimension. A slice of the suite that
reaches such a compute (the clause test of set_input.empty, the property test over fixture
inputs, whose batch dimension may be 0, and a corpus case with an empty input) runs against
it and against the same host without the hang, both at once, under the ``command-host``
profile. The hang is reported at the safety level with its reproducer; each test that
reached it waited out one timeout, the adaptive one, and Hypothesis shrank none of them.
What that saves in time is measured, not asserted (machines here are noisy): the README's
"A hang costs seconds" gives both runs' times and the command that measures them.
"""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any

import pytest

from tests.hosts.runs import PROJECT, SuiteRun, run_suite, start

RUN_MUTANT = PROJECT / "tests" / "mutants" / "run_mutant.py"

PROPERTY = "test_outputs_equal_native_onnxruntime_for_any_values_and_buffer_slack"
EMPTY_CASE = "test_castlike_DOUBLE_to_FLOAT"
"""A corpus case of the sample with an input of a zero-size dimension."""

SLICE = (
    "--hypothesis-profile=command-host",
    "-k",
    f"test_clause[set_input.empty] or test_clause[compute.valid] or {PROPERTY} "
    f"or test_corpus_case[test_abs] or test_corpus_case[{EMPTY_CASE}]",
)


def _host(factory: str) -> tuple[str, ...]:
    command = shlex.join([sys.executable, str(RUN_MUTANT), factory])
    return ("--wasi-nn-host", "mutant-hang", "--wasi-nn-host-command", f"{command} {{graphs}} {{wasm}}")


HANGING = (*_host("hang_compute_on_empty_input"), *SLICE)
WITHOUT_THE_HANG = (*_host("hang_compute_on_empty_input:without_the_hang"), *SLICE)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, SuiteRun]:
    """The slice against the hanging host and against the same host without the hang, run at the same time."""
    start(tmp_path_factory, *HANGING)
    start(tmp_path_factory, *WITHOUT_THE_HANG)
    return run_suite(tmp_path_factory, *HANGING), run_suite(tmp_path_factory, *WITHOUT_THE_HANG)


def _report(run: SuiteRun) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((run.report / "report.json").read_text())
    return report


def _test(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(test for test in report["tests"] if test["id"].endswith(name))
    return found


def test_the_host_without_the_hang_passes_the_slice(runs: tuple[SuiteRun, SuiteRun]) -> None:
    _, control = runs
    assert control.returncode == 0, control.output[-3000:]
    assert {test["outcome"] for test in _report(control)["tests"]} == {"passed"}


def test_the_hang_is_reported_at_the_safety_level_with_a_reproducer(runs: tuple[SuiteRun, SuiteRun]) -> None:
    hanging, _ = runs
    assert hanging.returncode == 1, hanging.output[-3000:]
    report = _report(hanging)
    clause = next(clause for clause in report["clauses"] if clause["id"] == "compute.valid")
    assert clause["verdicts"]["safety"] == "failed"
    failure = clause["failures"][0]
    assert failure["outcome_kind"] == "hung"
    assert "the host hung: no exit within" in failure["reasons"][0]
    assert failure["reproducer"].startswith("wasi-nn-conformance replay ")
    assert (hanging.report / "repro" / failure["case"] / "case.json").is_file()
    for name in ("test_clause[set_input.empty]", PROPERTY):
        test = _test(report, name)
        assert test["outcome"] == "failed"
        assert "HostHung" in test["reason"]
        assert "compute.valid" in test["reason"]
        assert "safety: the host hung" in test["reason"]
    case = next(case for case in report["corpus"]["cases"] if case["id"] == EMPTY_CASE)
    assert (case["outcome"], case["call"]) == ("hung", "compute")


def test_each_test_that_reached_the_hang_waited_out_one_timeout(runs: tuple[SuiteRun, SuiteRun]) -> None:
    hanging, _ = runs
    report = _report(hanging)
    clause = next(clause for clause in report["clauses"] if clause["id"] == "compute.valid")
    # One hung run per test: Hypothesis neither shrank the property's example nor replayed it.
    assert clause["observations"]["safety"]["failed"] == 2
    # The first run of the session had the whole timeout; the hangs, later, had the adaptive one.
    assert "(timeout: " in clause["failures"][0]["reasons"][0]

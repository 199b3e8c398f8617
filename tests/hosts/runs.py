"""Run the conformance suite in child processes, once per distinct set of options per session.

Several test modules look at the same run (its reports, its reproducers), so a run is cached
by its options; the report folder lives in pytest's temporary folder. Runs are mostly Python
start-up, so a module starts all the runs it needs at once (:func:`start`) and they overlap.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.paths import PROJECT_ROOT

#: The project folder: the child runs there so that ``tests.hosts.*`` hosts import, as they
#: would for a user running ``python -m pytest`` in a host's repository.
PROJECT = PROJECT_ROOT

CRASHING_HOST = "sh -c 'kill -ABRT $$' {wasm} {graphs}"
"""A host command that dies of SIGABRT whatever it is asked."""

DEPARTING = ("--wasi-nn-host", "tests.hosts.errno_host:departing", "-k", "test_clause")
"""Every clause test on the host with one departure, without expectations."""

CRASHING = ("--wasi-nn-host-command", CRASHING_HOST, "-k", "test_clause")
"""Every clause test on the host that always crashes."""


@dataclass(frozen=True)
class SuiteRun:
    """A finished run of the conformance suite."""

    report: Path
    returncode: int
    output: str
    seconds: float


_RUNS: dict[tuple[str, ...], SuiteRun] = {}
_STARTED: dict[tuple[str, ...], tuple[Path, subprocess.Popen[str], float]] = {}


def suite_command(report: Path, *options: str) -> list[str]:
    """The command line of a conformance run writing its reports to ``report``."""
    return [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance.tests",
        "-q",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=dev",
        f"--wasi-nn-report={report}",
        *options,
    ]


def start(factory: pytest.TempPathFactory, *options: str) -> None:
    """Start a run with ``options`` in the background, unless it ran or runs already."""
    if options in _RUNS or options in _STARTED:
        return
    report = factory.mktemp("suite-run") / "report"
    process = subprocess.Popen(
        suite_command(report, *options), cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    _STARTED[options] = (report, process, time.perf_counter())


def run_suite(factory: pytest.TempPathFactory, *options: str) -> SuiteRun:
    """The run with ``options`` (started if need be), once it has finished."""
    if options not in _RUNS:
        start(factory, *options)
        report, process, started = _STARTED.pop(options)
        output, _ = process.communicate(timeout=300)
        _RUNS[options] = SuiteRun(report, process.returncode, output, time.perf_counter() - started)
    return _RUNS[options]

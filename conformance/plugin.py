"""The pytest plugin of the suite: host options, fixtures, the ledger, the closing summary.

Registered as the ``pytest11`` entry point ``wasi_nn_conformance``, so installing the package
is enough: ``pytest --pyargs conformance.tests --wasi-nn-host ...`` from any folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance.adapters.base import HostAdapter
from conformance.catalog import Level, load_catalog
from conformance.model import NotAskable, Scenario
from conformance.results import Ledger, Observation, Reproducer
from conformance.revisions import revision as find_revision
from conformance.scenario import ScenarioRun, describe, run_scenario
from conformance.special import SpecialRun

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SLOW)
settings.register_profile("conformance", max_examples=600, deadline=None, suppress_health_check=_SLOW)
settings.register_profile(
    "ci",
    max_examples=600,
    deadline=None,
    suppress_health_check=_SLOW,
    derandomize=True,
    print_blob=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink, Phase.explain],
)
settings.register_profile("thorough", max_examples=5000, deadline=None, suppress_health_check=_SLOW)

_LEDGER = pytest.StashKey[Ledger]()
_HOST = pytest.StashKey[HostAdapter]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """The suite's options."""
    group = parser.getgroup("wasi-nn", "WASI-NN conformance")
    group.addoption(
        "--wasi-nn-host",
        default="reference",
        help="host under test: reference (default), reference-subprocess, wasmtime-cli, or module:factory",
    )
    group.addoption(
        "--wasi-nn-host-command",
        default=None,
        metavar="TEMPLATE",
        help="run guests through this command line instead; {wasm} is the guest, {graphs} the preloaded models",
    )
    group.addoption("--wasi-nn-revision", default="current", help="WITX revision: current (2023-08) or 2022-10")
    group.addoption("--wasi-nn-report", default=None, metavar="DIR", help="where reports go (default reports/HOST/)")


class Suite:
    """What the conformance tests use: the host, its bindings, and a way to run and record."""

    def __init__(self, host: HostAdapter, bindings: ModuleType, ledger: Ledger, report_dir: Path) -> None:
        self.host = host
        self.bindings = bindings
        self.ledger = ledger
        self.report_dir = report_dir

    @property
    def capabilities(self) -> Any:
        """The host's capabilities."""
        return self.host.capabilities

    def run(self, scenario: Scenario) -> ScenarioRun:
        """Run ``scenario``, record every judgement, and fail the test if any clause failed.

        Raises :class:`~conformance.model.NotAskable` when the host cannot be asked it.
        """
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        run = run_scenario(scenario, self.bindings, self.host)
        self.ledger.examples += 1
        reproducer = Reproducer(run.wasm, run.script, dict(scenario.graphs), run.steps)
        transcript = run.transcript_lines()
        for call in run.calls:
            for judgement in call.judgements:
                self.ledger.record(Observation(test, judgement, transcript, reproducer, call.position))
        failures = [
            f"  {judgement.clause.id} at #{call.position} {describe(call.operation)}: "
            + "; ".join(judgement.failures())
            for call in run.calls
            for judgement in call.judgements
            if not judgement.passed
        ]
        if failures:
            raise AssertionError(
                "clauses failed:\n"
                + "\n".join(failures)
                + "\ntranscript:\n"
                + "\n".join(f"  {line}" for line in transcript)
            )
        return run

    def record_special(self, special: SpecialRun) -> None:
        """Record a special guest's judgement and fail the test if it failed."""
        test = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]
        self.ledger.examples += 1
        reproducer = Reproducer(special.wasm, b"", {}, (special.description,))
        self.ledger.record(Observation(test, special.judgement, [special.description], reproducer))
        if not special.judgement.passed:
            raise AssertionError(f"{special.judgement.clause.id}: " + "; ".join(special.judgement.failures()))

    def skip(self, clause_id: str, reason: NotAskable | str) -> None:
        """Skip the current test because the host cannot be asked ``clause_id``."""
        self.ledger.skip(clause_id, str(reason))
        pytest.skip(f"{clause_id}: {reason}")


def _ledger(config: pytest.Config) -> Ledger | None:
    return config.stash.get(_LEDGER, None)


@pytest.fixture(scope="session")
def wasi_nn_suite(request: pytest.FixtureRequest) -> Suite:
    """The host under test with its ledger, shared by every conformance test of the session."""
    from conformance.adapters.select import select_host

    config = request.config
    revision = find_revision(config.getoption("--wasi-nn-revision"))
    host = select_host(config.getoption("--wasi-nn-host"), config.getoption("--wasi-nn-host-command"), revision.name)
    ledger = Ledger(host.name, revision.name, load_catalog(revision.name))
    config.stash[_LEDGER] = ledger
    config.stash[_HOST] = host
    report = config.getoption("--wasi-nn-report") or os.path.join("reports", host.name)
    return Suite(host, revision.bindings, ledger, Path(report))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the clause summary per level."""
    ledger = _ledger(config)
    if ledger is None:
        return
    terminalreporter.section("wasi-nn conformance")
    for line in ledger.summary_lines():
        terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports of the run, complete or not."""
    ledger = _ledger(session.config)
    if ledger is None:
        return
    import time

    from conformance.report import write_reports

    ledger.finished = time.time()
    ledger.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    host = session.config.stash[_HOST]
    report = session.config.getoption("--wasi-nn-report") or os.path.join("reports", host.name)
    written = write_reports(ledger, host, Path(report))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"wasi-nn conformance reports: {', '.join(str(path) for path in written)}")


__all__ = ["Level", "Suite"]

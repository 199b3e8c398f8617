"""The pytest plugin of the suite: fixtures, the ledger, the closing summary.

Loaded by the ``pytest11`` entry point (:mod:`conformance.pytest_entry`, which holds the
options) when a session runs the suite, so installing the package is enough:
``pytest --pyargs conformance.tests --wasi-nn-host ...`` from any folder.

A host that cannot be made (its adapter fails: a missing Wasmtime, a Python host that does
not import) or whose program cannot be started (``--wasi-nn-host-command 'no-such-binary
{wasm}'``) cannot be asked anything: its tests are *not run*, never skipped, and the run
fails. A clause test left out with ``-k`` or ``-m`` is *not selected*, which does not.
"""

from __future__ import annotations

import base64
import os
import pickle
import re
import sys
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from conformance.adapters.base import SCENARIO_TIMEOUT, Capabilities, HostAdapter, RunOutcome
from conformance.catalog import Facts, Level, at_levels, judge, load_catalog
from conformance.errors import ConformanceError, UsageError
from conformance.results import (
    HypothesisInfo,
    Ledger,
    Observation,
    Reproducer,
    failure_severity,
    marker_descriptions,
    operation_tags,
    stable_test_id,
    tag_markers,
)
from conformance.revisions import Bindings
from conformance.revisions import revision as find_revision
from conformance.scenario import ScenarioRun, describe, run_scenario
from conformance.spec import NotAskable, Scenario
from conformance.special import SpecialRun
from conformance.timeouts import HostHung, TimeoutPolicy

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SLOW)
settings.register_profile("conformance", max_examples=600, deadline=None, suppress_health_check=_SLOW)
# What HypoFuzz saved, run again and nothing else (nox -s fuzz -- --hypofuzz).
settings.register_profile(
    "replay",
    deadline=None,
    suppress_health_check=_SLOW,
    phases=[Phase.explicit, Phase.reuse, Phase.shrink, Phase.explain],
)
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
# Hosts run through a command line start a process per scenario: fewer examples, still derandomized.
settings.register_profile(
    "command-host",
    max_examples=60,
    deadline=None,
    suppress_health_check=_SLOW,
    derandomize=True,
    print_blob=True,
    database=None,
)

_LEDGER = pytest.StashKey[Ledger]()
FUZZ_SUMMARY = pytest.StashKey[list[str]]()
"""Lines a fuzz campaign leaves for the end of the session's summary."""
_HOST = pytest.StashKey[HostAdapter]()
_RESTORE_SIGTERM = pytest.StashKey[Callable[[], None]]()
_CLAUSE_TESTS = pytest.StashKey[dict[str, str]]()
_CORPUS_TESTS = pytest.StashKey[dict[str, str]]()
_WORKER_LEDGER = "wasi_nn_conformance_ledger"


class HostUnavailable(ConformanceError):
    """The host could not be made, or its program could not be started: nothing could be asked of it.

    A test that ends in it is *not run* (:meth:`~conformance.results.Ledger.not_run`), which
    fails the run; it is no verdict about the host's conformance.
    """


def _current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]


class _AskedHost:
    """The host under test as the tests drive it: a program that cannot be started is noted, not judged.

    A command host raises :class:`OSError` when its program cannot be started at all; that
    says nothing of how the host behaves, so the test is noted in the ledger as one that
    could not ask the host, and ends in :class:`HostUnavailable`. Every run's timeout comes
    from ``timeouts``, which learns from every run (:class:`~conformance.timeouts.TimeoutPolicy`).
    """

    def __init__(self, host: HostAdapter, ledger: Ledger, timeouts: TimeoutPolicy | None = None) -> None:
        self.host = host
        self.ledger = ledger
        self.name = host.name
        self.capabilities = host.capabilities
        self.timeouts = timeouts if timeouts is not None else TimeoutPolicy()

    def version(self) -> str:
        """The host's version."""
        return self.host.version()

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Run a guest on the host, for ``timeout`` seconds at most; :class:`HostUnavailable` if it cannot start."""
        return self._run(wasm, stdin, graphs, timeout, resumable=False)

    def run_resumable(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Run a batch of corpus cases, which the adaptive timeout may cut short whatever its allowance."""
        return self._run(wasm, stdin, graphs, timeout, resumable=True)

    def _run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float, resumable: bool) -> RunOutcome:
        self.refuse_if_unavailable()
        test = _current_test()
        try:
            outcome = self.host.run(wasm, stdin, graphs, self.timeouts.timeout(timeout, test, resumable))
            return self.timeouts.settle(outcome, timeout, test, resumable)
        except OSError as error:
            reason = f"the host could not be started: {error}"
            self.ledger.could_not_ask(test, reason)
            raise HostUnavailable(reason) from error

    def refuse_if_unavailable(self) -> None:
        """Raise :class:`HostUnavailable` for the current test when the host could not be started before.

        The host is not tried again: a program that is missing stays missing, and Hypothesis
        would otherwise build and shrink hundreds of scenarios for a host that runs none.
        """
        if self.ledger.unasked_tests:
            reason = next(iter(self.ledger.unasked_tests.values()))
            self.ledger.could_not_ask(_current_test(), reason)
            raise HostUnavailable(reason)


class _UnmadeHost:
    """What the reports say of a host that could not be made: its name, and no capabilities it was asked about."""

    def __init__(self, name: str, revision: str) -> None:
        self.name = name
        self.capabilities = Capabilities(revision=revision)

    def version(self) -> str:
        """No version: the host could not be made."""
        return "unknown (the host could not be made)"

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        """Never runs anything."""
        raise HostUnavailable(f"the host {self.name!r} could not be made")


class Suite:
    """What the conformance tests use: the host, its bindings, and a way to run and record."""

    def __init__(
        self,
        host: HostAdapter,
        bindings: Bindings,
        ledger: Ledger,
        timeout: float = SCENARIO_TIMEOUT,
    ) -> None:
        self.host = host
        self.bindings = bindings
        self.ledger = ledger
        self.timeout = timeout

    @property
    def capabilities(self) -> Capabilities:
        """The host's capabilities."""
        return self.host.capabilities

    def run(self, scenario: Scenario, decides: str | None = None) -> ScenarioRun:
        """Run ``scenario``, record every judgement, and fail the test if any clause failed.

        ``decides`` is the clause the scenario is the example of: when the host stops (crashes,
        traps, hangs) before any call decides it, it fails with how the host stopped.
        Raises :class:`~conformance.spec.NotAskable` when the host cannot be asked it, and
        :class:`HostUnavailable` when the host cannot be started at all. The failure of a run
        that hung is a :class:`~conformance.timeouts.HostHung`, which Hypothesis does not shrink.
        """
        if isinstance(self.host, _AskedHost):
            self.host.refuse_if_unavailable()
        run = run_scenario(scenario, self.bindings, self.host, self.timeout)
        self.record(run, decides)
        return run

    def record(self, run: ScenarioRun, decides: str | None = None, levels: Sequence[Level] | None = None) -> None:
        """Record every judgement of ``run`` (at ``levels`` only, if given) and fail the test if a clause failed.

        ``decides`` is as for :meth:`run`.
        """
        test = _current_test()
        scenario = run.scenario
        self.ledger.examples += 1
        judged_at = None if levels is None else tuple(level.name.lower() for level in levels)
        reproducer = Reproducer(
            run.wasm, run.script, dict(scenario.graphs), run.steps, scenario=scenario, levels=judged_at
        )
        transcript = run.transcript_lines()
        failures: list[tuple[tuple[int, int], str]] = []
        for call in run.calls:
            tags = operation_tags(call.operation, call.prediction, self.bindings, self.capabilities)
            for judged in call.judgements:
                judgement = judged if levels is None else at_levels(judged, levels)
                # Failures the expectations list are recorded but do not stop the test, so
                # Hypothesis keeps looking for others; the test is reported as xfail.
                if self.ledger.record(Observation(test, judgement, transcript, reproducer, call.position, tags)):
                    failures.append(
                        (
                            failure_severity(judgement),
                            f"  {judgement.clause.id} at #{call.position} {describe(call.operation)}: "
                            + "; ".join(judgement.failures()),
                        )
                    )
        stopped = next((call.outcome for call in run.calls if call.outcome.kind != "returned"), None)
        if decides is not None and stopped is not None and not any(j.clause.id == decides for j in run.judgements):
            unreached = judge(self.ledger.catalog[decides], stopped, Facts())
            if self.ledger.record(Observation(test, unreached, transcript, reproducer)):
                failures.append(
                    (
                        failure_severity(unreached),
                        f"  {decides}: the host stopped before the call it decides: {stopped}",
                    )
                )
        if failures:
            # The worst failure first: it is the one pytest's summary line shows.
            failures.sort(key=lambda failure: failure[0])
            # A run that hung is not for Hypothesis to shrink: each smaller example would hang too.
            raise (HostHung if run.run.kind == "hung" else AssertionError)(
                "clauses failed:\n"
                + "\n".join(text for _, text in failures)
                + "\ntranscript:\n"
                + "\n".join(f"  {line}" for line in transcript)
            )

    def run_corpus_case(self, case_id: str) -> None:
        """Run corpus case ``case_id`` (in a batch with the cases after it), record it, and fail the test if it failed.

        A case native onnxruntime cannot judge is skipped with why; one the expectations list
        is an expected failure.
        """
        from conformance.corpus.runner import CorpusRunner, NotServed

        corpus = self.ledger.corpus
        assert corpus is not None, "corpus cases run only when the run selected some"
        if isinstance(self.host, _AskedHost):
            self.host.refuse_if_unavailable()
        if corpus.not_served:
            pytest.skip(f"corpus: {corpus.not_served}")
        if corpus.runner is None:
            order = [corpus.corpus.cases[selected] for selected in corpus.selected]
            try:
                run_batch = self.host.run_resumable if isinstance(self.host, _AskedHost) else None
                corpus.runner = CorpusRunner(self.host, self.bindings, order, self.timeout, run_batch=run_batch)
            except NotServed as reason:
                corpus.not_served = str(reason)
                pytest.skip(f"corpus: {reason}")
        case = corpus.corpus.cases[case_id]
        recorded = corpus.record(case, corpus.runner.result(case_id))
        result = recorded.result
        if recorded.verdict == "oracle_unavailable":
            pytest.skip(f"oracle unavailable: {result.detail}")
        if recorded.verdict == "expected_failure":
            assert recorded.departure is not None
            self.ledger.test(_current_test()).departures.append(recorded.departure)
            return
        transcript = "\ntranscript:\n" + "\n".join(f"  {line}" for line in result.transcript)
        if recorded.verdict == "unexpected_pass":
            raise AssertionError(
                f"{case_id} passed, yet {corpus.expectations.source} lists it as a departure" + transcript
            )
        if recorded.verdict == "failed":
            where = f" in {result.call}" if result.call else ""
            raise AssertionError(
                f"{case_id} ({', '.join(case.operators)}): {result.outcome}{where}: {result.detail}" + transcript
            )

    def record_special(self, special: SpecialRun) -> None:
        """Record a special guest's judgement and fail the test if it failed."""
        test = _current_test()
        self.ledger.examples += 1
        clause_id = special.judgement.clause.id
        reproducer = Reproducer(special.wasm, b"", {}, (special.description,), special=clause_id)
        if self.ledger.record(Observation(test, special.judgement, [special.description], reproducer)):
            raise AssertionError(f"{special.judgement.clause.id}: " + "; ".join(special.judgement.failures()))

    def departed_here(self) -> list[str]:
        """The listed departures the current test has shown so far (``clause at level``)."""
        from conformance.expectations import Departure

        departures = self.ledger.test(_current_test()).departures
        return [entry.key for entry in departures if isinstance(entry, Departure)]

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
    from conformance.expectations import find_expectations
    from conformance.reports import sigterm_as_interrupt

    config = request.config
    revision = find_revision(config.getoption("--wasi-nn-revision"))
    host_option, host_command = config.getoption("--wasi-nn-host"), config.getoption("--wasi-nn-host-command")
    host_error = None
    host: HostAdapter
    try:
        host = select_host(host_option, host_command, revision.name)
    except Exception as error:  # whatever stops the adapter from being made: no test can ask the host
        host_error = f"the host could not be made: {error}"
        host = _UnmadeHost(_unmade_host_name(host_option, host_command), revision.name)
    try:
        expectations = find_expectations(
            config.getoption("--wasi-nn-expectations"), host.name, config.getoption("--update-expectations")
        )
        if expectations.ranged:
            expectations = expectations.for_host_version(host.version())
    except UsageError as error:
        pytest.exit(f"wasi-nn conformance: {error}", returncode=pytest.ExitCode.USAGE_ERROR)
    ledger = Ledger(
        host.name,
        revision.name,
        load_catalog(revision.name),
        expectations=expectations,
        host_option=host_option,
        host_command=host_command,
        hypothesis_profile=config.getoption("--hypothesis-profile", None),
        clause_tests=config.stash.get(_CLAUSE_TESTS, None),
        host_error=host_error,
    )
    corpus_tests = config.stash.get(_CORPUS_TESTS, {})
    if corpus_tests:
        from conformance.corpus.cases import corpus_index, load_corpus
        from conformance.corpus.ledger import CorpusLedger

        corpus = load_corpus(revision.name)
        selection = config.getoption("--wasi-nn-corpus")
        index = corpus_index(revision.name)
        everything = index.operators if selection == "all" else index.sample
        ledger.corpus = CorpusLedger(
            corpus, selection if len(corpus_tests) == len(everything) else "some", corpus_tests, expectations
        )
    config.stash[_LEDGER] = ledger
    config.stash[_HOST] = host
    config.stash[_RESTORE_SIGTERM] = sigterm_as_interrupt()
    if host_error is not None:
        # pytest keeps a session fixture's error: every test that asks for the host fails its
        # set-up with it, and the ledger records each as not run.
        raise HostUnavailable(host_error)
    timeouts = _timeout_policy(config)
    return Suite(_AskedHost(host, ledger, timeouts), revision.bindings, ledger, timeouts.ceiling)


def _timeout_policy(config: pytest.Config) -> TimeoutPolicy:
    """The timeouts of ``--wasi-nn-timeout`` (the ceiling), ``--wasi-nn-timeout-factor`` and ``-floor``."""
    return TimeoutPolicy(
        config.getoption("--wasi-nn-timeout"),
        config.getoption("--wasi-nn-timeout-factor"),
        config.getoption("--wasi-nn-timeout-floor"),
    )


def _unmade_host_name(host_option: str, host_command: str | None) -> str:
    """The name reports give a host that could not be made, as its adapter would have named it."""
    if host_command and host_option == "reference":
        words = host_command.split()
        return words[0].rsplit("/", 1)[-1] if words else "command"
    return host_option


def _report_dir(config: pytest.Config, host: HostAdapter) -> Path:
    """``--wasi-nn-report``, else ``reports/HOST``; a run of the whole corpus goes to ``reports/corpus-HOST``."""
    from conformance.reports import default_report_dir

    default = default_report_dir(host.name)
    if config.getoption("--wasi-nn-fuzz"):
        default = default.with_name(f"fuzz-{default.name}")
    elif config.getoption("--wasi-nn-corpus") == "all":
        default = default.with_name(f"corpus-{default.name}")
    return Path(config.getoption("--wasi-nn-report") or default)


def report_folder(config: pytest.Config) -> Path:
    """The folder this session's reports go to."""
    return _report_dir(config, config.stash[_HOST])


def pytest_configure(config: pytest.Config) -> None:
    """Check the host options, choose the hypothesis profile, and register the tag markers.

    A bad host option is a usage error, said in one line. Without ``--hypothesis-profile`` the
    profile follows the host: ``command-host`` for hosts that start a process per guest run,
    else ``ci`` under CI (the ``CI`` environment variable) and ``conformance`` elsewhere. The
    markers are the clause tests' tags (``-m call_load``, ``-m level_errno``, ...).
    """
    from conformance.adapters.select import check_host_options
    from conformance.revisions import REVISIONS

    host, command = config.getoption("--wasi-nn-host"), config.getoption("--wasi-nn-host-command")
    wasmtime_version = config.getoption("--wasmtime-version")
    if wasmtime_version:
        from conformance.adapters.wasmtime_cli import WASMTIME_VERSION_VARIABLE

        # Read where the Wasmtime CLI is found, in this process and in any it starts (xdist workers).
        os.environ[WASMTIME_VERSION_VARIABLE] = wasmtime_version
    if ":" in host and not command and os.getcwd() not in sys.path:
        # A module:factory host imports as it would under `python -m pytest`: from the current folder too.
        sys.path.insert(0, os.getcwd())
    try:
        command_host = check_host_options(host, command, config.getoption("--wasi-nn-revision"))
        _timeout_policy(config)  # a bad timeout option is a usage error too, before anything runs
    except UsageError as error:
        raise pytest.UsageError(f"wasi-nn conformance: {error}") from None
    if config.getoption("dist", "no") == "load":
        # pytest-xdist: corpus cases are grouped a batch to a worker; other tests go as they would.
        config.option.dist = "loadgroup"
    if not config.getoption("--hypothesis-profile", None):
        settings.load_profile("command-host" if command_host else "ci" if os.environ.get("CI") else "conformance")

    catalogs = [load_catalog(name) for name in REVISIONS]
    errnos = [case.name.lower() for name in REVISIONS for case in REVISIONS[name].bindings.NnErrno]
    for line in marker_descriptions(catalogs, errnos):
        config.addinivalue_line("markers", line)


def _parameter(item: pytest.Item, name: str) -> str | None:
    callspec = getattr(item, "callspec", None)
    value = callspec.params.get(name) if callspec is not None else None
    return value if isinstance(value, str) else None


def _clause_of(item: pytest.Item) -> str | None:
    """The clause a test is the example of (``test_clause[CLAUSE]``), if it is one."""
    return _parameter(item, "clause_id")


def _corpus_case_of(item: pytest.Item) -> str | None:
    """The corpus case a test runs (``test_corpus_case[CASE]``), if it is one."""
    return _parameter(item, "corpus_case")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One corpus test per case of the selection (``--wasi-nn-corpus``), in id order."""
    if "corpus_case" not in metafunc.fixturenames:
        return
    from conformance.corpus.cases import corpus_index

    selection = metafunc.config.getoption("--wasi-nn-corpus")
    if selection == "none":
        # A placeholder that collection then leaves out, as -k would.
        metafunc.parametrize("corpus_case", [None])
        return
    index = corpus_index(find_revision(metafunc.config.getoption("--wasi-nn-revision")).name)
    cases = list(index.operators) if selection == "all" else list(index.sample)
    metafunc.parametrize("corpus_case", cases, ids=cases)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each clause test with its clause's tags; a corpus test matches ``-k`` by its operators too.

    With ``--wasi-nn-corpus none`` the corpus test is deselected, and without ``--wasi-nn-fuzz``
    or ``--wasi-nn-soak`` the fuzz campaign or the soak. Under pytest-xdist, corpus
    cases go to workers a batch at a time (``xdist_group``), so each worker's guest runs hold
    only cases that worker was given.
    """
    revision_name = find_revision(config.getoption("--wasi-nn-revision")).name
    catalog = load_catalog(revision_name)
    placeholders = [
        item for item in items if "corpus_case" in getattr(item, "fixturenames", ()) and not _corpus_case_of(item)
    ]
    # A campaign and the soak run only when asked for (nox -s fuzz); they are no part of a conformance run.
    asked = {"test_fuzz_campaign": config.getoption("--wasi-nn-fuzz"), "test_soak": config.getoption("--wasi-nn-soak")}
    placeholders += [item for item in items if item.name in asked and not asked[item.name]]
    if placeholders:
        config.hook.pytest_deselected(items=placeholders)
        items[:] = [item for item in items if item not in placeholders]
    corpus_position = -1
    for item in items:
        clause_id = _clause_of(item)
        if clause_id is not None and clause_id in catalog.clauses:
            for marker in tag_markers(catalog[clause_id]):
                item.add_marker(getattr(pytest.mark, marker))
        case_id = _corpus_case_of(item)
        if case_id is not None:
            from conformance.corpus.cases import corpus_index
            from conformance.corpus.runner import BATCH_SIZE

            item.extra_keyword_matches.update(corpus_index(revision_name).operators[case_id])
            if _worker(config):
                corpus_position += 1
                item.add_marker(pytest.mark.xdist_group(f"wasi-nn-corpus-{corpus_position // BATCH_SIZE}"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Note the clause and corpus tests left after ``-k`` and ``-m``: those left out are not selected, not "not run"."""
    session.config.stash[_CLAUSE_TESTS] = {
        clause_id: stable_test_id(item.nodeid) for item in session.items if (clause_id := _clause_of(item)) is not None
    }
    session.config.stash[_CORPUS_TESTS] = {
        case_id: stable_test_id(item.nodeid) for item in session.items if (case_id := _corpus_case_of(item)) is not None
    }


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which host, revision, levels, expectations and report folder the run is about."""
    tests = Path(__file__).parent / "tests"
    # Only for runs of the conformance tests, not for every pytest session of the environment.
    if not any(arg.startswith("conformance") or tests in Path(arg).resolve().parents for arg in config.args):
        return []
    revision = find_revision(config.getoption("--wasi-nn-revision"))
    command = config.getoption("--wasi-nn-host-command")
    host = f"command {command!r}" if command else config.getoption("--wasi-nn-host")
    clauses = load_catalog(revision.name).clauses.values()
    counts = ", ".join(f"{level.name.lower()} {sum(level in c.levels for c in clauses)}" for level in Level)
    expectations = config.getoption("--wasi-nn-expectations") or "expectations/HOST.toml if present"
    report = config.getoption("--wasi-nn-report") or (
        "reports/corpus-HOST/" if config.getoption("--wasi-nn-corpus") == "all" else "reports/HOST/"
    )
    return [
        f"wasi-nn conformance: host {host}, revision {revision.name}, {len(clauses)} clauses judged at {counts}",
        f"wasi-nn expectations: {expectations}; reports: {report}",
    ]


# -- how each test ended: expected failures, tests not run ---------------------------------


def hypothesis_info(item: pytest.Item, report: pytest.TestReport) -> HypothesisInfo | None:
    """The seed and failure blob of a Hypothesis test that just ran, where there are some."""
    function = getattr(item, "obj", None)
    # Hypothesis reports through its pytest plugin, and adds to the failure's own text (notes).
    text = str(getattr(item, "hypothesis_report_information", ""))
    if report.failed:
        text += "\n" + report.longreprtext
    printed = re.search(r"@seed\((\d+)\)", text)
    blob = re.search(r"@reproduce_failure\([^)]*\)", text)
    # A test that runs a state machine itself is no Hypothesis test, but reports like one.
    if not getattr(function, "is_hypothesis_test", False) and not printed and not blob:
        return None
    # Hypothesis keeps the seed it drew for a test only in this attribute; nothing public says it.
    drawn = getattr(function, "_hypothesis_internal_use_generated_seed", None)
    forced = item.config.getoption("--hypothesis-seed", None)
    seed = drawn if drawn is not None else forced if forced is not None else printed.group(1) if printed else None
    # Such a test has no settings of its own either: the profile's apply.
    chosen = getattr(function, "_hypothesis_internal_use_settings", None) or settings.default
    return HypothesisInfo(
        seed=None if seed is None else str(seed),
        derandomized=bool(getattr(chosen, "derandomize", False)),
        blob=blob.group(0) if blob else None,
    )


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, "Skipped: why")
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        lines = [line.strip() for line in str(crash.message).splitlines() if line.strip()]
        # "clauses failed:" says little on its own; the first failure it introduces says what.
        return " ".join(lines[:2]) if lines and lines[0].endswith(":") else (lines[0] if lines else "")
    return str(longrepr).strip().splitlines()[-1] if longrepr else ""


def settle_report(ledger: Ledger, item: pytest.Item, report: pytest.TestReport, clause_id: str | None = None) -> None:
    """Record how a test phase ended, and turn a test whose failures are all listed into an xfail.

    A test whose only failures are listed departures passed as far as pytest knows (the suite
    does not raise for them, so Hypothesis keeps exploring); it becomes an expected failure.
    A test that could not ask the host at all (the host could not be made, or its program
    could not be started) is *not run*: it stays a failure for pytest, and ``clause_id``, the
    clause it is the example of, counts as not run.
    """
    record = ledger.test(report.nodeid)
    record.duration += report.duration
    if report.failed:
        unasked = {"setup": ledger.host_error, "call": ledger.unasked_tests.get(record.id)}.get(report.when)
        if unasked:
            ledger.not_run(record.id, clause_id, unasked)
            return
    if report.when != "call":
        if report.failed:
            record.outcome, record.reason = "error", f"{report.when} failed: {_reason(report)}"
        elif report.skipped and record.outcome is None:
            record.outcome, record.reason = "skipped", _reason(report)
        return
    record.hypothesis = hypothesis_info(item, report)
    # pytest's own xfail marker turns a failure into a skip that still ran.
    record.called = not report.skipped or hasattr(report, "wasxfail")
    if hasattr(report, "wasxfail"):  # pytest's own xfail marker decided
        record.outcome = "expected_failure" if report.skipped else "unexpected_pass"
        record.reason = str(report.wasxfail)
    elif report.skipped:
        record.outcome, record.reason = "skipped", _reason(report)
    elif report.passed and record.departures:
        reasons = [f"{departure.key}: {departure.reason}" for departure in record.departures]
        report.outcome = "skipped"
        record.outcome, record.reason = "expected_failure", "known departures: " + "; ".join(reasons)
        report.wasxfail = record.reason
    elif report.failed:
        record.outcome, record.reason = "failed", _reason(report)
    else:
        record.outcome, record.reason = "passed", ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Record each test's outcome; listed departures become xfail, listed tests that pass a strict xpass."""
    report = yield
    ledger = _ledger(item.config)
    if ledger is not None:
        from conformance.reports import checkpoint

        settle_report(ledger, item, report, _clause_of(item))
        # Workers of a pytest-xdist run report through the controller, at the end.
        if report.when == "teardown" and not _worker(item.config):
            checkpoint(ledger, item.config.stash[_HOST], _report_dir(item.config, item.config.stash[_HOST]))
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the clause summary per level."""
    ledger = _ledger(config)
    if ledger is None:
        return
    terminalreporter.section("wasi-nn conformance")
    for line in [*ledger.summary_lines(), *config.stash.get(FUZZ_SUMMARY, [])]:
        terminalreporter.write_line(line)


# -- several processes (pytest-xdist): workers send their ledgers, the controller reports ----


def _worker(config: pytest.Config) -> bool:
    """Whether this process is a pytest-xdist worker: its ledger goes to the controller, which reports."""
    return hasattr(config, "workerinput")


def _send_ledger(config: pytest.Config, ledger: Ledger) -> None:
    """Hand the worker's ledger to the controller (without the corpus models and inputs, which it has)."""
    corpus = ledger.corpus
    export = corpus.export() if corpus else None
    meta = (corpus.selection, dict(corpus.selected)) if corpus else None
    ledger.corpus = None
    try:
        payload = pickle.dumps((ledger, export, meta))
    finally:
        ledger.corpus = corpus
    config.workeroutput[_WORKER_LEDGER] = base64.b64encode(payload).decode("ascii")  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Add a finished worker's ledger to the controller's (pytest-xdist)."""
    payload = getattr(node, "workeroutput", {}).get(_WORKER_LEDGER)
    if payload is None:
        return
    from conformance.corpus.cases import load_corpus
    from conformance.corpus.ledger import CorpusExport, CorpusLedger

    worker_ledger, export, meta = pickle.loads(base64.b64decode(payload))  # our own workers' data
    assert isinstance(worker_ledger, Ledger)
    config = node.config
    ledger = _ledger(config)
    if ledger is None:
        ledger = config.stash[_LEDGER] = worker_ledger
        if meta is not None:
            selection, selected = meta
            corpus = load_corpus(ledger.revision)
            ledger.corpus = CorpusLedger(corpus, selection, selected, ledger.expectations)
    else:
        ledger.absorb(worker_ledger)
    if isinstance(export, CorpusExport) and ledger.corpus is not None:
        ledger.corpus.absorb(export)


def _controller_host(config: pytest.Config, ledger: Ledger) -> HostAdapter:
    """The host as the controller reports it: made again (the workers made their own)."""
    from conformance.adapters.select import select_host

    try:
        return select_host(ledger.host_option, ledger.host_command, ledger.revision)
    except Exception:  # it was made in the workers; failing here only loses its version in the report
        return _UnmadeHost(ledger.host, ledger.revision)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports of the run, complete or not (on a pytest-xdist worker: send the ledger instead)."""
    ledger = _ledger(session.config)
    if ledger is None:
        return
    if _worker(session.config):
        _send_ledger(session.config, ledger)
        return
    from conformance.expectations_update import write_expectations
    from conformance.reports import write_reports

    if _HOST not in session.config.stash:
        session.config.stash[_HOST] = _controller_host(session.config, ledger)
    restore = session.config.stash.get(_RESTORE_SIGTERM, None)
    if restore is not None:
        restore()
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    ledger.finish(exitstatus, interrupted, exitstatus in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR))
    if ledger.fails_run() and session.exitstatus == pytest.ExitCode.OK:
        # A listed departure that passed (the expectations are stale), or a clause that was to
        # be asked and was not: either fails the run.
        session.exitstatus = ledger.exit_status = pytest.ExitCode.TESTS_FAILED
    host = session.config.stash[_HOST]
    written = write_reports(ledger, host, _report_dir(session.config, host))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"wasi-nn conformance reports: {', '.join(str(path) for path in written)}"]
    if session.config.getoption("--update-expectations") and not interrupted:
        explicit = session.config.getoption("--wasi-nn-expectations")
        path, count = write_expectations(ledger, Path(explicit) if explicit else None)
        lines.append(f"wasi-nn expectations: wrote {count} departures to {path}")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line)


__all__ = ["HostHung", "HostUnavailable", "Suite", "hypothesis_info"]

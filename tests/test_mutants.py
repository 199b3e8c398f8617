"""The suite against broken hosts: each mutant in tests/mutants is caught by the clauses it names, at their levels.

Every mutant is run through the suite exactly as a host implementer runs it (``pytest --pyargs
conformance.tests --wasi-nn-host ...``), in a process of its own, all of them in parallel, once
per session; each test then reads its mutant's report. A clause catches its mutant only when it
fails at the level the mutant declares for it (the level of the fault's harm) or a more severe
one. The unmodified reference host, run the same way through the whole suite, must fail no
clause: otherwise a mutant's "catch" could be the suite's own fault. ``python
tests/mutants/table.py`` prints the same results as a table.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest
from mutants import _harness, _hosts

from conformance.catalog import Level, load_catalog
from conformance.host import HostLimits, ReferenceHost
from conformance.revisions import revision

MUTANTS = _harness.discover()


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, _harness.MutantRun]:
    """The suite's runs against the mutants (and the control) that this session's tests ask about."""
    wanted = {
        item.callspec.params["mutant"].name
        for item in request.session.items
        if hasattr(item, "callspec") and "mutant" in item.callspec.params
    }
    jobs = [mutant for mutant in (_harness.CONTROL, *MUTANTS) if mutant.name in wanted]
    workdir = tmp_path_factory.mktemp("mutants")
    return {run.mutant.name: run for run in _harness.run_all(jobs, workdir)}


def _explain(run: _harness.MutantRun) -> str:
    failing = ", ".join(run.failing_clauses) or "none"
    named = [
        f"  {clause}: declared {run.mutant.declared(clause).name.lower()}, observed "
        f"{getattr(run.observed(clause), 'name', 'nothing').lower()}; {run.reasons.get(clause, 'no failure')}"
        for clause in run.mutant.clauses
    ]
    return "\n".join(
        [f"{run.mutant.name}: {run.mutant.summary}", *named, f"clauses that failed: {failing}", run.tail()]
    )


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_the_suite_catches_the_mutant_at_the_declared_level_of_every_clause_it_names(
    mutant: _harness.Mutant, runs: dict[str, _harness.MutantRun]
) -> None:
    run = runs[mutant.name]
    assert not run.problem, f"{mutant.name}: {run.problem}"
    assert not run.missed, f"not caught at the declared level by {', '.join(run.missed)}\n{_explain(run)}"
    assert not run.gaps_closed, (
        f"now caught at the declared level by {', '.join(run.gaps_closed)}: the gap is closed, "
        "move the clause from GAPS to CAUGHT_BY"
    )


@pytest.mark.parametrize("mutant", [_harness.CONTROL], ids=["reference"])
def test_the_suite_passes_the_reference_host_run_the_way_mutants_are(
    mutant: _harness.Mutant, runs: dict[str, _harness.MutantRun]
) -> None:
    run = runs[mutant.name]
    assert not run.problem, run.problem
    assert not run.failing_clauses, _explain(run)
    assert run.verdicts, "the control run judged no clause"


def test_every_mutant_declares_clauses_of_the_catalog_at_their_levels_and_documents_its_fault() -> None:
    clauses = load_catalog("2023-08").clauses
    assert len(MUTANTS) >= 50
    for mutant in MUTANTS:
        assert mutant.clauses, f"{mutant.name} names no clause"
        assert not set(mutant.caught_by) & set(mutant.gaps), f"{mutant.name}: a clause both catches it and misses it"
        unknown = [clause for clause in mutant.clauses if clause not in clauses]
        assert not unknown, f"{mutant.name} names clauses the catalog lacks: {unknown}"
        for clause in mutant.clauses:
            # A clause is judged up to its own level: a function clause has no errno verdict.
            assert mutant.declared(clause) <= clauses[clause].level, f"{mutant.name}: {clause} has no such level"
        assert mutant.summary, f"{mutant.name} has no docstring"
        assert all(gap.reason for gap in mutant.gaps.values()), f"{mutant.name} has a gap without its reason"


def test_a_clause_catches_a_mutant_only_at_its_declared_level_or_a_more_severe_one() -> None:
    mutant = _harness.Mutant("example", "A mutant declared at the safety level.", caught_by={"a": Level.SAFETY})
    below = _harness.MutantRun(mutant, 0, 0.0, "", {"a": {"safety": "passed", "function": "passed", "errno": "failed"}})
    assert below.observed("a") is Level.ERRNO
    assert below.catch("a") == "below"
    assert below.missed == ["a"]
    harmed = _harness.MutantRun(
        mutant, 0, 0.0, "", {"a": {"safety": "failed", "function": "failed", "errno": "failed"}}
    )
    assert harmed.catch("a") == "caught"
    assert not harmed.missed
    held = _harness.MutantRun(mutant, 0, 0.0, "", {"a": {"safety": "passed", "function": "passed"}})
    assert held.catch("a") == "missed"


LIMIT_CLAUSES = frozenset({"state.soak"})
"""Clauses that judge a host's limits themselves: a host without limits fails them whatever its
fault (state.soak: hold 10,000 graphs within a memory bound, or refuse some)."""


def test_every_mutant_host_has_limits_no_run_reaches_unless_its_clauses_judge_the_limits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A catch must come from the fault, never from a limit: mutant hosts cannot reach theirs,
    # except those judged by clauses about limits, which keep the reference's; so does the
    # control. The glue faults stay out of this process: only building the hosts is asked.
    from mutants import _glue

    monkeypatch.setattr(_glue, "install", lambda **fault: None)
    bindings = revision().bindings
    for mutant in MUTANTS:
        host = importlib.import_module(f"mutants.{mutant.name}").factory(bindings, {})
        assert isinstance(host, ReferenceHost), mutant.name
        expected = HostLimits() if set(mutant.clauses) <= LIMIT_CLAUSES else _hosts.UNREACHABLE
        assert host.limits == expected, mutant.name
    assert _hosts.reference(bindings, {}).limits == HostLimits()


def test_mutants_change_no_glue_when_imported() -> None:
    # The test process imports every mutant to read its declarations; only a mutant's factory
    # may install a glue fault, in the process that runs that mutant.
    from mutants import _glue

    from conformance.host import linker

    assert linker.GuestMemory is _glue._REFERENCE_MEMORY
    assert linker._bridge is _glue._REFERENCE_BRIDGE


def test_the_subprocess_mutants_are_run_through_their_command_line() -> None:
    for mutant in MUTANTS:
        if mutant.subprocess:
            arguments = mutant.host_arguments()
            command = arguments[arguments.index("--wasi-nn-host-command") + 1]
            assert Path(_harness.RUN_MUTANT).name in command
            assert "{wasm}" in command
            selection = mutant.selection()
            assert all("[" in term for term in selection), f"{mutant.name} would start a process per clause example"


def test_each_mutant_module_has_a_factory() -> None:
    for mutant in MUTANTS:
        factory = importlib.import_module(f"mutants.{mutant.name}").factory
        assert list(inspect.signature(factory).parameters) == ["bindings", "graphs_by_name"], mutant.name

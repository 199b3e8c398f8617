"""The suite against broken hosts: each mutant in tests/mutants is caught by the clauses it names.

Every mutant is run through the suite exactly as a host implementer runs it (``pytest --pyargs
conformance.tests --wasi-nn-host ...``), in a process of its own, all of them in parallel, once
per session; each test then reads its mutant's report. The unmodified reference host, run the
same way through the whole suite, must fail no clause: otherwise a mutant's "catch" could be the
suite's own fault. ``python tests/mutants/table.py`` prints the same results as a table.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from mutants import _harness

from conformance.catalog import load_catalog

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
    return f"{run.mutant.name}: {run.mutant.summary}\nclauses that failed: {failing}\n{run.tail()}"


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_the_suite_catches_the_mutant_by_every_clause_it_names(
    mutant: _harness.Mutant, runs: dict[str, _harness.MutantRun]
) -> None:
    run = runs[mutant.name]
    assert not run.problem, f"{mutant.name}: {run.problem}"
    assert not run.missed, f"escaped {', '.join(run.missed)}\n{_explain(run)}"
    assert not run.gaps_closed, (
        f"now caught by {', '.join(run.gaps_closed)}: the gap is closed, move the clause from GAPS to CAUGHT_BY"
    )


@pytest.mark.parametrize("mutant", [_harness.CONTROL], ids=["reference"])
def test_the_suite_passes_the_reference_host_run_the_way_mutants_are(
    mutant: _harness.Mutant, runs: dict[str, _harness.MutantRun]
) -> None:
    run = runs[mutant.name]
    assert not run.problem, run.problem
    assert not run.failing_clauses, _explain(run)
    assert run.verdicts, "the control run judged no clause"


def test_every_mutant_declares_clauses_of_the_catalog_and_documents_its_fault() -> None:
    clauses = load_catalog("2023-08").clauses
    assert len(MUTANTS) >= 25
    for mutant in MUTANTS:
        named = [*mutant.caught_by, *mutant.gaps]
        assert named, f"{mutant.name} names no clause"
        assert not set(mutant.caught_by) & set(mutant.gaps), f"{mutant.name}: a clause both catches it and misses it"
        unknown = [clause for clause in named if clause not in clauses]
        assert not unknown, f"{mutant.name} names clauses the catalog lacks: {unknown}"
        assert mutant.summary, f"{mutant.name} has no docstring"
        assert all(mutant.gaps.values()), f"{mutant.name} has a gap without its reason"


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
    import importlib

    for mutant in MUTANTS:
        factory = importlib.import_module(f"mutants.{mutant.name}").factory
        assert list(inspect.signature(factory).parameters) == ["bindings", "graphs_by_name"], mutant.name

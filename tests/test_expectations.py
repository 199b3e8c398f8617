"""Expectations files: known departures make a run green, a departure that is gone fails it,
and --update-expectations writes the file from a run."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest

from conformance.catalog import CallOutcome, Facts, Level, judge, load_catalog
from conformance.expectations import (
    TODO_REASON,
    Departure,
    Expectations,
    ExpectationsError,
    default_path,
    find_expectations,
    hypothesis_info,
    load_expectations,
    render,
    updated_departures,
)
from conformance.results import HypothesisInfo, Ledger, Observation
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import run_suite, start

SELECTION = ("-k", "graph-unknown or load.valid or link.all-functions")
LISTED_TEST = "test_clause[load.valid]"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def report(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return data


def clause(data: dict[str, Any], clause_id: str) -> dict[str, Any]:
    return next(entry for entry in data["clauses"] if entry["id"] == clause_id)


# -- the file -------------------------------------------------------------------------------


def test_a_file_lists_departures_by_clause_or_test(tmp_path: Path) -> None:
    path = write(
        tmp_path / "host.toml",
        f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
outcome = "returned unsupported_operation"
reason = "as Wasmtime"
link = "https://example.org/1"

[[departure]]
test = "{LISTED_TEST}"
reason = "flaky on this host"
""",
    )
    expectations = load_expectations(path)
    clause_entry, test_entry = expectations.departures
    assert clause_entry == Departure(
        DEPARTING_CLAUSE, None, Level.ERRNO, ("returned unsupported_operation",), "as Wasmtime", "https://example.org/1"
    )
    assert expectations.for_clause(DEPARTING_CLAUSE) is clause_entry
    assert expectations.for_test(f"test_clauses.py::{LISTED_TEST}") is test_entry
    assert expectations.for_test("test_clauses.py::test_clause[compute.valid]") is None


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('clause = "no.such-clause"\nreason = "x"', "no clause 'no.such-clause'"),
        ('clause = "load.valid"\ntest = "t"\nreason = "x"', "exactly one of clause and test"),
        ('reason = "x"', "exactly one of clause and test"),
        ('clause = "load.valid"\nlevel = "strict"\nreason = "x"', "level is one of"),
        ('clause = "load.valid"', "needs a reason"),
        ('clause = "load.valid"\nreason = "x"\nwhy = "typo"', "unknown keys why"),
        ('clause = "load.valid"\nreason = "x"\noutcome = 3', "outcome is a string or a list"),
    ],
)
def test_malformed_entries_are_refused_with_where_and_why(tmp_path: Path, entry: str, complaint: str) -> None:
    path = write(tmp_path / "host.toml", f"[[departure]]\n{entry}\n")
    with pytest.raises(ExpectationsError, match="departure 1") as raised:
        load_expectations(path)
    assert complaint in str(raised.value)


def test_a_clause_listed_twice_is_refused(tmp_path: Path) -> None:
    entry = '[[departure]]\nclause = "load.valid"\nreason = "x"\n'
    with pytest.raises(ExpectationsError, match=r"more than once: load\.valid"):
        load_expectations(write(tmp_path / "host.toml", entry * 2))


def test_an_entry_covers_failures_no_worse_than_its_level_with_its_outcomes() -> None:
    entry = Departure(DEPARTING_CLAUSE, level=Level.FUNCTION, outcomes=("returned unsupported_operation",))
    assert entry.covers(DEPARTING_CLAUSE, Level.ERRNO, "returned unsupported_operation")
    assert entry.covers(DEPARTING_CLAUSE, Level.FUNCTION, "returned unsupported_operation")
    assert not entry.covers(DEPARTING_CLAUSE, Level.SAFETY, "returned unsupported_operation")
    assert not entry.covers(DEPARTING_CLAUSE, Level.ERRNO, "crashed")
    assert not entry.covers("load.valid", Level.ERRNO, "returned unsupported_operation")
    assert Departure(DEPARTING_CLAUSE).covers(DEPARTING_CLAUSE, Level.SAFETY, "crashed")


def test_the_default_file_is_expectations_slash_host_dot_toml(tmp_path: Path) -> None:
    folder = tmp_path / "expectations"
    folder.mkdir()
    write(folder / "my_host_factory.toml", '[[departure]]\nclause = "load.valid"\nreason = "x"\n')
    assert default_path("my.host:factory".replace(".", "_"), [tmp_path]) == folder / "my_host_factory.toml"
    assert default_path("other", [tmp_path]) is None
    assert find_expectations(str(tmp_path / "new.toml"), "other", missing_ok=True).departures == ()
    with pytest.raises(ExpectationsError, match=r"new\.toml"):
        find_expectations(str(tmp_path / "new.toml"), "other")


def test_rendered_files_read_back_the_same(tmp_path: Path) -> None:
    departures = [
        Departure(
            "load.valid", None, Level.FUNCTION, ("crashed", "returned busy"), 'quotes " and \\ and\nlines\x7f é', ""
        ),
        Departure(None, LISTED_TEST, None, (), "listed by test", "https://example.org/2"),
    ]
    text = render(departures, "host", "2023-08")
    tomllib.loads(text)
    assert load_expectations(write(tmp_path / "host.toml", text)).departures == tuple(departures)


def test_updating_keeps_reasons_and_marks_new_departures_todo() -> None:
    catalog = load_catalog("2023-08")
    kept = Departure(DEPARTING_CLAUSE, reason="known", link="https://example.org/3")
    stale = Departure("load.valid", reason="fixed since")
    unobserved = Departure("compute.valid", reason="not asked this run")
    ledger = Ledger("host", "2023-08", catalog, expectations=Expectations(None, (kept, stale, unobserved)))
    errno_failure = CallOutcome("returned", 6, "unsupported_operation")
    crash = CallOutcome("crashed", message="signal 6")
    for clause_id, outcome in ((DEPARTING_CLAUSE, errno_failure), ("set_input.valid", crash), ("load.valid", None)):
        judged = judge(catalog[clause_id], outcome or CallOutcome("returned", 0, "success"), Facts())
        ledger.record(Observation("test_clauses.py::test_clause[x]", judged, [], None))
    updated = {departure.key: departure for departure in updated_departures(ledger)}
    assert set(updated) == {DEPARTING_CLAUSE, "set_input.valid", "compute.valid"}
    assert updated[DEPARTING_CLAUSE] == Departure(
        DEPARTING_CLAUSE, None, Level.ERRNO, ("returned unsupported_operation",), "known", "https://example.org/3"
    )
    assert updated["set_input.valid"] == Departure("set_input.valid", None, Level.SAFETY, ("crashed",), TODO_REASON, "")
    assert updated["compute.valid"] == unobserved


# -- runs -----------------------------------------------------------------------------------

LISTING_THE_DEPARTURE = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
reason = "answers unsupported_operation, as Wasmtime does"
link = "https://example.org/4"

[[departure]]
clause = "compute.valid"
reason = "not asked in this run, so kept"
"""

LISTING_WHAT_PASSES = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
reason = "answers unsupported_operation, as Wasmtime does"

[[departure]]
test = "{LISTED_TEST}"
reason = "listed by name"
"""


Runs = dict[str, tuple[Path, tuple[str, ...]]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Each expectations file and the options of its run: the departing host with its departure
    listed (updating the file), the conforming host with the same departure. Both start at once."""
    folder = tmp_path_factory.mktemp("expectations")
    departing = write(folder / "departing.toml", LISTING_THE_DEPARTURE)
    conforming = write(folder / "conforming.toml", LISTING_WHAT_PASSES)
    chosen: Runs = {
        "departing": (
            departing,
            (
                "--wasi-nn-host=tests.hosts.errno_host:departing",
                f"--wasi-nn-expectations={departing}",
                "--update-expectations",
                "-rx",
                *SELECTION,
            ),
        ),
        "conforming": (
            conforming,
            ("--wasi-nn-host=tests.hosts.errno_host:conforming", f"--wasi-nn-expectations={conforming}", *SELECTION),
        ),
    }
    for _, options in chosen.values():
        start(tmp_path_factory, *options)
    return chosen


def test_a_listed_departure_makes_the_run_green_and_update_keeps_its_reason(
    tmp_path_factory: pytest.TempPathFactory, runs: Runs
) -> None:
    path, options = runs["departing"]
    run = run_suite(tmp_path_factory, *options)
    assert run.returncode == 0, run.output
    assert any(
        line.startswith("XFAIL") and f"test_clause[{DEPARTING_CLAUSE}]" in line for line in run.output.splitlines()
    ), run.output
    data = report(run.report)
    listed = clause(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "expected_failure"
    assert listed["departure"]["status"] == "expected_failure"
    assert listed["failures"]
    assert all(failure["expected"] for failure in listed["failures"])
    test = next(test for test in data["tests"] if test["id"].endswith(f"[{DEPARTING_CLAUSE}]"))
    assert test["outcome"] == "expected_failure"
    assert data["levels"]["errno"]["expected_failure"] == 1
    assert data["levels"]["errno"]["failed"] == 0
    assert "## Expected failures" in (run.report / "summary.md").read_text()
    assert 'message="expected failure: answers' in (run.report / "junit.xml").read_text()

    rewritten = {departure.key: departure for departure in load_expectations(path).departures}
    assert set(rewritten) == {DEPARTING_CLAUSE, "compute.valid"}
    assert rewritten["compute.valid"].reason == "not asked in this run, so kept"
    assert rewritten[DEPARTING_CLAUSE] == Departure(
        DEPARTING_CLAUSE,
        None,
        Level.ERRNO,
        ("returned unsupported_operation",),
        "answers unsupported_operation, as Wasmtime does",
        "https://example.org/4",
    )


def test_a_departure_the_host_no_longer_has_fails_the_run_as_an_unexpected_pass(
    tmp_path_factory: pytest.TempPathFactory, runs: Runs
) -> None:
    run = run_suite(tmp_path_factory, *runs["conforming"][1])
    assert run.returncode == 1, run.output
    assert f"UNEXPECTED PASS {DEPARTING_CLAUSE}" in run.output
    assert "[XPASS(strict)]" in run.output
    data = report(run.report)
    assert set(data["expectations"]["unexpected_passes"]) == {DEPARTING_CLAUSE, LISTED_TEST}
    listed = clause(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "unexpected_pass"
    assert listed["verdicts"]["errno"] == "unexpected_pass"
    assert listed["verdicts"]["safety"] == "passed"
    outcomes = {test["id"]: test["outcome"] for test in data["tests"]}
    assert outcomes[f"test_clauses.py::{LISTED_TEST}"] == "unexpected_pass"
    assert "## Unexpected passes" in (run.report / "summary.md").read_text()


def test_the_seed_and_blob_of_a_failing_hypothesis_test_are_kept() -> None:
    def test() -> None: ...

    test.is_hypothesis_test = True  # type: ignore[attr-defined]
    test._hypothesis_internal_use_generated_seed = 2**100  # type: ignore[attr-defined]
    item = SimpleNamespace(obj=test, config=SimpleNamespace(getoption=lambda name, default=None: default))
    blob = "@reproduce_failure('6.170.15', b'AEEBQQBBAUMBAAA=')"
    report = SimpleNamespace(
        failed=True, longreprtext=f"E   You can reproduce this test case by adding {blob} as a decorator"
    )
    info = hypothesis_info(item, report)  # type: ignore[arg-type]
    # Under CI hypothesis loads the "ci" profile, which is derandomized.
    derandomized = bool(hypothesis.settings().derandomize)
    assert info == HypothesisInfo(seed=str(2**100), derandomized=derandomized, blob=blob)
    plain = SimpleNamespace(failed=True, longreprtext="AssertionError: clauses failed")
    assert hypothesis_info(SimpleNamespace(obj=lambda: None), plain) is None  # type: ignore[arg-type]

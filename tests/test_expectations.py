"""Expectations files: known departures make a run green, a departure that is gone fails it,
a failure at another level or with another outcome is no known departure, and
--update-expectations writes the file from a run."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import hypothesis
import pytest

import conformance.tests
from conformance.catalog import CallOutcome, Facts, Level, judge, load_catalog
from conformance.expectations import (
    KNOWN_HOSTS_EXPECTATIONS,
    TODO_REASON,
    Departure,
    Expectations,
    ExpectationsError,
    default_path,
    find_expectations,
    load_expectations,
    render,
)
from conformance.expectations_update import updated_departures
from conformance.plugin import hypothesis_info
from conformance.results import HypothesisInfo, Ledger, Observation
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import run_suite, start

SELECTION = ("-k", "graph-unknown or load.valid or link.all-functions")
SHOWN_BY = f"test_clauses.py::test_clause[{DEPARTING_CLAUSE}]"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def report(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "report.json").read_text())
    return data


def clause(data: dict[str, Any], clause_id: str) -> dict[str, Any]:
    return next(entry for entry in data["clauses"] if entry["id"] == clause_id)


# -- the file -------------------------------------------------------------------------------


def test_a_file_lists_departures_by_clause_level_and_outcome(tmp_path: Path) -> None:
    path = write(
        tmp_path / "host.toml",
        f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
outcome = "returned unsupported_operation"
shown_by = ["{SHOWN_BY}", "test_invalid_arguments"]
reason = "as Wasmtime"
link = "https://example.org/1"

[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "safety"
outcome = ["crashed", "hung"]
shown_by = "test_stateful.py::test_state_machine"
reason = "panics on some handles"
""",
    )
    expectations = load_expectations(path)
    errno_entry, safety_entry = expectations.departures
    assert errno_entry == Departure(
        DEPARTING_CLAUSE,
        Level.ERRNO,
        ("returned unsupported_operation",),
        (SHOWN_BY, "test_invalid_arguments"),
        "as Wasmtime",
        "https://example.org/1",
    )
    assert safety_entry.outcomes == ("crashed", "hung")
    assert safety_entry.shown_by == ("test_stateful.py::test_state_machine",)
    assert expectations.for_clause(DEPARTING_CLAUSE) == (errno_entry, safety_entry)
    assert errno_entry.key == f"{DEPARTING_CLAUSE} at errno"
    assert errno_entry.shown_in(SHOWN_BY)
    assert errno_entry.shown_in("test_properties.py::test_invalid_arguments")
    assert not errno_entry.shown_in("test_properties.py::test_invalid_arguments_get_the_errno")


COMPLETE = 'level = "errno"\noutcome = ["trapped"]\nshown_by = ["test_clause[load.valid]"]\nreason = "x"'


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (f'clause = "no.such-clause"\n{COMPLETE}', "no clause 'no.such-clause'"),
        (f'test = "test_clause[load.valid]"\n{COMPLETE}', "entries name a clause, not a test"),
        (COMPLETE, "every departure names its clause"),
        ('clause = "load.valid"\noutcome = ["trapped"]\nshown_by = ["t"]\nreason = "x"', "(load.valid): level"),
        ('clause = "load.valid"\nlevel = "strict"\noutcome = ["trapped"]\nshown_by = ["t"]\nreason = "x"', "level"),
        ('clause = "load.valid"\nlevel = "errno"\nshown_by = ["t"]\nreason = "x"', "outcome is a non-empty"),
        ('clause = "load.valid"\nlevel = "errno"\noutcome = []\nshown_by = ["t"]\nreason = "x"', "outcome is"),
        ('clause = "load.valid"\nlevel = "errno"\noutcome = 3\nshown_by = ["t"]\nreason = "x"', "outcome is"),
        (
            'clause = "load.valid"\nlevel = "errno"\noutcome = "crash"\nshown_by = ["t"]\nreason = "x"',
            "'crash' is none",
        ),
        ('clause = "load.valid"\nlevel = "errno"\noutcome = "trapped"\nreason = "x"', "shown_by is a non-empty"),
        ('clause = "load.valid"\nlevel = "errno"\noutcome = "trapped"\nshown_by = ["t"]', "needs a reason"),
        (f'clause = "load.valid"\n{COMPLETE}\nwhy = "typo"', "unknown keys why"),
    ],
)
def test_malformed_entries_are_refused_with_file_entry_and_why(tmp_path: Path, entry: str, complaint: str) -> None:
    path = write(tmp_path / "host.toml", f"[[departure]]\n{entry}\n")
    with pytest.raises(ExpectationsError, match="departure 1") as raised:
        load_expectations(path)
    assert str(raised.value).startswith(str(path))
    assert complaint in str(raised.value)


def test_a_clause_listed_twice_at_one_level_is_refused(tmp_path: Path) -> None:
    entry = f'[[departure]]\nclause = "load.valid"\n{COMPLETE}\n'
    with pytest.raises(ExpectationsError, match=r"more than once: load\.valid at errno"):
        load_expectations(write(tmp_path / "host.toml", entry * 2))
    other_level = entry.replace('"errno"', '"safety"')
    assert len(load_expectations(write(tmp_path / "host.toml", entry + other_level)).departures) == 2


def test_an_entry_covers_failures_at_its_level_with_its_outcomes_only() -> None:
    entry = Departure(DEPARTING_CLAUSE, Level.FUNCTION, ("returned unsupported_operation",), (SHOWN_BY,))
    assert entry.covers(DEPARTING_CLAUSE, Level.FUNCTION, "returned unsupported_operation")
    # A worse failure is a new departure; so is a milder one (and the listed one is then gone).
    assert not entry.covers(DEPARTING_CLAUSE, Level.SAFETY, "returned unsupported_operation")
    assert not entry.covers(DEPARTING_CLAUSE, Level.ERRNO, "returned unsupported_operation")
    assert not entry.covers(DEPARTING_CLAUSE, Level.FUNCTION, "crashed")
    assert not entry.covers("load.valid", Level.FUNCTION, "returned unsupported_operation")
    assert not entry.covers(DEPARTING_CLAUSE, None, "returned unsupported_operation")
    listed = Expectations(None, (entry,))
    assert listed.covering(DEPARTING_CLAUSE, Level.FUNCTION, "returned unsupported_operation") is entry
    assert listed.covering(DEPARTING_CLAUSE, Level.SAFETY, "crashed") is None


def test_the_packaged_expectations_files_load_and_name_tests_that_exist() -> None:
    files = sorted(KNOWN_HOSTS_EXPECTATIONS.glob("*.toml"))
    assert files
    tests = Path(conformance.tests.__file__).parent
    for path in files:
        for departure in load_expectations(path).departures:
            for name in departure.shown_by:
                module, _, function = name.rpartition("::")
                source = (tests / module).read_text() if module else ""
                assert f"def {function.partition('[')[0]}(" in source, (path.name, departure.key, name)


def test_the_default_file_is_expectations_slash_host_dot_toml(tmp_path: Path) -> None:
    folder = tmp_path / "expectations"
    folder.mkdir()
    write(folder / "my_host_factory.toml", f'[[departure]]\nclause = "load.valid"\n{COMPLETE}\n')
    assert default_path("my.host:factory".replace(".", "_"), [tmp_path]) == folder / "my_host_factory.toml"
    assert default_path("other", [tmp_path]) is None
    # A host the package knows by name has its file shipped with it, found from any folder.
    assert default_path("wasmtime-cli", [tmp_path]) == KNOWN_HOSTS_EXPECTATIONS / "wasmtime-cli.toml"
    assert find_expectations(str(tmp_path / "new.toml"), "other", missing_ok=True).departures == ()
    with pytest.raises(ExpectationsError, match=r"new\.toml"):
        find_expectations(str(tmp_path / "new.toml"), "other")


def test_rendered_files_read_back_the_same(tmp_path: Path) -> None:
    departures = [
        Departure(
            "load.valid",
            Level.FUNCTION,
            ("crashed", "returned busy"),
            ("test_clauses.py::test_clause[load.valid]",),
            'quotes " and \\ and\nlines\x7f é',
            "",
        ),
        Departure(
            "load.valid", Level.SAFETY, ("hung",), ("test_stateful.py::t", "t2"), "hangs", "https://example.org/2"
        ),
    ]
    text = render(departures, "host", "2023-08")
    tomllib.loads(text)
    assert load_expectations(write(tmp_path / "host.toml", text)).departures == tuple(departures)


def test_updating_keeps_reasons_writes_the_tests_that_show_each_level_and_marks_new_ones_todo() -> None:
    catalog = load_catalog("2023-08")
    shown_here = "test_clauses.py::test_clause[x]"
    unrun = "test_properties.py::test_not_run_this_time"
    kept = Departure(DEPARTING_CLAUSE, Level.ERRNO, ("returned busy",), (unrun,), "known", "https://example.org/3")
    stale = Departure("load.valid", Level.FUNCTION, ("returned busy",), (shown_here,), "fixed since")
    unchecked = Departure("compute.valid", Level.FUNCTION, ("returned busy",), (unrun,), "not asked this run")
    ledger = Ledger("host", "2023-08", catalog, expectations=Expectations(None, (kept, stale, unchecked)))
    errno_failure = CallOutcome("returned", 6, "unsupported_operation")
    crash = CallOutcome("crashed", message="signal 6")
    for clause_id, outcome, test in (
        (DEPARTING_CLAUSE, errno_failure, shown_here),
        (DEPARTING_CLAUSE, crash, "test_stateful.py::t"),
        ("set_input.valid", crash, shown_here),
        ("load.valid", None, shown_here),
    ):
        judged = judge(catalog[clause_id], outcome or CallOutcome("returned", 0, "success"), Facts())
        ledger.record(Observation(test, judged, [], None))
    for test in (shown_here, "test_stateful.py::t"):
        ledger.test(test).called = True
    updated = {departure.key: departure for departure in updated_departures(ledger)}
    assert set(updated) == {
        f"{DEPARTING_CLAUSE} at errno",
        f"{DEPARTING_CLAUSE} at safety",
        "set_input.valid at safety",
        "compute.valid at function",
    }
    # The test that did not run may show the listed outcome again: both stay.
    assert updated[f"{DEPARTING_CLAUSE} at errno"] == Departure(
        DEPARTING_CLAUSE,
        Level.ERRNO,
        ("returned busy", "returned unsupported_operation"),
        (shown_here, unrun),
        "known",
        "https://example.org/3",
    )
    assert updated[f"{DEPARTING_CLAUSE} at safety"] == Departure(
        DEPARTING_CLAUSE, Level.SAFETY, ("crashed",), ("test_stateful.py::t",), TODO_REASON, ""
    )
    assert updated["set_input.valid at safety"] == Departure(
        "set_input.valid", Level.SAFETY, ("crashed",), (shown_here,), TODO_REASON, ""
    )
    assert updated["compute.valid at function"] == unchecked


# -- runs -----------------------------------------------------------------------------------

NOT_IN_THE_SLICE = "test_properties.py::test_outputs_equal_native_onnxruntime_for_any_values_and_buffer_slack"

LISTING_THE_DEPARTURE = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
outcome = ["returned unsupported_operation"]
shown_by = ["{SHOWN_BY}"]
reason = "answers unsupported_operation, as Wasmtime does"
link = "https://example.org/4"

[[departure]]
clause = "compute.valid"
level = "function"
outcome = ["returned runtime_error"]
shown_by = ["{NOT_IN_THE_SLICE}"]
reason = "not asked in this run, so kept"
"""

LISTING_WHAT_PASSES = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
outcome = ["returned unsupported_operation"]
shown_by = ["{SHOWN_BY}"]
reason = "answers unsupported_operation, as Wasmtime does"

[[departure]]
clause = "load.valid"
level = "function"
outcome = ["returned runtime_error"]
shown_by = ["test_clause[load.valid]"]
reason = "listed by its short test name"
"""

LISTING_ANOTHER_LEVEL = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "function"
outcome = ["returned unsupported_operation"]
shown_by = ["{SHOWN_BY}"]
reason = "listed at the function level, but the host departs at the errno level"
"""


Runs = dict[str, tuple[Path, tuple[str, ...]]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Each expectations file and the options of its run: the departing host with its departure
    listed (updating the file), the conforming host with the same departure, the departing host
    with its departure listed at another level. All start at once."""
    folder = tmp_path_factory.mktemp("expectations")
    departing = write(folder / "departing.toml", LISTING_THE_DEPARTURE)
    conforming = write(folder / "conforming.toml", LISTING_WHAT_PASSES)
    elsewhere = write(folder / "elsewhere.toml", LISTING_ANOTHER_LEVEL)
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
        "elsewhere": (
            elsewhere,
            ("--wasi-nn-host=tests.hosts.errno_host:departing", f"--wasi-nn-expectations={elsewhere}", *SELECTION),
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
    assert (
        "NOT CHECKED 1 listed departure (none of the tests that show them ran): compute.valid at function" in run.output
    )
    data = report(run.report)
    listed = clause(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "expected_failure"
    assert [departure["status"] for departure in listed["departures"]] == ["expected_failure"]
    assert listed["failures"]
    assert all(failure["expected"] for failure in listed["failures"])
    test = next(test for test in data["tests"] if test["id"].endswith(f"[{DEPARTING_CLAUSE}]"))
    assert test["outcome"] == "expected_failure"
    assert test["departures"] == [f"{DEPARTING_CLAUSE} at errno"]
    assert data["levels"]["errno"]["expected_failure"] == 1
    assert data["levels"]["errno"]["failed"] == 0
    assert data["expectations"]["not_checked"] == ["compute.valid at function"]
    assert "## Expected failures" in (run.report / "summary.md").read_text()
    assert 'message="expected failure: answers' in (run.report / "junit.xml").read_text()

    rewritten = {departure.key: departure for departure in load_expectations(path).departures}
    assert set(rewritten) == {f"{DEPARTING_CLAUSE} at errno", "compute.valid at function"}
    assert rewritten["compute.valid at function"].reason == "not asked in this run, so kept"
    assert rewritten["compute.valid at function"].shown_by == (NOT_IN_THE_SLICE,)
    assert rewritten[f"{DEPARTING_CLAUSE} at errno"] == Departure(
        DEPARTING_CLAUSE,
        Level.ERRNO,
        ("returned unsupported_operation",),
        (SHOWN_BY,),
        "answers unsupported_operation, as Wasmtime does",
        "https://example.org/4",
    )


def test_a_departure_the_host_no_longer_has_fails_the_run_as_an_unexpected_pass(
    tmp_path_factory: pytest.TempPathFactory, runs: Runs
) -> None:
    run = run_suite(tmp_path_factory, *runs["conforming"][1])
    assert run.returncode == 1, run.output
    assert f"UNEXPECTED PASS {DEPARTING_CLAUSE} at errno (returned unsupported_operation)" in run.output
    assert "UNEXPECTED PASS load.valid at function" in run.output
    data = report(run.report)
    assert set(data["expectations"]["unexpected_passes"]) == {f"{DEPARTING_CLAUSE} at errno", "load.valid at function"}
    listed = clause(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "unexpected_pass"
    assert listed["verdicts"]["errno"] == "unexpected_pass"
    assert listed["verdicts"]["safety"] == "passed"
    assert [departure["status"] for departure in listed["departures"]] == ["unexpected_pass"]
    assert clause(data, "load.valid")["verdicts"]["function"] == "unexpected_pass"
    summary = (run.report / "summary.md").read_text()
    assert "## Unexpected passes" in summary
    assert f"`{DEPARTING_CLAUSE}` at errno (returned unsupported_operation) is listed" in summary
    junit = (run.report / "junit.xml").read_text()
    assert 'type="unexpected pass"' in junit


def test_a_departure_at_another_level_than_listed_fails_the_run(
    tmp_path_factory: pytest.TempPathFactory, runs: Runs
) -> None:
    run = run_suite(tmp_path_factory, *runs["elsewhere"][1])
    assert run.returncode == 1, run.output
    assert f"FAILED {DEPARTING_CLAUSE}: errno: expected invalid_argument, the call returned unsupported_operation" in (
        run.output
    )
    assert f"UNEXPECTED PASS {DEPARTING_CLAUSE} at function" in run.output
    data = report(run.report)
    listed = clause(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "failed"
    assert listed["verdicts"]["errno"] == "failed"
    assert not any(failure["expected"] for failure in listed["failures"])
    outcomes = {test["id"]: test["outcome"] for test in data["tests"]}
    assert outcomes[SHOWN_BY] == "failed"


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


# -- entries of some releases of a host --------------------------------------------------------


def ranged(versions: str, clause_id: str = "load.valid", level: str = "function") -> str:
    return f"""
[[departure]]
clause = "{clause_id}"
level = "{level}"
outcome = "returned runtime_error"
shown_by = "test_clauses.py::test_clause[{clause_id}]"
reason = "in some releases"
versions = "{versions}"
"""


def test_an_entry_holds_for_the_releases_its_versions_name(tmp_path: Path) -> None:
    path = write(tmp_path / "host.toml", ranged(">=44,<47") + ranged("==36.*") + ranged(">=47", level="errno"))
    expectations = load_expectations(path)
    for host_version, holding in [
        ("wasmtime 46.0.1 (823d1b8f2 2026-06-24) with OpenVINO 2026.4.1", [">=44,<47"]),
        ("wasmtime 36.0.9 (b9e4c5a1 2026-01-02)", ["==36.*"]),
        ("wasmtime 49.0.3", [">=47"]),
        ("wasmtime 43.0.0", []),
        ("tests.hosts.errno_host", []),  # no release: a ranged entry never holds
    ]:
        chosen = expectations.for_host_version(host_version)
        assert [entry.versions for entry in chosen.departures] == holding, host_version
        assert len(chosen.departures) + len(chosen.other_releases) == 3
        # Choosing again from the chosen gives the same: nothing is lost between releases.
        again = chosen.for_host_version("wasmtime 36.0.9")
        assert [entry.versions for entry in again.departures] == ["==36.*"]


def test_an_entry_without_versions_holds_for_every_release() -> None:
    entry = Departure("load.valid", Level.FUNCTION, ("returned runtime_error",), ("x",), "why")
    assert entry.holds_for(None)
    assert Expectations(None, (entry,)).for_host_version("anything").departures == (entry,)


@pytest.mark.parametrize("versions", ["44+", ">=forty", "[44]"])
def test_a_versions_that_is_no_range_is_refused_with_file_entry_and_why(tmp_path: Path, versions: str) -> None:
    text = ranged(versions) if versions != "[44]" else ranged("x").replace('versions = "x"', "versions = [44]")
    path = write(tmp_path / "host.toml", text)
    with pytest.raises(
        ExpectationsError, match=r"host\.toml: departure 1 \(load\.valid\): versions .* is not a version range"
    ):
        load_expectations(path)


def test_one_clause_and_level_may_have_an_entry_per_range_but_not_two_for_one(tmp_path: Path) -> None:
    assert len(load_expectations(write(tmp_path / "a.toml", ranged("<46") + ranged(">=46"))).departures) == 2
    with pytest.raises(ExpectationsError, match=r"listed more than once: load\.valid at function for <46"):
        load_expectations(write(tmp_path / "b.toml", ranged("<46") + ranged("<46")))


def test_versions_are_written_back(tmp_path: Path) -> None:
    original = load_expectations(write(tmp_path / "a.toml", ranged(">=44,<47") + ranged("", level="errno")))
    text = render(original.departures, "host", "2023-08")
    assert text.count("versions = ") == 1
    assert load_expectations(write(tmp_path / "b.toml", text)).departures == original.departures


@pytest.fixture(scope="module")
def ranged_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The reference host (release 0.1.0) with a departure it does not have, listed for other releases or for its own."""
    folder = tmp_path_factory.mktemp("ranged")
    chosen = {}
    for name, versions, update in [("other", "<0.1", True), ("own", ">=0.1", False)]:
        path = write(folder / f"{name}.toml", ranged(versions))
        options = (f"--wasi-nn-expectations={path}", "-k", "test_clause and load.valid")
        chosen[name] = (path, (*options, "--update-expectations") if update else options)
        start(tmp_path_factory, *chosen[name][1])
    return chosen


def test_an_entry_for_other_releases_is_left_out_of_the_run_and_kept_by_update(
    tmp_path_factory: pytest.TempPathFactory, ranged_runs: dict[str, tuple[Path, tuple[str, ...]]]
) -> None:
    path, options = ranged_runs["other"]
    run = run_suite(tmp_path_factory, *options)
    assert run.returncode == 0, run.output
    assert "UNEXPECTED PASS" not in run.output
    assert report(run.report)["expectations"]["unexpected_passes"] == []
    (kept,) = load_expectations(path).departures
    assert (kept.key, kept.versions, kept.reason) == ("load.valid at function", "<0.1", "in some releases")


def test_an_entry_for_the_release_under_test_that_no_failure_matches_fails_the_run(
    tmp_path_factory: pytest.TempPathFactory, ranged_runs: dict[str, tuple[Path, tuple[str, ...]]]
) -> None:
    run = run_suite(tmp_path_factory, *ranged_runs["own"][1])
    assert run.returncode == 1, run.output
    assert "UNEXPECTED PASS load.valid at function" in run.output


def test_a_corpus_entry_may_hold_for_some_releases_too(tmp_path: Path) -> None:
    text = """
[[corpus]]
cases = ["test_reshape_allowzero_reordered"]
outcome = "refused"
reason = "an empty output is a runtime_error before 48"
versions = "<48"

[[corpus]]
cases = ["test_reshape_allowzero_reordered"]
outcome = "wrong_values"
reason = "a made-up departure of later releases"
versions = ">=48"
"""
    expectations = load_expectations(write(tmp_path / "host.toml", text))
    assert expectations.ranged
    old = expectations.for_host_version("wasmtime 36.0.9 (c59270b18 2026-05-05)")
    assert [entry.outcomes for entry in old.corpus] == [("refused",)]
    assert [entry.outcomes for entry in old.other_releases_corpus] == [("wrong_values",)]
    new = old.for_host_version("wasmtime 49.0.3")
    assert [entry.outcomes for entry in new.corpus] == [("wrong_values",)]
    rendered = render((), "host", "2023-08", expectations.corpus)
    assert load_expectations(write(tmp_path / "again.toml", rendered)).corpus == expectations.corpus
    with pytest.raises(ExpectationsError, match="listed more than once: case test_reshape_allowzero_reordered for <48"):
        load_expectations(write(tmp_path / "twice.toml", text.replace(">=48", "<48")))

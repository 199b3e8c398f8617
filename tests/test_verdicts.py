"""Verdicts say what happened: the most severe failure of a clause is the one shown, everywhere;
a host that cannot be asked is "not run" (and fails the run), never "skipped"; a clause left out
by -k is "not selected"; a listed departure whose tests did not run is "not checked"."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.adapters.base import Capabilities, RunOutcome
from conformance.catalog import CallOutcome, Facts, Judgement, Level, judge, load_catalog
from conformance.expectations import Departure, Expectations
from conformance.reports import SCHEMA_PATH, summary_markdown
from conformance.reports.data import build
from conformance.reports.junit import junit_xml
from conformance.results import KEEP_FAILURES, Ledger, Observation, failure_severity
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import run_suite, start

CATALOG = load_catalog("2023-08")
#: An invalid call: success fails safety, a crash fails safety, a trap fails errno, a wrong errno fails errno.
CLAUSE = "load.out-pointer-out-of-bounds"
SUCCESS = CallOutcome("returned", 0, "success")
TOO_LARGE = CallOutcome("returned", 7, "too_large")
BUSY = CallOutcome("returned", 4, "busy")
TRAPPED = CallOutcome("trapped", message="out of bounds")
CRASHED = CallOutcome("crashed", message="signal 6")
TEST = "test_clauses.py::test_clause[x]"


def judged(outcome: CallOutcome, clause: str = CLAUSE) -> Judgement:
    return judge(CATALOG[clause], outcome, Facts())


def observe(ledger: Ledger, outcome: CallOutcome, test: str = TEST, call: int = 0, clause: str = CLAUSE) -> bool:
    return ledger.record(Observation(test, judged(outcome, clause), [f"#{call} {outcome}"], None, call))


class Host:
    """Just enough of a host for the reports."""

    name = "fake"
    capabilities = Capabilities()

    def version(self) -> str:
        return "1.0"

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        raise AssertionError("never run")


def reports(ledger: Ledger, folder: Path) -> tuple[dict[str, Any], str, ElementTree.Element]:
    """report.json's data (checked against its schema), summary.md and junit.xml of a ledger."""
    data, _ = build(ledger, Host(), folder)
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    return data, summary_markdown(data), ElementTree.fromstring(junit_xml(data))


def clause_data(data: dict[str, Any], clause_id: str) -> dict[str, Any]:
    return next(entry for entry in data["clauses"] if entry["id"] == clause_id)


# -- the most severe failure first ---------------------------------------------------------


def test_severity_is_the_lowest_failed_level_then_how_the_call_ended() -> None:
    order = [judged(CRASHED), judged(SUCCESS), judged(TRAPPED), judged(TOO_LARGE)]
    assert sorted(order, key=failure_severity) == order
    assert failure_severity(judged(CallOutcome("returned", 1, "invalid_argument"))) > failure_severity(
        judged(TOO_LARGE)
    )


def test_a_safety_failure_is_shown_before_a_later_errno_failure_everywhere(tmp_path: Path) -> None:
    ledger = Ledger("host", "2023-08", CATALOG)
    observe(ledger, SUCCESS, call=1)
    observe(ledger, TOO_LARGE, call=2)
    tally = ledger.tallies[CLAUSE]
    assert [observation.call for observation in tally.failures] == [1, 2]
    assert ledger.tests[TEST].failure is not None
    assert ledger.tests[TEST].failure.call == 1
    (failed,) = [line for line in ledger.summary_lines() if line.startswith("  FAILED")]
    assert failed.startswith(f"  FAILED {CLAUSE}: safety: expected error or trap, the call returned success")
    assert "call #1" in failed

    data, summary, junit = reports(ledger, tmp_path)
    entry = clause_data(data, CLAUSE)
    assert [failure["call"] for failure in entry["failures"]] == [1, 2]
    assert entry["failures"][0]["levels"] == ["safety", "function", "errno"]
    case = next(case for case in junit.iter("testcase") if case.get("name") == CLAUSE)
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "safety: expected error or trap, the call returned success"
    listed = re.findall(rf"^- `{re.escape(TEST)}` call #(\d+): (\w+):", summary, re.MULTILINE)
    assert listed == [("1", "safety"), ("2", "errno")]


def test_within_a_level_a_crash_is_worse_than_a_trap_worse_than_an_errno() -> None:
    ledger = Ledger("host", "2023-08", CATALOG)
    observe(ledger, TOO_LARGE, "t.py::errno", call=1)
    observe(ledger, TRAPPED, "t.py::trap", call=2)
    observe(ledger, SUCCESS, "t.py::success", call=3)
    observe(ledger, CRASHED, "t.py::crash", call=4)
    assert [observation.call for observation in ledger.tallies[CLAUSE].failures] == [4, 3, 2, 1]


def test_the_latest_of_equally_severe_failures_of_a_test_is_kept() -> None:
    # Hypothesis replays its shrunk example last: that is the one to show.
    ledger = Ledger("host", "2023-08", CATALOG)
    for call in range(3):
        observe(ledger, SUCCESS, call=call)
    observe(ledger, TOO_LARGE, call=9)
    failures = ledger.tallies[CLAUSE].failures
    assert [observation.call for observation in failures] == [2, 9]
    assert ledger.tests[TEST].failure is not None
    assert ledger.tests[TEST].failure.call == 2
    assert ledger.tallies[CLAUSE].failure_count == 4


def test_a_full_list_never_drops_a_more_severe_failure_for_a_less_severe_one() -> None:
    ledger = Ledger("host", "2023-08", CATALOG)
    for number in range(KEEP_FAILURES):
        observe(ledger, TOO_LARGE, f"t.py::errno{number}", call=number)
    observe(ledger, SUCCESS, "t.py::safety", call=100)
    for number in range(KEEP_FAILURES):
        observe(ledger, TOO_LARGE, f"t.py::later{number}", call=200 + number)
        observe(ledger, BUSY, f"t.py::later{number}", call=300 + number)
    failures = ledger.tallies[CLAUSE].failures
    assert len(failures) == KEEP_FAILURES
    assert failures[0].call == 100
    assert ledger.tallies[CLAUSE].failure_count == 1 + 3 * KEEP_FAILURES


def test_a_failure_no_expectation_covers_is_kept_before_listed_ones() -> None:
    listed = Departure(CLAUSE, Level.ERRNO, ("returned too_large",), ("t.py::listed0",), "known")
    ledger = Ledger("host", "2023-08", CATALOG, expectations=Expectations(None, (listed,)))
    for number in range(KEEP_FAILURES):
        assert not observe(ledger, TOO_LARGE, f"t.py::listed{number}", call=number)
    assert observe(ledger, BUSY, "t.py::new", call=50)
    failures = ledger.tallies[CLAUSE].failures
    assert failures[0].call == 50
    assert len(failures) == KEEP_FAILURES


# -- matching departures on level and outcome -----------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "covered"),
    [(TOO_LARGE, True), (BUSY, False), (TRAPPED, False), (CRASHED, False), (SUCCESS, False)],
)
def test_only_a_failure_at_the_listed_level_with_a_listed_outcome_is_expected(
    outcome: CallOutcome, covered: bool
) -> None:
    listed = Departure(CLAUSE, Level.ERRNO, ("returned too_large",), (TEST,), "known")
    ledger = Ledger("host", "2023-08", CATALOG, expectations=Expectations(None, (listed,)))
    assert observe(ledger, outcome) is not covered
    ledger.test(TEST).called = True
    assert ledger.overall(CLAUSE) == ("expected_failure" if covered else "failed")
    # A departure that showed otherwise is one the host no longer has as listed.
    assert ledger.departure_status(listed) == ("expected_failure" if covered else "unexpected_pass")


def test_a_failure_less_severe_than_listed_is_a_new_departure_and_the_listed_one_is_gone() -> None:
    listed = Departure(CLAUSE, Level.SAFETY, ("crashed",), (TEST,), "panics")
    ledger = Ledger("host", "2023-08", CATALOG, expectations=Expectations(None, (listed,)))
    assert observe(ledger, TOO_LARGE)
    ledger.test(TEST).called = True
    assert {level: ledger.verdict(CLAUSE, level) for level in Level} == {
        Level.SAFETY: "unexpected_pass",
        Level.FUNCTION: "unexpected_pass",
        Level.ERRNO: "failed",
    }
    assert ledger.overall(CLAUSE) == "failed"
    assert ledger.unexpected_passes() == [listed]


def test_a_departure_whose_tests_did_not_run_is_not_checked(tmp_path: Path) -> None:
    other = "test_properties.py::test_rank0"
    listed = Departure(CLAUSE, Level.ERRNO, ("returned too_large",), (other,), "rank-0 only")
    ledger = Ledger("host", "2023-08", CATALOG, expectations=Expectations(None, (listed,)))
    observe(ledger, CallOutcome("returned", 1, "invalid_argument"))
    ledger.test(TEST).called = True
    assert ledger.departure_status(listed) == "not_checked"
    assert ledger.overall(CLAUSE) == "passed"
    assert ledger.unexpected_passes() == []
    assert not ledger.fails_run()
    assert any(
        line.startswith("  NOT CHECKED 1 listed departure") and listed.key in line for line in ledger.summary_lines()
    )
    data, summary, _ = reports(ledger, tmp_path)
    assert data["expectations"]["not_checked"] == [listed.key]
    assert clause_data(data, CLAUSE)["departures"][0]["status"] == "not_checked"
    assert "## Not checked (1 listed departure)" in summary

    ledger.test(other).called = True
    assert ledger.departure_status(listed) == "unexpected_pass"
    assert ledger.fails_run()


# -- not run, not selected, skipped ----------------------------------------------------------


def test_a_clause_whose_test_could_not_ask_the_host_is_not_run_and_fails_the_run(tmp_path: Path) -> None:
    clause_test = f"test_clauses.py::test_clause[{CLAUSE}]"
    ledger = Ledger(
        "host", "2023-08", CATALOG, clause_tests={CLAUSE: clause_test, "load.valid": "test_clauses.py::t[load.valid]"}
    )
    ledger.skip("load_by_name.valid", "the host declares no load_by_name")
    ledger.not_run(clause_test, CLAUSE, "the host could not be started: no such file")
    ledger.finish(1, interrupted=False, errored=False)
    assert ledger.overall(CLAUSE) == "not_run"
    assert ledger.overall("load.valid") == "not_run"
    assert ledger.not_run_reasons("load.valid") == ["its test did not finish: the run ended first"]
    assert ledger.overall("load_by_name.valid") == "skipped"
    assert ledger.overall("compute.valid") == "not_selected"
    assert ledger.fails_run()
    lines = ledger.summary_lines()
    assert re.match(r"  safety   0 passed, 0 failed, 1 skipped, 2 not run, \d+ not selected$", lines[1]), lines
    assert "  NOT RUN 1 test: the host could not be started: no such file" in lines

    data, summary, junit = reports(ledger, tmp_path)
    assert data["levels"]["safety"]["not_run"] == 2
    assert data["levels"]["safety"]["skipped"] == 1
    assert clause_data(data, CLAUSE)["not_run"] == ["the host could not be started: no such file"]
    assert "## Not run (2 clauses)" in summary
    error = next(case for case in junit.iter("testcase") if case.get("name") == CLAUSE).find("error")
    assert error is not None
    assert "could not be started" in error.get("message", "")
    assert junit.get("errors") == "2"


UNCHECKED_TOML = f"""
[[departure]]
clause = "{DEPARTING_CLAUSE}"
level = "errno"
outcome = ["returned unsupported_operation"]
shown_by = ["test_properties.py::test_invalid_arguments_get_the_errno_of_the_clause_they_violate"]
reason = "seen in a property test only"
"""

MISSING_HOST = ("--wasi-nn-host-command", "no-such-binary-of-wasi-nn {wasm}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, ...]]:
    """The options of each run this module looks at; they all start at once."""
    unchecked = tmp_path_factory.mktemp("unchecked") / "host.toml"
    unchecked.write_text(UNCHECKED_TOML)
    chosen = {
        "missing host": (*MISSING_HOST, "-k", "load.valid or link.all-functions or test_invalid_arguments"),
        # The listed clause's own test runs and passes; the test that shows the departure does not.
        "slice": (
            "--wasi-nn-host=tests.hosts.errno_host:conforming",
            f"--wasi-nn-expectations={unchecked}",
            "-k",
            f"test_clause and {DEPARTING_CLAUSE}",
        ),
    }
    for options in chosen.values():
        start(tmp_path_factory, *options)
    return chosen


def test_a_host_command_that_does_not_exist_fails_the_run_as_not_run(
    tmp_path_factory: pytest.TempPathFactory, runs: dict[str, tuple[str, ...]]
) -> None:
    run = run_suite(tmp_path_factory, *runs["missing host"])
    assert run.returncode == 1, run.output
    summary_lines = run.output[run.output.index("wasi-nn conformance of host") :].splitlines()
    for level in ("safety  ", "function"):
        pattern = rf"  {level} 0 passed, 0 failed, 0 skipped, 2 not run, \d+ not selected"
        assert any(re.fullmatch(pattern, line) for line in summary_lines), run.output
    assert any(line.startswith("  NOT RUN 3 tests: the host could not be started:") for line in summary_lines)

    data = json.loads((run.report / "report.json").read_text())
    assert data["levels"]["safety"]["not_run"] == 2
    assert data["levels"]["safety"]["skipped"] == 0
    outcomes = {test["id"]: test["outcome"] for test in data["tests"]}
    assert outcomes["test_clauses.py::test_clause[load.valid]"] == "not_run"
    assert outcomes["test_properties.py::test_invalid_arguments_get_the_errno_of_the_clause_they_violate"] == "not_run"
    not_run = clause_data(data, "load.valid")
    assert not_run["verdict"] == "not_run"
    assert "could not be started" in not_run["not_run"][0]
    assert clause_data(data, "compute.valid")["verdict"] == "not_selected"
    summary = (run.report / "summary.md").read_text()
    assert "## Not run (2 clauses)" in summary
    assert re.search(r"^\| `load\.valid` \| load \| \w+ \| ✗ not run \| ✗ not run \|", summary, re.MULTILINE)
    assert "| - skipped |" not in summary


def test_a_slice_without_the_tests_that_show_a_departure_reports_it_not_checked(
    tmp_path_factory: pytest.TempPathFactory, runs: dict[str, tuple[str, ...]]
) -> None:
    run = run_suite(tmp_path_factory, *runs["slice"])
    assert run.returncode == 0, run.output
    assert "UNEXPECTED PASS" not in run.output
    assert (
        f"NOT CHECKED 1 listed departure (none of the tests that show them ran): {DEPARTING_CLAUSE} at errno"
        in run.output
    )
    data = json.loads((run.report / "report.json").read_text())
    assert data["expectations"]["unexpected_passes"] == []
    assert data["expectations"]["not_checked"] == [f"{DEPARTING_CLAUSE} at errno"]
    listed = clause_data(data, DEPARTING_CLAUSE)
    assert listed["verdict"] == "passed"
    assert [departure["status"] for departure in listed["departures"]] == ["not_checked"]
    assert "## Not checked (1 listed departure)" in (run.report / "summary.md").read_text()

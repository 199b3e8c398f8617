"""The reports a conformance run writes: four files that agree, a schema that holds, and
reports that survive runs that go wrong (a host that always crashes, Ctrl-C, SIGTERM, SIGKILL)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest

from conformance import reports as report
from conformance.reports import SCHEMA_PATH, markdown, summary_markdown, write_atomically
from conformance.results import LevelVerdict
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import CRASHING, DEPARTING, PROJECT, SuiteRun, run_suite, start, suite_command

LEVELS = ("safety", "function", "errno")


@pytest.fixture(scope="module")
def departing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    start(tmp_path_factory, *CRASHING)
    return run_suite(tmp_path_factory, *DEPARTING)


@pytest.fixture(scope="module")
def crashing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    start(tmp_path_factory, *DEPARTING)
    return run_suite(tmp_path_factory, *CRASHING)


def load(run: SuiteRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.report / "report.json").read_text())
    return data


def validate(data: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


def verdict_counts(data: dict[str, Any], level: str) -> Counter[str]:
    return Counter(
        clause["verdicts"][level] for clause in data["clauses"] if clause["verdicts"][level] != "not_applicable"
    )


def test_a_run_writes_four_reports_that_agree(departing_run: SuiteRun) -> None:
    assert departing_run.returncode == 1, departing_run.output
    for name in ("report.json", "junit.xml", "summary.md", "index.html"):
        assert (departing_run.report / name).is_file(), name
    data = load(departing_run)
    assert data["run"]["status"] == "complete"
    assert data["run"]["complete"]
    failing = {clause["id"] for clause in data["clauses"] if clause["verdict"] == "failed"}
    assert failing == {DEPARTING_CLAUSE}
    for level in LEVELS:
        counts = verdict_counts(data, level)
        for verdict in get_args(LevelVerdict):
            if verdict == "not_applicable":
                continue
            assert data["levels"][level][verdict] == counts[verdict], (level, verdict)

    junit = ElementTree.parse(departing_run.report / "junit.xml").getroot()
    cases = junit.findall("./testsuite/testcase")
    assert [case.get("name") for case in cases] == [clause["id"] for clause in data["clauses"]]
    junit_failing = {case.get("name") for case in cases if case.find("failure") is not None}
    assert junit_failing == failing
    assert int(junit.get("failures", "-1")) == len(failing)
    assert int(junit.get("tests", "-1")) == len(cases)
    failure_text = next(case.find("failure") for case in cases if case.get("name") == DEPARTING_CLAUSE).text or ""
    assert "wasi-nn-conformance replay" in failure_text
    assert "transcript:" in failure_text

    summary = (departing_run.report / "summary.md").read_text()
    assert summary == summary_markdown(data)
    for level in LEVELS:
        row = re.search(rf"^\| {level} \((?:MUST|SHOULD)\) \| (\d+) \| (\d+) \| (\d+) \|", summary, re.MULTILINE)
        assert row is not None, level
        counts = data["levels"][level]
        assert tuple(map(int, row.groups())) == (counts["clauses"], counts["passed"], counts["failed"])
    assert set(re.findall(r"^### (\S+)$", summary, re.MULTILINE)) == failing
    assert summary.count("reproduce: `wasi-nn-conformance replay") == sum(
        len(clause["failures"]) for clause in data["clauses"] if clause["id"] in failing
    )

    page = (departing_run.report / "index.html").read_text()
    embedded = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    assert embedded is not None
    assert json.loads(embedded.group(1)) == [{key: value for key, value in data.items() if key != "tests"}]


def test_report_json_validates_against_its_schema(departing_run: SuiteRun) -> None:
    data = load(departing_run)
    validate(data)
    failure = next(clause for clause in data["clauses"] if clause["id"] == DEPARTING_CLAUSE)["failures"][0]
    assert failure["levels"] == ["errno"]
    assert failure["outcome_kind"] == "returned unsupported_operation"
    assert (departing_run.report / data["cases"][failure["case"]]["wasm"]).is_file()
    test = next(test for test in data["tests"] if test["id"].endswith(f"[{DEPARTING_CLAUSE}]"))
    assert test["outcome"] == "failed"
    assert test["reproducer"] == failure["reproducer"]
    assert test["transcript"]
    assert next(clause for clause in data["clauses"] if clause["id"] == "load.valid")["tags"]["encoding"] == ["onnx"]


def test_the_schema_rejects_what_the_format_does_not_allow(departing_run: SuiteRun) -> None:
    data = load(departing_run)
    data["clauses"][0]["verdicts"]["safety"] = "fine"
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def test_a_host_that_always_crashes_fails_every_clause_with_the_crash_outcome(crashing_run: SuiteRun) -> None:
    assert crashing_run.returncode == 1, crashing_run.output
    data = load(crashing_run)
    validate(data)
    assert data["run"]["complete"]
    verdicts = Counter(clause["verdict"] for clause in data["clauses"])
    assert set(verdicts) <= {"failed", "skipped"}, verdicts
    for clause in data["clauses"]:
        if clause["verdict"] == "skipped":
            assert clause["skipped"], f"{clause['id']} skipped without a reason"
            continue
        assert clause["failures"], clause["id"]
        assert {failure["outcome_kind"] for failure in clause["failures"]} == {"crashed"}, clause["id"]
        assert all(failure["case"] in data["cases"] for failure in clause["failures"])
    assert all(data["levels"][level]["passed"] == 0 for level in LEVELS)


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_runs_that_are_stopped_still_leave_a_report_marked_incomplete(tmp_path: Path) -> None:
    # The host crashes on its first run and hangs on the second; the run is stopped while it hangs.
    stops = {"ctrl-c": signal.SIGINT, "sigkill": signal.SIGKILL}
    runs = {}
    for name in stops:
        marks = tmp_path / name
        marks.mkdir()
        host = (
            f"sh -c 'if [ -e {marks}/crashed ]; then echo $$ > {marks}/hanging.tmp; mv {marks}/hanging.tmp "
            f"{marks}/hanging; exec sleep 30; fi; touch {marks}/crashed; kill -ABRT $$' {{wasm}}"
        )
        command = suite_command(
            marks / "report", "--wasi-nn-host-command", host, "-k", "link.all-functions or load.valid"
        )
        runs[name] = subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for name, process in runs.items():
            _wait_for(tmp_path / name / "hanging", process)
            process.send_signal(stops[name])
        for process in runs.values():
            process.communicate(timeout=60)
    finally:
        for name, process in runs.items():
            if process.poll() is None:
                process.kill()
            hanging = tmp_path / name / "hanging"
            if hanging.exists():  # the host a SIGKILL orphaned
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(hanging.read_text()), signal.SIGKILL)
    for name in stops:
        data = json.loads((tmp_path / name / "report" / "report.json").read_text())
        validate(data)
        assert not data["run"]["complete"]
        # A killed run never got to say so: its last checkpoint says it was still running.
        assert data["run"]["status"] == ("running" if name == "sigkill" else "interrupted"), name
        finished = {test["id"]: test["outcome"] for test in data["tests"]}
        assert finished["test_clauses.py::test_clause[link.all-functions]"] == "failed", name
        crashed = next(clause for clause in data["clauses"] if clause["id"] == "link.all-functions")
        assert crashed["failures"][0]["outcome_kind"] == "crashed"
        if name != "sigkill":
            summary = (tmp_path / name / "report" / "summary.md").read_text()
            assert "INCOMPLETE: the run is interrupted" in summary
            assert finished["test_clauses.py::test_clause[load.valid]"] == "not_finished"


def test_sigterm_interrupts_the_run_like_ctrl_c_until_it_is_restored() -> None:
    def terminate_this_process() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler runs at the next bytecode: the sleep never finishes

    restore = report.sigterm_as_interrupt()
    try:
        with pytest.raises(KeyboardInterrupt):
            terminate_this_process()
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_clause_tests_carry_tag_markers_and_the_header_names_the_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Collecting only, in this process: from the project folder, whose configuration says --strict-markers.
    monkeypatch.chdir(PROJECT)
    selection = "call_get_output and level_errno and errno_invalid_argument"
    status = pytest.main(["--pyargs", "conformance.tests", "-p", "no:cacheprovider", "--co", "-m", selection])
    output = capsys.readouterr().out
    assert status == 0, output
    assert "wasi-nn conformance: host reference, revision 2023-08" in output
    selected = re.findall(r"test_clause\[([^\]]+)\]", output)
    assert selected
    assert all(clause.startswith("get_output.") for clause in selected)
    assert "get_output.valid" not in selected


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    write_atomically(target, b"old")

    def refuse(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("text", ["plain", "a `tick`", "``double``", "`edge"])
def test_markdown_code_spans_hold_any_backticks(text: str) -> None:
    span = markdown._code(text)
    fence = re.match(r"`+", span)
    assert fence is not None
    assert fence.group(0) not in text
    assert span.strip("`").strip() == text.strip()

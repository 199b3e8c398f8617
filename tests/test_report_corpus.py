"""The ONNX node corpus in the reports: its section of report.json holds to the schema, and
junit.xml, summary.md and index.html show it, from hand-built reports (no host is run).

:func:`corpus_report` builds a whole report whose corpus has passes, a wrong value, a refusal,
an expected failure and an oracle that cannot answer; tests/test_report_browser.py opens its page.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ElementTree
from collections import Counter
from typing import Any

import jsonschema
import pytest

from conformance.corpus.ledger import VERDICTS
from conformance.corpus.outcomes import OUTCOMES
from conformance.reports import SCHEMA_PATH, summary_markdown
from conformance.reports.junit import junit_xml
from conformance.reports.page import html_page

LEVELS = ("safety", "function", "errno")
TOLERANCE = "rtol 0.001, atol 1e-05"


def corpus_case(
    case_id: str,
    operators: list[str],
    outcome: str = "passed",
    verdict: str | None = None,
    *,
    call: str | None = None,
    errno: str | None = None,
    max_error: float | None = 0.0,
    detail: str = "",
    departure: dict[str, str] | None = None,
    folder: str = "reports/host",
) -> dict[str, Any]:
    """A corpus case as report.json holds it; a case that went wrong gets a transcript that ends there and a reproducer."""
    verdict = verdict or (
        "passed" if outcome == "passed" else "oracle_unavailable" if outcome == "oracle_unavailable" else "failed"
    )
    nodes = "\n".join(f"  {operator}(x) -> y" for operator in operators)
    transcript = [
        "#0 load([model 212 bytes], onnx, cpu) -> success, graph 0",
        "#1 init_execution_context(0) -> success, context 0",
        "#2 set_input(0, 0, f32 [3, 4]) -> success",
    ]
    if outcome == "refused":
        transcript = [f"#0 load([model 212 bytes], onnx, cpu) -> {errno}"]
    elif outcome != "oracle_unavailable":
        transcript += ["#3 compute(0) -> success", "#4 get_output(0, 0, [48 bytes]) -> success, 48 bytes"]
    failing = outcome not in ("passed", "oracle_unavailable")
    name = f"corpus-{case_id}"
    return {
        "id": case_id,
        "test": f"test_corpus.py::test_corpus_case[{case_id}]",
        "operators": sorted(operators),
        "opset": 21,
        "outcome": outcome,
        "verdict": verdict,
        "call": call,
        "errno": errno,
        "max_error": max_error if outcome in ("passed", "wrong_values") else None,
        "tolerance": TOLERANCE if outcome in ("passed", "wrong_values") else None,
        "detail": detail
        or ("outputs equal native onnxruntime's" if outcome == "passed" else outcome.replace("_", " ")),
        "model": f"opset 21\n{nodes}",
        "inputs": [{"name": "x", "type": "f32", "shape": [3, 4]}],
        "outputs": [{"name": "y", "type": "f32", "shape": [3, 4]}],
        "transcript": transcript,
        "reproducer": (
            {
                "folder": f"repro/{name}",
                "command": f"wasi-nn-conformance replay {folder}/repro/{name} --wasi-nn-host reference",
            }
            if failing
            else None
        ),
        "departure": departure,
    }


def corpus_section(cases: list[dict[str, Any]], departures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The corpus section of ``cases``, every count taken from them, as data.py tallies them."""
    operators: dict[str, Counter[str]] = {}
    for case in cases:
        for operator in case["operators"]:
            counts = operators.setdefault(operator, Counter())
            counts["cases"] += 1
            counts[case["outcome"]] += 1
            if case["verdict"] in ("failed", "expected_failure", "unexpected_pass"):
                counts[case["verdict"]] += 1
    outcomes = Counter(case["outcome"] for case in cases)
    verdicts = Counter(case["verdict"] for case in cases)
    keys = ("cases", *OUTCOMES, "failed", "expected_failure", "unexpected_pass")
    return {
        "selection": "sample",
        "onnx_version": "1.19.1",
        "onnxruntime_version": "1.23.2",
        "packaging": "onnx",
        "seconds": 12.5,
        "processes": 3,
        "outcomes": {outcome: outcomes[outcome] for outcome in OUTCOMES},
        "verdicts": {verdict: verdicts[verdict] for verdict in VERDICTS},
        "out_of_scope": {"total": 63, "reasons": {"bool": 30, "string": 12, "sequence": 21}},
        "operators": [
            {"operator": operator, **{key: operators[operator][key] for key in keys}} for operator in sorted(operators)
        ],
        "cases": sorted(cases, key=lambda case: case["id"]),
        "departures": departures or [],
    }


CONV = {
    "entry": "operator Conv",
    "reason": "the host serves no Conv with padding",
    "link": "https://example.org/issues/7",
}


def reference_corpus() -> dict[str, Any]:
    """A corpus of the reference host: passes, a wrong value, a listed refusal, an oracle that cannot answer."""
    cases = [
        corpus_case("test_relu", ["Relu"]),
        corpus_case("test_add", ["Add"]),
        corpus_case("test_add_bcast", ["Add"], max_error=1e-7),
        corpus_case(
            "test_resize_downsample_scales_linear",
            ["Resize"],
            "wrong_values",
            call="get_output",
            max_error=0.5,
            detail="output 0 differs from native onnxruntime by 0.5 at [0, 1] (rtol 0.001, atol 1e-05)",
        ),
        corpus_case(
            "test_conv_with_strides_padding",
            ["Conv"],
            "refused",
            "expected_failure",
            call="load",
            errno="unsupported_operation",
            detail="load returned unsupported_operation",
            departure={key: CONV[key] for key in ("entry", "reason", "link")},
        ),
        corpus_case(
            "test_softmax_example",
            ["Softmax"],
            "oracle_unavailable",
            detail="native onnxruntime differs from ONNX's expected output by 0.002",
        ),
        corpus_case("test_softmax_axis_0_expanded", ["Exp", "ReduceMax", "ReduceSum", "Sub", "Div"], max_error=2e-7),
    ]
    departures = [{**CONV, "outcomes": ["refused"], "status": "expected_failure"}]
    return corpus_section(cases, departures)


def other_corpus() -> dict[str, Any]:
    """The same cases on another host: a crash and a case whose listed departure is gone."""
    cases = [
        corpus_case("test_relu", ["Relu"]),
        corpus_case(
            "test_add",
            ["Add"],
            "crashed",
            call="compute",
            detail="the host died of signal 11 in compute",
            folder="reports/other",
        ),
        corpus_case("test_add_bcast", ["Add"]),
        corpus_case("test_resize_downsample_scales_linear", ["Resize"], max_error=1e-6),
        corpus_case(
            "test_conv_with_strides_padding",
            ["Conv"],
            "passed",
            "unexpected_pass",
            departure={"entry": "case test_conv_with_strides_padding", "reason": "padding refused", "link": ""},
        ),
        corpus_case(
            "test_softmax_example", ["Softmax"], "oracle_unavailable", detail="native onnxruntime cannot run it"
        ),
    ]
    departures = [
        {
            "entry": "case test_conv_with_strides_padding",
            "outcomes": ["refused"],
            "reason": "padding refused",
            "link": "",
            "status": "unexpected_pass",
        },
        {
            "entry": "operator Resize",
            "outcomes": ["wrong_values"],
            "reason": "linear resize rounds differently",
            "link": "",
            "status": "unexpected_pass",
        },
    ]
    return corpus_section(cases, departures)


def corpus_report(host: str = "reference", corpus: dict[str, Any] | None = None) -> dict[str, Any]:
    """A whole report.json of one clause and the given corpus (``None``: the run selected no corpus case)."""
    counts = {"clauses": 1, "passed": 1, "failed": 0, "expected_failure": 0, "unexpected_pass": 0}
    counts |= {"skipped": 0, "not_run": 0, "not_selected": 0, "pass_rate": 1.0}
    return {
        "schema_version": 3,
        "suite": {"name": "wasi-nn-conformance", "version": "0.1.0"},
        "host": {
            "name": host,
            "version": "1.0",
            "option": host,
            "command": None,
            "capabilities": {
                "encodings": {"onnx": "onnx"},
                "targets": ["cpu"],
                "tensor_types": ["f32"],
                "load_by_name": True,
                "bit_exact": True,
            },
        },
        "revision": {"name": "2023-08", "witx_sha256": "0" * 64},
        "run": {
            "status": "complete",
            "complete": True,
            "started": "2025-01-01T10:00:00.000Z",
            "finished": "2025-01-01T10:01:00.000Z",
            "duration_seconds": 60.0,
            "exit_status": 1,
            "scenarios": 10,
            "hypothesis_profile": None,
        },
        "expectations": {"file": None, "departures": 0, "unexpected_passes": [], "not_checked": []},
        "levels": {level: dict(counts) for level in LEVELS},
        "clauses": [
            {
                "id": "load.valid",
                "call": "load",
                "level": "function",
                "expect": "success",
                "statement": "A valid model loads.",
                "rationale": "The spec's first call.",
                "tags": {"call": ["load"]},
                "verdict": "passed",
                "verdicts": dict.fromkeys(LEVELS, "passed"),
                "observations": {level: {"passed": 1, "failed": 0} for level in LEVELS},
                "skipped": [],
                "not_run": [],
                "tests": ["test_clauses.py::test_clause[load.valid]"],
                "tolerance": [],
                "max_error": None,
                "departures": [],
                "failure_count": 0,
                "failures": [],
            }
        ],
        "tests": [],
        "cases": {},
        "corpus": corpus,
    }


def validate(data: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


def case_of(data: dict[str, Any], case_id: str) -> dict[str, Any]:
    return next(case for case in data["corpus"]["cases"] if case["id"] == case_id)


# -- report.json and its schema ---------------------------------------------------------------


@pytest.mark.parametrize("corpus", [reference_corpus(), other_corpus(), None], ids=["reference", "other", "none"])
def test_a_report_with_or_without_a_corpus_holds_to_the_schema(corpus: dict[str, Any] | None) -> None:
    validate(corpus_report(corpus=corpus))


def test_the_schema_requires_the_corpus_key() -> None:
    data = corpus_report()
    del data["corpus"]
    with pytest.raises(jsonschema.ValidationError, match="'corpus' is a required property"):
        validate(data)


def _missing_key(data: dict[str, Any]) -> None:
    del case_of(data, "test_relu")["transcript"]


def _unknown_outcome(data: dict[str, Any]) -> None:
    case_of(data, "test_relu")["outcome"] = "fine"


def _unknown_count(data: dict[str, Any]) -> None:
    data["corpus"]["outcomes"]["flaky"] = 0


def _missing_count(data: dict[str, Any]) -> None:
    del data["corpus"]["verdicts"]["not_run"]


def _unknown_call(data: dict[str, Any]) -> None:
    case_of(data, "test_relu")["call"] = "load_by_name_with_config"


def _unknown_selection(data: dict[str, Any]) -> None:
    data["corpus"]["selection"] = "most"


def _bad_entry(data: dict[str, Any]) -> None:
    data["corpus"]["departures"][0]["entry"] = "Conv"


def _extra_operator_field(data: dict[str, Any]) -> None:
    data["corpus"]["operators"][0]["opset"] = 21


@pytest.mark.parametrize(
    "damage",
    [
        _missing_key,
        _unknown_outcome,
        _unknown_count,
        _missing_count,
        _unknown_call,
        _unknown_selection,
        _bad_entry,
        _extra_operator_field,
    ],
)
def test_the_schema_rejects_a_malformed_corpus(damage: Any) -> None:
    data = corpus_report(corpus=reference_corpus())
    damage(data)
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


def test_the_helpers_counts_agree_with_their_cases() -> None:
    # The other tests trust these sections to be consistent, as data.py makes them.
    for corpus in (reference_corpus(), other_corpus()):
        assert sum(corpus["outcomes"].values()) == len(corpus["cases"])
        assert sum(corpus["verdicts"].values()) == len(corpus["cases"])
        for row in corpus["operators"]:
            assert row["cases"] == sum(row[outcome] for outcome in OUTCOMES)


# -- junit.xml ----------------------------------------------------------------------------------


def junit(data: dict[str, Any]) -> ElementTree.Element:
    return ElementTree.fromstring(junit_xml(data))


def test_junit_has_a_testsuite_of_corpus_cases_with_their_verdicts() -> None:
    data = corpus_report(corpus=reference_corpus())
    root = junit(data)
    clauses, corpus = root.findall("testsuite")
    assert corpus.get("name") == "corpus"
    cases = corpus.findall("testcase")
    assert [case.get("name") for case in cases] == [case["id"] for case in data["corpus"]["cases"]]
    by_name = {case.get("name"): case for case in cases}
    assert by_name["test_relu"].get("classname") == "corpus.Relu"
    assert by_name["test_softmax_axis_0_expanded"].get("classname") == "corpus.Div"

    wrong = by_name["test_resize_downsample_scales_linear"].find("failure")
    assert wrong is not None
    resize = case_of(data, "test_resize_downsample_scales_linear")
    assert wrong.get("message") == f"wrong_values at get_output: {resize['detail']}"
    body = wrong.text or ""
    assert resize["transcript"][-1] in body
    assert resize["reproducer"]["command"] in body

    refused = by_name["test_conv_with_strides_padding"]
    assert refused.find("failure") is None
    skipped = refused.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == f"expected failure: {CONV['reason']} ({CONV['link']})"

    oracle = by_name["test_softmax_example"].find("skipped")
    assert oracle is not None
    assert oracle.get("message") == f"oracle unavailable: {case_of(data, 'test_softmax_example')['detail']}"
    assert by_name["test_relu"].find("failure") is None
    assert by_name["test_relu"].find("skipped") is None

    assert (corpus.get("tests"), corpus.get("failures"), corpus.get("skipped")) == ("7", "1", "2")
    for total in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(total, "-1")) == int(clauses.get(total, "-1")) + int(corpus.get(total, "-1")), total


def test_junit_fails_an_unexpected_pass_and_a_stale_operator_entry() -> None:
    root = junit(corpus_report(corpus=other_corpus()))
    corpus = root.findall("testsuite")[1]
    failing = {case.get("name"): case.find("failure") for case in corpus.findall("testcase")}
    failing = {name: failure for name, failure in failing.items() if failure is not None}
    assert set(failing) == {"test_add", "test_conv_with_strides_padding", "operator Resize"}
    assert failing["test_add"].get("message") == "crashed at compute: the host died of signal 11 in compute"
    assert failing["test_conv_with_strides_padding"].get("type") == "unexpected pass"
    assert "padding refused" in (failing["test_conv_with_strides_padding"].get("message") or "")
    assert failing["operator Resize"].get("type") == "unexpected pass"
    assert corpus.get("failures") == "3"


@pytest.mark.parametrize("absent", ["null", "missing"])
def test_junit_without_a_corpus_has_one_testsuite(absent: str) -> None:
    data = corpus_report()
    if absent == "missing":
        del data["corpus"]
    root = junit(data)
    assert len(root.findall("testsuite")) == 1
    assert root.get("tests") == "1"


# -- summary.md ---------------------------------------------------------------------------------


def table_rows(summary: str, header: str) -> dict[str, list[str]]:
    """The rows of the Markdown table whose header row starts with ``header``, by first cell."""
    lines = summary.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(header))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_summary_has_a_corpus_section_with_its_counts() -> None:
    data = corpus_report(corpus=reference_corpus())
    summary = summary_markdown(data)
    assert "## ONNX node corpus" in summary
    section = summary[summary.index("## ONNX node corpus") :]
    corpus = data["corpus"]
    assert f"{corpus['outcomes']['passed']} passed" in section
    assert "1 wrong values" in section
    assert "1 oracle unavailable" in section
    assert "12.5 s" in section
    assert "3 host processes" in section
    assert "onnx 1.19.1" in section
    assert "onnxruntime 1.23.2" in section
    assert "63 cases out of scope: bool 30, sequence 21, string 12" in section

    rows = table_rows(section, "| operator |")
    not_passing = [row for row in corpus["operators"] if row["passed"] < row["cases"]]
    assert set(rows) == {row["operator"] for row in not_passing}
    for row in not_passing:
        shown = list(map(int, rows[row["operator"]]))
        assert shown == [row["cases"], *(row[outcome] for outcome in OUTCOMES)], row["operator"]
    others = len(corpus["operators"]) - len(not_passing)
    assert f"{others} other operators: every case passed." in section

    resize = case_of(data, "test_resize_downsample_scales_linear")
    listed = re.findall(r"^- `(test_\w+)`: (.*)$", section, re.MULTILINE)
    assert [case_id for case_id, _ in listed] == ["test_resize_downsample_scales_linear"]
    assert "wrong values at get_output" in listed[0][1]
    assert "max error 0.5" in listed[0][1]
    assert TOLERANCE in listed[0][1]
    assert f"  reproduce: `{resize['reproducer']['command']}`" in section
    # The listed departure, and its refusal with the errno.
    assert "operator Conv" in section
    assert "unsupported_operation" in section


def test_summary_lists_crashes_unexpected_passes_and_stale_entries() -> None:
    summary = summary_markdown(corpus_report(corpus=other_corpus()))
    section = summary[summary.index("## ONNX node corpus") :]
    assert re.search(r"^- `test_add`: crashed at compute", section, re.MULTILINE)
    assert "case test_conv_with_strides_padding" in section
    assert "operator Resize" in section
    assert "remove it from the expectations" in section


def test_summary_escapes_table_cells() -> None:
    corpus = reference_corpus()
    corpus["operators"][0]["operator"] = "Odd|Op"
    corpus["operators"][0]["passed"] -= 1
    corpus["operators"][0]["wrong_values"] += 1
    summary = summary_markdown(corpus_report(corpus=corpus))
    assert "| `Odd\\|Op` | 2 | 1 | 1 |" in summary


@pytest.mark.parametrize("absent", ["null", "missing"])
def test_summary_without_a_corpus_has_no_corpus_section(absent: str) -> None:
    data = corpus_report()
    if absent == "missing":
        del data["corpus"]
    assert "ONNX node corpus" not in summary_markdown(data)


def test_summary_leaves_corpus_tests_out_of_the_tests_that_failed_outside_any_clause() -> None:
    data = corpus_report(corpus=reference_corpus())
    resize = case_of(data, "test_resize_downsample_scales_linear")
    test = {"id": resize["test"], "outcome": "failed", "failed_clauses": [], "reason": "wrong values"}
    data["tests"] = [test, {**test, "id": "test_other.py::test_x", "reason": "boom"}]
    summary = summary_markdown(data)
    outside = summary[summary.index("## Tests that failed outside any clause") :].split("\n## ")[0]
    assert "test_other.py::test_x" in outside
    assert resize["test"] not in outside


# -- index.html ---------------------------------------------------------------------------------


def embedded(page: str) -> list[dict[str, Any]]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.DOTALL)
    assert found is not None
    reports: list[dict[str, Any]] = json.loads(found.group(1))
    return reports


def test_the_page_embeds_the_corpus_and_escapes_what_could_end_its_script() -> None:
    corpus = reference_corpus()
    corpus["cases"][0]["detail"] = "</script><script>alert(1)</script>"
    data = corpus_report(corpus=corpus)
    page = html_page([data, corpus_report("other")])
    assert "</script><script>alert(1)" not in page
    first, second = embedded(page)
    assert first["corpus"] == data["corpus"]
    assert second["corpus"] is None
    assert 'id="view-operators"' in page


def test_the_helpers_reports_are_not_changed_by_rendering() -> None:
    data = corpus_report(corpus=other_corpus())
    before = copy.deepcopy(data)
    junit_xml(data)
    summary_markdown(data)
    html_page([data])
    assert data == before

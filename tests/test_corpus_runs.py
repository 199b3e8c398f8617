"""The ONNX node corpus as data, expectations and runs: scope, sample, entries, verdicts and reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest

from conformance.catalog import load_catalog
from conformance.corpus.cases import load_corpus
from conformance.corpus.ledger import CorpusLedger
from conformance.corpus.runner import CaseResult
from conformance.expectations import (
    CorpusDeparture,
    Expectations,
    ExpectationsError,
    load_expectations,
    render,
)
from conformance.expectations_update import updated_corpus_departures
from conformance.reports.data import SCHEMA_PATH
from conformance.results import Ledger
from conformance.revisions import REVISIONS
from tests.hosts.runs import run_suite, start

#: A slice selected by operator: ReduceMax is in no case id of it, only in its graphs.
BY_OPERATOR = ("-k", "test_corpus_case and ReduceMax and softmax_axis_0", "--wasi-nn-corpus", "all")


def test_cases_in_scope_use_only_the_revision_types_and_the_rest_are_counted_per_reason() -> None:
    for name in REVISIONS:
        corpus = load_corpus(name)
        served = {case.name.lower() for case in REVISIONS[name].bindings.TensorType}
        for case in corpus.cases.values():
            assert {tensor.type for tensor in (*case.inputs, *case.outputs)} <= served, case.id
            assert [value.shape for value in case.input_values] == [tensor.shape for tensor in case.inputs]
        # Every node test of the onnx package is in scope or counted out of it, once.
        assert len(corpus.cases) + sum(corpus.out_of_scope.values()) == len(load_corpus("2023-08").cases) + sum(
            load_corpus("2023-08").out_of_scope.values()
        )
    older = load_corpus("2022-10")
    assert older.out_of_scope["double"] > 0
    assert older.out_of_scope["int64"] > 0
    assert {"bool", "string", "sequence"} <= set(older.out_of_scope)


def test_a_case_is_the_same_in_every_revision_that_has_it() -> None:
    current, older = load_corpus("2023-08"), load_corpus("2022-10")
    for case_id in older.cases:
        for a, b in zip(current.cases[case_id].input_values, older.cases[case_id].input_values, strict=True):
            assert a.tobytes() == b.tobytes()
            assert a.dtype == b.dtype


def test_scalars_take_the_rank_the_graph_declares() -> None:
    # ONNX's data gives CumSum's axis as a one-element array; the graph declares a scalar.
    case = load_corpus().cases["test_cumsum_1d"]
    assert case.inputs[1].shape == ()
    assert case.input_values[1].shape == ()


def test_the_sample_is_one_single_node_case_per_operator() -> None:
    corpus = load_corpus()
    sample = corpus.sample()
    operators = [corpus.cases[case_id].operators for case_id in sample]
    assert all(len(each) == 1 for each in operators)
    assert len({each[0] for each in operators}) == len(sample)
    single = {
        case.operators[0] for case in corpus.cases.values() if "expanded" not in case.id and len(case.operators) == 1
    }
    assert single <= {each[0] for each in operators} | {op for case in corpus.cases.values() for op in case.operators}
    assert sample == corpus.sample()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path


def test_corpus_entries_name_cases_or_one_operator(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[[corpus]]\noperator = "Resize"\noutcome = ["wrong_values"]\nreason = "cubic"\n\n'
        '[[corpus]]\ncases = ["test_relu", "test_abs"]\noutcome = "refused"\nreason = "no"\nlink = "https://x"\n',
    )
    expectations = load_expectations(path)
    resize, cases = expectations.corpus
    assert resize.key == "operator Resize"
    assert resize.names("test_resize_x", ("Resize", "Constant"))
    assert cases.key == "case test_relu and 1 more"
    assert cases.names("test_abs", ("Abs",))
    assert not cases.names("test_resize_x", ("Resize",))
    # An entry naming the case wins over the operator's.
    both = Expectations(path, corpus=(resize, CorpusDeparture(("wrong_values",), "this one", cases=("test_resize_x",))))
    assert both.covering_case("test_resize_x", ("Resize",), "wrong_values") == both.corpus[1]
    assert both.covering_case("test_resize_x", ("Resize",), "crashed") is None
    again = _write(tmp_path, render((), "host", "2023-08", expectations.corpus))
    assert load_expectations(again).corpus == expectations.corpus


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('cases = ["test_relu"]\noperator = "Relu"\noutcome = "refused"\nreason = "r"', "names its cases"),
        ('outcome = "refused"\nreason = "r"', "names its cases"),
        ('operator = "Relu"\noutcome = "slow"\nreason = "r"', "outcome 'slow' is none of"),
        ('operator = "Relu"\noutcome = "refused"', "needs a reason"),
        ('operator = "Relu"\noutcome = "refused"\nreason = "r"\nlevel = "function"', "unknown keys level"),
    ],
)
def test_malformed_corpus_entries_are_refused_with_file_entry_and_why(
    tmp_path: Path, entry: str, complaint: str
) -> None:
    path = _write(tmp_path, f"[[corpus]]\n{entry}\n")
    with pytest.raises(ExpectationsError, match="corpus departure 1") as raised:
        load_expectations(path)
    assert complaint in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_case_listed_twice_is_refused(tmp_path: Path) -> None:
    entry = '[[corpus]]\ncases = ["test_relu"]\noutcome = "refused"\nreason = "r"\n'
    with pytest.raises(ExpectationsError, match="listed more than once: case test_relu"):
        load_expectations(_write(tmp_path, entry + "\n" + entry))


def _ledger(entries: tuple[CorpusDeparture, ...]) -> tuple[Ledger, CorpusLedger]:
    corpus = load_corpus()
    chosen = ["test_relu", "test_resize_upsample_scales_cubic", "test_resize_downsample_scales_linear", "test_abs"]
    expectations = Expectations(None, corpus=entries)
    corpus_ledger = CorpusLedger(corpus, "some", {case_id: f"t[{case_id}]" for case_id in chosen}, expectations)
    ledger = Ledger("host", "2023-08", load_catalog("2023-08"), expectations=expectations, corpus=corpus_ledger)
    return ledger, corpus_ledger


def _record_relu_passing_and_resize_failing_twice(corpus: CorpusLedger) -> None:
    """Relu passes; one Resize case has wrong values, the other is refused at load."""
    for case_id, result in (
        ("test_relu", CaseResult("test_relu", "passed")),
        (
            "test_resize_upsample_scales_cubic",
            CaseResult("test_resize_upsample_scales_cubic", "wrong_values", "get_output"),
        ),
        (
            "test_resize_downsample_scales_linear",
            CaseResult("test_resize_downsample_scales_linear", "refused", "load", "runtime_error"),
        ),
    ):
        corpus.record(corpus.corpus.cases[case_id], result)


def test_verdicts_follow_the_entries_and_stale_entries_fail_the_run() -> None:
    resize = CorpusDeparture(("wrong_values",), "cubic", operator="Resize")
    relu = CorpusDeparture(("refused",), "was refused once", cases=("test_relu",))
    abs_entry = CorpusDeparture(("crashed",), "never seen", cases=("test_abs",))
    ledger, corpus = _ledger((resize, relu, abs_entry))
    _record_relu_passing_and_resize_failing_twice(corpus)
    assert [corpus.verdict(case_id) for case_id in corpus.selected] == [
        "unexpected_pass",
        "expected_failure",
        "failed",
        "not_run",
    ]
    assert corpus.departure_status(resize) == "expected_failure"
    assert corpus.departure_status(relu) == "unexpected_pass"
    assert corpus.departure_status(abs_entry) == "not_checked"
    assert corpus.fails_run()
    assert ledger.fails_run()
    counts = corpus.verdict_counts()
    assert counts["not_run"] == 1
    assert sum(counts.values()) == len(corpus.selected)
    rows = {row["operator"]: row for row in corpus.operator_rows()}
    assert rows["Resize"]["cases"] == 2
    assert rows["Resize"]["wrong_values"] == 1
    assert rows["Resize"]["refused"] == 1
    assert rows["Resize"]["failed"] == 1
    assert rows["Resize"]["expected_failure"] == 1
    lines = "\n".join(ledger.summary_lines())
    assert "FAILED test_resize_downsample_scales_linear" in lines
    assert "UNEXPECTED PASS test_relu" in lines


def test_updating_keeps_matched_and_unchecked_entries_drops_stale_ones_and_groups_new_failures() -> None:
    resize = CorpusDeparture(("wrong_values",), "cubic", operator="Resize", link="https://r")
    relu = CorpusDeparture(("refused",), "stale", cases=("test_relu",))
    elsewhere = CorpusDeparture(("hung",), "not in this run", cases=("test_tile",))
    ledger, corpus = _ledger((resize, relu, elsewhere))
    _record_relu_passing_and_resize_failing_twice(corpus)
    corpus.record(corpus.corpus.cases["test_abs"], CaseResult("test_abs", "refused", "load", "runtime_error"))
    updated = updated_corpus_departures(ledger)
    assert updated[0] == resize
    assert updated[1] == elsewhere
    assert relu not in updated
    new = updated[2:]
    assert [entry.cases for entry in new] == [("test_abs", "test_resize_downsample_scales_linear")]
    assert new[0].outcomes == ("refused",)
    assert new[0].reason.startswith("TODO")


def test_a_corpus_run_selects_by_operator_reports_in_format_3_and_fails_on_a_stale_entry(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    entries = tmp_path_factory.mktemp("expectations") / "reference.toml"
    entries.write_text('[[corpus]]\ncases = ["test_softmax_axis_0_expanded"]\noutcome = "refused"\nreason = "stale"\n')
    options = (*BY_OPERATOR, "--wasi-nn-expectations", str(entries))
    start(tmp_path_factory, *BY_OPERATOR)
    stale = run_suite(tmp_path_factory, *options)
    green = run_suite(tmp_path_factory, *BY_OPERATOR)
    assert green.returncode == 0, green.output
    assert stale.returncode == 1
    assert "UNEXPECTED PASS test_softmax_axis_0_expanded" in stale.output
    report = json.loads((green.report / "report.json").read_text())
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    corpus = report["corpus"]
    # Selected by an operator of their graphs, which their ids do not name.
    ids = [case["id"] for case in corpus["cases"]]
    assert ids
    assert all("softmax_axis_0" in case_id and "expanded" in case_id for case_id in ids)
    assert corpus["selection"] == "some"
    assert corpus["verdicts"]["passed"] == len(ids)
    junit = ElementTree.parse(green.report / "junit.xml").getroot()
    assert (
        sorted(case.get("name") for case in junit.iter("testcase") if case.get("name", "").startswith("test_")) == ids
    )
    assert sum(corpus["outcomes"].values()) == len(ids)


@pytest.mark.parametrize(("selection", "collected"), [("none", 0), ("sample", len(load_corpus().sample()))])
def test_the_corpus_option_chooses_which_cases_are_collected(selection: str, collected: int) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.tests.test_corpus",
            "--co",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--wasi-nn-corpus={selection}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        sum(line.startswith("conformance/tests/test_corpus.py::") for line in completed.stdout.splitlines())
        == collected
    )

"""index.html in a real browser (headless Chromium): the page runs without a console message, its
matrix shows the numbers of passing and failing clauses that report.json holds, and its operator
view shows the ONNX node corpus of each report side by side, each cell opening to its cases."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.reports import combine
from conformance.reports.page import html_page
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import CRASHING, DEPARTING, SuiteRun, run_suite, start
from tests.test_report_corpus import corpus_report, other_corpus, reference_corpus

LEVELS = ("safety", "function", "errno")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def browser() -> str:
    found = os.environ.get("WASI_NN_CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None:
        message = "no Chromium to open the page in (apt-get install chromium, or set WASI_NN_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must test the report page in a browser: {message}")
        pytest.skip(message)
    return found


def open_page(page: Path, profile: Path, fragment: str = "") -> tuple[str, list[str]]:
    """The DOM of ``page`` after its script ran, and every console message it logged."""
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        page.as_uri() + fragment,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    # The page logs nothing; Chromium prints whatever it logs (errors included) as CONSOLE lines.
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


class Elements(HTMLParser):
    """The attributes and text of elements that carry a data-verdict, and the body's attributes;
    the operator view's rows, cells, corpus counts and case blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[dict[str, str]] = []
        self.cells: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self.details: list[str] = []
        self.operator_rows: list[dict[str, str]] = []
        self.operator_cells: list[dict[str, str]] = []
        self.corpus_counts: list[dict[str, str]] = []
        self.cases: list[dict[str, str]] = []
        self.by_id: dict[str, dict[str, str]] = {}
        self._open: dict[str, str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "body":
            self.body = attributes
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes
        if self._depth:
            self._depth += 1
        elif tag == "tr" and "detail" in attributes.get("class", "").split():
            self.details.append("")
            self._depth = 1
        if "data-verdict" in attributes:
            (self.counts if tag == "span" else self.cells).append(attributes)
            self._open = attributes if tag == "span" else None
        elif tag == "tr" and "data-operator" in attributes:
            self.operator_rows.append(attributes)
        elif tag == "td" and "data-operator" in attributes:
            self.operator_cells.append(attributes)
            self._open = attributes
        elif tag == "span" and "data-outcome" in attributes:
            self.corpus_counts.append(attributes)
            self._open = attributes
        elif tag == "details" and "data-case" in attributes:
            self.cases.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open["text"] = self._open.get("text", "") + data
        if self._depth:
            self.details[-1] += data


def parse(dom: str) -> Elements:
    elements = Elements()
    elements.feed(dom)
    return elements


def check_matrix(elements: Elements, host: int, data: dict[str, Any]) -> None:
    """The counts and the cells shown for ``host`` are those of its report.json."""
    for level in LEVELS:
        shown = {
            count["data-verdict"]: int(count["text"])
            for count in elements.counts
            if count["data-host"] == str(host) and count["data-level"] == level
        }
        assert shown["passed"] == data["levels"][level]["passed"], (host, level)
        assert shown["failed"] == data["levels"][level]["failed"], (host, level)
        cells = Counter(
            cell["data-verdict"]
            for cell in elements.cells
            if cell["data-host"] == str(host) and cell["data-level"] == level
        )
        for verdict in ("passed", "failed", "expected_failure", "skipped", "not_run", "not_selected"):
            assert cells[verdict] == data["levels"][level][verdict], (host, level, verdict)


@pytest.fixture(scope="module")
def departing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    start(tmp_path_factory, *CRASHING)
    return run_suite(tmp_path_factory, *DEPARTING)


def test_the_page_of_a_run_shows_its_numbers_without_console_errors(departing_run: SuiteRun, tmp_path: Path) -> None:
    data = json.loads((departing_run.report / "report.json").read_text())
    dom, console = open_page(departing_run.report / "index.html", tmp_path / "profile")
    assert console == []
    elements = parse(dom)
    assert elements.body.get("data-rendered") == "true"
    check_matrix(elements, 0, data)
    assert elements.details == []


def test_a_failing_cell_opens_to_its_transcript_and_reproducer(departing_run: SuiteRun, tmp_path: Path) -> None:
    data = json.loads((departing_run.report / "report.json").read_text())
    failure = next(clause for clause in data["clauses"] if clause["id"] == DEPARTING_CLAUSE)["failures"][0]
    dom, console = open_page(departing_run.report / "index.html", tmp_path / "profile", f"#open=0:{DEPARTING_CLAUSE}")
    assert console == []
    (detail,) = parse(dom).details
    assert failure["reproducer"] in detail
    assert failure["transcript"][-1] in detail


def test_the_page_of_several_hosts_shows_each_side_by_side(
    departing_run: SuiteRun, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    crashing = run_suite(tmp_path_factory, *CRASHING)
    page = combine([departing_run.report / "report.json", crashing.report], tmp_path / "combined")
    dom, console = open_page(page, tmp_path / "profile")
    assert console == []
    elements = parse(dom)
    for host, run in enumerate((departing_run, crashing)):
        check_matrix(elements, host, json.loads((run.report / "report.json").read_text()))


# -- the operator view of the ONNX node corpus -------------------------------------------------

OUTCOME_ORDER = ("stray_write", "crashed", "hung", "out_of_memory", "wrong_values", "refused", "oracle_unavailable")


def corpus_reports() -> list[dict[str, Any]]:
    """Two reports with a corpus, side by side, and one whose run selected no corpus case."""
    return [
        corpus_report("reference", reference_corpus()),
        corpus_report("other", other_corpus()),
        corpus_report("plain", None),
    ]


def corpus_page(folder: Path, reports: list[dict[str, Any]]) -> Path:
    page = folder / "index.html"
    folder.mkdir(parents=True, exist_ok=True)
    page.write_text(html_page(reports))
    return page


def check_operators(elements: Elements, reports: list[dict[str, Any]]) -> None:
    """Each operator cell shows passed/cases of its report.json, colored by its worst outcome; so do the host counts."""
    names = sorted({row["operator"] for report in reports if report["corpus"] for row in report["corpus"]["operators"]})
    assert [row["data-operator"] for row in elements.operator_rows] == names
    for host, report in enumerate(reports):
        cells = {cell["data-operator"]: cell for cell in elements.operator_cells if cell["data-host"] == str(host)}
        counts = {
            count["data-outcome"]: int(count["text"])
            for count in elements.corpus_counts
            if count["data-host"] == str(host)
        }
        if report["corpus"] is None:
            assert cells == {}, host
            assert counts == {}, host
            continue
        assert set(cells) == set(names), host
        rows = {row["operator"]: row for row in report["corpus"]["operators"]}
        for name in names:
            cell = cells[name]
            if name not in rows:
                assert "data-cases" not in cell, (host, name)
                continue
            row = rows[name]
            assert cell["text"].split()[0] == f"{row['passed']}/{row['cases']}", (host, name)
            assert (int(cell["data-passed"]), int(cell["data-cases"])) == (row["passed"], row["cases"]), (host, name)
            worst = next((outcome for outcome in OUTCOME_ORDER if row[outcome]), "passed")
            assert cell["data-outcome"] == worst, (host, name)
            assert f"o-{worst}" in cell["class"].split(), (host, name)
            assert "open" in cell["class"].split(), (host, name)
        outcomes = report["corpus"]["outcomes"]
        assert counts == {outcome: count for outcome, count in outcomes.items() if count or outcome == "passed"}, host


def test_the_operator_view_shows_each_reports_corpus_side_by_side(tmp_path: Path) -> None:
    reports = corpus_reports()
    dom, console = open_page(corpus_page(tmp_path / "page", reports), tmp_path / "profile")
    assert console == []
    elements = parse(dom)
    assert elements.body.get("data-rendered") == "true"
    check_operators(elements, reports)
    assert elements.details == []
    assert "hidden" not in elements.by_id["views"]
    assert "hidden" in elements.by_id["view-operators"]  # the clauses come first
    assert "hidden" not in elements.by_id["no-corpus"]
    assert "No corpus cases in the run of plain (2023-08)." in dom
    # The clause matrix is there all the same.
    for host, report in enumerate(reports):
        check_matrix(elements, host, report)


def test_an_operator_cell_opens_to_its_cases(tmp_path: Path) -> None:
    reports = corpus_reports()
    page = corpus_page(tmp_path / "page", reports)
    dom, console = open_page(page, tmp_path / "profile", "#view=operators&operator=0:Resize")
    assert console == []
    elements = parse(dom)
    assert "hidden" not in elements.by_id["view-operators"]
    assert "hidden" in elements.by_id["view-clauses"]
    (detail,) = elements.details
    case = next(case for case in reports[0]["corpus"]["cases"] if case["id"] == "test_resize_downsample_scales_linear")
    for shown in (
        case["id"],
        case["detail"],
        case["tolerance"],
        "get_output",
        str(case["max_error"]),
        case["reproducer"]["command"],
        case["transcript"][-1],
        "Resize(x) -> y",
        "[3, 4]",
    ):
        assert shown in detail, shown
    (block,) = elements.cases
    assert (block["data-case"], block["data-host"], block["data-outcome"]) == (case["id"], "0", "wrong_values")
    assert "open" in block  # a failing case shows its details at once


def test_a_case_is_reachable_by_fragment_among_its_operators_cases(tmp_path: Path) -> None:
    reports = corpus_reports()
    page = corpus_page(tmp_path / "page", reports)
    dom, console = open_page(page, tmp_path / "profile", "#case=1:test_add_bcast")
    assert console == []
    elements = parse(dom)
    assert "hidden" not in elements.by_id["view-operators"]
    blocks = {block["data-case"]: block for block in elements.cases}
    # Both cases of Add on the other host; the crash first, and the passing case asked for opened too.
    assert [block["data-case"] for block in elements.cases] == ["test_add", "test_add_bcast"]
    assert all(block["data-host"] == "1" for block in elements.cases)
    assert "open" in blocks["test_add_bcast"]
    assert blocks["test_add"]["data-outcome"] == "crashed"
    crash = next(case for case in reports[1]["corpus"]["cases"] if case["id"] == "test_add")
    (detail,) = elements.details
    assert crash["reproducer"]["command"] in detail
    assert "case-1-test_add_bcast" in elements.by_id


@pytest.mark.parametrize(
    ("fragment", "shown"),
    [
        ("outcome=refused", {"Conv"}),
        ("outcome=crashed", {"Add"}),
        ("corpus=failing", {"Add", "Conv", "Resize"}),
        ("corpus=not_passing", {"Add", "Conv", "Resize", "Softmax"}),
        # A case id matches too: the expanded softmax's graph uses five other operators.
        ("op=softmax", {"Softmax", "Div", "Exp", "ReduceMax", "ReduceSum", "Sub"}),
    ],
)
def test_the_operator_filters_show_what_they_say(fragment: str, shown: set[str], tmp_path: Path) -> None:
    reports = corpus_reports()
    dom, console = open_page(
        corpus_page(tmp_path / "page", reports), tmp_path / "profile", f"#view=operators&{fragment}"
    )
    assert console == []
    elements = parse(dom)
    visible = {row["data-operator"] for row in elements.operator_rows if "hidden" not in row}
    assert visible == shown


def test_a_page_without_a_corpus_has_no_operator_view(tmp_path: Path) -> None:
    report = corpus_report("plain", None)
    del report["corpus"]  # as reports written before the corpus existed
    dom, console = open_page(corpus_page(tmp_path / "page", [report]), tmp_path / "profile", "#view=operators")
    assert console == []
    elements = parse(dom)
    assert elements.body.get("data-rendered") == "true"
    assert "hidden" in elements.by_id["views"]
    assert "hidden" in elements.by_id["view-operators"]
    assert "hidden" not in elements.by_id["view-clauses"]
    assert elements.operator_rows == []
    check_matrix(elements, 0, report)

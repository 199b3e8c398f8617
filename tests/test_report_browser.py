"""index.html in a real browser (headless Chromium): the page runs without a console message and
its matrix shows the numbers of passing and failing clauses that report.json holds."""

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
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import CRASHING, DEPARTING, SuiteRun, run_suite, start

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
    """The attributes and text of elements that carry a data-verdict, and the body's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[dict[str, str]] = []
        self.cells: list[dict[str, str]] = []
        self.body: dict[str, str] = {}
        self.details: list[str] = []
        self._open: dict[str, str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "body":
            self.body = attributes
        if self._depth:
            self._depth += 1
        elif tag == "tr" and "detail" in attributes.get("class", "").split():
            self.details.append("")
            self._depth = 1
        if "data-verdict" in attributes:
            (self.counts if tag == "span" else self.cells).append(attributes)
            self._open = attributes if tag == "span" else None

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

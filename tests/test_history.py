"""A host's releases as one history: what changed from one release to the next, in words and on the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.cli import main
from conformance.reports.history import Change, history_changes, history_markdown, release_label
from tests.test_report_browser import open_page, parse
from tests.test_report_corpus import corpus_report, reference_corpus

LEVELS = ("safety", "function", "errno")


def release(version: str, errno_verdict: str = "passed") -> dict[str, Any]:
    """A report of the Wasmtime CLI at ``version`` whose one clause has ``errno_verdict`` at the errno level."""
    report = corpus_report("wasmtime-cli")
    report["host"]["version"] = f"wasmtime {version} (0123456 2026-01-01) with OpenVINO 2026.4.1"
    clause = report["clauses"][0]
    clause["verdicts"] = {**clause["verdicts"], "errno": errno_verdict}
    return report


def write_releases(folder: Path, *reports: dict[str, Any]) -> list[Path]:
    folders = []
    for report in reports:
        path = folder / f"wasmtime-{release_label(report).rpartition(' ')[2]}"
        path.mkdir(parents=True)
        (path / "report.json").write_text(json.dumps(report))
        folders.append(path)
    return folders


def test_a_change_is_a_verdict_that_differs_from_the_release_before() -> None:
    reports = [release("36.0.9", "failed"), release("42.0.1", "failed"), release("46.0.1"), release("49.0.3")]
    assert history_changes(reports) == [
        Change("load.valid", "errno", "failed", "passed", "wasmtime-cli 42.0.1", "wasmtime-cli 46.0.1")
    ]
    assert "- `load.valid` at errno: failed in wasmtime-cli 42.0.1, passed in wasmtime-cli 46.0.1" in history_markdown(
        reports
    )
    assert "No verdict changed" in history_markdown([release("46.0.1"), release("49.0.3")])


def test_a_release_is_named_by_the_version_its_host_reports() -> None:
    assert release_label(release("46.0.1")) == "wasmtime-cli 46.0.1"
    unversioned = release("1")
    unversioned["host"]["version"] = "unknown (the host could not be made)"
    assert release_label(unversioned) == "wasmtime-cli (unknown (the host could not be made))"


def test_the_history_page_marks_each_change_and_links_both_releases(tmp_path: Path) -> None:
    folders = write_releases(tmp_path / "history", release("42.0.1", "failed"), release("46.0.1"), release("49.0.3"))
    out = tmp_path / "history"
    assert main(["report", "--history", *map(str, folders), "-o", str(out)]) == 0
    dom, console = open_page(out / "index.html", tmp_path / "profile")
    assert console == []
    elements = parse(dom)
    assert "hidden" not in elements.by_id["changes"]
    changed = [cell for cell in elements.cells if "changed" in cell["class"].split()]
    assert [(cell["data-host"], cell["data-level"], cell["data-verdict"]) for cell in changed] == [
        ("1", "errno", "passed")
    ]
    assert "(failed in wasmtime-cli 42.0.1)" in changed[0]["title"]
    # The change, in the list, links the two releases' own pages, relative to the history page.
    item = dom[dom.index('id="change-list"') :].split("</ul>", 1)[0]
    assert 'href="wasmtime-42.0.1/index.html"' in item
    assert 'href="wasmtime-46.0.1/index.html"' in item
    assert "wasmtime-49.0.3" not in item
    assert (out / "history.md").read_text().count("\n- ") == 1


def test_a_page_that_is_no_history_has_no_change_list(tmp_path: Path) -> None:
    folders = write_releases(tmp_path / "reports", release("42.0.1", "failed"), release("46.0.1"))
    assert main(["report", *map(str, folders), "-o", str(tmp_path / "side")]) == 0
    dom, _ = open_page(tmp_path / "side" / "index.html", tmp_path / "profile")
    elements = parse(dom)
    assert "hidden" in elements.by_id["changes"]
    assert not any("changed" in cell["class"].split() for cell in elements.cells)


def test_a_corpus_case_whose_verdict_changed_is_a_change_too(tmp_path: Path) -> None:
    earlier, later = release("47.0.3"), release("48.0.2")
    earlier["corpus"], later["corpus"] = reference_corpus(), reference_corpus()
    case = later["corpus"]["cases"][0]
    case["verdict"], case["outcome"] = "failed", "refused"
    changes = history_changes([earlier, later])
    assert changes == [Change(case["id"], "corpus", "passed", "failed", "wasmtime-cli 47.0.3", "wasmtime-cli 48.0.2")]
    assert f"- `{case['id']}` (corpus case): passed in wasmtime-cli 47.0.3" in history_markdown([earlier, later])
    folders = write_releases(tmp_path / "history", earlier, later)
    assert main(["report", "--history", *map(str, folders), "-o", str(tmp_path / "history")]) == 0
    dom, console = open_page(tmp_path / "history" / "index.html", tmp_path / "profile")
    assert console == []
    assert f"{case['id']}</code> (corpus case): passed in" in dom

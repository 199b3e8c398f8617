"""``summary.md``: a report in Markdown, for people and for CI job summaries.

Pass rate per level, what was not run (the host could not be asked), the unexpected passes,
each failure with its one-line reproducer (the most severe first), the expected failures, the
listed departures a slice of the suite could not check, and every clause's verdict per level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.catalog import Level

_LEVEL_NAMES = tuple(level.name.lower() for level in Level)

_SYMBOLS = {
    "passed": "✓",
    "failed": "✗ failed",
    "expected_failure": "≈ expected failure",
    "unexpected_pass": "! unexpected pass",
    "skipped": "- skipped",
    "not_run": "✗ not run",
    "not_selected": "· not selected",
    "not_applicable": "",
}


def summary_markdown(data: Mapping[str, Any]) -> str:
    """The Markdown summary of a report."""
    host, run, revision = data["host"], data["run"], data["revision"]
    expectations = data["expectations"]
    listed = "none"
    if expectations["file"]:
        listed = f"{_code(expectations['file'])} ({expectations['departures']} departures)"
    lines = [
        f"# wasi-nn conformance: {host['name']}",
        "",
        f"Host {_code(host['name'])} {host['version']} · revision {revision['name']} "
        f"(WITX sha256 {_code(revision['witx_sha256'][:16])}) · suite {data['suite']['version']}",
        "",
        f"Run {run['started']} → {run['finished'] or 'not finished'} ({run['duration_seconds']} s), "
        f"{run['scenarios']} scenarios · expectations: {listed}",
    ]
    if not run["complete"]:
        lines += ["", f"**INCOMPLETE: the run is {run['status']}; this report holds what finished.**"]
    lines += [
        "",
        "## Pass rate per level",
        "",
        "| level | clauses | passed | failed | expected failures | unexpected passes | skipped | not run "
        "| not selected | pass rate |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, counts in data["levels"].items():
        strength = "SHOULD" if name == "errno" else "MUST"
        lines.append(
            f"| {name} ({strength}) | {counts['clauses']} | {counts['passed']} | {counts['failed']} | "
            f"{counts['expected_failure']} | {counts['unexpected_pass']} | {counts['skipped']} | "
            f"{counts['not_run']} | {counts['not_selected']} | {_percent(counts['pass_rate'])} |"
        )
    lines += _not_run(data)
    stale = _departures(data, "unexpected_pass")
    if stale:
        lines += ["", "## Unexpected passes", ""]
        lines += [
            f"- {_code(departure['clause'])} at {departure['level']} ({', '.join(departure['outcome'])}) is listed "
            f"as a departure ({_cell(departure['reason'])}), yet no failure matched it although a test that shows "
            "it ran: remove it from the expectations file."
            for departure in stale
        ]
    failing = [clause for clause in data["clauses"] if clause["verdict"] == "failed"]
    lines += ["", f"## Failures ({len(failing)} clause{'' if len(failing) == 1 else 's'})", ""]
    if not failing:
        lines += ["None.", ""]
    for clause in failing:
        levels = ", ".join(level for level in _LEVEL_NAMES if clause["verdicts"][level] == "failed")
        lines += [f"### {clause['id']}", "", f"{clause['statement']} (call {clause['call']}; fails {levels})", ""]
        shown = [failure for failure in clause["failures"] if not failure["expected"]]
        for failure in shown:
            reasons = "; ".join(failure["reasons"])
            lines.append(f"- {_code(failure['test'])} call #{failure['call']}: {reasons}")
            if failure["reproducer"]:
                lines.append(f"  reproduce: {_code(failure['reproducer'])}")
        if clause["failure_count"] > len(shown):
            lines.append(f"- … {clause['failure_count']} failing observations in all (report.json keeps some)")
        lines.append("")
    expected = _departures(data, "expected_failure")
    if expected:
        lines += ["## Expected failures", ""]
        for departure in expected:
            link = f" ([link]({departure['link']}))" if departure["link"] else ""
            lines.append(
                f"- {_code(departure['clause'])} at {departure['level']} ({', '.join(departure['outcome'])}): "
                f"{_cell(departure['reason'])}{link}"
            )
        lines.append("")
    unchecked = _departures(data, "not_checked")
    if unchecked:
        lines += [
            f"## Not checked ({len(unchecked)} listed departure{'' if len(unchecked) == 1 else 's'})",
            "",
            "None of the tests that show these departures ran (a slice of the suite): this run cannot tell "
            "whether the host still has them.",
            "",
        ]
        lines += [
            f"- {_code(departure['clause'])} at {departure['level']}: shown by "
            f"{', '.join(_code(test) for test in departure['shown_by'])}"
            for departure in unchecked
        ]
        lines.append("")
    failed_tests = [
        test for test in data["tests"] if test["outcome"] in ("failed", "error") and not test["failed_clauses"]
    ]
    if failed_tests:
        lines += ["## Tests that failed outside any clause", ""]
        lines += [f"- {_code(test['id'])}: {_cell(test['reason'])}" for test in failed_tests]
        lines.append("")
    lines += ["## Clauses", "", "| clause | call | level | safety | function | errno |", "|---|---|---|---|---|---|"]
    for clause in data["clauses"]:
        verdicts = " | ".join(_SYMBOLS[clause["verdicts"][level]] for level in _LEVEL_NAMES)
        lines.append(f"| {_code(clause['id'])} | {clause['call']} | {clause['level']} | {verdicts} |")
    lines += [
        "",
        "✓ passed · ✗ failed · ≈ expected failure (listed departure) · ! unexpected pass · - skipped "
        "(a capability the host does not declare) · ✗ not run (the host could not be asked) · · not selected "
        "(left out by -k or -m)",
        "",
    ]
    return "\n".join(lines)


def _departures(data: Mapping[str, Any], status: str) -> list[dict[str, Any]]:
    """The listed departures the run gave ``status``, clause by clause."""
    return [
        departure for clause in data["clauses"] for departure in clause["departures"] if departure["status"] == status
    ]


def _not_run(data: Mapping[str, Any]) -> list[str]:
    """The section on what was to run and did not, by reason: it fails the run."""
    clauses: dict[str, list[str]] = {}
    for clause in data["clauses"]:
        for reason in clause["not_run"]:
            clauses.setdefault(reason, []).append(clause["id"])
    tests: dict[str, int] = {}
    for test in data["tests"]:
        if test["outcome"] == "not_run":
            tests[test["reason"]] = tests.get(test["reason"], 0) + 1
    if not clauses and not tests:
        return []
    count = sum(1 for clause in data["clauses"] if clause["verdict"] == "not_run")
    lines = ["", f"## Not run ({count} clause{'' if count == 1 else 's'})", ""]
    lines.append("These were to be asked and were not; the run fails.")
    lines.append("")
    for reason in sorted(set(clauses) | set(tests)):
        what = []
        if reason in clauses:
            what.append(f"{len(clauses[reason])} clause{'' if len(clauses[reason]) == 1 else 's'}")
        if reason in tests:
            what.append(f"{tests[reason]} test{'' if tests[reason] == 1 else 's'}")
        lines.append(f"- {_cell(reason)} ({', '.join(what)})")
    return lines


def _code(text: str) -> str:
    """``text`` as Markdown inline code, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space on each side of a code span, which lets it start or end with a backtick.
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _cell(text: str) -> str:
    # A table row ends at a newline and splits its cells at every unescaped "|".
    return text.replace("|", "\\|").replace("\n", " ")


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f} %"

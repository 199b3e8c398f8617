"""``summary.md``: a report in Markdown, for people and for CI job summaries.

Pass rate per level, the unexpected passes, each failure with its one-line reproducer, the
expected failures, and every clause's verdict per level.
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
    "not_run": "· not run",
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
        "| level | clauses | passed | failed | expected failures | unexpected passes | skipped | not run | pass rate |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, counts in data["levels"].items():
        strength = "SHOULD" if name == "errno" else "MUST"
        lines.append(
            f"| {name} ({strength}) | {counts['clauses']} | {counts['passed']} | {counts['failed']} | "
            f"{counts['expected_failure']} | {counts['unexpected_pass']} | {counts['skipped']} | "
            f"{counts['not_run']} | {_percent(counts['pass_rate'])} |"
        )
    stale = [clause for clause in data["clauses"] if clause["verdict"] == "unexpected_pass"]
    stale_tests = [test for test in data["tests"] if test["outcome"] == "unexpected_pass"]
    if stale or stale_tests:
        lines += ["", "## Unexpected passes", ""]
        lines += [
            f"- {_code(item['id'])} is listed as a departure ({_cell(item['departure']['reason'])}) "
            "yet passed: remove it from the expectations file."
            for item in [*stale, *stale_tests]
            if item["departure"]
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
    expected = [clause for clause in data["clauses"] if clause["verdict"] == "expected_failure"]
    if expected:
        lines += ["## Expected failures", ""]
        for clause in expected:
            departure = clause["departure"] or {}
            link = f" ([link]({departure['link']}))" if departure.get("link") else ""
            lines.append(f"- {_code(clause['id'])}: {_cell(departure.get('reason', 'a listed test'))}{link}")
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
        "(the host cannot be asked) · · not run",
        "",
    ]
    return "\n".join(lines)


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

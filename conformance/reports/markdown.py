"""``summary.md``: a report in Markdown, for people and for CI job summaries.

Pass rate per level, what was not run (the host could not be asked), the unexpected passes,
each failure with its one-line reproducer (the most severe first), the expected failures, the
listed departures a slice of the suite could not check, the ONNX node corpus when the run
selected any of it (counts per outcome, the operators not every case of which passed, each
failing case with its reproducer), and every clause's verdict per level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.catalog import Level
from conformance.corpus.outcomes import OUTCOMES

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
    # Reports written before the corpus existed have no such key: the same as a run without it.
    corpus = data.get("corpus")
    # A failing corpus case is listed in the corpus section below, not again among these.
    corpus_tests = {case["test"] for case in corpus["cases"]} if corpus else set()
    failed_tests = [
        test
        for test in data["tests"]
        if test["outcome"] in ("failed", "error") and not test["failed_clauses"] and test["id"] not in corpus_tests
    ]
    if failed_tests:
        lines += ["## Tests that failed outside any clause", ""]
        lines += [f"- {_code(test['id'])}: {_cell(test['reason'])}" for test in failed_tests]
        lines.append("")
    if corpus is not None:
        lines += _corpus(corpus)
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


_SELECTIONS = {
    "sample": "a sample, one case per operator",
    "all": "every case",
    "some": "a slice of the cases (-k)",
}

#: How many case ids a departure's line names before it only counts the rest.
_CASES_NAMED = 10


def _corpus(corpus: Mapping[str, Any]) -> list[str]:
    """The section on the ONNX node corpus: counts, the operators that did not pass, the cases that failed."""
    cases = corpus["cases"]
    outcomes, verdicts = corpus["outcomes"], corpus["verdicts"]
    selection = _SELECTIONS.get(corpus["selection"], corpus["selection"])
    lines = [
        "## ONNX node corpus",
        "",
        "ONNX's backend node test cases, each run through the host and compared with native onnxruntime "
        "on the same model and inputs.",
        "",
        f"Selection: {selection}; {_count(len(cases), 'case')} in {corpus['seconds']} s, "
        f"{_count(corpus['processes'], 'host process', 'host processes')} · onnx {corpus['onnx_version']} · "
        f"onnxruntime {corpus['onnxruntime_version']} (the oracle) · models handed over as {corpus['packaging']}",
        "",
        "Outcomes: " + " · ".join(f"{outcomes[name]} {_words(name)}" for name in OUTCOMES),
        "",
        f"Verdicts: {verdicts['passed']} passed · {verdicts['failed']} failed · "
        f"{_count(verdicts['expected_failure'], 'expected failure')} · "
        f"{_count(verdicts['unexpected_pass'], 'unexpected pass', 'unexpected passes')} · "
        f"{verdicts['oracle_unavailable']} oracle unavailable (never counted against the host) · "
        f"{verdicts['not_run']} not run",
    ]
    scope = corpus["out_of_scope"]
    if scope["total"]:
        # The largest reasons first: they say what WASI-NN cannot express.
        reasons = sorted(scope["reasons"].items(), key=lambda item: (-item[1], item[0]))
        named = ", ".join(f"{_cell(reason)} {count}" for reason, count in reasons)
        lines += [
            "",
            f"{_count(scope['total'], 'case')} out of scope: {named} (never run: WASI-NN cannot express them)",
        ]
    lines.append("")
    operators = corpus["operators"]
    not_passing = [row for row in operators if row["passed"] < row["cases"]]
    if not_passing:
        lines += [
            "| operator | cases | passed | wrong values | refused | crashed | hung | out of memory | stray write "
            "| oracle unavailable |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for row in not_passing:
            counts = " | ".join(str(row[name]) for name in OUTCOMES)
            lines.append(f"| {_cell(_code(row['operator']))} | {row['cases']} | {counts} |")
        lines.append("")
        others = len(operators) - len(not_passing)
        if others:
            lines += [f"{_count(others, 'other operator')}: every case passed.", ""]
        lines += ["A case counts under every operator its graph uses.", ""]
    elif operators:
        lines += [f"Every case of the {_count(len(operators), 'operator')} passed.", ""]
    failed = [case for case in cases if case["verdict"] == "failed"]
    lines += [f"### Failing corpus cases ({len(failed)})", ""]
    if not failed:
        lines += ["None.", ""]
    for case in failed:
        lines.append(f"- {_code(case['id'])}: {_case_line(case)}")
        if case["reproducer"]:
            lines.append(f"  reproduce: {_code(case['reproducer']['command'])}")
    if failed:
        lines.append("")
    not_run = [case for case in cases if case["verdict"] == "not_run"]
    if not_run:
        lines += [
            f"### Corpus cases not run ({len(not_run)})",
            "",
            "These were to be run and were not; the run fails.",
            "",
        ]
        lines += [f"- {_code(case['id'])}: {_cell(case['detail'])}" for case in not_run]
        lines.append("")
    departures = corpus["departures"]
    stale = [departure for departure in departures if departure["status"] == "unexpected_pass"]
    if stale:
        lines += ["### Corpus unexpected passes", ""]
        for departure in stale:
            happened = (
                "yet the case passed"
                if departure["entry"].startswith("case ")
                else "yet none of its cases that ran failed that way"
            )
            lines.append(
                f"- {_code(departure['entry'])} ({', '.join(departure['outcomes'])}) is listed as a departure "
                f"({_cell(departure['reason'])}), {happened}: remove it from the expectations file."
            )
        lines.append("")
    expected = [departure for departure in departures if departure["status"] == "expected_failure"]
    if expected:
        lines += ["### Corpus expected failures", ""]
        for departure in expected:
            link = f" ([link]({departure['link']}))" if departure["link"] else ""
            covered = [
                case
                for case in cases
                if case["verdict"] == "expected_failure"
                and case["departure"] is not None
                and case["departure"]["entry"] == departure["entry"]
            ]
            named = ", ".join(f"{_code(case['id'])} {_case_words(case)}" for case in covered[:_CASES_NAMED])
            if len(covered) > _CASES_NAMED:
                named += f", and {len(covered) - _CASES_NAMED} more"
            lines.append(
                f"- {_code(departure['entry'])} ({', '.join(departure['outcomes'])}): {_cell(departure['reason'])}"
                f"{link}" + (f": {named}" if named else "")
            )
        lines.append("")
    unchecked = [departure for departure in departures if departure["status"] == "not_checked"]
    if unchecked:
        lines += [
            "### Corpus departures not checked",
            "",
            "None of the cases of these listed departures ran: this run cannot tell whether the host still has them.",
            "",
        ]
        lines += [f"- {_code(departure['entry'])}: {_cell(departure['reason'])}" for departure in unchecked]
        lines.append("")
    return lines


def _case_words(case: Mapping[str, Any]) -> str:
    """How a corpus case ended, in a few words: its outcome, the call and the errno."""
    words = _words(case["outcome"])
    if case["call"]:
        words += f" at {case['call']}"
    if case["errno"]:
        words += f" ({case['errno']})"
    return words


def _case_line(case: Mapping[str, Any]) -> str:
    """A failing corpus case on one line: how it ended, its operators, its error and tolerance, what happened."""
    parts = [f"{_case_words(case)} ({', '.join(case['operators'])})"]
    if case["max_error"] is not None:
        parts.append(f"max error {case['max_error']:g}")
    if case["tolerance"]:
        parts.append(f"tolerance {case['tolerance']}")
    return "; ".join(parts) + f": {_cell(case['detail'])}"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _count(number: int, singular: str, plural: str | None = None) -> str:
    """``number`` with the noun that agrees with it."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


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

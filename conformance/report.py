"""Reports of a conformance run, written from the ledger into ``reports/HOST/``.

- ``report.json``: everything, in the format ``report.schema.json`` documents (version
  :data:`SCHEMA_VERSION`); the other files are rendered from this very data, so they agree.
- ``junit.xml``: a testcase per clause, for CI systems.
- ``summary.md``: pass rate per level, failures with their one-line reproducer, every clause.
- ``index.html``: one self-contained page (inline CSS and JS, no network): the matrix of
  clauses by level with filters; a failing cell opens to its transcript and reproducer.
  ``wasi-nn-conformance report A/report.json B/report.json -o DIR`` builds it for several
  hosts side by side.
- ``repro/CASE/``: per failing case, the guest, its stdin, its graphs and ``case.json``,
  which ``wasi-nn-conformance replay`` re-runs (:mod:`conformance.replay`).

Every file is written atomically. A run that ends early still writes them, marked
incomplete; while a run goes on, they are rewritten every few seconds as a checkpoint, so
even a run killed outright leaves a report saying it is incomplete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.adapters.base import HostAdapter
from conformance.catalog import Level
from conformance.expectations import Departure, outcome_summary, safe_name
from conformance.replay import CASE_VERSION, FailureKey, failure_key, scenario_to_json
from conformance.results import TAG_NAMES, ClauseTally, Ledger, Observation, TestRecord
from conformance.revisions import revision as find_revision

SCHEMA_VERSION = 1
"""Version of the ``report.json`` format; it changes whenever a field changes meaning or goes away."""

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
"""The JSON Schema of ``report.json``."""

CHECKPOINT_SECONDS = 5.0
"""How often a run in progress rewrites its reports."""

LEVEL_NAMES = tuple(level.name.lower() for level in Level)



def _shown_path(path: Path) -> str:
    """``path`` as a report shows it: relative to the current folder or the project, never absolute."""
    from conformance.expectations import PROJECT_ROOT

    resolved = path.resolve()
    for base in (Path.cwd().resolve(), PROJECT_ROOT):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return path.name

def default_report_dir(host: str) -> Path:
    """Where a host's reports go unless ``--wasi-nn-report`` says: ``reports/HOST``."""
    return Path("reports") / safe_name(host)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so it is never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        # mkstemp makes the file private; reports are for whoever reads the folder (CI artifacts).
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- reproducers ----------------------------------------------------------------------------


def replay_command(case_folder: Path, ledger: Ledger) -> str:
    """The command line that re-runs a case on the host of ``ledger``, chosen the same way."""
    words = ["wasi-nn-conformance", "replay", str(case_folder)]
    if ledger.host_command:
        if ledger.host_option != "reference":
            words += ["--wasi-nn-host", ledger.host_option]
        words += ["--wasi-nn-host-command", ledger.host_command]
    else:
        words += ["--wasi-nn-host", ledger.host_option]
    if ledger.revision != find_revision().name:
        words += ["--wasi-nn-revision", ledger.revision]
    return shlex.join(words)


def _digest(observation: Observation) -> str:
    reproducer = observation.reproducer
    assert reproducer is not None
    digest = hashlib.sha256()
    for part in (reproducer.wasm, reproducer.stdin, json.dumps(dict(reproducer.graphs), sort_keys=True).encode()):
        digest.update(len(part).to_bytes(8, "little") + part)
    digest.update((reproducer.special or "").encode())
    return digest.hexdigest()[:10]


@dataclasses.dataclass
class _Case:
    name: str
    first: Observation
    failures: dict[FailureKey, Observation] = dataclasses.field(default_factory=dict)
    tests: set[str] = dataclasses.field(default_factory=set)


class _Cases:
    """The failing cases of a run, one per distinct guest, stdin and graphs."""

    def __init__(self, ledger: Ledger, folder: Path) -> None:
        self.ledger = ledger
        self.folder = folder
        self.by_digest: dict[str, _Case] = {}

    def add(self, observation: Observation) -> str | None:
        """The case name of a failing observation (``None`` when it has no reproducer)."""
        if observation.reproducer is None:
            return None
        digest = _digest(observation)
        case = self.by_digest.get(digest)
        if case is None:
            case = _Case(f"{safe_name(observation.judgement.clause.id)}-{digest}", observation)
            self.by_digest[digest] = case
        case.failures.setdefault(failure_key(observation.judgement), observation)
        case.tests.add(observation.test)
        return case.name

    def command(self, name: str | None) -> str | None:
        """The replay command of case ``name``."""
        return None if name is None else replay_command(self.folder / "repro" / name, self.ledger)

    def data(self) -> dict[str, Any]:
        """The ``cases`` section of the report."""
        cases = {}
        for case in self.by_digest.values():
            reproducer = case.first.reproducer
            assert reproducer is not None
            base = f"repro/{case.name}"
            cases[case.name] = {
                "folder": base,
                "wasm": f"{base}/guest.wasm",
                "stdin": f"{base}/stdin.bin",
                "graphs": {name: f"{base}/graphs/{name}.onnx" for name in reproducer.graphs},
                "clauses": sorted({key[0] for key in case.failures}),
                "tests": sorted(case.tests),
                "steps": list(reproducer.steps),
                "command": self.command(case.name),
            }
        return cases

    def write(self) -> None:
        """Write every case folder, and remove those of earlier runs that this one no longer has."""
        from conformance.adapters.inprocess import model_file

        repro = self.folder / "repro"
        for case in self.by_digest.values():
            reproducer = case.first.reproducer
            assert reproducer is not None
            base = repro / case.name
            for name, data in (("guest.wasm", reproducer.wasm), ("stdin.bin", reproducer.stdin)):
                if not (base / name).exists():
                    write_atomically(base / name, data)
            for name, fixture in reproducer.graphs.items():
                if not (base / "graphs" / f"{name}.onnx").exists():
                    write_atomically(base / "graphs" / f"{name}.onnx", model_file(fixture).read_bytes())
            write_atomically(base / "script.txt", "".join(f"{step}\n" for step in reproducer.steps).encode())
            write_atomically(base / "transcript.txt", "".join(f"{line}\n" for line in case.first.transcript).encode())
            write_atomically(base / "case.json", json.dumps(self._case_json(case), indent=2).encode())
        if repro.is_dir():
            current = {case.name for case in self.by_digest.values()}
            for stale in repro.iterdir():
                if stale.name not in current and (stale / "case.json").is_file():
                    shutil.rmtree(stale, ignore_errors=True)

    def _case_json(self, case: _Case) -> dict[str, Any]:
        reproducer = case.first.reproducer
        assert reproducer is not None
        return {
            "case_version": CASE_VERSION,
            "kind": "special" if reproducer.special else "scenario",
            "clauses": sorted({key[0] for key in case.failures}),
            "test": case.first.test,
            "revision": self.ledger.revision,
            "host": {"name": self.ledger.host, "option": self.ledger.host_option, "command": self.ledger.host_command},
            "special": reproducer.special,
            "scenario": scenario_to_json(reproducer.scenario) if reproducer.scenario is not None else None,
            "graphs": dict(reproducer.graphs),
            "failures": [
                {"clause": clause, "levels": list(levels), "outcome": outcome, "call": observation.call}
                for (clause, levels, outcome), observation in sorted(case.failures.items())
            ],
            "transcript": list(case.first.transcript),
            "command": self.command(case.name),
        }


# -- report.json ----------------------------------------------------------------------------


def _tags(tags: Mapping[str, set[str]]) -> dict[str, list[str]]:
    return {name: sorted(tags[name]) for name in TAG_NAMES if tags.get(name)}


def _departure(departure: Departure | None, status: str) -> dict[str, Any] | None:
    if departure is None:
        return None
    return {
        "clause": departure.clause,
        "test": departure.test,
        "level": departure.level.name.lower() if departure.level is not None else None,
        "outcome": list(departure.outcomes),
        "reason": departure.reason,
        "link": departure.link,
        "status": status,
    }


def _clause_departure_status(ledger: Ledger, tally: ClauseTally, departure: Departure) -> str:
    if tally.unexpectedly_passed(departure):
        return "unexpected_pass"
    if any(tally.unexpected.values()):
        return "failed_otherwise"
    return "expected_failure" if tally.failure_count else "not_observed"


def _failure(observation: Observation, ledger: Ledger, cases: _Cases) -> dict[str, Any]:
    case = cases.add(observation)
    judgement = observation.judgement
    return {
        "test": observation.test,
        "call": observation.call,
        "outcome": str(judgement.outcome),
        "outcome_kind": outcome_summary(judgement.outcome),
        "levels": [level.name.lower() for level, verdict in judgement.verdicts.items() if not verdict.passed],
        "reasons": judgement.failures(),
        "expected": ledger.departure_covering(observation) is not None,
        "transcript": list(observation.transcript),
        "case": case,
        "reproducer": cases.command(case),
    }


def _clause(tally: ClauseTally, ledger: Ledger, cases: _Cases) -> dict[str, Any]:
    clause = tally.clause
    departure = ledger.expectations.for_clause(clause.id)
    return {
        "id": clause.id,
        "call": clause.call,
        "level": clause.level.name.lower(),
        "expect": clause.expect,
        "statement": clause.statement,
        "rationale": clause.rationale,
        "tags": _tags(tally.tags) or _tags({name: {value} for name, value in clause.tags.items()}),
        "verdict": ledger.overall(clause.id),
        "verdicts": {level.name.lower(): ledger.verdict(clause.id, level) for level in Level},
        "observations": {
            level.name.lower(): {"passed": tally.passed[level], "failed": tally.failed[level]} for level in Level
        },
        "skipped": list(tally.skipped),
        "tests": sorted(tally.tests),
        "tolerance": sorted(tally.tolerances),
        "max_error": tally.max_error,
        "departure": _departure(departure, _clause_departure_status(ledger, tally, departure)) if departure else None,
        "failure_count": tally.failure_count,
        "failures": [_failure(observation, ledger, cases) for observation in tally.failures],
    }


def _test(record: TestRecord, ledger: Ledger, cases: _Cases) -> dict[str, Any]:
    failure = record.failure
    case = cases.add(failure) if failure is not None else None
    hypothesis = record.hypothesis
    departure = ledger.expectations.for_test(record.id)
    status = "not_observed" if record.outcome is None else "failed_otherwise"
    if record.outcome in ("unexpected_pass", "expected_failure"):
        status = record.outcome
    return {
        "id": record.id,
        "outcome": record.outcome or "not_finished",
        "reason": record.reason,
        "duration_seconds": round(record.duration, 6),
        "clauses": sorted(record.clauses),
        "failed_clauses": sorted(record.failed_clauses),
        "expected_clauses": sorted(record.expected_clauses),
        "tags": _tags(record.tags),
        "tolerance": sorted(record.tolerances),
        "max_error": record.max_error,
        "hypothesis": dataclasses.asdict(hypothesis) if hypothesis is not None else None,
        "departure": _departure(departure, status),
        "transcript": list(failure.transcript) if failure is not None else [],
        "case": case,
        "reproducer": cases.command(case),
    }


def _levels(ledger: Ledger) -> dict[str, dict[str, Any]]:
    levels: dict[str, dict[str, Any]] = {}
    for level, verdicts in ledger.level_verdicts().items():
        judged = verdicts["passed"] + verdicts["unexpected_pass"] + verdicts["failed"] + verdicts["expected_failure"]
        passing = verdicts["passed"] + verdicts["unexpected_pass"]
        counts: dict[str, Any] = {"clauses": sum(verdicts.values())}
        for verdict in ("passed", "failed", "expected_failure", "unexpected_pass", "skipped", "not_run"):
            counts[verdict] = verdicts[verdict]
        counts["pass_rate"] = round(passing / judged, 4) if judged else None
        levels[level.name.lower()] = counts
    return levels


def report_data(ledger: Ledger, host: HostAdapter, folder: Path) -> dict[str, Any]:
    """The report as JSON-ready data (format version :data:`SCHEMA_VERSION`)."""
    return _build(ledger, host, folder)[0]


def _build(ledger: Ledger, host: HostAdapter, folder: Path) -> tuple[dict[str, Any], _Cases]:
    revision = find_revision(ledger.revision)
    cases = _Cases(ledger, folder)
    capabilities = host.capabilities
    finished = ledger.finished
    clauses = [_clause(tally, ledger, cases) for tally in ledger.tallies.values()]
    tests = [_test(record, ledger, cases) for record in ledger.tests.values()]
    stale = ledger.unexpected_passes()
    data = {
        "schema_version": SCHEMA_VERSION,
        "suite": {"name": "wasi-nn-conformance", "version": __version__},
        "host": {
            "name": host.name,
            "version": host.version(),
            "option": ledger.host_option,
            "command": ledger.host_command,
            "capabilities": {
                "encodings": dict(capabilities.encodings),
                "targets": list(capabilities.targets),
                "tensor_types": list(capabilities.tensor_types),
                "load_by_name": capabilities.load_by_name,
                "bit_exact": capabilities.bit_exact,
            },
        },
        "revision": {"name": revision.name, "witx_sha256": revision.bindings.WITX_SHA256},
        "run": {
            "status": ledger.status,
            "complete": ledger.status == "complete",
            "started": _time(ledger.started),
            "finished": _time(finished),
            "duration_seconds": round((finished or time.time()) - ledger.started, 3),
            "exit_status": ledger.exit_status,
            "scenarios": ledger.examples,
            "hypothesis_profile": ledger.hypothesis_profile,
        },
        "expectations": {
            "file": _shown_path(ledger.expectations.path) if ledger.expectations.path else None,
            "departures": len(ledger.expectations.departures),
            "unexpected_passes": [departure.key for departure in stale],
        },
        "levels": _levels(ledger),
        "clauses": clauses,
        "tests": tests,
        "cases": cases.data(),
    }
    return data, cases


# -- junit.xml ------------------------------------------------------------------------------


def _failure_text(failure: Mapping[str, Any]) -> str:
    lines = [f"{failure['test']}, call #{failure['call']}: {failure['outcome']}"]
    lines += [f"  {reason}" for reason in failure["reasons"]]
    lines += ["transcript:", *(f"  {line}" for line in failure["transcript"])]
    if failure["reproducer"]:
        lines += ["reproducer:", f"  {failure['reproducer']}"]
    return "\n".join(lines)


def junit_xml(data: Mapping[str, Any]) -> bytes:
    """JUnit XML of a report: a testcase per clause (class ``wasi-nn.CALL``)."""
    host, run = data["host"], data["run"]
    counts = {"tests": 0, "failures": 0, "skipped": 0}
    suite = ElementTree.Element("testsuite", name=f"wasi-nn conformance: {host['name']} ({data['revision']['name']})")
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (
        ("host", host["name"]),
        ("host_version", host["version"]),
        ("revision", data["revision"]["name"]),
        ("witx_sha256", data["revision"]["witx_sha256"]),
        ("suite_version", data["suite"]["version"]),
        ("status", run["status"]),
        ("expectations", data["expectations"]["file"] or ""),
    ):
        ElementTree.SubElement(properties, "property", name=name, value=str(value))
    for clause in data["clauses"]:
        counts["tests"] += 1
        case = ElementTree.SubElement(suite, "testcase", classname=f"wasi-nn.{clause['call']}", name=clause["id"])
        verdict = clause["verdict"]
        if verdict == "failed":
            counts["failures"] += 1
            failures = [failure for failure in clause["failures"] if not failure["expected"]]
            first = failures[0]["reasons"][0] if failures and failures[0]["reasons"] else "failed"
            element = ElementTree.SubElement(case, "failure", message=first, type="clause")
            element.text = "\n\n".join(_failure_text(failure) for failure in failures) or first
        elif verdict == "unexpected_pass":
            counts["failures"] += 1
            departure = clause["departure"]
            ElementTree.SubElement(
                case,
                "failure",
                type="unexpected pass",
                message=f"listed as a departure ({departure['reason']}) yet it passed: remove it from the expectations",
            )
        elif verdict == "expected_failure":
            counts["skipped"] += 1
            departure = clause["departure"] or {}
            link = f" ({departure['link']})" if departure.get("link") else ""
            message = f"expected failure: {departure.get('reason', 'a listed test')}{link}"
            ElementTree.SubElement(case, "skipped", message=message)
        elif verdict in ("skipped", "not_run"):
            counts["skipped"] += 1
            reason = "; ".join(clause["skipped"]) if verdict == "skipped" else "not run"
            ElementTree.SubElement(case, "skipped", message=reason)
        ElementTree.SubElement(case, "system-out").text = clause["statement"]
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", "0")
    suite.set("skipped", str(counts["skipped"]))
    suite.set("time", str(run["duration_seconds"]))
    suite.set("timestamp", run["started"])
    suites = ElementTree.Element("testsuites", name="wasi-nn conformance")
    for name, value in counts.items():
        suites.set(name, str(value))
    suites.set("errors", "0")
    suites.append(suite)
    ElementTree.indent(suites)
    body: bytes = ElementTree.tostring(suites, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body + b"\n"


# -- summary.md -----------------------------------------------------------------------------

_SYMBOLS = {
    "passed": "✓",
    "failed": "✗ failed",
    "expected_failure": "≈ expected failure",
    "unexpected_pass": "! unexpected pass",
    "skipped": "- skipped",
    "not_run": "· not run",
    "not_applicable": "",
}


def _code(text: str) -> str:
    """``text`` as Markdown inline code, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f} %"


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
        levels = ", ".join(level for level in LEVEL_NAMES if clause["verdicts"][level] == "failed")
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
        verdicts = " | ".join(_SYMBOLS[clause["verdicts"][level]] for level in LEVEL_NAMES)
        lines.append(f"| {_code(clause['id'])} | {clause['call']} | {clause['level']} | {verdicts} |")
    lines += [
        "",
        "✓ passed · ✗ failed · ≈ expected failure (listed departure) · ! unexpected pass · - skipped "
        "(the host cannot be asked) · · not run",
        "",
    ]
    return "\n".join(lines)


# -- index.html -----------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --line: #d1d9e0;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #cf222e; --fail-bg: #ffebe9; --xfail: #9a6700;
  --xfail-bg: #fff8c5; --xpass: #8250df; --xpass-bg: #fbefff; --skip-bg: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d;
  --pass: #3fb950; --pass-bg: #12261e; --fail: #f85149; --fail-bg: #2d1214; --xfail: #d29922;
  --xfail-bg: #2b2111; --xpass: #ab7df8; --xpass-bg: #231a33; --skip-bg: #151b23; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.muted { color: var(--muted); }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--skip-bg); font-weight: 600; }
#hosts { margin: 1rem 0; }
#hosts td.level { white-space: nowrap; }
.count { font-weight: 600; }
.incomplete { color: var(--fail); font-weight: 600; }
#filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin: 1rem 0; }
#filters label { display: flex; gap: .3rem; align-items: center; }
select, input, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: .15rem .35rem; }
#matrix thead { position: sticky; top: 0; z-index: 1; }
#matrix td.id { font-family: ui-monospace, monospace; white-space: nowrap; }
#matrix td.cell { text-align: center; min-width: 2.2rem; font-weight: 600; }
td.v-passed { color: var(--pass); background: var(--pass-bg); }
td.v-failed { color: var(--fail); background: var(--fail-bg); }
td.v-expected_failure { color: var(--xfail); background: var(--xfail-bg); }
td.v-unexpected_pass { color: var(--xpass); background: var(--xpass-bg); }
td.v-skipped, td.v-not_run { color: var(--muted); background: var(--skip-bg); }
td.open { cursor: pointer; text-decoration: underline dotted; }
td.open:hover { outline: 2px solid currentColor; outline-offset: -2px; }
tr.detail > td { background: var(--bg); padding: .75rem 1rem; }
.detail h3 { margin: 0 0 .4rem; font-size: 1rem; }
.detail pre { margin: .3rem 0; padding: .5rem; overflow-x: auto; background: var(--skip-bg);
  border: 1px solid var(--line); border-radius: 4px; font-size: 12px; }
.detail .failure { margin: .6rem 0 1rem; }
.repro { display: flex; gap: .5rem; align-items: flex-start; }
.repro code { flex: 1; padding: .3rem .5rem; background: var(--skip-bg); border-radius: 4px; word-break: break-all; }
#legend { margin-top: 1rem; }
#legend span { display: inline-block; padding: 0 .4rem; margin-right: .5rem; border-radius: 3px; }
"""

_JS = r"""
"use strict";
const reports = JSON.parse(document.getElementById("report-data").textContent);
const LEVELS = ["safety", "function", "errno"];
const SYMBOLS = { passed: "\u2713", failed: "\u2717", expected_failure: "\u2248", unexpected_pass: "!",
  skipped: "\u2013", not_run: "\u00b7", not_applicable: "" };
const LABELS = { passed: "passed", failed: "failed", expected_failure: "expected failure",
  unexpected_pass: "unexpected pass", skipped: "skipped", not_run: "not run", not_applicable: "not applicable" };
const OPENS = new Set(["failed", "expected_failure", "unexpected_pass", "skipped"]);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function safeLink(url, text) {
  return /^https?:\/\//.test(url) ? el("a", { href: url }, text || url) : document.createTextNode(url);
}

const clauseIds = [];
const clauseMeta = new Map();
for (const report of reports) {
  for (const clause of report.clauses) {
    if (!clauseMeta.has(clause.id)) { clauseMeta.set(clause.id, clause); clauseIds.push(clause.id); }
  }
}
const byHost = reports.map((report) => new Map(report.clauses.map((clause) => [clause.id, clause])));

function tagValues(id, name) {
  const values = new Set();
  for (const clauses of byHost) {
    const clause = clauses.get(id);
    if (clause && clause.tags[name]) clause.tags[name].forEach((value) => values.add(value));
  }
  return values;
}

function renderHosts() {
  const head = el("tr", {}, el("th", {}, "host"), el("th", {}, "revision"), el("th", {}, "run"));
  LEVELS.forEach((level) => head.append(el("th", {}, level + (level === "errno" ? " (SHOULD)" : " (MUST)"))));
  const body = el("tbody");
  reports.forEach((report, index) => {
    const run = report.run;
    const started = run.started.replace("T", " ").slice(0, 16) + " UTC";
    const runCell = el("td", {}, started + " ", el("span", { class: "muted" }, "(" + run.duration_seconds + " s)"));
    if (!run.complete) runCell.append(" ", el("span", { class: "incomplete" }, "INCOMPLETE: " + run.status));
    const row = el("tr", {},
      el("td", {}, el("strong", {}, report.host.name), " ", el("span", { class: "muted" }, report.host.version)),
      el("td", {}, report.revision.name + " ", el("span", { class: "muted", title: report.revision.witx_sha256 },
        report.revision.witx_sha256.slice(0, 12))),
      runCell);
    for (const level of LEVELS) {
      const counts = {};
      for (const clause of report.clauses) {
        const verdict = clause.verdicts[level];
        counts[verdict] = (counts[verdict] || 0) + 1;
      }
      const cell = el("td", { class: "level" });
      const parts = [["passed", "passed"], ["failed", "failed"], ["expected_failure", "expected"],
        ["unexpected_pass", "unexpected pass"], ["skipped", "skipped"], ["not_run", "not run"]];
      let first = true;
      for (const [verdict, word] of parts) {
        const count = counts[verdict] || 0;
        if (count === 0 && verdict !== "passed" && verdict !== "failed") continue;
        if (!first) cell.append(" \u00b7 ");
        first = false;
        const attributes = { class: "count", "data-host": String(index), "data-level": level, "data-verdict": verdict };
        cell.append(el("span", attributes, String(count)), " " + word);
      }
      const passing = (counts.passed || 0) + (counts.unexpected_pass || 0);
      const judged = passing + (counts.failed || 0) + (counts.expected_failure || 0);
      cell.append(el("br"), el("span", { class: "muted" },
        judged ? "pass rate " + (100 * passing / judged).toFixed(1) + " %" : "nothing judged"));
      row.append(cell);
    }
    body.append(row);
  });
  document.getElementById("hosts").append(el("thead", {}, head), body);
}

function fillSelect(id, label, values) {
  const select = document.getElementById(id);
  select.append(el("option", { value: "" }, label));
  [...values].sort().forEach((value) => select.append(el("option", { value: value }, value)));
  select.addEventListener("change", applyFilters);
}

function renderFilters() {
  const calls = new Set(), errnos = new Set(), tensors = new Set();
  for (const id of clauseIds) {
    calls.add(clauseMeta.get(id).call);
    tagValues(id, "errno").forEach((v) => errnos.add(v));
    tagValues(id, "tensor_type").forEach((v) => tensors.add(v));
  }
  fillSelect("filter-call", "every call", calls);
  fillSelect("filter-errno", "every errno", errnos);
  fillSelect("filter-tensor", "every tensor type", tensors);
  fillSelect("filter-level", "every level", LEVELS);
  document.getElementById("filter-status").addEventListener("change", applyFilters);
  document.getElementById("filter-text").addEventListener("input", applyFilters);
}

function failureBlock(failure) {
  const block = el("div", { class: "failure" });
  block.append(el("div", {}, el("strong", {}, failure.expected ? "expected failure" : "failure"), " in ",
    el("code", {}, failure.test), failure.call === null ? "" : ", call #" + failure.call, ": " + failure.outcome));
  const reasons = el("ul");
  failure.reasons.forEach((reason) => reasons.append(el("li", {}, reason)));
  block.append(reasons, el("div", { class: "muted" }, "transcript"), el("pre", {}, failure.transcript.join("\n")));
  if (failure.reproducer) {
    const button = el("button", { type: "button" }, "copy");
    button.addEventListener("click", () => {
      const done = () => { button.textContent = "copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(failure.reproducer).then(done, () => {});
    });
    block.append(el("div", { class: "muted" }, "reproducer"),
      el("div", { class: "repro" }, el("code", {}, failure.reproducer), button));
  }
  return block;
}

function detailContent(hostIndex, id) {
  const report = reports[hostIndex];
  const clause = byHost[hostIndex].get(id);
  const box = el("div", { class: "detail" });
  box.append(el("h3", {}, id + " on " + report.host.name),
    el("p", {}, clause.statement), el("p", { class: "muted" }, clause.rationale));
  box.append(el("p", {}, LEVELS.map((level) => level + ": " + LABELS[clause.verdicts[level]]).join(" \u00b7 ")));
  if (clause.departure) {
    const d = clause.departure;
    const line = el("p", {}, "Listed departure (" + LABELS[d.status] + "): " + d.reason + " ");
    if (d.link) line.append(safeLink(d.link));
    box.append(line);
  }
  if (clause.skipped.length) box.append(el("p", {}, "Skipped: " + clause.skipped.join("; ")));
  clause.failures.forEach((failure) => box.append(failureBlock(failure)));
  if (clause.failure_count > clause.failures.length) {
    box.append(el("p", { class: "muted" }, clause.failure_count + " failing observations in all; report.json keeps " +
      clause.failures.length));
  }
  return box;
}

const rows = [];
const columns = 4 + 3 * reports.length;
const FILTERS = [["call", "filter-call"], ["errno", "filter-errno"], ["tensor", "filter-tensor"],
  ["level", "filter-level"], ["show", "filter-status"], ["clause", "filter-text"]];
let opened = "";

function toggleDetail(row, hostIndex, id) {
  const key = hostIndex + ":" + id;
  const next = row.nextElementSibling;
  opened = "";
  if (next && next.classList.contains("detail")) {
    const same = next.dataset.key === key;
    next.remove();
    if (same) { writeHash(); return; }
  }
  const cell = el("td", { colspan: String(columns) }, detailContent(hostIndex, id));
  row.after(el("tr", { class: "detail", "data-key": key }, cell));
  opened = key;
  writeHash();
}

// The filters and the open cell live in the address's fragment, so a view can be shared.
function writeHash() {
  const params = new URLSearchParams();
  for (const [key, id] of FILTERS) {
    const value = document.getElementById(id).value;
    if (value) params.set(key, value);
  }
  if (opened) params.set("open", opened);
  try {
    history.replaceState(null, "", "#" + params.toString());
  } catch (error) {
    // A page opened from a file may refuse; the filters work all the same.
  }
}

// Read once: writing the filters back into the fragment must not lose the cell to open.
const requested = new URLSearchParams(location.hash.slice(1));

function readFilters() {
  const params = requested;
  for (const [key, id] of FILTERS) {
    const field = document.getElementById(id);
    const value = params.get(key);
    if (value && (field.tagName !== "SELECT" || [...field.options].some((option) => option.value === value))) {
      field.value = value;
    }
  }
}

function openFromHash() {
  const open = requested.get("open");
  if (!open) return;
  const split = open.indexOf(":");
  const hostIndex = Number(open.slice(0, split));
  const id = open.slice(split + 1);
  const row = rows.find((candidate) => candidate.dataset.id === id);
  if (row && byHost[hostIndex] && byHost[hostIndex].has(id)) {
    toggleDetail(row, hostIndex, id);
    if (row.getBoundingClientRect().top > window.innerHeight) row.scrollIntoView();
  }
}

function renderMatrix() {
  const table = document.getElementById("matrix");
  const top = el("tr", {}, el("th", { rowspan: "2" }, "clause"), el("th", { rowspan: "2" }, "call"),
    el("th", { rowspan: "2" }, "level"), el("th", { rowspan: "2" }, "errno"));
  const sub = el("tr");
  reports.forEach((report) => {
    top.append(el("th", { colspan: "3" }, report.host.name));
    LEVELS.forEach((level) => sub.append(el("th", { title: level }, level[0].toUpperCase())));
  });
  const body = el("tbody");
  for (const id of clauseIds) {
    const meta = clauseMeta.get(id);
    const row = el("tr", { class: "clause", "data-id": id },
      el("td", { class: "id", title: meta.statement }, id), el("td", {}, meta.call), el("td", {}, meta.level),
      el("td", {}, meta.tags.errno ? meta.tags.errno.join(", ") : ""));
    reports.forEach((report, hostIndex) => {
      const clause = byHost[hostIndex].get(id);
      for (const level of LEVELS) {
        const verdict = clause ? clause.verdicts[level] : "not_applicable";
        const title = report.host.name + " \u00b7 " + level + ": " + LABELS[verdict];
        const cell = el("td", { class: "cell v-" + verdict, "data-host": String(hostIndex), "data-level": level,
          "data-verdict": verdict, title: title }, SYMBOLS[verdict]);
        if (clause && OPENS.has(verdict)) {
          cell.classList.add("open");
          cell.addEventListener("click", () => toggleDetail(row, hostIndex, id));
        }
        row.append(cell);
      }
    });
    rows.push(row);
    body.append(row);
  }
  table.append(el("thead", {}, top, sub), body);
}

function applyFilters() {
  const call = document.getElementById("filter-call").value;
  const errno = document.getElementById("filter-errno").value;
  const tensor = document.getElementById("filter-tensor").value;
  const level = document.getElementById("filter-level").value;
  const status = document.getElementById("filter-status").value;
  const text = document.getElementById("filter-text").value.trim().toLowerCase();
  let shown = 0;
  for (const row of rows) {
    const id = row.dataset.id;
    const meta = clauseMeta.get(id);
    const verdicts = byHost.map((clauses) => (clauses.get(id) ? clauses.get(id).verdict : "not_applicable"));
    const failing = verdicts.some((v) => v === "failed" || v === "unexpected_pass");
    const visible = (!call || meta.call === call) && (!errno || tagValues(id, "errno").has(errno)) &&
      (!tensor || tagValues(id, "tensor_type").has(tensor)) && (!level || meta.level === level) &&
      (!text || id.toLowerCase().includes(text)) &&
      (!status || (status === "failing" ? failing : !failing));
    row.hidden = !visible;
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) next.hidden = !visible;
    if (visible) shown += 1;
  }
  document.getElementById("shown").textContent = shown + " of " + rows.length + " clauses";
  writeHash();
}

renderHosts();
renderFilters();
renderMatrix();
readFilters();
applyFilters();
openFromHash();
document.body.dataset.rendered = "true";
"""


def html_page(reports: Sequence[Mapping[str, Any]]) -> str:
    """The self-contained page of one or more reports, side by side."""
    # The page needs the clauses, not the per-test records; a "<" inside a JSON string could
    # end the script element, so every one is escaped.
    trimmed = [{key: value for key, value in report.items() if key != "tests"} for report in reports]
    payload = json.dumps(trimmed, ensure_ascii=False).replace("<", "\\u003c")
    hosts = ", ".join(str(report["host"]["name"]) for report in reports)
    title = f"WASI-NN conformance: {hosts}"
    escaped_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    suite_version = reports[0]["suite"]["version"] if reports else __version__
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escaped_title}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{escaped_title}</h1>
<div class="muted">wasi-nn-conformance {suite_version}: clauses of the WITX wasi_ephemeral_nn spec by level.
Click a failing cell for its transcript and reproducer.</div>
<noscript><p>This page needs JavaScript; summary.md beside it holds the same results.</p></noscript>
<table id="hosts"></table>
<div id="filters">
<label>call <select id="filter-call"></select></label>
<label>errno <select id="filter-errno"></select></label>
<label>tensor type <select id="filter-tensor"></select></label>
<label>level <select id="filter-level"></select></label>
<label>show <select id="filter-status"><option value="">every clause</option>
<option value="failing">failing on a host</option>
<option value="passing">passing on every host</option></select></label>
<label>clause <input id="filter-text" type="search" placeholder="id contains"></label>
<span id="shown" class="muted"></span>
</div>
<table id="matrix"></table>
<div id="legend" class="muted">
<span class="v">S F E: safety, function, errno level</span>
<span style="color:var(--pass)">\u2713 passed</span><span style="color:var(--fail)">\u2717 failed</span>
<span style="color:var(--xfail)">\u2248 expected failure (a listed departure)</span>
<span style="color:var(--xpass)">! unexpected pass</span><span>\u2013 skipped</span><span>\u00b7 not run</span>
</div>
<script type="application/json" id="report-data">{payload}</script>
<script>{_JS}</script>
</body>
</html>
"""


# -- writing --------------------------------------------------------------------------------


def write_reports(ledger: Ledger, host: HostAdapter, folder: Path) -> list[Path]:
    """Write the run's reports and reproducers into ``folder``; returns the report files written."""
    data, cases = _build(ledger, host, folder)
    cases.write()
    files = {
        "report.json": json.dumps(data, indent=2, ensure_ascii=False).encode(),
        "junit.xml": junit_xml(data),
        "summary.md": summary_markdown(data).encode(),
        "index.html": html_page([data]).encode(),
    }
    written = []
    for name, content in files.items():
        write_atomically(folder / name, content)
        written.append(folder / name)
    ledger.reported_at = time.monotonic()
    return written


def sigterm_as_interrupt() -> Callable[[], None]:
    """Make SIGTERM end the run as Ctrl-C does, so that a CI job's timeout still leaves reports.

    Returns what undoes it. Nothing changes when SIGTERM already has a handler of its own or
    this is not the main thread (where Python runs signal handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return lambda: None

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {number}")

    def restore() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    return restore


def checkpoint(ledger: Ledger, host: HostAdapter, folder: Path) -> bool:
    """Rewrite the reports of a run still going, at most every :data:`CHECKPOINT_SECONDS`; returns whether it did."""
    if ledger.reported_at and time.monotonic() - ledger.reported_at < CHECKPOINT_SECONDS:
        return False
    write_reports(ledger, host, folder)
    return True


def load_report(path: Path) -> dict[str, Any]:
    """A ``report.json`` (or the one in folder ``path``); ``ValueError`` says why it is not one this suite reads."""
    if path.is_dir():
        path = path / "report.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise ValueError(f"{path}: report format {found!r}; this suite reads version {SCHEMA_VERSION}")
    return data


def combine(paths: Sequence[Path], out: Path) -> Path:
    """Write ``out/index.html``: the page of several reports side by side."""
    reports = [load_report(path) for path in paths]
    target = out / "index.html"
    write_atomically(target, html_page(reports).encode())
    return target

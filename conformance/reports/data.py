"""The data of ``report.json``, built from the ledger, and its format.

``report.schema.json`` beside this module documents the format, version :data:`SCHEMA_VERSION`.
The other report files are rendered from this data, never from the ledger, so they all agree.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from conformance import __version__
from conformance.adapters.base import HostAdapter
from conformance.catalog import Level
from conformance.corpus.report import corpus_section
from conformance.errors import UsageError
from conformance.expectations import Departure, outcome_summary
from conformance.paths import PROJECT_ROOT
from conformance.reports.cases import Cases
from conformance.reproducers import CASE_VERSION, replay_command
from conformance.results import TAG_NAMES, ClauseTally, Ledger, LevelVerdict, Observation, TestRecord
from conformance.revisions import revision as find_revision

SCHEMA_VERSION = 3
"""Version of the ``report.json`` format; it changes whenever a field changes meaning or goes away."""

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
"""The JSON Schema of ``report.json``."""

#: The verdicts each level counts, every one on its own (``not_applicable`` is no clause of the level).
_COUNTED: tuple[LevelVerdict, ...] = tuple(verdict for verdict in get_args(LevelVerdict) if verdict != "not_applicable")


def build(ledger: Ledger, host: HostAdapter, folder: Path) -> tuple[dict[str, Any], Cases]:
    """The report as JSON-ready data, with the failing cases it names (whose folders go into ``folder``)."""
    revision = find_revision(ledger.revision)
    cases = Cases(ledger, folder)
    capabilities = host.capabilities
    finished = ledger.finished
    clauses = [_clause(tally, ledger, cases) for tally in ledger.tallies.values()]
    tests = [_test(record, ledger, cases) for record in ledger.tests.values()]
    stale = ledger.unexpected_passes()
    unchecked = ledger.not_checked()
    corpus, cases.corpus = corpus_section(
        ledger.corpus,
        revision.bindings,
        capabilities.encodings,
        lambda name: {
            "case_version": CASE_VERSION,
            "revision": ledger.revision,
            "host": {"name": ledger.host, "option": ledger.host_option, "command": ledger.host_command},
            "command": replay_command(folder / name, ledger),
        },
    )
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
            "not_checked": [departure.key for departure in unchecked],
        },
        "levels": _levels(ledger),
        "clauses": clauses,
        "tests": tests,
        "cases": cases.data(),
        "corpus": corpus,
    }
    return data, cases


def load_report(path: Path) -> dict[str, Any]:
    """A ``report.json`` (or the one in folder ``path``).

    :class:`~conformance.errors.UsageError` says why it is not one this suite reads.
    """
    if path.is_dir():
        path = path / "report.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not JSON: {error}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise UsageError(f"{path}: report format {found!r}; this suite reads version {SCHEMA_VERSION}")
    return data


def _shown_path(path: Path) -> str:
    """``path`` as a report shows it: relative to the current folder or the project, never absolute."""
    resolved = path.resolve()
    for base in (Path.cwd().resolve(), PROJECT_ROOT):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return path.name


def _time(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tags(tags: Mapping[str, set[str]]) -> dict[str, list[str]]:
    return {name: sorted(tags[name]) for name in TAG_NAMES if tags.get(name)}


def _departure(departure: Departure, ledger: Ledger) -> dict[str, Any]:
    return {
        "clause": departure.clause,
        "level": departure.level.name.lower(),
        "outcome": list(departure.outcomes),
        "shown_by": list(departure.shown_by),
        "reason": departure.reason,
        "link": departure.link,
        "status": ledger.departure_status(departure),
    }


def _failure(observation: Observation, ledger: Ledger, cases: Cases) -> dict[str, Any]:
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


def _clause(tally: ClauseTally, ledger: Ledger, cases: Cases) -> dict[str, Any]:
    clause = tally.clause
    verdict = ledger.overall(clause.id)
    return {
        "id": clause.id,
        "call": clause.call,
        "level": clause.level.name.lower(),
        "expect": clause.expect,
        "statement": clause.statement,
        "rationale": clause.rationale,
        "tags": _tags(tally.tags) or _tags({name: {value} for name, value in clause.tags.items()}),
        "verdict": verdict,
        "verdicts": {level.name.lower(): ledger.verdict(clause.id, level) for level in Level},
        "observations": {
            level.name.lower(): {"passed": tally.passed[level], "failed": tally.failed[level]} for level in Level
        },
        "skipped": list(tally.skipped),
        "not_run": ledger.not_run_reasons(clause.id) if verdict == "not_run" else [],
        "tests": sorted(tally.tests),
        "tolerance": sorted(tally.tolerances),
        "max_error": tally.max_error,
        "departures": [_departure(departure, ledger) for departure in ledger.expectations.for_clause(clause.id)],
        "failure_count": tally.failure_count,
        "failures": [_failure(observation, ledger, cases) for observation in tally.failures],
    }


def _test(record: TestRecord, ledger: Ledger, cases: Cases) -> dict[str, Any]:
    failure = record.failure
    case = cases.add(failure) if failure is not None else None
    hypothesis = record.hypothesis
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
        "departures": [departure.key for departure in record.departures],
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
        for verdict in _COUNTED:
            counts[verdict] = verdicts[verdict]
        counts["pass_rate"] = round(passing / judged, 4) if judged else None
        levels[level.name.lower()] = counts
    return levels

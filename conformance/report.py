"""Reports of a conformance run, written from the ledger: ``report.json`` and reproducers."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.adapters.base import HostAdapter
from conformance.catalog import Level
from conformance.results import Ledger, Observation
from conformance.revisions import revision as find_revision

SCHEMA_VERSION = 1


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so it is never half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _reproducer(observation: Observation, folder: Path, number: int) -> dict[str, Any]:
    reproducer = observation.reproducer
    if reproducer is None:
        return {}
    base = folder / "repro" / f"{observation.judgement.clause.id}-{number}"
    write_atomically(base.with_suffix(".wasm"), reproducer.wasm)
    write_atomically(base.with_suffix(".stdin"), reproducer.stdin)
    return {
        "wasm": str(base.with_suffix(".wasm")),
        "stdin": str(base.with_suffix(".stdin")),
        "graphs": dict(reproducer.graphs),
        "steps": list(reproducer.steps),
    }


def report_data(ledger: Ledger, host: HostAdapter, folder: Path) -> dict[str, Any]:
    """The report as JSON-ready data (schema version :data:`SCHEMA_VERSION`)."""
    revision = find_revision(ledger.revision)
    clauses = []
    for tally in ledger.tallies.values():
        clause = tally.clause
        failures = [
            {
                "test": observation.test,
                "outcome": str(observation.judgement.outcome),
                "levels": observation.judgement.failures(),
                "transcript": list(observation.transcript),
                "reproducer": _reproducer(observation, folder, number),
            }
            for number, observation in enumerate(tally.failures)
        ]
        clauses.append(
            {
                "id": clause.id,
                "call": clause.call,
                "level": clause.level.name.lower(),
                "expect": clause.expect,
                "statement": clause.statement,
                "rationale": clause.rationale,
                "tags": clause.tags,
                "verdicts": {level.name.lower(): tally.verdict(level) for level in Level},
                "observations": {
                    level.name.lower(): {"passed": tally.passed[level], "failed": tally.failed[level]}
                    for level in Level
                },
                "skipped": list(tally.skipped),
                "tests": sorted(tally.tests),
                "failures": failures,
            }
        )
    return {
        "schema": SCHEMA_VERSION,
        "suite_version": __version__,
        "host": {"name": host.name, "version": host.version()},
        "revision": {"name": revision.name, "witx_sha256": revision.bindings.WITX_SHA256},
        "started": ledger.started,
        "finished": ledger.finished,
        "complete": not ledger.interrupted,
        "scenarios": ledger.examples,
        "levels": {
            level.name.lower(): dict(zip(("passed", "failed", "skipped"), counts, strict=True))
            for level, counts in ledger.level_counts().items()
        },
        "clauses": clauses,
    }


def write_reports(ledger: Ledger, host: HostAdapter, folder: Path) -> list[Path]:
    """Write the run's reports into ``folder``; returns the files written."""
    data = report_data(ledger, host, folder)
    path = folder / "report.json"
    write_atomically(path, json.dumps(data, indent=2).encode())
    return [path]

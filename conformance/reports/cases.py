"""The failing cases of a run: one per distinct guest, stdin and graphs, each with its replay command.

A case is what ``repro/CASE/`` holds (:func:`conformance.reports.files.write_reports` writes
it) and what ``wasi-nn-conformance replay`` re-runs (:mod:`conformance.replay`), in the format
of :mod:`conformance.reproducers`. Several failing observations, even of different clauses and
tests, share a case when they ran the same guest on the same input.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

from conformance.corpus.report import CorpusReproducer
from conformance.paths import safe_name
from conformance.reproducers import CASE_VERSION, FailureKey, failure_key, replay_command, scenario_to_json
from conformance.results import Ledger, Observation


def _digest(observation: Observation) -> str:
    reproducer = observation.reproducer
    assert reproducer is not None
    digest = hashlib.sha256()
    # Each part goes in with its length, so that no two different inputs hash alike by where they split.
    for part in (reproducer.wasm, reproducer.stdin, json.dumps(dict(reproducer.graphs), sort_keys=True).encode()):
        digest.update(len(part).to_bytes(8, "little") + part)
    digest.update((reproducer.special or "").encode())
    return digest.hexdigest()[:10]


@dataclasses.dataclass
class Case:
    """One failing case: the first observation that ran it, and every distinct failure it showed."""

    name: str
    first: Observation
    failures: dict[FailureKey, Observation] = dataclasses.field(default_factory=dict)
    tests: set[str] = dataclasses.field(default_factory=set)


class Cases:
    """The failing cases of a run whose reports go into ``folder``, by the digest of what they ran."""

    def __init__(self, ledger: Ledger, folder: Path) -> None:
        self.ledger = ledger
        self.folder = folder
        self.by_digest: dict[str, Case] = {}
        self.corpus: list[CorpusReproducer] = []
        """The reproducers of failing ONNX node corpus cases (see :mod:`conformance.corpus.report`)."""

    def add(self, observation: Observation) -> str | None:
        """The case name of a failing observation (``None`` when it has no reproducer)."""
        if observation.reproducer is None:
            return None
        digest = _digest(observation)
        case = self.by_digest.get(digest)
        if case is None:
            case = Case(f"{safe_name(observation.judgement.clause.id)}-{digest}", observation)
            self.by_digest[digest] = case
        case.failures.setdefault(failure_key(observation.judgement), observation)
        case.tests.add(observation.test)
        return case.name

    def command(self, name: str | None) -> str | None:
        """The replay command of case ``name``."""
        return None if name is None else replay_command(self.folder / "repro" / name, self.ledger)

    def data(self) -> dict[str, Any]:
        """The ``cases`` section of the report."""
        cases: dict[str, Any] = {}
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

    def case_json(self, case: Case) -> dict[str, Any]:
        """The ``case.json`` of ``case``: what ``wasi-nn-conformance replay`` needs to run and judge it again."""
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
            **({"levels": list(reproducer.levels)} if reproducer.levels is not None else {}),
            "graphs": dict(reproducer.graphs),
            "failures": [
                {"clause": clause, "levels": list(levels), "outcome": outcome, "call": observation.call}
                for (clause, levels, outcome), observation in sorted(case.failures.items())
            ],
            "transcript": list(case.first.transcript),
            "command": self.command(case.name),
        }

"""The ledger of a conformance run: every clause judgement, by clause and level.

Tests record what they observed here; the plugin prints the summary from it and the reports
are written from it. A clause passes a level when every observation of it passed there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from conformance.catalog import Catalog, Clause, Judgement, Level


@dataclass(frozen=True, slots=True)
class Reproducer:
    """What re-runs a failing case exactly: the guest, its stdin and the graphs preloaded."""

    wasm: bytes
    stdin: bytes
    graphs: Mapping[str, str]
    steps: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Observation:
    """One judgement of a clause, where it was made, and the context to understand it."""

    test: str
    judgement: Judgement
    transcript: Sequence[str]
    reproducer: Reproducer | None
    call: int | None = None


@dataclass
class ClauseTally:
    """Everything observed of one clause."""

    clause: Clause
    passed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    failed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    failures: list[Observation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)

    def verdict(self, level: Level) -> str:
        """``passed``, ``failed``, ``skipped`` (asked of no call) or ``not applicable`` at ``level``."""
        if level not in self.clause.levels:
            return "not applicable"
        if self.failed[level]:
            return "failed"
        if self.passed[level]:
            return "passed"
        return "skipped"


#: Failing observations kept per clause; the rest are counted.
KEEP_FAILURES = 5


@dataclass
class Ledger:
    """All judgements of one run against one host."""

    host: str
    revision: str
    catalog: Catalog
    started: float = field(default_factory=time.time)
    finished: float | None = None
    examples: int = 0
    tallies: dict[str, ClauseTally] = field(default_factory=dict)
    interrupted: bool = False

    def __post_init__(self) -> None:
        for clause in self.catalog.clauses.values():
            self.tallies[clause.id] = ClauseTally(clause)

    def record(self, observation: Observation) -> None:
        """Add one judgement."""
        tally = self.tallies[observation.judgement.clause.id]
        tally.tests.add(observation.test)
        for level, verdict in observation.judgement.verdicts.items():
            (tally.passed if verdict.passed else tally.failed)[level] += 1
        if not observation.judgement.passed and len(tally.failures) < KEEP_FAILURES:
            tally.failures.append(observation)

    def skip(self, clause_id: str, reason: str) -> None:
        """Note that ``clause_id`` could not be asked of this host, and why."""
        tally = self.tallies.get(clause_id)
        if tally is not None and reason not in tally.skipped:
            tally.skipped.append(reason)

    def level_counts(self) -> dict[Level, tuple[int, int, int]]:
        """Per level: clauses passed, failed, and skipped (never observed)."""
        counts: dict[Level, tuple[int, int, int]] = {}
        for level in Level:
            verdicts = [tally.verdict(level) for tally in self.tallies.values()]
            counts[level] = (verdicts.count("passed"), verdicts.count("failed"), verdicts.count("skipped"))
        return counts

    def summary_lines(self) -> list[str]:
        """The lines the run ends with."""
        tests = set().union(*(tally.tests for tally in self.tallies.values()))
        lines = [
            f"wasi-nn conformance of host {self.host!r} (revision {self.revision}): "
            f"{len(self.tallies)} clauses, {len(tests)} tests, {self.examples} scenarios run"
        ]
        for level, (passed, failed, skipped) in self.level_counts().items():
            lines.append(f"  {level.name.lower():<8} {passed} passed, {failed} failed, {skipped} skipped")
        for tally in self.tallies.values():
            if any(tally.verdict(level) == "failed" for level in Level):
                first = tally.failures[0] if tally.failures else None
                reason = "; ".join(first.judgement.failures()) if first else ""
                lines.append(f"  FAILED {tally.clause.id}: {reason}")
        return lines

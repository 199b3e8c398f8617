"""The corpus part of a run: every selected case's result and verdict, by operator, with the expectations.

A case's *outcome* is what the host did (:data:`~conformance.corpus.outcomes.CaseOutcome`); its
*verdict* is what that means for the run: ``failed`` (no expectation covers it: the run fails),
``expected_failure`` (an entry of the host's expectations file covers it), ``unexpected_pass``
(an entry names the case and it passed: the run fails), ``oracle_unavailable`` (never counted
against the host) or ``not_run`` (selected, but the run ended first). An entry of the file is
``unexpected_pass`` when cases it names ran with an oracle and none failed as it says, and
``not_checked`` when none of them ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from conformance.corpus.cases import Corpus, CorpusCase
from conformance.corpus.outcomes import OUTCOMES
from conformance.corpus.runner import CaseResult, CorpusRunner
from conformance.expectations import CorpusDeparture, DepartureStatus, Expectations

__all__ = ["VERDICTS", "CaseVerdict", "CorpusExport", "CorpusLedger", "RecordedCase", "Selection"]

CaseVerdict = Literal["passed", "failed", "expected_failure", "unexpected_pass", "oracle_unavailable", "not_run"]
VERDICTS: tuple[CaseVerdict, ...] = get_args(CaseVerdict)

Selection = Literal["sample", "all", "some"]
"""Which cases a run asked: one per operator, every in-scope case, or a ``-k`` slice of them."""


@dataclass(frozen=True, slots=True)
class RecordedCase:
    """A case as the run saw it: its test, result, verdict, and the entry covering it (if any)."""

    case: CorpusCase
    test: str
    result: CaseResult
    verdict: CaseVerdict
    departure: CorpusDeparture | None = None


@dataclass(frozen=True, slots=True)
class CorpusExport:
    """A process's corpus results, small enough to send to another: no models, no inputs."""

    results: tuple[CaseResult, ...]
    processes: int
    seconds: float
    packaging: str | None
    not_served: str


@dataclass
class CorpusLedger:
    """The corpus cases one run selected, and what became of each."""

    corpus: Corpus
    selection: Selection
    selected: dict[str, str]
    """The selected cases (by id) with their test ids, in run order."""
    expectations: Expectations = field(default_factory=Expectations)
    runner: CorpusRunner | None = None
    """What runs the cases, made when the first case runs (in each process of the run)."""
    not_served: str = ""
    """Why the host cannot be asked the corpus at all (it loads no ONNX), if it cannot."""
    recorded: dict[str, RecordedCase] = field(default_factory=dict)
    _absorbed_processes: int = 0
    _absorbed_seconds: float = 0.0
    _absorbed_packaging: str | None = None

    def record(self, case: CorpusCase, result: CaseResult) -> RecordedCase:
        """Record a case's result and return it with its verdict."""
        departure = None
        if not result.judged:
            verdict: CaseVerdict = "oracle_unavailable"
        elif result.passed:
            named = any(case.id in entry.cases for entry in self.expectations.corpus)
            verdict = "unexpected_pass" if named else "passed"
        else:
            departure = self.expectations.covering_case(case.id, case.operators, result.outcome)
            verdict = "failed" if departure is None else "expected_failure"
        recorded = RecordedCase(case, self.selected[case.id], result, verdict, departure)
        self.recorded[case.id] = recorded
        return recorded

    @property
    def processes(self) -> int:
        """Guest runs the cases took, in every process of the run."""
        return self._absorbed_processes + (self.runner.processes if self.runner else 0)

    @property
    def seconds(self) -> float:
        """Seconds spent running cases, added up over the processes of the run."""
        return self._absorbed_seconds + (self.runner.seconds if self.runner else 0.0)

    @property
    def packaging(self) -> str | None:
        """How the models were handed to the host, once a case ran."""
        return self.runner.packaging if self.runner else self._absorbed_packaging

    def export(self) -> CorpusExport:
        """What another process needs to add this one's cases to its own ledger (:meth:`absorb`)."""
        return CorpusExport(
            tuple(recorded.result for recorded in self.recorded.values()),
            self.processes,
            self.seconds,
            self.packaging,
            self.not_served,
        )

    def absorb(self, other: CorpusExport) -> None:
        """Add the cases another process of the run recorded (a pytest-xdist worker's)."""
        for result in other.results:
            self.record(self.corpus.cases[result.case], result)
        self._absorbed_processes += other.processes
        self._absorbed_seconds += other.seconds
        self._absorbed_packaging = self._absorbed_packaging or other.packaging
        self.not_served = self.not_served or other.not_served

    def verdict(self, case_id: str) -> CaseVerdict:
        """A selected case's verdict; ``not_run`` when it has no result."""
        recorded = self.recorded.get(case_id)
        return recorded.verdict if recorded is not None else "not_run"

    def departure_status(self, entry: CorpusDeparture) -> DepartureStatus:
        """What the run made of a corpus entry of the expectations file."""
        named = [
            recorded
            for recorded in self.recorded.values()
            if recorded.result.judged and entry.names(recorded.case.id, recorded.case.operators)
        ]
        if any(recorded.departure == entry for recorded in named):
            return "expected_failure"
        return "unexpected_pass" if named else "not_checked"

    def unexpected_passes(self) -> list[CorpusDeparture]:
        """Corpus entries the host no longer shows."""
        return [entry for entry in self.expectations.corpus if self.departure_status(entry) == "unexpected_pass"]

    def outcome_counts(self) -> dict[str, int]:
        """How many recorded cases ended in each outcome (every outcome, zero or not)."""
        counts: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        for recorded in self.recorded.values():
            counts[recorded.result.outcome] += 1
        return counts

    def verdict_counts(self) -> dict[str, int]:
        """How many selected cases have each verdict (every verdict, zero or not)."""
        counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        for case_id in self.selected:
            counts[self.verdict(case_id)] += 1
        return counts

    def operator_rows(self) -> list[dict[str, int | str]]:
        """Per operator (sorted), its cases by outcome and verdict; a case counts under every operator it uses."""
        rows: dict[str, dict[str, int | str]] = {}
        for recorded in self.recorded.values():
            for operator in recorded.case.operators:
                row = rows.setdefault(
                    operator,
                    {
                        "operator": operator,
                        "cases": 0,
                        **dict.fromkeys(OUTCOMES, 0),
                        "failed": 0,
                        "expected_failure": 0,
                        "unexpected_pass": 0,
                    },
                )
                row["cases"] = int(row["cases"]) + 1
                row[recorded.result.outcome] = int(row[recorded.result.outcome]) + 1
                if recorded.verdict in ("failed", "expected_failure", "unexpected_pass"):
                    row[recorded.verdict] = int(row[recorded.verdict]) + 1
        return [rows[name] for name in sorted(rows, key=str.lower)]

    def fails_run(self) -> bool:
        """Whether the corpus alone fails the run: an unexpected pass, or a selected case that did not run."""
        counts = self.verdict_counts()
        not_run = counts["not_run"] and not self.not_served
        return bool(counts["unexpected_pass"] or self.unexpected_passes() or not_run)

    def summary_lines(self) -> list[str]:
        """The corpus lines of the closing summary: counts per outcome and out-of-scope reason, and what fails."""
        outcomes = self.outcome_counts()
        counted = ", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count in outcomes.items() if count)
        seconds = f" in {self.seconds:.1f} s, {self.processes} guest runs" if self.processes else ""
        lines = [
            f"ONNX node corpus ({self.selection}, onnx {self.corpus.onnx_version}): {len(self.selected)} cases "
            f"selected{seconds}: {counted or 'none run'}"
        ]
        if self.not_served:
            lines.append(f"  SKIPPED: {self.not_served}")
        reasons = ", ".join(f"{reason} {count}" for reason, count in self.corpus.out_of_scope.items())
        lines.append(
            f"  out of scope for revision {self.corpus.revision}: {sum(self.corpus.out_of_scope.values())} ({reasons})"
        )
        verdicts = self.verdict_counts()
        for verdict in ("expected_failure", "not_run"):
            if verdicts[verdict] and not (verdict == "not_run" and self.not_served):
                lines.append(f"  {verdicts[verdict]} {verdict.replace('_', ' ')}")
        for recorded in self.recorded.values():
            result = recorded.result
            if recorded.verdict == "failed":
                where = f" in {result.call}" if result.call else ""
                operators = ", ".join(recorded.case.operators)
                lines.append(f"  FAILED {result.case} ({operators}): {result.outcome}{where}: {result.detail}")
            elif recorded.verdict == "unexpected_pass":
                lines.append(f"  UNEXPECTED PASS {result.case}: listed in {self.expectations.source}, yet it passed")
        for entry in self.unexpected_passes():
            lines.append(
                f"  UNEXPECTED PASS {entry.key} ({', '.join(entry.outcomes)}): listed in {self.expectations.source} "
                f"({entry.reason}), yet no case it names failed so; remove it (or run with --update-expectations)"
            )
        return lines

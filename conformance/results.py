"""The ledger of a conformance run: every clause judgement, by clause and level, and every test.

Tests record what they observed here; the plugin prints the summary from it and the reports
are written from it. A clause passes a level when every observation of it passed there. A
failure the host's expectations file lists (:mod:`conformance.expectations`) is an expected
failure: it is reported as such and does not fail the run, but a listed clause that passes
does (an unexpected pass), so the list never goes stale.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

from conformance import models
from conformance.adapters.base import Capabilities
from conformance.catalog import Catalog, Clause, Judgement, Level
from conformance.expectations import Departure, Expectations, lowest_failed_level, outcome_summary
from conformance.model import GetOutput, Load, Operation, Prediction, Scenario, SetInput

LevelVerdict = Literal[
    "passed", "failed", "expected_failure", "unexpected_pass", "skipped", "not_run", "not_applicable"
]
"""How a clause fared at one level. ``skipped``: the host could not be asked it (a reason is
recorded); ``not_run``: no test asked it (deselected, or the run ended first)."""

TestOutcome = Literal["passed", "failed", "skipped", "expected_failure", "unexpected_pass", "error"]
"""How a test ended, as reports name it. ``error``: its setup or teardown failed."""

RunStatus = Literal["running", "complete", "interrupted", "errored"]
"""``running``: the report is a checkpoint of a run still going (or one that was killed
outright); ``interrupted``: Ctrl-C or SIGTERM; ``errored``: pytest itself failed."""

#: The order in which a clause's overall verdict takes the worst of its levels.
VERDICT_SEVERITY: tuple[LevelVerdict, ...] = (
    "failed",
    "unexpected_pass",
    "expected_failure",
    "passed",
    "skipped",
    "not_run",
    "not_applicable",
)

#: Tag names, in the order reports show them.
TAG_NAMES = ("call", "level", "errno", "tensor_type", "encoding", "target")


@dataclass(frozen=True, slots=True)
class Reproducer:
    """What re-runs a failing case exactly: the guest, its stdin and the graphs preloaded.

    ``scenario`` (a driver script's operations) or ``special`` (the clause of a guest of its
    own, see :mod:`conformance.special`) is what ``wasi-nn-conformance replay`` runs again
    and re-judges.
    """

    wasm: bytes
    stdin: bytes
    graphs: Mapping[str, str]
    steps: Sequence[str] = ()
    scenario: Scenario | None = None
    special: str | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One judgement of a clause, where it was made, and the context to understand it.

    ``tags`` are what the call was about beyond its clause: ``tensor_type``, ``encoding``,
    ``target`` (see :func:`operation_tags`).
    """

    test: str
    judgement: Judgement
    transcript: Sequence[str]
    reproducer: Reproducer | None
    call: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HypothesisInfo:
    """How to make Hypothesis generate a test's examples again."""

    seed: str | None = None
    """The seed it drew (a decimal string: seeds are 128-bit), or the one ``--hypothesis-seed`` forced."""
    derandomized: bool = False
    """Whether the seed came from the test itself (the ``ci`` profile): the run repeats as is."""
    blob: str | None = None
    """The ``@reproduce_failure(...)`` decorator Hypothesis printed for a failing example."""


def stable_test_id(nodeid: str) -> str:
    """A test's id without the folders before its file, so ids agree whatever the rootdir."""
    path, separator, rest = nodeid.partition("::")
    return path.rsplit("/", 1)[-1] + separator + rest


def clause_tags(clause: Clause) -> dict[str, str]:
    """The tags a clause has by itself: call, level and, for error clauses, errno."""
    return dict(clause.tags)


def operation_tags(
    operation: Operation, prediction: Prediction, bindings: ModuleType, capabilities: Capabilities
) -> dict[str, str]:
    """The tensor type, encoding and target a call was about, where the operation says.

    Raw values that are no case of their enum (hostile arguments) get no tag: they would only
    crowd the filters of the reports.
    """
    tags: dict[str, str] = {}
    if isinstance(operation, Load):
        encoding = operation.encoding if operation.encoding is not None else next(iter(capabilities.encodings), None)
        _tag_case(tags, "encoding", encoding, bindings.GraphEncoding)
        _tag_case(tags, "target", operation.target, bindings.ExecutionTarget)
        fixture = models.FIXTURES.get(operation.fixture)
        if fixture is not None and len(fixture.tensor_types) == 1 and operation.builders is None:
            tags["tensor_type"] = next(iter(fixture.tensor_types))
    elif isinstance(operation, SetInput):
        _tag_case(tags, "tensor_type", operation.tensor_type, bindings.TensorType)
    elif isinstance(operation, GetOutput) and prediction.tensor_type:
        tags["tensor_type"] = prediction.tensor_type
    return tags


def _tag_case(tags: dict[str, str], name: str, value: str | int | None, cases: type[enum.IntEnum]) -> None:
    if isinstance(value, str) and value.upper() in cases.__members__:
        tags[name] = value.lower()
    elif isinstance(value, int) and value in cases._value2member_map_:
        tags[name] = cases(value).name.lower()


def tag_markers(clause: Clause) -> list[str]:
    """The pytest markers of a clause's test: ``call_load``, ``level_errno``, ``errno_invalid_argument``."""
    return [f"{name}_{value}" for name, value in clause.tags.items()]


def marker_descriptions(catalogs: Sequence[Catalog], errnos: Sequence[str]) -> list[str]:
    """``markers`` ini lines for every tag marker the clause tests can carry."""
    calls = sorted({clause.call for catalog in catalogs for clause in catalog.clauses.values()})
    lines = [f"call_{call}: clause tests of the wasi-nn call {call}" for call in calls]
    lines += [f"level_{level.name.lower()}: clause tests of the {level.name.lower()} level" for level in Level]
    lines += [f"errno_{errno}: clause tests that expect the errno {errno}" for errno in sorted(set(errnos))]
    return lines


def _merge_tags(into: dict[str, set[str]], tags: Mapping[str, str]) -> None:
    for name, value in tags.items():
        into.setdefault(name, set()).add(value)


@dataclass
class ClauseTally:
    """Everything observed of one clause.

    ``unexpected`` counts the failed observations of each level that no expectation covers;
    ``failures`` keeps the latest failing observation of up to :data:`KEEP_FAILURES` tests
    (the latest, because Hypothesis replays its shrunk example last).
    """

    clause: Clause
    passed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    failed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    unexpected: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    failures: list[Observation] = field(default_factory=list)
    failure_count: int = 0
    failure_kinds: set[tuple[Level, str]] = field(default_factory=set)
    """Each (lowest failed level, outcome summary) seen, for ``--update-expectations``."""
    skipped: list[str] = field(default_factory=list)
    tests: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=dict)
    tolerances: set[str] = field(default_factory=set)
    max_error: float | None = None

    @property
    def observed(self) -> bool:
        """Whether any call judged this clause."""
        return any(self.passed.values()) or any(self.failed.values())

    def verdict(self, level: Level, departure: Departure | None = None) -> LevelVerdict:
        """How the clause fared at ``level``; ``departure`` is the expectation that lists it, if any."""
        if level not in self.clause.levels:
            return "not_applicable"
        if self.unexpected[level]:
            return "failed"
        if self.failed[level]:
            return "expected_failure"
        if self.passed[level]:
            if (
                departure is not None
                and self.unexpectedly_passed(departure)
                and level >= (departure.level or self.clause.levels[0])
            ):
                return "unexpected_pass"
            return "passed"
        return "skipped" if self.skipped else "not_run"

    def overall(self, departure: Departure | None = None) -> LevelVerdict:
        """The worst verdict over the clause's levels."""
        verdicts = {self.verdict(level, departure) for level in self.clause.levels}
        return next(verdict for verdict in VERDICT_SEVERITY if verdict in verdicts)

    def unexpectedly_passed(self, departure: Departure | None) -> bool:
        """Whether the clause is listed as a departure yet every observation of it passed."""
        return departure is not None and self.observed and not any(self.failed.values())


@dataclass
class TestRecord:
    """One test of the run: how it ended and what it observed."""

    __test__ = False  # a record of a test, not one for pytest to collect

    id: str
    outcome: TestOutcome | None = None
    """``None`` while the test runs (or if the run ended inside it)."""
    reason: str = ""
    duration: float = 0.0
    clauses: set[str] = field(default_factory=set)
    failed_clauses: set[str] = field(default_factory=set)
    expected_clauses: set[str] = field(default_factory=set)
    """Clauses that failed in this test as the expectations say they do."""
    tags: dict[str, set[str]] = field(default_factory=dict)
    tolerances: set[str] = field(default_factory=set)
    max_error: float | None = None
    hypothesis: HypothesisInfo | None = None
    failure: Observation | None = None
    """The failure to show: the latest unexpected one, or else the latest expected one."""


#: Tests whose latest failure each clause keeps; the rest are counted.
KEEP_FAILURES = 5


@dataclass
class Ledger:
    """All judgements of one run against one host.

    ``host_option`` and ``host_command`` are how the host was chosen (``--wasi-nn-host`` and
    ``--wasi-nn-host-command``), so a reproducer can choose it again.
    """

    host: str
    revision: str
    catalog: Catalog
    started: float = field(default_factory=time.time)
    finished: float | None = None
    examples: int = 0
    tallies: dict[str, ClauseTally] = field(default_factory=dict)
    interrupted: bool = False
    expectations: Expectations = field(default_factory=Expectations)
    host_option: str = "reference"
    host_command: str | None = None
    hypothesis_profile: str | None = None
    tests: dict[str, TestRecord] = field(default_factory=dict)
    status: RunStatus = "running"
    exit_status: int | None = None
    reported_at: float = 0.0
    """When the reports were last written (``time.monotonic``), for checkpoints."""

    def __post_init__(self) -> None:
        for clause in self.catalog.clauses.values():
            self.tallies[clause.id] = ClauseTally(clause)

    def test(self, nodeid_or_id: str) -> TestRecord:
        """The record of a test (made on first use); takes a pytest node id or a :func:`stable_test_id`."""
        key = stable_test_id(nodeid_or_id)
        record = self.tests.get(key)
        if record is None:
            record = self.tests[key] = TestRecord(key)
        return record

    def departure_covering(self, observation: Observation) -> Departure | None:
        """The expectation that lists this observation's failure, if any (``None`` for a pass)."""
        judgement = observation.judgement
        if judgement.passed:
            return None
        return self.expectations.covering(
            stable_test_id(observation.test),
            judgement.clause.id,
            lowest_failed_level(judgement),
            outcome_summary(judgement.outcome),
        )

    def record(self, observation: Observation) -> bool:
        """Add one judgement; returns whether it is a failure no expectation covers."""
        observation = dataclasses.replace(observation, test=stable_test_id(observation.test))
        judgement = observation.judgement
        tally = self.tallies[judgement.clause.id]
        record = self.test(observation.test)
        tally.tests.add(observation.test)
        record.clauses.add(judgement.clause.id)
        for tags in (clause_tags(judgement.clause), observation.tags):
            _merge_tags(tally.tags, tags)
            _merge_tags(record.tags, tags)
        facts = judgement.facts
        if facts.tolerance:
            tally.tolerances.add(facts.tolerance)
            record.tolerances.add(facts.tolerance)
        if facts.max_error is not None:
            tally.max_error = max(tally.max_error or 0.0, facts.max_error)
            record.max_error = max(record.max_error or 0.0, facts.max_error)
        expected = self.departure_covering(observation) is not None
        for level, verdict in judgement.verdicts.items():
            (tally.passed if verdict.passed else tally.failed)[level] += 1
            if not verdict.passed and not expected:
                tally.unexpected[level] += 1
        if judgement.passed:
            return False
        tally.failure_count += 1
        lowest = lowest_failed_level(judgement)
        if lowest is not None:
            tally.failure_kinds.add((lowest, outcome_summary(judgement.outcome)))
        kept = [index for index, kept in enumerate(tally.failures) if kept.test == observation.test]
        if kept:
            tally.failures[kept[0]] = observation
        elif len(tally.failures) < KEEP_FAILURES:
            tally.failures.append(observation)
        record.failed_clauses.add(judgement.clause.id)
        if expected:
            record.expected_clauses.add(judgement.clause.id)
        if not expected or record.failure is None or self.departure_covering(record.failure) is not None:
            record.failure = observation
        return not expected

    def skip(self, clause_id: str, reason: str) -> None:
        """Note that ``clause_id`` could not be asked of this host, and why."""
        tally = self.tallies.get(clause_id)
        if tally is not None and reason not in tally.skipped:
            tally.skipped.append(reason)

    def verdict(self, clause_id: str, level: Level) -> LevelVerdict:
        """How ``clause_id`` fared at ``level``, expectations considered."""
        return self.tallies[clause_id].verdict(level, self.expectations.for_clause(clause_id))

    def overall(self, clause_id: str) -> LevelVerdict:
        """How ``clause_id`` fared over all its levels, expectations considered."""
        return self.tallies[clause_id].overall(self.expectations.for_clause(clause_id))

    def level_verdicts(self) -> dict[Level, dict[LevelVerdict, int]]:
        """Per level, how many clauses got each verdict (``not_applicable`` left out)."""
        counts: dict[Level, dict[LevelVerdict, int]] = {}
        for level in Level:
            tally: dict[LevelVerdict, int] = dict.fromkeys(VERDICT_SEVERITY[:-1], 0)
            for clause_id in self.tallies:
                verdict = self.verdict(clause_id, level)
                if verdict != "not_applicable":
                    tally[verdict] += 1
            counts[level] = tally
        return counts

    def unexpected_passes(self) -> list[Departure]:
        """Departures the run shows the host no longer has: listed clauses and tests that passed."""
        stale = []
        for departure in self.expectations.departures:
            if departure.clause is not None:
                tally = self.tallies.get(departure.clause)
                if tally is not None and tally.unexpectedly_passed(departure):
                    stale.append(departure)
            elif any(
                record.outcome == "unexpected_pass" and departure.matches_test(record.id)
                for record in self.tests.values()
            ):
                stale.append(departure)
        return stale

    def finish(self, exit_status: int, interrupted: bool, errored: bool) -> None:
        """Note that the run ended, and how."""
        self.finished = time.time()
        self.exit_status = exit_status
        self.interrupted = interrupted
        self.status = "interrupted" if interrupted else "errored" if errored else "complete"

    def summary_lines(self) -> list[str]:
        """The lines the run ends with."""
        tests = set().union(*(tally.tests for tally in self.tallies.values()))
        lines = [
            f"wasi-nn conformance of host {self.host!r} (revision {self.revision}): "
            f"{len(self.tallies)} clauses, {len(tests)} tests, {self.examples} scenarios run"
        ]
        for level, verdicts in self.level_verdicts().items():
            words = [f"{verdicts['passed']} passed", f"{verdicts['failed']} failed"]
            words += [
                f"{count} {verdict.replace('_', ' ')}{'s' if count != 1 else ''}"
                for verdict, count in verdicts.items()
                if count and verdict in ("expected_failure", "unexpected_pass")
            ]
            words.append(f"{verdicts['skipped'] + verdicts['not_run']} skipped")
            lines.append(f"  {level.name.lower():<8} {', '.join(words)}")
        for clause_id, tally in self.tallies.items():
            if self.overall(clause_id) == "failed":
                first = next(
                    (observation for observation in tally.failures if self.departure_covering(observation) is None),
                    None,
                )
                reason = "; ".join(first.judgement.failures()) if first else ""
                lines.append(f"  FAILED {clause_id}: {reason}")
        for departure in self.unexpected_passes():
            lines.append(
                f"  UNEXPECTED PASS {departure.key}: listed in {self.expectations.source} as failing "
                f"({departure.reason}), yet it passed; remove the entry (or run with --update-expectations)"
            )
        if self.status == "running" and self.finished is None:
            return lines
        if self.status != "complete":
            lines.append(f"  INCOMPLETE: the run was {self.status}; the reports hold what finished")
        return lines

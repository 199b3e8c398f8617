"""The ledger of a conformance run: every clause judgement, by clause and level, and every test.

Tests record what they observed here; the plugin prints the summary from it and the reports
are written from it. A clause passes a level when every observation of it passed there. A
failure the host's expectations file lists (:mod:`conformance.expectations`) is an expected
failure: it is reported as such and does not fail the run, but a listed departure that no
failure matched does (an unexpected pass), once a test that shows it ran.

Verdicts say what happened, and no summary folds one into another: a clause the host does
not declare the capability for is *skipped*; one that was to be asked but was not, because
the host could not be started or asked (or the run ended first), is *not run*, which fails
the run; one whose test a ``-k`` or ``-m`` slice left out is *not selected*, which does not.
Each clause keeps its most severe failures, worst first: see :func:`failure_severity`.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from conformance import fixture_models
from conformance.adapters.base import Capabilities
from conformance.catalog import Catalog, Clause, Judgement, Level
from conformance.corpus.ledger import CorpusLedger
from conformance.expectations import (
    CorpusDeparture,
    Departure,
    DepartureStatus,
    Expectations,
    lowest_failed_level,
    names_test,
    outcome_summary,
)
from conformance.revisions import Bindings
from conformance.spec import GetOutput, Load, Operation, Prediction, Scenario, SetInput

LevelVerdict = Literal[
    "passed",
    "failed",
    "expected_failure",
    "unexpected_pass",
    "skipped",
    "not_run",
    "not_selected",
    "not_applicable",
]
"""How a clause fared at one level. ``skipped``: the host does not declare what it needs (a
reason is recorded); ``not_run``: it was to be asked, but the host could not be started or
asked, or the run ended first (this fails the run); ``not_selected``: its test was left out
of the run (``-k``, ``-m``) and no other test asked it."""

TestOutcome = Literal["passed", "failed", "skipped", "expected_failure", "unexpected_pass", "error", "not_run"]
"""How a test ended, as reports name it. ``error``: its setup or teardown failed; ``not_run``:
the host could not be started or asked."""

RunStatus = Literal["running", "complete", "interrupted", "errored"]
"""``running``: the report is a checkpoint of a run still going (or one that was killed
outright); ``interrupted``: Ctrl-C or SIGTERM; ``errored``: pytest itself failed."""

#: The order in which a clause's overall verdict takes the worst of its levels.
VERDICT_SEVERITY: tuple[LevelVerdict, ...] = (
    "failed",
    "not_run",
    "unexpected_pass",
    "expected_failure",
    "passed",
    "skipped",
    "not_selected",
    "not_applicable",
)

#: How bad each way a call can end is, within a level: the host dying (or never getting to
#: the call because it died) is worse than a trap, which is worse than a returned errno.
_OUTCOME_SEVERITY = {"crashed": 0, "hung": 0, "out_of_memory": 0, "not_reached": 0, "trapped": 1, "returned": 2}

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
    levels: tuple[str, ...] | None = None
    """The levels the run was judged at, when not all (a fuzz campaign judges safety only)."""


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
    operation: Operation, prediction: Prediction, bindings: Bindings, capabilities: Capabilities
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
        fixture = fixture_models.FIXTURES.get(operation.fixture)
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


def failure_severity(judgement: Judgement) -> tuple[int, int]:
    """How bad a failing judgement is, smaller being worse.

    First its lowest failed level (safety is worse than function, which is worse than errno),
    then how the call ended (the host dying, hanging or running out of memory is worse than a
    trap, which is worse than a returned errno). A judgement that passed sorts after every failure.
    """
    lowest = lowest_failed_level(judgement)
    if lowest is None:
        return (len(Level) + 1, 0)
    return (int(lowest), _OUTCOME_SEVERITY.get(judgement.outcome.kind, len(_OUTCOME_SEVERITY)))


def _failure_kind(observation: Observation) -> tuple[str, Level | None, str]:
    """A test and a way of failing in it (lowest failed level, outcome): what a kept failure stands for."""
    judgement = observation.judgement
    return observation.test, lowest_failed_level(judgement), outcome_summary(judgement.outcome)


#: Failing observations each clause keeps; the rest are counted.
KEEP_FAILURES = 8


@dataclass
class ClauseTally:
    """Everything observed of one clause.

    ``unexpected`` counts the failed observations of each level that no expectation covers;
    ``kept`` holds failing observations (each with whether an expectation covers it) as
    :meth:`keep` chooses them, and :attr:`failures` shows them worst first.
    """

    clause: Clause
    passed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    failed: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    unexpected: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    kept: list[tuple[Observation, bool]] = field(default_factory=list)
    failure_count: int = 0
    failure_kinds: dict[tuple[Level, str], set[str]] = field(default_factory=dict)
    """Each (lowest failed level, outcome summary) seen, with the tests that showed it (``--update-expectations``)."""
    skipped: list[str] = field(default_factory=list)
    """Why the host cannot be asked it: a capability it does not declare."""
    not_run: list[str] = field(default_factory=list)
    """Why its test could not ask the host: the host could not be started or asked."""
    tests: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=dict)
    tolerances: set[str] = field(default_factory=set)
    max_error: float | None = None

    @property
    def observed(self) -> bool:
        """Whether any call judged this clause."""
        return any(self.passed.values()) or any(self.failed.values())

    @property
    def failures(self) -> list[Observation]:
        """The failing observations kept, most severe first (:func:`failure_severity`).

        Among equally severe ones, a failure no expectation covers comes before a listed one,
        then they come in the order they were first kept.
        """
        order = sorted(
            range(len(self.kept)),
            key=lambda index: (failure_severity(self.kept[index][0].judgement), self.kept[index][1], index),
        )
        return [self.kept[index][0] for index in order]

    def keep(self, observation: Observation, expected: bool) -> None:
        """Keep a failing observation if it is among the most important ones.

        Per test, the latest observation of each way of failing (lowest failed level and
        outcome) is kept: Hypothesis replays its shrunk example last. Once
        :data:`KEEP_FAILURES` are kept, a new one takes the place of the least important (a
        listed failure before an unlisted one, then the least severe) only if it is more
        important, so a more severe failure is never dropped for a less severe one.
        """
        kind = _failure_kind(observation)
        for index, (kept, _) in enumerate(self.kept):
            if _failure_kind(kept) == kind:
                self.kept[index] = (observation, expected)
                return
        if len(self.kept) < KEEP_FAILURES:
            self.kept.append((observation, expected))
            return

        def importance(pair: tuple[Observation, bool]) -> tuple[bool, int, int]:
            return (pair[1], *failure_severity(pair[0].judgement))

        weakest = max(range(len(self.kept)), key=lambda index: importance(self.kept[index]))
        if importance((observation, expected)) < importance(self.kept[weakest]):
            del self.kept[weakest]
            self.kept.append((observation, expected))

    def absorb(self, other: ClauseTally) -> None:
        """Add what another run's tally of the same clause observed (a worker process's)."""
        for level in Level:
            self.passed[level] += other.passed[level]
            self.failed[level] += other.failed[level]
            self.unexpected[level] += other.unexpected[level]
        for observation, expected in other.kept:
            self.keep(observation, expected)
        self.failure_count += other.failure_count
        for kind, tests in other.failure_kinds.items():
            self.failure_kinds.setdefault(kind, set()).update(tests)
        self.skipped += [reason for reason in other.skipped if reason not in self.skipped]
        self.not_run += [reason for reason in other.not_run if reason not in self.not_run]
        self.tests |= other.tests
        _merge_tag_sets(self.tags, other.tags)
        self.tolerances |= other.tolerances
        if other.max_error is not None:
            self.max_error = max(self.max_error or 0.0, other.max_error)


def _merge_tag_sets(into: dict[str, set[str]], tags: Mapping[str, set[str]]) -> None:
    for name, values in tags.items():
        into.setdefault(name, set()).update(values)


@dataclass
class TestRecord:
    """One test of the run: how it ended and what it observed."""

    __test__ = False  # a record of a test, not one for pytest to collect

    id: str
    outcome: TestOutcome | None = None
    """``None`` while the test runs (or if the run ended inside it)."""
    reason: str = ""
    duration: float = 0.0
    called: bool = False
    """Whether its test function ran to an end: only then can it tell that a departure it shows is gone."""
    clauses: set[str] = field(default_factory=set)
    failed_clauses: set[str] = field(default_factory=set)
    expected_clauses: set[str] = field(default_factory=set)
    """Clauses that failed in this test as the expectations say they do."""
    departures: list[Departure | CorpusDeparture] = field(default_factory=list)
    """The listed departures its failures matched, in the order first matched."""
    tags: dict[str, set[str]] = field(default_factory=dict)
    tolerances: set[str] = field(default_factory=set)
    max_error: float | None = None
    hypothesis: HypothesisInfo | None = None
    failure: Observation | None = None
    """The failure to show: the most severe unlisted one (the latest among equals), else the most severe listed one."""
    failure_expected: bool = False
    """Whether an expectation covers :attr:`failure`."""

    def show(self, observation: Observation, expected: bool) -> None:
        """Make a failing observation the one to show, if it is at least as important as the one shown."""
        if self.failure is None or (expected, failure_severity(observation.judgement)) <= (
            self.failure_expected,
            failure_severity(self.failure.judgement),
        ):
            self.failure, self.failure_expected = observation, expected


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
    clause_tests: Mapping[str, str] | None = None
    """The clauses whose own example test the run selected, each with that test's id
    (``None``: not known). A clause that nothing asked is *not run* when its test was
    selected, *not selected* when it was left out."""
    host_error: str | None = None
    """Why the host could not be made at all, when it could not: every test asking it is not run."""
    unasked_tests: dict[str, str] = field(default_factory=dict)
    """Tests that could not ask the host (its program could not be started), with why."""
    shown: dict[Departure, int] = field(default_factory=dict)
    """How many failures each listed departure covered."""
    corpus: CorpusLedger | None = None
    """The ONNX node corpus cases of the run, when it selected any."""

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
            judgement.clause.id, lowest_failed_level(judgement), outcome_summary(judgement.outcome)
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
        departure = self.departure_covering(observation)
        expected = departure is not None
        for level, verdict in judgement.verdicts.items():
            (tally.passed if verdict.passed else tally.failed)[level] += 1
            if not verdict.passed and not expected:
                tally.unexpected[level] += 1
        if judgement.passed:
            return False
        tally.failure_count += 1
        lowest = lowest_failed_level(judgement)
        if lowest is not None:
            tally.failure_kinds.setdefault((lowest, outcome_summary(judgement.outcome)), set()).add(observation.test)
        tally.keep(observation, expected)
        record.failed_clauses.add(judgement.clause.id)
        record.show(observation, expected)
        if departure is not None:
            self.shown[departure] = self.shown.get(departure, 0) + 1
            record.expected_clauses.add(judgement.clause.id)
            if departure not in record.departures:
                record.departures.append(departure)
        return not expected

    def absorb(self, other: Ledger) -> None:
        """Add what another process of the same run recorded (a pytest-xdist worker's ledger).

        Tests ran in one process each, so their records are taken as they are; clause tallies,
        scenario counts and departures shown are added up. The corpus comes on its own
        (:meth:`conformance.corpus.ledger.CorpusLedger.absorb`).
        """
        self.started = min(self.started, other.started)
        self.examples += other.examples
        for clause_id, tally in other.tallies.items():
            self.tallies[clause_id].absorb(tally)
        self.tests.update(other.tests)
        for departure, count in other.shown.items():
            self.shown[departure] = self.shown.get(departure, 0) + count
        self.unasked_tests.update(other.unasked_tests)
        self.interrupted = self.interrupted or other.interrupted

    def skip(self, clause_id: str, reason: str) -> None:
        """Note that ``clause_id`` could not be asked of this host, and why."""
        tally = self.tallies.get(clause_id)
        if tally is not None and reason not in tally.skipped:
            tally.skipped.append(reason)

    def could_not_ask(self, test: str, reason: str) -> None:
        """Note that ``test`` could not ask the host anything (its program could not be started), and why."""
        self.unasked_tests.setdefault(stable_test_id(test), reason)

    def not_run(self, test: str, clause_id: str | None, reason: str) -> None:
        """Record that ``test`` did not run because the host could not be asked; ``clause_id`` is its clause, if any."""
        record = self.test(test)
        record.outcome, record.reason = "not_run", reason
        tally = self.tallies.get(clause_id) if clause_id is not None else None
        if tally is not None and reason not in tally.not_run:
            tally.not_run.append(reason)

    def ran(self, name: str) -> bool:
        """Whether a test ``name`` (``FILE::NAME`` or ``NAME``) ran to an end in this run."""
        return any(record.called and names_test(name, record.id) for record in self.tests.values())

    def departure_status(self, departure: Departure) -> DepartureStatus:
        """What this run makes of a listed departure (see :data:`~conformance.expectations.DepartureStatus`)."""
        if self.shown.get(departure):
            return "expected_failure"
        # A clause of another revision is never asked in this run, whatever tests ran.
        if departure.clause in self.tallies and any(self.ran(name) for name in departure.shown_by):
            return "unexpected_pass"
        return "not_checked"

    def verdict(self, clause_id: str, level: Level) -> LevelVerdict:
        """How ``clause_id`` fared at ``level``, expectations considered."""
        tally = self.tallies[clause_id]
        if level not in tally.clause.levels:
            return "not_applicable"
        if tally.unexpected[level]:
            return "failed"
        if tally.failed[level]:
            return "expected_failure"
        if tally.passed[level]:
            gone = any(
                departure.level <= level and self.departure_status(departure) == "unexpected_pass"
                for departure in self.expectations.for_clause(clause_id)
            )
            return "unexpected_pass" if gone else "passed"
        if tally.not_run:
            return "not_run"
        if tally.skipped:
            return "skipped"
        return "not_run" if self.clause_tests is not None and clause_id in self.clause_tests else "not_selected"

    def overall(self, clause_id: str) -> LevelVerdict:
        """How ``clause_id`` fared over all its levels, expectations considered."""
        verdicts = {self.verdict(clause_id, level) for level in Level}
        return next(verdict for verdict in VERDICT_SEVERITY if verdict in verdicts)

    def not_run_reasons(self, clause_id: str) -> list[str]:
        """Why a clause that was to be asked was not: the host could not be, or its test did not get to it."""
        tally = self.tallies[clause_id]
        if tally.not_run:
            return list(tally.not_run)
        test = (self.clause_tests or {}).get(clause_id)
        record = self.tests.get(test) if test is not None else None
        if record is None or record.outcome is None:
            return ["its test did not finish: the run ended first" if self.finished else "its test has not finished"]
        return [f"its test {record.outcome.replace('_', ' ')}: {record.reason}" if record.reason else record.outcome]

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
        """Listed departures the host no longer has: a test that shows each ran, and no failure matched it."""
        return [
            departure
            for departure in self.expectations.departures
            if self.departure_status(departure) == "unexpected_pass"
        ]

    def not_checked(self) -> list[Departure]:
        """Listed departures of this revision's clauses that no test of this run could show."""
        return [
            departure
            for departure in self.expectations.departures
            if departure.clause in self.tallies and self.departure_status(departure) == "not_checked"
        ]

    def tests_not_run(self) -> dict[str, list[str]]:
        """The tests that could not ask the host, by why."""
        grouped: dict[str, list[str]] = {}
        for record in self.tests.values():
            if record.outcome == "not_run":
                grouped.setdefault(record.reason, []).append(record.id)
        return grouped

    def fails_run(self) -> bool:
        """Whether the ledger alone fails the run: an unexpected pass, or something that was to run and did not."""
        not_run = any(verdicts["not_run"] for verdicts in self.level_verdicts().values())
        corpus = self.corpus is not None and self.corpus.fails_run()
        return bool(self.unexpected_passes()) or not_run or bool(self.tests_not_run()) or corpus

    def finish(self, exit_status: int, interrupted: bool, errored: bool) -> None:
        """Note that the run ended, and how."""
        self.finished = time.time()
        self.exit_status = exit_status
        self.interrupted = interrupted
        self.status = "interrupted" if interrupted else "errored" if errored else "complete"

    def summary_lines(self) -> list[str]:
        """The lines the run ends with: counts per level, then what fails the run, then what was not checked."""
        tests = set().union(*(tally.tests for tally in self.tallies.values()))
        lines = [
            f"wasi-nn conformance of host {self.host!r} (revision {self.revision}): "
            f"{len(self.tallies)} clauses, {len(tests)} tests, {self.examples} scenarios run"
        ]
        for level, verdicts in self.level_verdicts().items():
            words = [f"{verdicts['passed']} passed", f"{verdicts['failed']} failed"]
            if verdicts["expected_failure"]:
                words.append(_counted(verdicts["expected_failure"], "expected failure", "expected failures"))
            if verdicts["unexpected_pass"]:
                words.append(_counted(verdicts["unexpected_pass"], "unexpected pass", "unexpected passes"))
            words.append(f"{verdicts['skipped']} skipped")
            words += [f"{verdicts[verdict]} {verdict.replace('_', ' ')}" for verdict in ("not_run", "not_selected")]
            words = [word for word in words if not word.startswith("0 not ")]
            lines.append(f"  {level.name.lower():<8} {', '.join(words)}")
        for clause_id, tally in self.tallies.items():
            if self.overall(clause_id) == "failed":
                # The worst failure no expectation covers: failures come worst first.
                first = next(
                    (observation for observation in tally.failures if self.departure_covering(observation) is None),
                    None,
                )
                reason = "; ".join(first.judgement.failures()) if first else ""
                where = ""
                if first is not None:
                    where = f" [{first.test}" + (f", call #{first.call}]" if first.call is not None else "]")
                lines.append(f"  FAILED {clause_id}: {reason}{where}")
        for reason, not_run in self.tests_not_run().items():
            lines.append(f"  NOT RUN {_counted(len(not_run), 'test', 'tests')}: {reason}")
        for departure in self.unexpected_passes():
            lines.append(
                f"  UNEXPECTED PASS {departure.key} ({', '.join(departure.outcomes)}): listed in "
                f"{self.expectations.source} ({departure.reason}), yet no failure matched it although a test "
                "that shows it ran; remove the entry (or run with --update-expectations)"
            )
        # Departures of clauses this run asked come first: the run passed them, unchecked.
        unchecked = sorted(self.not_checked(), key=lambda departure: not self.tallies[departure.clause].observed)
        if unchecked:
            names = ", ".join(departure.key for departure in unchecked[:3])
            more = f" and {len(unchecked) - 3} more" if len(unchecked) > 3 else ""
            lines.append(
                f"  NOT CHECKED {_counted(len(unchecked), 'listed departure', 'listed departures')} "
                f"(none of the tests that show them ran): {names}{more}"
            )
        if self.corpus is not None:
            lines += self.corpus.summary_lines()
        if self.status == "running" and self.finished is None:
            return lines
        if self.status != "complete":
            lines.append(f"  INCOMPLETE: the run was {self.status}; the reports hold what finished")
        return lines


def _counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"

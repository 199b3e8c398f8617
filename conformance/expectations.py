"""Known departures of a host from the spec: one TOML file per host.

A host that departs from the spec on purpose, or has a bug its maintainers know of, lists
each departure so that its CI run is green while the departure lasts::

    [[departure]]
    clause = "init_execution_context.graph-unknown"
    level = "errno"                                   # the lowest level the clause fails at
    outcome = ["returned unsupported_operation"]      # what the call did
    shown_by = ["test_clauses.py::test_clause[init_execution_context.graph-unknown]"]
    reason = "Wasmtime answers every bad handle with unsupported_operation."
    link = "https://github.com/bytecodealliance/wasmtime/issues/..."

Every key but ``link`` is required. A failure is *covered* (reported as an expected failure,
pytest's ``xfail``) when an entry names its clause, the lowest level it fails at is the
entry's ``level``, and the call ended in one of the entry's outcomes (``returned ERRNO``,
``trapped``, ``crashed``, ``hung``, ``out_of_memory`` or ``not_reached``). A failure at
another level or with another outcome (a crash where a wrong errno is listed) is a new
departure: it fails the run. A clause that departs at two levels has an entry per level.

``shown_by`` names the tests that show the departure (``FILE::NAME`` or ``NAME``, as a test's
id reads). An entry that no failure of the run matched is an *unexpected pass*, which fails
the run so the list never goes stale, but only when one of those tests ran: when none did
(a slice of the suite with ``-k`` or ``-m``) the entry is *not checked*, and the run says so.
``--update-expectations`` writes the file from a run, with the tests that showed each
departure, keeping the reasons and links already there.

The ONNX node corpus (:mod:`conformance.corpus`) has entries of its own, ``[[corpus]]``: the
cases (``cases = ["test_resize_..."]``) or one operator (``operator = "Resize"``, every case
using it), the outcomes they fail with (``wrong_values``, ``refused``, ``crashed``, ...),
a reason and a link. A case an entry names by id that passes is an unexpected pass, and so is
an entry none of whose cases that ran failed as it says.

The file is ``--wasi-nn-expectations FILE``, or else ``expectations/HOST.toml`` in the
current folder, or else the one the package ships for a host it knows by name
(``conformance/adapters/expectations/``, the project's ``expectations/`` folder).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import hypothesis
import pytest

from conformance.catalog import CallOutcome, Judgement, Level, load_catalog
from conformance.corpus.outcomes import FAILURES
from conformance.revisions import REVISIONS

if TYPE_CHECKING:
    from conformance.results import HypothesisInfo, Ledger

TODO_REASON = "TODO: say why the host departs here (entry written by --update-expectations)"

_KEYS = {"clause", "level", "outcome", "shown_by", "reason", "link"}

#: What ``outcome`` may say: how a call ended, as :func:`outcome_summary` words it.
_OUTCOME = re.compile(r"returned [a-z0-9_]+|trapped|crashed|hung|out_of_memory|not_reached")

DepartureStatus = Literal["expected_failure", "unexpected_pass", "not_checked"]
"""What a run made of a listed departure: ``expected_failure``, a failure matched it;
``unexpected_pass``, none did although a test that shows it ran (this fails the run);
``not_checked``, none of the tests that show it ran."""


class ExpectationsError(ValueError):
    """The expectations file cannot be read, or an entry in it is malformed."""


def safe_name(host: str) -> str:
    """``host`` as a file or folder name: anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", host) or "host"


def outcome_summary(outcome: CallOutcome) -> str:
    """How a call ended, without the details that vary from run to run (a crash's message)."""
    if outcome.kind == "returned":
        return f"returned {outcome.errno_name or outcome.errno}"
    return outcome.kind


def lowest_failed_level(judgement: Judgement) -> Level | None:
    """The lowest level a judgement failed at; ``None`` when it passed."""
    failed = [level for level, verdict in judgement.verdicts.items() if not verdict.passed]
    return min(failed) if failed else None


def names_test(name: str, test: str) -> bool:
    """Whether ``name`` (``FILE::NAME`` or ``NAME``, as ``shown_by`` lists tests) is the test whose id is ``test``."""
    return name in (test, test.partition("::")[2])


@dataclass(frozen=True, slots=True)
class Departure:
    """One known departure: a clause that fails at a level with given outcomes, where it shows, why, and a link."""

    clause: str
    level: Level
    """The lowest level the clause fails at."""
    outcomes: tuple[str, ...]
    """How the failing calls ended (:func:`outcome_summary`)."""
    shown_by: tuple[str, ...] = ()
    """The tests that show it; only a run of one of them can tell that it is gone."""
    reason: str = TODO_REASON
    link: str = ""

    @property
    def key(self) -> str:
        """The clause and level, which name the entry in a file (``load.valid at safety``)."""
        return f"{self.clause} at {self.level.name.lower()}"

    def covers(self, clause_id: str, lowest: Level | None, outcome: str) -> bool:
        """Whether a failure of ``clause_id`` first failing at ``lowest`` with ``outcome`` is this departure."""
        return self.clause == clause_id and lowest == self.level and outcome in self.outcomes

    def shown_in(self, test: str) -> bool:
        """Whether ``test`` (a test's id) is one of the tests that show this departure."""
        return any(names_test(name, test) for name in self.shown_by)


#: What a corpus entry's ``outcome`` may say: how a case of the ONNX node corpus failed.
CORPUS_OUTCOMES = FAILURES


@dataclass(frozen=True, slots=True)
class CorpusDeparture:
    """A known departure on the ONNX node corpus: some cases that fail alike, or every case using one operator.

    ``cases`` or ``operator`` (exactly one) says which cases; ``outcomes`` how they fail.
    """

    outcomes: tuple[str, ...]
    reason: str
    cases: tuple[str, ...] = ()
    operator: str | None = None
    link: str = ""

    @property
    def key(self) -> str:
        """What the entry names: ``case test_relu``, ``case test_a and 3 more`` or ``operator Resize``."""
        if self.operator is not None:
            return f"operator {self.operator}"
        more = f" and {len(self.cases) - 1} more" if len(self.cases) > 1 else ""
        return f"case {self.cases[0]}{more}"

    def names(self, case_id: str, operators: Sequence[str]) -> bool:
        """Whether the entry is about the case ``case_id`` using ``operators``."""
        return case_id in self.cases if self.operator is None else self.operator in operators


@dataclass(frozen=True, slots=True)
class Expectations:
    """The departures of one host (clauses and corpus cases), and the file they came from."""

    path: Path | None = None
    departures: tuple[Departure, ...] = field(default_factory=tuple)
    corpus: tuple[CorpusDeparture, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        """The file, for messages."""
        return str(self.path) if self.path else "the expectations"

    def for_clause(self, clause_id: str) -> tuple[Departure, ...]:
        """The entries naming ``clause_id``, one per level at most."""
        return tuple(entry for entry in self.departures if entry.clause == clause_id)

    def covering(self, clause_id: str, lowest: Level | None, outcome: str) -> Departure | None:
        """The entry that makes this failure expected, if any."""
        return next((entry for entry in self.departures if entry.covers(clause_id, lowest, outcome)), None)

    def covering_case(self, case_id: str, operators: Sequence[str], outcome: str) -> CorpusDeparture | None:
        """The corpus entry that makes this case's failure expected: one naming the case first, then its operators."""
        named = [entry for entry in self.corpus if entry.names(case_id, operators) and outcome in entry.outcomes]
        return min(named, key=lambda entry: entry.operator is not None, default=None)


def _known_clauses() -> set[str]:
    return {clause_id for name in REVISIONS for clause_id in load_catalog(name).clauses}


def _strings(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A required, non-empty list of strings (one string is a list of one)."""
    value = entry.get(key)
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(item, str) and item for item in values):
        raise ExpectationsError(f"{where}: {key} is a non-empty string or list of strings")
    return tuple(values)


def _departure(entry: Any, where: str, known: set[str]) -> Departure:
    if not isinstance(entry, dict):
        raise ExpectationsError(f"{where}: expected a table")
    if "test" in entry:
        # Entries by test covered any failure of a test, at any level: a new crash hid behind them.
        raise ExpectationsError(
            f"{where}: entries name a clause, not a test; list the clause the test fails, its level and "
            "outcome, and the test in shown_by"
        )
    unknown = set(entry) - _KEYS
    if unknown:
        known_keys = ", ".join(sorted(_KEYS))
        raise ExpectationsError(f"{where}: unknown keys {', '.join(sorted(unknown))}; known: {known_keys}")
    clause = entry.get("clause")
    if not isinstance(clause, str):
        raise ExpectationsError(f"{where}: every departure names its clause")
    where = f"{where} ({clause})"
    if clause not in known:
        raise ExpectationsError(f"{where}: no clause {clause!r} in the catalog")
    level_name = entry.get("level")
    if not isinstance(level_name, str) or level_name.upper() not in Level.__members__:
        levels = ", ".join(level.name.lower() for level in Level)
        raise ExpectationsError(f"{where}: level (the lowest level the clause fails at) is one of {levels}")
    outcomes = _strings(entry, "outcome", where)
    malformed = [outcome for outcome in outcomes if not _OUTCOME.fullmatch(outcome)]
    if malformed:
        raise ExpectationsError(
            f"{where}: outcome {malformed[0]!r} is none of: returned ERRNO, trapped, crashed, hung, "
            "out_of_memory, not_reached"
        )
    shown_by = _strings(entry, "shown_by", where)
    reason, link = entry.get("reason"), entry.get("link", "")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationsError(f"{where}: every departure needs a reason")
    if not isinstance(link, str):
        raise ExpectationsError(f"{where}: link is a string")
    return Departure(
        clause=clause,
        level=Level[level_name.upper()],
        outcomes=outcomes,
        shown_by=shown_by,
        reason=reason.strip(),
        link=link,
    )


_CORPUS_KEYS = {"cases", "operator", "outcome", "reason", "link"}


def _corpus_departure(entry: Any, where: str) -> CorpusDeparture:
    if not isinstance(entry, dict):
        raise ExpectationsError(f"{where}: expected a table")
    unknown = set(entry) - _CORPUS_KEYS
    if unknown:
        known_keys = ", ".join(sorted(_CORPUS_KEYS))
        raise ExpectationsError(f"{where}: unknown keys {', '.join(sorted(unknown))}; known: {known_keys}")
    if ("cases" in entry) == ("operator" in entry):
        raise ExpectationsError(f'{where}: a corpus entry names its cases (cases = ["test_..."]) or one operator')
    operator = entry.get("operator")
    cases = _strings(entry, "cases", where) if "cases" in entry else ()
    if operator is not None and (not isinstance(operator, str) or not operator):
        raise ExpectationsError(f"{where}: operator is an operator's name, as ONNX spells it (Resize)")
    where = f"{where} ({operator or cases[0]})"
    outcomes = _strings(entry, "outcome", where)
    malformed = [outcome for outcome in outcomes if outcome not in CORPUS_OUTCOMES]
    if malformed:
        raise ExpectationsError(f"{where}: outcome {malformed[0]!r} is none of: {', '.join(CORPUS_OUTCOMES)}")
    reason, link = entry.get("reason"), entry.get("link", "")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationsError(f"{where}: every departure needs a reason")
    if not isinstance(link, str):
        raise ExpectationsError(f"{where}: link is a string")
    return CorpusDeparture(outcomes, reason.strip(), cases, operator, link)


def load_expectations(path: Path) -> Expectations:
    """Read and check an expectations file; :class:`ExpectationsError` says what is wrong, and where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ExpectationsError(f"{path}: {error}") from None
    unknown = set(data) - {"departure", "corpus"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ExpectationsError(f"{path}: unknown top-level keys {names}; entries are [[departure]] and [[corpus]]")
    entries = data.get("departure", [])
    if not isinstance(entries, list):
        raise ExpectationsError(f"{path}: departures are an array of tables, [[departure]]")
    known = _known_clauses()
    departures = tuple(
        _departure(entry, f"{path}: departure {number + 1}", known) for number, entry in enumerate(entries)
    )
    keys = [departure.key for departure in departures]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ExpectationsError(
            f"{path}: listed more than once: {', '.join(duplicates)} (one entry per clause and level, all its outcomes)"
        )
    corpus_entries = data.get("corpus", [])
    if not isinstance(corpus_entries, list):
        raise ExpectationsError(f"{path}: corpus departures are an array of tables, [[corpus]]")
    corpus = tuple(
        _corpus_departure(entry, f"{path}: corpus departure {number + 1}")
        for number, entry in enumerate(corpus_entries)
    )
    corpus_keys = [f"operator {entry.operator}" for entry in corpus if entry.operator] + [
        f"case {case}" for entry in corpus for case in entry.cases
    ]
    repeated = sorted({key for key in corpus_keys if corpus_keys.count(key) > 1})
    if repeated:
        raise ExpectationsError(
            f"{path}: listed more than once: {', '.join(repeated)} (one entry each, all its outcomes)"
        )
    return Expectations(path, departures, corpus)


#: The expectations of the hosts the suite knows by name, shipped with the package (beside
#: their adapters); in a clone, the project's ``expectations/`` folder.
KNOWN_HOSTS_EXPECTATIONS = Path(__file__).parent / "adapters" / "expectations"


def default_path(host: str, roots: Iterable[Path] = ()) -> Path | None:
    """The first ``expectations/HOST.toml`` under ``roots`` (default: the current folder), else the packaged one."""
    folders = [root / "expectations" for root in (tuple(roots) or (Path.cwd(),))] + [KNOWN_HOSTS_EXPECTATIONS]
    for folder in folders:
        candidate = folder / f"{safe_name(host)}.toml"
        if candidate.is_file():
            return candidate
    return None


def find_expectations(explicit: str | None, host: str, missing_ok: bool = False) -> Expectations:
    """The expectations of ``host``: the file given, else the default one, else none.

    ``missing_ok``: a file given that does not exist yet is empty (``--update-expectations`` writes it).
    """
    if explicit:
        if missing_ok and not Path(explicit).exists():
            return Expectations(Path(explicit))
        return load_expectations(Path(explicit))
    path = default_path(host)
    return load_expectations(path) if path is not None else Expectations()


# -- writing the file from a run ------------------------------------------------------------


def updated_departures(ledger: Ledger) -> list[Departure]:
    """The departures the run shows, keeping reasons and links of the entries already listed.

    A clause that failed gets an entry per lowest level it failed at, with every outcome seen
    there and the tests that showed it. What a listed entry says about tests that did not run
    this time (a slice of the suite) stays: their names in ``shown_by`` and, when some did not
    run, its outcomes. An entry the run could not check is kept as it is; one the run shows
    is gone (an unexpected pass) is dropped.
    """
    existing = ledger.expectations
    departures: list[Departure] = []
    for clause_id in sorted(ledger.tallies):
        tally = ledger.tallies[clause_id]
        listed = {entry.level: entry for entry in existing.for_clause(clause_id)}
        seen: dict[Level, dict[str, set[str]]] = {}
        for (level, outcome), tests in tally.failure_kinds.items():
            seen.setdefault(level, {}).setdefault(outcome, set()).update(tests)
        for level in sorted(set(seen) | set(listed)):
            old = listed.get(level)
            if level not in seen:
                if old is not None and ledger.departure_status(old) == "not_checked":
                    departures.append(old)
                continue
            outcomes = set(seen[level])
            shown_by = set().union(*seen[level].values())
            if old is not None:
                unrun = {name for name in old.shown_by if not ledger.ran(name)}
                shown_by |= unrun
                if unrun:
                    outcomes |= set(old.outcomes)
            departures.append(
                Departure(
                    clause=clause_id,
                    level=level,
                    outcomes=tuple(sorted(outcomes)),
                    shown_by=tuple(sorted(shown_by)),
                    reason=old.reason if old else TODO_REASON,
                    link=old.link if old else "",
                )
            )
    # Clauses of other revisions are not in this run's ledger: their entries stay as they are.
    departures += [entry for entry in existing.departures if entry.clause not in ledger.tallies]
    return departures


def updated_corpus_departures(ledger: Ledger) -> list[CorpusDeparture]:
    """The corpus entries the run shows, keeping those it matched or could not check, with their reasons.

    Failures no entry covers get entries: a whole operator when every case using it that ran
    with an oracle failed, and none is covered yet; the other cases one entry per outcome, call
    and errno, which usually share a reason. An entry the run shows is gone is dropped.
    """
    corpus = ledger.corpus
    existing = ledger.expectations.corpus
    if corpus is None:
        return list(existing)
    kept: list[CorpusDeparture] = []
    for entry in existing:
        status = corpus.departure_status(entry)
        if status == "not_checked":
            kept.append(entry)
        elif status == "expected_failure":
            # Outcomes this run did not see may show in cases it did not select: they stay.
            seen = {r.result.outcome for r in corpus.recorded.values() if r.departure == entry} | set(entry.outcomes)
            kept.append(CorpusDeparture(tuple(sorted(seen)), entry.reason, entry.cases, entry.operator, entry.link))
    uncovered = [r for r in corpus.recorded.values() if r.verdict == "failed"]
    judged = [r for r in corpus.recorded.values() if r.result.judged]
    operators: dict[str, set[str]] = {}
    listed = {entry.operator for entry in kept}
    for recorded in uncovered:
        # A whole operator when every case using it failed, none covered yet (and there are several).
        operator = recorded.case.operators[0]
        users = [r for r in judged if operator in r.case.operators]
        if operator not in listed and len(users) > 1 and all(r.verdict == "failed" for r in users):
            operators.setdefault(operator, set()).update(r.result.outcome for r in users)
    new = [CorpusDeparture(tuple(sorted(seen)), TODO_REASON, operator=operator) for operator, seen in operators.items()]
    # The rest by how they failed: one entry per outcome, call and errno, whose reason is one.
    alike: dict[tuple[str, str, str], list[str]] = {}
    for recorded in uncovered:
        if not any(entry.names(recorded.case.id, recorded.case.operators) for entry in new):
            result = recorded.result
            alike.setdefault((result.outcome, result.call or "", result.errno or ""), []).append(result.case)
    for (outcome, _, _), cases in sorted(alike.items()):
        new.append(CorpusDeparture((outcome,), TODO_REASON, cases=tuple(sorted(cases))))
    return kept + new


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_strings(texts: Sequence[str]) -> str:
    if len(texts) < 2:
        return f"[{', '.join(_toml_string(text) for text in texts)}]"
    # Test ids are long: one a line keeps the file readable and its diffs small.
    return "[\n" + "".join(f"    {_toml_string(text)},\n" for text in texts) + "]"


def render(departures: Sequence[Departure], host: str, revision: str, corpus: Sequence[CorpusDeparture] = ()) -> str:
    """The TOML text of an expectations file."""
    lines = [
        f"# Known departures of the WASI-NN host {host!r} from the spec (revision {revision}).",
        "# Read by the conformance suite (--wasi-nn-expectations FILE, or expectations/HOST.toml):",
        "# a failure of the clause at that level with one of those outcomes is expected; any other",
        "# failure fails the run, and so does an entry no failure matched when a test of its",
        "# shown_by ran. Each entry: clause, level (the lowest level it fails at), outcome (what the",
        "# call did), shown_by (the tests that show it), reason and link. --update-expectations",
        "# rewrites this file and keeps reasons and links.",
    ]
    for departure in departures:
        lines += [
            "",
            "[[departure]]",
            f"clause = {_toml_string(departure.clause)}",
            f"level = {_toml_string(departure.level.name.lower())}",
            f"outcome = {_toml_strings(departure.outcomes)}",
            f"shown_by = {_toml_strings(departure.shown_by)}",
            f"reason = {_toml_string(departure.reason)}",
            f"link = {_toml_string(departure.link)}",
        ]
    if corpus:
        lines += [
            "",
            "# The ONNX node corpus: each entry names cases, or one operator (every case using it), how",
            "# they fail (outcome), why, and a link. A case an entry names that passes, or an entry none",
            "# of whose cases failed so although some ran, fails the run.",
        ]
    for entry in corpus:
        named = (
            f"operator = {_toml_string(entry.operator)}" if entry.operator else f"cases = {_toml_strings(entry.cases)}"
        )
        lines += [
            "",
            "[[corpus]]",
            named,
            f"outcome = {_toml_strings(entry.outcomes)}",
            f"reason = {_toml_string(entry.reason)}",
            f"link = {_toml_string(entry.link)}",
        ]
    return "\n".join(lines) + "\n"


def write_expectations(ledger: Ledger, path: Path | None) -> tuple[Path, int]:
    """Write the run's departures to ``path`` (default: the file read, else ``expectations/HOST.toml``)."""
    from conformance.cache import write_atomically

    target = path or ledger.expectations.path or Path("expectations") / f"{safe_name(ledger.host)}.toml"
    departures = updated_departures(ledger)
    corpus = updated_corpus_departures(ledger)
    write_atomically(target, render(departures, ledger.host, ledger.revision, corpus).encode())
    return target, len(departures) + len(corpus)


# -- pytest: expected failures, tests not run -----------------------------------------------


def hypothesis_info(item: pytest.Item, report: pytest.TestReport) -> HypothesisInfo | None:
    """The seed and failure blob of a Hypothesis test that just ran, where there are some."""
    from conformance.results import HypothesisInfo

    function = getattr(item, "obj", None)
    # Hypothesis reports through its pytest plugin, and adds to the failure's own text (notes).
    text = str(getattr(item, "hypothesis_report_information", ""))
    if report.failed:
        text += "\n" + report.longreprtext
    printed = re.search(r"@seed\((\d+)\)", text)
    blob = re.search(r"@reproduce_failure\([^)]*\)", text)
    # A test that runs a state machine itself is no Hypothesis test, but reports like one.
    if not getattr(function, "is_hypothesis_test", False) and not printed and not blob:
        return None
    # Hypothesis keeps the seed it drew for a test only in this attribute; nothing public says it.
    drawn = getattr(function, "_hypothesis_internal_use_generated_seed", None)
    forced = item.config.getoption("--hypothesis-seed", None)
    seed = drawn if drawn is not None else forced if forced is not None else printed.group(1) if printed else None
    # Such a test has no settings of its own either: the profile's apply.
    settings = getattr(function, "_hypothesis_internal_use_settings", None) or hypothesis.settings.default
    return HypothesisInfo(
        seed=None if seed is None else str(seed),
        derandomized=bool(getattr(settings, "derandomize", False)),
        blob=blob.group(0) if blob else None,
    )


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (file, line, "Skipped: why")
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        lines = [line.strip() for line in str(crash.message).splitlines() if line.strip()]
        # "clauses failed:" says little on its own; the first failure it introduces says what.
        return " ".join(lines[:2]) if lines and lines[0].endswith(":") else (lines[0] if lines else "")
    return str(longrepr).strip().splitlines()[-1] if longrepr else ""


def settle_report(ledger: Ledger, item: pytest.Item, report: pytest.TestReport, clause_id: str | None = None) -> None:
    """Record how a test phase ended, and turn a test whose failures are all listed into an xfail.

    A test whose only failures are listed departures passed as far as pytest knows (the suite
    does not raise for them, so Hypothesis keeps exploring); it becomes an expected failure.
    A test that could not ask the host at all (the host could not be made, or its program
    could not be started) is *not run*: it stays a failure for pytest, and ``clause_id``, the
    clause it is the example of, counts as not run.
    """
    record = ledger.test(report.nodeid)
    record.duration += report.duration
    if report.failed:
        unasked = {"setup": ledger.host_error, "call": ledger.unasked_tests.get(record.id)}.get(report.when)
        if unasked:
            ledger.not_run(record.id, clause_id, unasked)
            return
    if report.when != "call":
        if report.failed:
            record.outcome, record.reason = "error", f"{report.when} failed: {_reason(report)}"
        elif report.skipped and record.outcome is None:
            record.outcome, record.reason = "skipped", _reason(report)
        return
    record.hypothesis = hypothesis_info(item, report)
    # pytest's own xfail marker turns a failure into a skip that still ran.
    record.called = not report.skipped or hasattr(report, "wasxfail")
    if hasattr(report, "wasxfail"):  # pytest's own xfail marker decided
        record.outcome = "expected_failure" if report.skipped else "unexpected_pass"
        record.reason = str(report.wasxfail)
    elif report.skipped:
        record.outcome, record.reason = "skipped", _reason(report)
    elif report.passed and record.departures:
        reasons = [f"{departure.key}: {departure.reason}" for departure in record.departures]
        report.outcome = "skipped"
        record.outcome, record.reason = "expected_failure", "known departures: " + "; ".join(reasons)
        report.wasxfail = record.reason
    elif report.failed:
        record.outcome, record.reason = "failed", _reason(report)
    else:
        record.outcome, record.reason = "passed", ""

"""Known departures of a host from the spec: one TOML file per host.

A host that departs from the spec on purpose, or has a bug its maintainers know of, lists
each departure so that its CI run is green while the departure lasts::

    [[departure]]
    clause = "init_execution_context.graph-unknown"   # or: test = "test_clauses.py::test_clause[...]"
    level = "errno"                                   # the lowest level the clause fails at
    outcome = ["returned unsupported_operation"]      # optional: what the call did
    reason = "Wasmtime answers every bad handle with unsupported_operation."
    link = "https://github.com/bytecodealliance/wasmtime/issues/..."

A failure is *covered* (reported as an expected failure, pytest's ``xfail``) when an entry
names its clause, it fails no lower than ``level`` and, if ``outcome`` is given, the call
ended in one of those outcomes (``returned ERRNO``, ``trapped``, ``crashed``, ``hung``,
``out_of_memory`` or ``not_reached``). An entry naming a test covers any failure of that
test. A listed clause that the run observed and that never failed is an *unexpected pass*,
which fails the run: the list never goes stale. ``--update-expectations`` writes the file
from a run, keeping the reasons and links already there.

The file is ``--wasi-nn-expectations FILE``, or else ``expectations/HOST.toml`` in the
current folder or in the suite's own project, when there is one.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest

from conformance.catalog import CallOutcome, Judgement, Level, load_catalog
from conformance.revisions import REVISIONS

if TYPE_CHECKING:
    from conformance.results import HypothesisInfo, Ledger

#: The project folder when running from a clone (the package lies directly inside it).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

TODO_REASON = "TODO: say why the host departs here (entry written by --update-expectations)"

_KEYS = {"clause", "test", "level", "outcome", "reason", "link"}


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


@dataclass(frozen=True, slots=True)
class Departure:
    """One known departure: a clause (or a test) that fails, how, why, and where it is discussed."""

    clause: str | None = None
    test: str | None = None
    level: Level | None = None
    outcomes: tuple[str, ...] = ()
    reason: str = TODO_REASON
    link: str = ""

    @property
    def key(self) -> str:
        """The clause or test the entry names."""
        return self.clause or self.test or "?"

    def matches_test(self, test: str) -> bool:
        """Whether this is a test entry naming ``test`` (by id, or by its name without the file)."""
        return self.test is not None and self.test in (test, test.partition("::")[2])

    def covers(self, clause_id: str, lowest: Level | None, outcome: str) -> bool:
        """Whether this clause entry covers a failure of ``clause_id`` first failing at ``lowest``."""
        if self.clause != clause_id or lowest is None:
            return False
        if self.level is not None and lowest < self.level:
            return False
        return not self.outcomes or outcome in self.outcomes


@dataclass(frozen=True, slots=True)
class Expectations:
    """The departures of one host, and the file they came from."""

    path: Path | None = None
    departures: tuple[Departure, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        """The file, for messages."""
        return str(self.path) if self.path else "the expectations"

    def for_clause(self, clause_id: str) -> Departure | None:
        """The entry naming ``clause_id``, if any."""
        return next((entry for entry in self.departures if entry.clause == clause_id), None)

    def for_test(self, test: str) -> Departure | None:
        """The entry naming ``test``, if any."""
        return next((entry for entry in self.departures if entry.matches_test(test)), None)

    def covering(self, test: str, clause_id: str, lowest: Level | None, outcome: str) -> Departure | None:
        """The entry that makes this failure expected, if any."""
        clause_entry = self.for_clause(clause_id)
        if clause_entry is not None and clause_entry.covers(clause_id, lowest, outcome):
            return clause_entry
        return self.for_test(test)


def _known_clauses() -> set[str]:
    return {clause_id for name in REVISIONS for clause_id in load_catalog(name).clauses}


def _departure(entry: Any, where: str, known: set[str]) -> Departure:
    if not isinstance(entry, dict):
        raise ExpectationsError(f"{where}: expected a table")
    unknown = set(entry) - _KEYS
    if unknown:
        known_keys = ", ".join(sorted(_KEYS))
        raise ExpectationsError(f"{where}: unknown keys {', '.join(sorted(unknown))}; known: {known_keys}")
    clause, test = entry.get("clause"), entry.get("test")
    if (clause is None) == (test is None):
        raise ExpectationsError(f"{where}: name exactly one of clause and test")
    if clause is not None and clause not in known:
        raise ExpectationsError(f"{where}: no clause {clause!r} in the catalog")
    level_name = entry.get("level")
    if level_name is not None and (not isinstance(level_name, str) or level_name.upper() not in Level.__members__):
        raise ExpectationsError(f"{where}: level is one of {', '.join(level.name.lower() for level in Level)}")
    outcomes = entry.get("outcome", [])
    outcomes = [outcomes] if isinstance(outcomes, str) else outcomes
    if not isinstance(outcomes, list) or not all(isinstance(outcome, str) for outcome in outcomes):
        raise ExpectationsError(f"{where}: outcome is a string or a list of strings")
    reason, link = entry.get("reason"), entry.get("link", "")
    if not isinstance(reason, str) or not reason.strip():
        raise ExpectationsError(f"{where}: every departure needs a reason")
    if not isinstance(link, str):
        raise ExpectationsError(f"{where}: link is a string")
    return Departure(
        clause=clause,
        test=test,
        level=Level[level_name.upper()] if level_name else None,
        outcomes=tuple(outcomes),
        reason=reason.strip(),
        link=link,
    )


def load_expectations(path: Path) -> Expectations:
    """Read and check an expectations file; :class:`ExpectationsError` says what is wrong, and where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ExpectationsError(f"{path}: {error}") from None
    unknown = set(data) - {"departure"}
    if unknown:
        names = ", ".join(sorted(unknown))
        raise ExpectationsError(f"{path}: unknown top-level keys {names}; entries are [[departure]]")
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
        raise ExpectationsError(f"{path}: listed more than once: {', '.join(duplicates)}")
    return Expectations(path, departures)


def default_path(host: str, roots: Iterable[Path] = ()) -> Path | None:
    """The first ``expectations/HOST.toml`` that exists under ``roots`` (default: the current folder, the project)."""
    for root in tuple(roots) or (Path.cwd(), PROJECT_ROOT):
        candidate = root / "expectations" / f"{safe_name(host)}.toml"
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

    A clause that failed gets an entry with the lowest level it failed at and every outcome
    seen; a clause the run did not observe keeps its entry; a test that failed without a
    clause failing gets a test entry, and a listed test that still fails keeps its own.
    Entries of what passed are dropped.
    """
    existing = ledger.expectations
    departures: list[Departure] = []
    for clause_id in sorted(ledger.tallies):
        tally = ledger.tallies[clause_id]
        old = existing.for_clause(clause_id)
        if tally.failure_kinds:
            departures.append(
                Departure(
                    clause=clause_id,
                    level=min(level for level, _ in tally.failure_kinds),
                    outcomes=tuple(sorted({outcome for _, outcome in tally.failure_kinds})),
                    reason=old.reason if old else TODO_REASON,
                    link=old.link if old else "",
                )
            )
        elif old is not None and not tally.observed:
            departures.append(old)
    # Clauses of other revisions are not in this run's ledger: their entries stay as they are.
    departures += [entry for entry in existing.departures if entry.clause and entry.clause not in ledger.tallies]
    for record in sorted(ledger.tests.values(), key=lambda record: record.id):
        old = existing.for_test(record.id)
        failed_alone = record.outcome in ("failed", "error") and not record.failed_clauses
        still_failing = record.outcome in ("failed", "error", "expected_failure")
        if failed_alone or (old is not None and still_failing):
            departures.append(
                Departure(test=record.id, reason=old.reason if old else TODO_REASON, link=old.link if old else "")
            )
    ran = {record.id for record in ledger.tests.values() if record.outcome is not None}
    departures += [
        entry for entry in existing.departures if entry.test and not any(entry.matches_test(test) for test in ran)
    ]
    return departures


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def render(departures: Sequence[Departure], host: str, revision: str) -> str:
    """The TOML text of an expectations file."""
    lines = [
        f"# Known departures of the WASI-NN host {host!r} from the spec (revision {revision}).",
        "# Read by the conformance suite (--wasi-nn-expectations FILE, or expectations/HOST.toml):",
        "# a listed failure is reported as expected; a listed clause that passes fails the run.",
        "# Each entry: clause (or test), level (the lowest level it fails at), outcome (what the",
        "# call did), reason and link. --update-expectations rewrites this file and keeps reasons",
        "# and links.",
    ]
    for departure in departures:
        lines += ["", "[[departure]]"]
        if departure.clause:
            lines.append(f"clause = {_toml_string(departure.clause)}")
        if departure.test:
            lines.append(f"test = {_toml_string(departure.test)}")
        if departure.level is not None:
            lines.append(f"level = {_toml_string(departure.level.name.lower())}")
        if departure.outcomes:
            lines.append(f"outcome = [{', '.join(_toml_string(outcome) for outcome in departure.outcomes)}]")
        lines.append(f"reason = {_toml_string(departure.reason)}")
        lines.append(f"link = {_toml_string(departure.link)}")
    return "\n".join(lines) + "\n"


def write_expectations(ledger: Ledger, path: Path | None) -> tuple[Path, int]:
    """Write the run's departures to ``path`` (default: the file read, else ``expectations/HOST.toml``)."""
    from conformance.reports import write_atomically

    target = path or ledger.expectations.path or Path("expectations") / f"{safe_name(ledger.host)}.toml"
    departures = updated_departures(ledger)
    write_atomically(target, render(departures, ledger.host, ledger.revision).encode())
    return target, len(departures)


# -- pytest: expected failures and unexpected passes ----------------------------------------


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


def settle_report(ledger: Ledger, item: pytest.Item, report: pytest.TestReport) -> None:
    """Record how a test phase ended, and turn it into an xfail or a strict xpass as the expectations say.

    A test whose only failures are listed departures passed as far as pytest knows (the suite
    does not raise for them, so Hypothesis keeps exploring); it becomes an expected failure.
    A test listed by name that fails is an expected failure; one that passes is an
    unexpected pass and fails, like pytest's ``xfail(strict=True)``.
    """
    record = ledger.test(report.nodeid)
    record.duration += report.duration
    if report.when != "call":
        if report.failed:
            record.outcome, record.reason = "error", f"{report.when} failed: {_reason(report)}"
        elif report.skipped and record.outcome is None:
            record.outcome, record.reason = "skipped", _reason(report)
        return
    record.hypothesis = hypothesis_info(item, report)
    departure = ledger.expectations.for_test(record.id)
    if hasattr(report, "wasxfail"):  # pytest's own xfail marker decided
        record.outcome = "expected_failure" if report.skipped else "unexpected_pass"
        record.reason = str(report.wasxfail)
    elif report.skipped:
        record.outcome, record.reason = "skipped", _reason(report)
    elif report.passed and record.expected_clauses:
        reasons = [
            f"{clause_id}: {entry.reason}"
            for clause_id in sorted(record.expected_clauses)
            if (entry := ledger.expectations.for_clause(clause_id)) is not None
        ]
        if departure is not None:
            reasons.append(f"{record.id}: {departure.reason}")
        report.outcome = "skipped"
        record.outcome, record.reason = "expected_failure", "known departures: " + "; ".join(reasons)
        report.wasxfail = record.reason
    elif report.passed and departure is not None:
        report.outcome = "failed"
        report.longrepr = (
            f"[XPASS(strict)] {record.id} is listed in {ledger.expectations.source} as failing "
            f"({departure.reason}), yet it passed: remove the entry"
        )
        record.outcome, record.reason = "unexpected_pass", f"listed as failing: {departure.reason}"
    elif report.failed and departure is not None:
        record.reason = f"{_reason(report)} (listed: {departure.reason})"
        report.outcome = "skipped"
        report.wasxfail = f"known departure: {departure.reason}"
        record.outcome = "expected_failure"
    elif report.failed:
        record.outcome, record.reason = "failed", _reason(report)
    else:
        record.outcome, record.reason = "passed", ""

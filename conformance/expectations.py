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

Every key but ``link`` and ``versions`` is required. ``versions = ">=44"`` (a version range as
Python packaging writes them: ``">=42,<46"``, ``"==36.*"``) limits an entry to the releases of
the host in it, read off the host's version (``wasmtime 46.0.1 (...)`` is 46.0.1); the entries
of other releases are left out of the run, and kept as they are by ``--update-expectations``.
An entry without it holds for every release. A failure is *covered* (reported as an expected failure,
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
departure, keeping the reasons and links already there (:mod:`conformance.expectations_update`).

This module is the file's format only: reading, checking and rendering it. What a run makes of
the entries is the ledger's (:mod:`conformance.results`); the pytest hooks that turn a listed
failure into an expected one are the plugin's (:mod:`conformance.plugin`).

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
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from conformance.catalog import CallOutcome, Judgement, Level, load_catalog
from conformance.corpus.outcomes import FAILURES
from conformance.errors import UsageError
from conformance.paths import safe_name
from conformance.revisions import REVISIONS

TODO_REASON = "TODO: say why the host departs here (entry written by --update-expectations)"

_KEYS = {"clause", "level", "outcome", "shown_by", "reason", "link", "versions"}

#: The first dotted number of a host's version string: its release.
_RELEASE = re.compile(r"\d+(?:\.\d+)+")


def release_of(host_version: str) -> Version | None:
    """The release a host's version string names (``wasmtime 46.0.1 (823d1b8f2)`` is 46.0.1), if any."""
    found = _RELEASE.search(host_version)
    try:
        return Version(found.group()) if found else None
    except InvalidVersion:
        return None


#: What ``outcome`` may say: how a call ended, as :func:`outcome_summary` words it.
_OUTCOME = re.compile(r"returned [a-z0-9_]+|trapped|crashed|hung|out_of_memory|not_reached")

DepartureStatus = Literal["expected_failure", "unexpected_pass", "not_checked"]
"""What a run made of a listed departure: ``expected_failure``, a failure matched it;
``unexpected_pass``, none did although a test that shows it ran (this fails the run);
``not_checked``, none of the tests that show it ran."""


class ExpectationsError(UsageError):
    """The expectations file cannot be read, or an entry in it is malformed."""


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


def _in_range(versions: str, release: Version | None) -> bool:
    """Whether ``release`` is in the version range ``versions`` (empty: every release, an unknown one too)."""
    if not versions:
        return True
    return release is not None and SpecifierSet(versions).contains(release, prereleases=True)


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
    versions: str = ""
    """The releases of the host the entry holds for, as a version range; empty for every release."""

    @property
    def key(self) -> str:
        """The clause and level, which name the entry in a file (``load.valid at safety``)."""
        return f"{self.clause} at {self.level.name.lower()}"

    def holds_for(self, release: Version | None) -> bool:
        """Whether the entry holds for ``release`` of the host; a ranged entry never holds for an unknown one."""
        return _in_range(self.versions, release)

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
    versions: str = ""
    """The releases of the host the entry holds for, as a version range; empty for every release."""

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

    def holds_for(self, release: Version | None) -> bool:
        """Whether the entry holds for ``release`` of the host (:meth:`Departure.holds_for`)."""
        return _in_range(self.versions, release)


@dataclass(frozen=True, slots=True)
class Expectations:
    """The departures of one host (clauses and corpus cases), and the file they came from."""

    path: Path | None = None
    departures: tuple[Departure, ...] = field(default_factory=tuple)
    corpus: tuple[CorpusDeparture, ...] = field(default_factory=tuple)
    other_releases: tuple[Departure, ...] = field(default_factory=tuple)
    """Entries whose ``versions`` leave out the release under test: not part of the run, kept in the file."""
    other_releases_corpus: tuple[CorpusDeparture, ...] = field(default_factory=tuple)
    """The same for corpus entries."""

    @property
    def ranged(self) -> bool:
        """Whether an entry holds for some releases of the host only."""
        clauses = (*self.departures, *self.other_releases)
        corpus = (*self.corpus, *self.other_releases_corpus)
        return any(entry.versions for entry in clauses) or any(entry.versions for entry in corpus)

    def for_host_version(self, host_version: str) -> Expectations:
        """The entries that hold for the release ``host_version`` names; the others are kept aside."""
        release = release_of(host_version)
        departures = (*self.departures, *self.other_releases)
        corpus = (*self.corpus, *self.other_releases_corpus)
        return Expectations(
            self.path,
            tuple(entry for entry in departures if entry.holds_for(release)),
            tuple(entry for entry in corpus if entry.holds_for(release)),
            tuple(entry for entry in departures if not entry.holds_for(release)),
            tuple(entry for entry in corpus if not entry.holds_for(release)),
        )

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
    versions = _versions(entry, where)
    return Departure(
        clause=clause,
        level=Level[level_name.upper()],
        outcomes=outcomes,
        shown_by=shown_by,
        reason=reason.strip(),
        link=link,
        versions=versions,
    )


def _versions(entry: dict[str, Any], where: str) -> str:
    """The entry's ``versions``, a version range as Python packaging writes them, or ``""``."""
    versions = entry.get("versions", "")
    try:
        SpecifierSet(versions if isinstance(versions, str) else "!")
    except InvalidSpecifier:
        raise ExpectationsError(
            f'{where}: versions {versions!r} is not a version range such as ">=44" or ">=42,<46"'
        ) from None
    assert isinstance(versions, str)
    return versions


_CORPUS_KEYS = {"cases", "operator", "outcome", "reason", "link", "versions"}


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
    return CorpusDeparture(outcomes, reason.strip(), cases, operator, link, _versions(entry, where))


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
    keys = [departure.key + (f" for {departure.versions}" if departure.versions else "") for departure in departures]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ExpectationsError(
            f"{path}: listed more than once: {', '.join(duplicates)} "
            "(one entry per clause, level and version range, with all its outcomes)"
        )
    corpus_entries = data.get("corpus", [])
    if not isinstance(corpus_entries, list):
        raise ExpectationsError(f"{path}: corpus departures are an array of tables, [[corpus]]")
    corpus = tuple(
        _corpus_departure(entry, f"{path}: corpus departure {number + 1}")
        for number, entry in enumerate(corpus_entries)
    )
    corpus_keys = [
        f"{name}{f' for {entry.versions}' if entry.versions else ''}"
        for entry in corpus
        for name in ([f"operator {entry.operator}"] if entry.operator else [f"case {case}" for case in entry.cases])
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


# -- writing the file ------------------------------------------------------------------------


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
        "# call did), shown_by (the tests that show it), reason and link; versions (a range such as",
        '# ">=44") limits an entry to those releases of the host. --update-expectations rewrites',
        "# this file and keeps reasons, links, ranges and the entries of other releases.",
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
        if departure.versions:
            lines.append(f"versions = {_toml_string(departure.versions)}")
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
        if entry.versions:
            lines.append(f"versions = {_toml_string(entry.versions)}")
    return "\n".join(lines) + "\n"

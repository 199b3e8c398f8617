"""The clause catalog (``clauses.toml``) and how an observed call is judged against a clause.

The loader is strict, so that a slip in the catalog fails the run instead of quietly judging
hosts by a clause that says something else: an unknown key, call, errno, revision or level, a
lower level that accepts less than a higher one, or a duplicated id is a :class:`CatalogError`
naming the file and the clause. A clause restricted to some revisions is checked against
those revisions only. :func:`coverage_gaps` then tells whether the catalog accounts for every
function x errno pair of a revision.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from conformance.errors import ConformanceError
from conformance.revisions import REVISIONS, Bindings
from conformance.revisions import revision as find_revision

CATALOG_PATH = Path(__file__).with_name("clauses.toml")

CallKind = Literal["returned", "trapped", "crashed", "hung", "out_of_memory", "not_reached"]

OUTCOME_CLASSES = ("success", "error", "trap")
"""The outcome names of the catalog besides errno names: ``error`` is any errno but success."""

LINK = "link"
"""The call of clauses about instantiating a guest rather than about one function."""


class CatalogError(ConformanceError, ValueError):
    """The catalog breaks one of its rules; each line of the message names the file and the clause."""

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{origin}: {problem}" for problem in self.problems))


class Level(enum.IntEnum):
    """Conformance levels, weakest first; passing a level requires passing the ones below."""

    SAFETY = 1
    """MUST: no crash, hang or runaway memory; no stray write; an invalid call never succeeds."""
    FUNCTION = 2
    """MUST: valid calls succeed with correct results; invalid ones fail and write nothing."""
    ERRNO = 3
    """SHOULD: the exact errno the clause names."""


@dataclass(frozen=True, slots=True)
class Clause:
    """One statement of the spec the suite checks.

    ``function_accepts`` is empty for a clause of the safety level, which is judged at no
    other; for a clause of the function level it is its ``expect``.
    """

    id: str
    call: str
    level: Level
    expect: str
    statement: str
    rationale: str
    function_accepts: tuple[str, ...]
    safety_accepts: tuple[str, ...]
    revisions: tuple[str, ...] = ()
    needs: str | None = None
    values: bool = False
    """Whether the clause is about output values (then a value mismatch fails it)."""

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels this clause is judged at: up to its own."""
        return tuple(level for level in Level if level <= self.level)

    @property
    def tags(self) -> dict[str, str]:
        """Tags for filtering reports: the call, the level and, for errno clauses, the errno."""
        tags = {"call": self.call, "level": self.level.name.lower()}
        if self.expect not in OUTCOME_CLASSES:
            tags["errno"] = self.expect
        return tags

    def applies_to(self, revision: str) -> bool:
        """Whether the clause is part of ``revision`` (every revision when it names none)."""
        return not self.revisions or revision in self.revisions


@dataclass(frozen=True, slots=True)
class Catalog:
    """The clauses of one revision, and why some function x errno pairs are expected by no clause.

    ``uncovered`` maps ``"function.errno"`` (``"compute.busy"``) to the reason no clause
    expects that pair.
    """

    revision: str
    clauses: Mapping[str, Clause]
    uncovered: Mapping[str, str]

    def __getitem__(self, clause_id: str) -> Clause:
        return self.clauses[clause_id]


@cache
def load_catalog(revision: str, path: Path = CATALOG_PATH) -> Catalog:
    """The clauses of ``path`` (the packaged catalog by default) that apply to ``revision``.

    Raises :class:`CatalogError` when the file breaks a rule, for any revision.
    """
    return parse_catalog(path.read_text(encoding="utf-8"), revision, origin=str(path))


def parse_catalog(text: str, revision: str, origin: str = "<catalog text>") -> Catalog:
    """The clauses of the catalog ``text`` that apply to ``revision``; ``origin`` names it in errors."""
    name = find_revision(revision).name
    clauses, uncovered = _Checker(origin).check(text)
    return Catalog(
        name,
        {clause.id: clause for clause in clauses if clause.applies_to(name)},
        {entry.pair: entry.reason for entry in uncovered if not entry.revisions or name in entry.revisions},
    )


def coverage_gaps(catalog: Catalog) -> list[str]:
    """How ``catalog`` fails to account for the function x errno pairs of its revision.

    Every function must have a clause that expects its success; every other pair must be
    expected by a clause or excused by an ``[uncovered]`` entry, never both (an entry that
    excuses a pair some clause expects is stale). Empty when the catalog accounts for all.
    """
    bindings = find_revision(catalog.revision).bindings
    clauses = list(catalog.clauses.values())
    gaps = []
    for function in bindings.FUNCTIONS:
        if not any(clause.call == function and clause.expect == "success" for clause in clauses):
            gaps.append(f"revision {catalog.revision}: no clause expects success of {function}")
        for errno in _errno_names(bindings):
            pair = f"{function}.{errno}"
            expected_by = sorted(clause.id for clause in clauses if clause.call == function and clause.expect == errno)
            if expected_by and pair in catalog.uncovered:
                gaps.append(
                    f"revision {catalog.revision}: uncovered {pair!r} is stale: {', '.join(expected_by)} expect it"
                )
            elif not expected_by and pair not in catalog.uncovered:
                gaps.append(f"revision {catalog.revision}: {pair} is expected by no clause and excused by no entry")
    return gaps


# -- checking the file ----------------------------------------------------------------------

_REQUIRED = ("id", "call", "level", "expect", "statement", "rationale")
_OPTIONAL = ("function_accepts", "safety_accepts", "revisions", "needs", "values")
_DEFAULTS = ("function_accepts", "safety_accepts")
_LISTS = ("function_accepts", "safety_accepts", "revisions")

_NEEDS_LOAD_BY_NAME = "load_by_name"
_NEEDS_ENCODING = "encoding:"

# A valid call that fails is not unsafe (it is a function failure), so the safety level of a
# clause expecting success accepts any outcome short of a crash or a stray write.
_SAFETY_OF_SUCCESS = ("success", "error", "trap")


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """The names a revision defines, as the catalog spells them."""

    revision: str
    functions: frozenset[str]
    errnos: frozenset[str]
    encodings: frozenset[str]

    def outcome_problem(self, outcome: str) -> str | None:
        if outcome in OUTCOME_CLASSES or outcome in self.errnos:
            return None
        return f"outcome {outcome!r} is neither one of {', '.join(OUTCOME_CLASSES)} nor an errno of the revision"

    def needs_problem(self, needs: str) -> str | None:
        if needs == _NEEDS_LOAD_BY_NAME and "load_by_name" in self.functions:
            return None
        if needs.startswith(_NEEDS_ENCODING) and needs.removeprefix(_NEEDS_ENCODING) in self.encodings:
            return None
        return f"needs {needs!r} is neither {_NEEDS_LOAD_BY_NAME!r} nor {_NEEDS_ENCODING}<an encoding of the revision>"


def _errno_names(bindings: Bindings) -> list[str]:
    """The revision's errnos but success, as the catalog names them."""
    return [case.name.lower() for case in bindings.NnErrno if case.name.lower() != "success"]


@cache
def _vocabulary(revision: str) -> _Vocabulary:
    bindings = REVISIONS[revision].bindings
    return _Vocabulary(
        revision,
        frozenset(bindings.FUNCTIONS),
        frozenset(_errno_names(bindings)),
        frozenset(case.name.lower() for case in bindings.GraphEncoding),
    )


def _includes(wider: Iterable[str], narrower: Iterable[str]) -> bool:
    """Whether every outcome ``narrower`` matches is one ``wider`` matches too."""
    accepted = set(wider)
    return all(outcome in accepted or (outcome not in OUTCOME_CLASSES and "error" in accepted) for outcome in narrower)


@dataclass(frozen=True, slots=True)
class _Uncovered:
    pair: str
    reason: str
    revisions: tuple[str, ...]


class _Checker:
    """Reads a catalog text, collecting every problem before it gives up."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []

    def check(self, text: str) -> tuple[list[Clause], list[_Uncovered]]:
        """The clauses and uncovered entries of ``text``; :class:`CatalogError` with every problem."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(self.origin, [f"not valid TOML: {error}"]) from error
        self._keys("the catalog", data, required=("defaults", "clause"), optional=("uncovered",))
        defaults = self._defaults(data.get("defaults"))
        entries = data.get("clause", [])
        if not isinstance(entries, list):
            self.problems.append("'clause' must be an array of tables ([[clause]])")
            entries = []
        clauses: list[Clause] = []
        seen: set[str] = set()
        for number, entry in enumerate(entries, start=1):
            clause = self._clause(number, entry, defaults)
            if clause is None:
                continue
            if clause.id in seen:
                self.problems.append(f"clause {clause.id!r}: the id is used by an earlier clause")
            seen.add(clause.id)
            clauses.append(clause)
        uncovered = self._uncovered(data.get("uncovered", {}))
        if self.problems:
            raise CatalogError(self.origin, self.problems)
        return clauses, uncovered

    # -- shapes ------------------------------------------------------------------------------

    def _keys(self, where: str, table: Mapping[str, Any], required: Sequence[str], optional: Sequence[str]) -> bool:
        """Report unknown and missing keys of ``table``; whether it had none of either."""
        known = (*required, *optional)
        unknown = [key for key in table if key not in known]
        missing = [key for key in required if key not in table]
        for key in unknown:
            self.problems.append(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
        for key in missing:
            self.problems.append(f"{where}: missing key {key!r}")
        return not unknown and not missing

    def _types(self, where: str, table: Mapping[str, Any]) -> bool:
        """Report values of the wrong type; whether all were right."""
        fine = True
        for key, value in table.items():
            if key in _LISTS:
                right = isinstance(value, list) and all(isinstance(item, str) for item in value)
                expected = "a list of strings"
            elif key == "values":
                right, expected = isinstance(value, bool), "true or false"
            else:
                right = isinstance(value, str) and bool(value.strip())
                expected = "a non-empty string"
            if not right:
                self.problems.append(f"{where}: {key} must be {expected}, not {value!r}")
                fine = False
        return fine

    def _revisions(self, where: str, table: Mapping[str, Any]) -> tuple[str, ...] | None:
        """The revisions an entry names (empty: every revision); None when some are unknown."""
        names: list[str] = table.get("revisions", [])
        if "revisions" in table and not names:
            self.problems.append(f"{where}: revisions is empty; leave it out for every revision")
            return None
        unknown = [name for name in names if name not in REVISIONS]
        if unknown:
            self.problems.append(f"{where}: unknown revisions {unknown} (known: {', '.join(REVISIONS)})")
            return None
        if len(set(names)) != len(names):
            self.problems.append(f"{where}: revisions {names} names one twice")
        return tuple(names)

    def _per_revision(
        self, where: str, revisions: Sequence[str], problems_in: Callable[[_Vocabulary], list[str]]
    ) -> None:
        """Report what ``problems_in(vocabulary)`` finds, once per problem with the revisions it holds in."""
        found: dict[str, list[str]] = {}
        for name in revisions or tuple(REVISIONS):
            for problem in problems_in(_vocabulary(name)):
                found.setdefault(problem, []).append(name)
        for problem, names in found.items():
            self.problems.append(f"{where}: {problem} (revision {', '.join(names)})")

    # -- sections ----------------------------------------------------------------------------

    def _defaults(self, table: Any) -> Mapping[str, tuple[str, ...]]:
        fallback = {"function_accepts": ("error",), "safety_accepts": ("error", "trap")}
        if not isinstance(table, dict):
            return fallback
        where = "[defaults]"
        if not (self._keys(where, table, required=_DEFAULTS, optional=()) and self._types(where, table)):
            return fallback
        defaults = {key: tuple(table[key]) for key in _DEFAULTS}
        self._per_revision(
            where,
            (),
            lambda vocabulary: [
                problem
                for outcome in (*defaults["function_accepts"], *defaults["safety_accepts"])
                if (problem := vocabulary.outcome_problem(outcome))
            ],
        )
        if not _includes(defaults["safety_accepts"], defaults["function_accepts"]):
            self.problems.append(f"{where}: safety_accepts does not include what function_accepts accepts")
        return defaults

    def _clause(self, number: int, entry: Any, defaults: Mapping[str, tuple[str, ...]]) -> Clause | None:
        if not isinstance(entry, dict):
            self.problems.append(f"clause #{number}: not a table")
            return None
        clause_id = entry.get("id")
        where = f"clause {clause_id!r}" if isinstance(clause_id, str) else f"clause #{number} (no id)"
        if not (self._keys(where, entry, required=_REQUIRED, optional=_OPTIONAL) and self._types(where, entry)):
            return None
        revisions = self._revisions(where, entry)
        if entry["level"].upper() not in Level.__members__ or entry["level"] != entry["level"].lower():
            known = ", ".join(level.name.lower() for level in Level)
            self.problems.append(f"{where}: unknown level {entry['level']!r} (known: {known})")
            return None
        if revisions is None:
            return None
        level = Level[entry["level"].upper()]
        expect: str = entry["expect"]
        accepts = [*entry.get("function_accepts", []), *entry.get("safety_accepts", [])]
        needs: str | None = entry.get("needs")

        def problems_in(vocabulary: _Vocabulary) -> list[str]:
            found = []
            if entry["call"] != LINK and entry["call"] not in vocabulary.functions:
                found.append(f"call {entry['call']!r} is neither a function of the revision nor {LINK!r}")
            found += [problem for outcome in (expect, *accepts) if (problem := vocabulary.outcome_problem(outcome))]
            if needs is not None and (problem := vocabulary.needs_problem(needs)):
                found.append(problem)
            return found

        before = len(self.problems)
        self._per_revision(where, revisions, problems_in)
        function_accepts, safety_accepts = self._accepts(where, entry, level, defaults)
        if len(self.problems) > before:
            return None
        return Clause(
            id=entry["id"],
            call=entry["call"],
            level=level,
            expect=expect,
            statement=entry["statement"],
            rationale=entry["rationale"],
            function_accepts=function_accepts,
            safety_accepts=safety_accepts,
            revisions=revisions,
            needs=needs,
            values=entry.get("values", False),
        )

    def _accepts(
        self, where: str, entry: Mapping[str, Any], level: Level, defaults: Mapping[str, tuple[str, ...]]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the function and safety levels accept, checked against the clause's level."""
        expect: str = entry["expect"]
        if level is Level.ERRNO and expect in OUTCOME_CLASSES:
            self.problems.append(f"{where}: a clause of the errno level expects an errno, not {expect!r}")
        if level is not Level.ERRNO and expect not in OUTCOME_CLASSES:
            self.problems.append(
                f"{where}: a clause of the {level.name.lower()} level expects one of {', '.join(OUTCOME_CLASSES)}; "
                f"the exact errno {expect!r} is judged at the errno level only"
            )
        if level is not Level.ERRNO and "function_accepts" in entry:
            self.problems.append(
                f"{where}: a clause of the {level.name.lower()} level has no function_accepts "
                "(its expect is what its own level demands)"
            )
        function_accepts: tuple[str, ...]
        if level is Level.ERRNO:
            function_accepts = tuple(entry.get("function_accepts", defaults["function_accepts"]))
        elif level is Level.FUNCTION:
            function_accepts = (expect,)
        else:
            function_accepts = ()
        safety_default = _SAFETY_OF_SUCCESS if expect == "success" else defaults["safety_accepts"]
        safety_accepts = tuple(entry.get("safety_accepts", safety_default))
        if not _includes(function_accepts, [expect] if level is Level.ERRNO else []):
            self.problems.append(
                f"{where}: function_accepts {list(function_accepts)} does not include the expected {expect!r}"
            )
        if not _includes(safety_accepts, function_accepts or [expect]):
            accepted_above = list(function_accepts) if function_accepts else [expect]
            self.problems.append(
                f"{where}: safety_accepts {list(safety_accepts)} does not include {accepted_above}, "
                "which a higher level accepts"
            )
        return function_accepts, safety_accepts

    def _uncovered(self, table: Any) -> list[_Uncovered]:
        if not isinstance(table, dict):
            self.problems.append("'uncovered' must be a table of entries keyed \"function.errno\"")
            return []
        entries = []
        for pair, entry in table.items():
            where = f"uncovered {pair!r}"
            if not isinstance(entry, dict):
                self.problems.append(f'{where}: must be a table ([uncovered."{pair}"]) with a reason')
                continue
            if not (
                self._keys(where, entry, required=("reason",), optional=("revisions",)) and self._types(where, entry)
            ):
                continue
            revisions = self._revisions(where, entry)
            function, dot, errno = pair.partition(".")
            if not dot or "." in errno:
                self.problems.append(f"{where}: the key must be function.errno, as in 'compute.busy'")
                continue
            if errno == "success":
                self.problems.append(f"{where}: success is never excused; a clause must expect it")
                continue
            if revisions is None:
                continue

            def problems_in(vocabulary: _Vocabulary, function: str = function, errno: str = errno) -> list[str]:
                found = []
                if function not in vocabulary.functions:
                    found.append(f"{function!r} is no function of the revision")
                if errno not in vocabulary.errnos:
                    found.append(f"{errno!r} is no errno of the revision")
                return found

            before = len(self.problems)
            self._per_revision(where, revisions, problems_in)
            if len(self.problems) == before:
                entries.append(_Uncovered(pair, entry["reason"], revisions))
        return entries


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What one call did: returned an errno, trapped, or the host died or never got there."""

    kind: CallKind
    errno: int | None = None
    errno_name: str | None = None
    message: str = ""

    def __str__(self) -> str:
        if self.kind == "returned":
            return f"returned {self.errno_name or self.errno}"
        return f"{self.kind}{': ' + self.message if self.message else ''}"

    def matches(self, accepted: str) -> bool:
        """Whether this outcome is one that ``accepted`` (an outcome name of the catalog) allows."""
        if self.kind == "trapped":
            return accepted == "trap"
        if self.kind != "returned":
            return False
        if accepted == "success":
            return self.errno == 0
        if accepted == "error":
            return self.errno != 0
        return self.errno_name == accepted


@dataclass(frozen=True, slots=True)
class Facts:
    """What else was seen around the call, beyond its outcome.

    ``problems`` are findings that fail the function level (wrong bytes_written, a failed call
    that wrote its result); ``value_problem`` fails it for clauses about output values only;
    ``stray_write`` and ``runaway_memory`` (memory the host kept beyond a scenario's bound) fail
    every level.
    """

    stray_write: str = ""
    problems: Sequence[str] = ()
    value_problem: str = ""
    max_error: float | None = None
    tolerance: str = ""
    runaway_memory: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a clause held at one level, and if not, why."""

    passed: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Judgement:
    """A clause judged on one observed call: a verdict per level it is judged at."""

    clause: Clause
    outcome: CallOutcome
    verdicts: Mapping[Level, Verdict] = field(default_factory=dict)
    facts: Facts = field(default_factory=Facts)

    @property
    def passed(self) -> bool:
        """Whether every level passed."""
        return all(verdict.passed for verdict in self.verdicts.values())

    def failures(self) -> list[str]:
        """A line per failed level."""
        return [
            f"{level.name.lower()}: {verdict.reason}" for level, verdict in self.verdicts.items() if not verdict.passed
        ]


def at_levels(judgement: Judgement, levels: Sequence[Level]) -> Judgement:
    """``judgement`` with the verdicts of ``levels`` alone (a fuzz campaign judges safety only)."""
    verdicts = {level: verdict for level, verdict in judgement.verdicts.items() if level in levels}
    return Judgement(judgement.clause, judgement.outcome, verdicts, judgement.facts)


def judge(clause: Clause, outcome: CallOutcome, facts: Facts) -> Judgement:
    """Judge ``clause`` on a call that ended with ``outcome``."""
    verdicts: dict[Level, Verdict] = {}
    failed_below = ""
    for level in clause.levels:
        if failed_below:
            verdicts[level] = Verdict(False, f"fails the {failed_below} level")
            continue
        reason = _failure(level, clause, outcome, facts)
        verdicts[level] = Verdict(not reason, reason)
        if reason:
            failed_below = level.name.lower()
    return Judgement(clause, outcome, verdicts, facts)


def _failure(level: Level, clause: Clause, outcome: CallOutcome, facts: Facts) -> str:
    if outcome.kind in ("crashed", "hung", "out_of_memory", "not_reached"):
        return f"the host {outcome}"
    if level is Level.SAFETY:
        if facts.stray_write or facts.runaway_memory:
            return facts.stray_write or facts.runaway_memory
        if not any(outcome.matches(accepted) for accepted in clause.safety_accepts):
            return f"expected {' or '.join(clause.safety_accepts)}, the call {outcome}"
        return ""
    if level is Level.FUNCTION:
        if not any(outcome.matches(accepted) for accepted in clause.function_accepts):
            return f"expected {' or '.join(clause.function_accepts)}, the call {outcome}"
        problems = [*facts.problems, facts.value_problem] if clause.values and facts.value_problem else facts.problems
        return "; ".join(problems)
    if not outcome.matches(clause.expect):
        return f"expected {clause.expect}, the call {outcome}"
    return ""

"""The clause catalog (``clauses.toml``) and how an observed call is judged against a clause."""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

CATALOG_PATH = Path(__file__).with_name("clauses.toml")

CallKind = Literal["returned", "trapped", "crashed", "hung", "out_of_memory", "not_reached"]


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
    """One statement of the spec the suite checks."""

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
        if self.expect not in ("success", "error", "trap"):
            tags["errno"] = self.expect
        return tags


@dataclass(frozen=True, slots=True)
class Catalog:
    """The clauses of one revision, and why some errnos are expected by no clause."""

    clauses: Mapping[str, Clause]
    uncovered: Mapping[str, str]

    def __getitem__(self, clause_id: str) -> Clause:
        return self.clauses[clause_id]


@cache
def load_catalog(revision: str) -> Catalog:
    """The clauses that apply to ``revision``."""
    data = tomllib.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    defaults = data["defaults"]
    clauses: dict[str, Clause] = {}
    for entry in data["clause"]:
        revisions = tuple(entry.get("revisions", ()))
        if revisions and revision not in revisions:
            continue
        success = entry["expect"] == "success"
        clauses[entry["id"]] = Clause(
            id=entry["id"],
            call=entry["call"],
            level=Level[entry["level"].upper()],
            expect=entry["expect"],
            statement=entry["statement"],
            rationale=entry["rationale"],
            # A valid call that fails is not unsafe; it is a function failure.
            function_accepts=tuple(
                entry.get("function_accepts", ["success"] if success else defaults["function_accepts"])
            ),
            safety_accepts=tuple(
                entry.get("safety_accepts", ["success", "error", "trap"] if success else defaults["safety_accepts"])
            ),
            revisions=revisions,
            needs=entry.get("needs"),
            values=entry.get("values", False),
        )
    return Catalog(clauses, dict(data["uncovered"]))


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
    ``stray_write`` fails every level.
    """

    stray_write: str = ""
    problems: Sequence[str] = ()
    value_problem: str = ""
    max_error: float | None = None
    tolerance: str = ""


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
        if facts.stray_write:
            return facts.stray_write
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

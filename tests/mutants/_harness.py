"""Run the conformance suite against mutants, each in a process of its own, and read the verdicts.

A run is exactly what a host implementer types (``pytest --pyargs conformance.tests
--wasi-nn-host ... --wasi-nn-report DIR``), with the deterministic hypothesis profile of
:mod:`mutants._profile`; the verdicts come from the report it writes.

A mutant declares, per clause, the level it must be caught at, by the harm its fault does
(``CAUGHT_BY = {"load.builder-out-of-bounds": "safety"}``): memory faults, crashes, hangs,
runaway memory and invalid calls that succeed at ``safety``; wrong outputs, wrong
``bytes_written``, refused valid calls and failed calls that write at ``function``; wrong errnos
at ``errno``. A clause catches the mutant when the most severe level it failed at (its lowest:
a clause that fails a level fails every level above it too) is the declared one or more severe.
A clause that fails only at a milder level saw a symptom of the fault, not its harm.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance.catalog import Level
from mutants._profile import PROFILE

PACKAGE_DIR = Path(__file__).resolve().parent
TESTS_DIR = PACKAGE_DIR.parent
RUN_MUTANT = PACKAGE_DIR / "run_mutant.py"

#: Modules of the package that are not mutants.
MACHINERY = frozenset({"run_mutant", "table"})

#: Seconds a whole suite run may take before the harness gives up on it.
RUN_LIMIT = 600.0

#: Level verdicts of a report that mean the clause failed (expected or not: a mutant has no
#: expectations file, and a departure listed for it would still be a failure seen).
FAILED = frozenset({"failed", "expected_failure"})

#: Errors that mean a mutant is broken (its own code fails), not that it has its fault.
_BROKEN = re.compile(r"\b(AttributeError|NameError|ImportError|ModuleNotFoundError|RecursionError)\b")


def parse_level(name: str) -> Level:
    """The level named ``name`` (``"safety"``, ``"function"`` or ``"errno"``)."""
    try:
        return Level[name.upper()]
    except KeyError:
        raise ValueError(f"no level {name!r}: one of {', '.join(level.name.lower() for level in Level)}") from None


@dataclass(frozen=True, slots=True)
class Gap:
    """A clause that should catch a mutant at ``level`` and cannot yet, and why."""

    level: Level
    reason: str


@dataclass(frozen=True, slots=True)
class Mutant:
    """A mutant host as its module declares it."""

    name: str
    summary: str
    caught_by: Mapping[str, Level]
    """The clauses that catch the mutant, each with the level it must fail at (or a more severe one)."""
    tests: tuple[str, ...] = ()
    """``-k`` terms of the conformance tests to run; none: the examples of the clauses it names."""
    subprocess: bool = False
    timeout: float | None = None
    gaps: Mapping[str, Gap] = field(default_factory=dict)
    """Clauses that should catch the mutant at a level and do not yet, each with the reason."""

    def declared(self, clause: str) -> Level:
        """The level ``clause`` must catch the mutant at, from ``CAUGHT_BY`` or ``GAPS``."""
        return self.caught_by[clause] if clause in self.caught_by else self.gaps[clause].level

    @property
    def clauses(self) -> list[str]:
        """Every clause the mutant names: those of ``CAUGHT_BY``, then those of ``GAPS``."""
        return [*self.caught_by, *self.gaps]

    def selection(self) -> tuple[str, ...]:
        """The ``-k`` terms of the tests this mutant is run against."""
        return self.tests or tuple(f"test_clause[{clause}]" for clause in self.clauses)

    def host_arguments(self) -> list[str]:
        """The options that make the suite test this mutant."""
        if self.subprocess:
            command = shlex.join([sys.executable, str(RUN_MUTANT), self.name])
            return ["--wasi-nn-host", f"mutant-{self.name}", "--wasi-nn-host-command", f"{command} {{graphs}} {{wasm}}"]
        return ["--wasi-nn-host", f"mutants.{self.name}:factory"]


CONTROL = Mutant(
    "reference",
    "The unmodified reference host, through the same module:factory path: no clause may fail.",
    caught_by={},
)
"""The control: the suite must pass the reference host run the way every mutant is run."""


def control_arguments() -> list[str]:
    """The options of the control run."""
    return ["--wasi-nn-host", "mutants._hosts:reference"]


def discover() -> list[Mutant]:
    """Every mutant module of the package, by name."""
    found = []
    for module_info in sorted(pkgutil.iter_modules([str(PACKAGE_DIR)]), key=lambda info: info.name):
        name = module_info.name
        if name.startswith("_") or name in MACHINERY:
            continue
        module = importlib.import_module(f"mutants.{name}")
        doc = (module.__doc__ or "").strip()
        gaps: Mapping[str, tuple[str, str]] = getattr(module, "GAPS", {})
        found.append(
            Mutant(
                name=name,
                summary=doc.splitlines()[0] if doc else "",
                caught_by={clause: parse_level(level) for clause, level in module.CAUGHT_BY.items()},
                tests=tuple(getattr(module, "TESTS", ())),
                subprocess=bool(getattr(module, "SUBPROCESS", False)),
                timeout=getattr(module, "TIMEOUT", None),
                gaps={clause: Gap(parse_level(level), reason) for clause, (level, reason) in gaps.items()},
            )
        )
    return found


Catch = Literal["caught", "below", "missed"]
"""How a clause did against a mutant: failed at the declared level or a more severe one; failed
only at milder levels; did not fail."""


@dataclass(frozen=True, slots=True)
class MutantRun:
    """One suite run against a mutant: each clause's verdict per level, and how the run went."""

    mutant: Mutant
    returncode: int
    seconds: float
    output: str
    verdicts: dict[str, dict[str, str]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    complete: bool = False

    def failed_levels(self, clause: str) -> list[Level]:
        """The levels at which ``clause`` failed, most severe first (empty: it held, or was never asked)."""
        failed = [parse_level(name) for name, verdict in self.verdicts.get(clause, {}).items() if verdict in FAILED]
        return sorted(failed)

    def observed(self, clause: str) -> Level | None:
        """The most severe level ``clause`` failed at, or ``None``."""
        failed = self.failed_levels(clause)
        return failed[0] if failed else None

    def catch(self, clause: str) -> Catch:
        """Whether ``clause`` caught the mutant at its declared level, only below it, or not at all."""
        observed = self.observed(clause)
        if observed is None:
            return "missed"
        return "caught" if observed <= self.mutant.declared(clause) else "below"

    @property
    def failing_clauses(self) -> list[str]:
        """Every clause that failed in the run, at any level."""
        return sorted(clause for clause in self.verdicts if self.failed_levels(clause))

    @property
    def missed(self) -> list[str]:
        """The clauses of ``CAUGHT_BY`` that did not catch the mutant at their declared level."""
        return [clause for clause in self.mutant.caught_by if self.catch(clause) != "caught"]

    @property
    def gaps_closed(self) -> list[str]:
        """The clauses of the mutant's gaps that caught it at their level: its declaration is out of date."""
        return [clause for clause in self.mutant.gaps if self.catch(clause) == "caught"]

    @property
    def problem(self) -> str:
        """Why the run cannot be trusted, or ``""``: no complete report, or the mutant's own code broke."""
        if not self.verdicts:
            return f"no report (pytest exit {self.returncode}):\n{self.tail()}"
        if not self.complete:
            return f"the run was interrupted (pytest exit {self.returncode}):\n{self.tail()}"
        broken = _BROKEN.search(self.output)
        if broken:
            return f"the mutant's own code failed ({broken.group(1)}):\n{self.tail()}"
        return ""

    def tail(self, lines: int = 30) -> str:
        """The end of the run's output."""
        return "\n".join(self.output.splitlines()[-lines:])


def run(mutant: Mutant, workdir: Path, *, everything: bool = False, host: Sequence[str] | None = None) -> MutantRun:
    """Run the suite against ``mutant`` in a fresh process; its report goes under ``workdir``.

    ``everything`` runs the whole suite instead of the mutant's ``tests``; ``host`` replaces the
    mutant's host options (the control run).
    """
    if mutant is CONTROL:
        everything, host = True, control_arguments()
    folder = workdir / mutant.name
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / "report"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance.tests",
        "-p",
        "mutants._profile",
        f"--hypothesis-profile={PROFILE}",
        "-p",
        "no:cacheprovider",
        "-q",
        "--wasi-nn-report",
        str(report),
        *(host if host is not None else mutant.host_arguments()),
    ]
    if not everything:
        command += ["-k", " or ".join(mutant.selection())]
    if mutant.timeout is not None:
        command += ["--wasi-nn-timeout", f"{mutant.timeout:g}"]
    python_path = [str(TESTS_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            command, cwd=folder, env=environment, capture_output=True, text=True, timeout=RUN_LIMIT, check=False
        )
        returncode, output = completed.returncode, completed.stdout + completed.stderr
    except subprocess.TimeoutExpired as expired:
        returncode, output = -1, f"the suite run passed {RUN_LIMIT:g} s: {expired}"
    seconds = time.perf_counter() - started
    data = _report(report / "report.json")
    if data is None:
        return MutantRun(mutant, returncode, seconds, output)
    verdicts = {clause["id"]: dict(clause["verdicts"]) for clause in data["clauses"]}
    reasons = {
        clause["id"]: "; ".join(clause["failures"][0]["reasons"]) for clause in data["clauses"] if clause["failures"]
    }
    complete = bool(data["run"]["complete"])
    return MutantRun(mutant, returncode, seconds, output, verdicts, reasons, complete)


def _report(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def run_all(
    mutants: Iterable[Mutant], workdir: Path, *, jobs: int | None = None, everything: bool = False
) -> list[MutantRun]:
    """Run every mutant (:data:`CONTROL` included, if given), ``jobs`` at a time (default: the CPUs).

    The runs that wait out a timeout start first, so that they overlap the others; the result
    keeps the order given.
    """
    listed = list(mutants)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(listed) or 1))
    order = sorted(range(len(listed)), key=lambda index: -(listed[index].timeout or 0) - (listed[index] is CONTROL))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {index: pool.submit(run, listed[index], workdir, everything=everything) for index in order}
        return [futures[index].result() for index in range(len(listed))]

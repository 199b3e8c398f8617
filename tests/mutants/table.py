"""Run the conformance suite against every mutant and print which clause caught which, at what level.

    python tests/mutants/table.py [--jobs N] [--everything] [--keep DIR] [--allow-gaps] [NAME ...]

One row per mutant and clause it names: the level the clause must catch it at (declared, from
the mutant's ``CAUGHT_BY`` or ``GAPS``), the most severe level the clause failed at (observed),
and whether that is a catch: at the declared level or a more severe one, only below it (the
clause failed at a milder level, seeing a symptom and not the harm), or not at all. Totals
follow. The unmodified reference host is run as well, through the same path, and must fail no
clause. Exits 1 when a clause of a ``CAUGHT_BY`` does not catch its mutant at the declared level,
when a declared gap catches it after all (the declaration is out of date), when the reference
fails a clause, or when a declared gap is still open (``--allow-gaps`` tolerates those), and 2
when a run could not be trusted. ``--everything`` runs the whole suite against each mutant
(properties and state machine included) and lists the other clauses that caught it too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.catalog import Level
from mutants import _harness

#: What a row's verdict cell says, for a clause of ``CAUGHT_BY`` and for one of ``GAPS``.
_NAMED = {"caught": "yes", "below": "ONLY BELOW", "missed": "NO"}
_GAP = {"caught": "GAP CLOSED", "below": "gap (only below)", "missed": "gap (missed)"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mutants and print the table; returns the exit status."""
    parser = argparse.ArgumentParser(prog="table.py", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="mutants to run (default: all)")
    parser.add_argument("--jobs", type=int, default=None, help="suite runs at a time (default: the CPUs)")
    parser.add_argument("--everything", action="store_true", help="run the whole suite against each mutant")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep the runs' reports in DIR")
    parser.add_argument("--allow-gaps", action="store_true", help="do not fail for mutants with a declared gap")
    arguments = parser.parse_args(argv)
    mutants = _harness.discover()
    if arguments.names:
        unknown = sorted(set(arguments.names) - {mutant.name for mutant in mutants})
        if unknown:
            parser.error(f"no such mutant: {', '.join(unknown)}")
        mutants = [mutant for mutant in mutants if mutant.name in arguments.names]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wasi-nn-mutants-") as scratch:
        workdir = arguments.keep or Path(scratch)
        control, *runs = _harness.run_all(
            [_harness.CONTROL, *mutants], workdir, jobs=arguments.jobs, everything=arguments.everything
        )
    print_table(runs, control, everything=arguments.everything)
    print_totals(runs)
    print(f"\n{len(runs)} mutants in {time.perf_counter() - started:.1f} s")
    return status(runs, control, allow_gaps=arguments.allow_gaps)


def _level(level: Level | None) -> str:
    return "-" if level is None else level.name.lower()


def print_table(runs: Sequence[_harness.MutantRun], control: _harness.MutantRun, *, everything: bool) -> None:
    """One row per mutant and clause: the declared level, the observed one, and whether that is a catch."""
    rows = [("mutant", "clause", "declared", "observed", "caught", "seconds")]
    for run in runs:
        for position, clause in enumerate(run.mutant.clauses):
            verdicts = _GAP if clause in run.mutant.gaps else _NAMED
            rows.append(
                (
                    run.mutant.name if position == 0 else "",
                    clause,
                    _level(run.mutant.declared(clause)),
                    _level(run.observed(clause)),
                    verdicts[run.catch(clause)],
                    f"{run.seconds:.1f}" if position == 0 else "",
                )
            )
    verdict = "FAILED: " + ", ".join(control.failing_clauses) if control.failing_clauses else "none failed"
    rows.append(("(reference)", "every clause", "-", "-", verdict, f"{control.seconds:.1f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))
    if everything:
        print("\nOther clauses that failed on each mutant")
        for run in runs:
            others = [clause for clause in run.failing_clauses if clause not in run.mutant.clauses]
            print(f"- {run.mutant.name}: {', '.join(others) or '-'}")
    for run in (control, *runs):
        if run.problem:
            print(f"\n{run.mutant.name}: {run.problem}")
    gaps: dict[str, list[str]] = {}
    for run in runs:
        for clause, gap in run.mutant.gaps.items():
            gaps.setdefault(gap.reason, []).append(f"{run.mutant.name} / {clause} ({_level(gap.level)})")
    if gaps:
        print("\nGaps: clauses that should catch a mutant at a level and cannot yet")
        for reason, where in gaps.items():
            print(f"- {'; '.join(where)}:\n  {reason}")


def print_totals(runs: Sequence[_harness.MutantRun]) -> None:
    """How many rows caught their mutant at the declared level, only below it, or not at all."""
    named = Counter(run.catch(clause) for run in runs for clause in run.mutant.caught_by)
    gaps = Counter(run.catch(clause) for run in runs for clause in run.mutant.gaps)
    rows = named + gaps
    whole = sum(1 for run in runs if not run.missed and not run.mutant.gaps)
    print(
        f"\nTotals: {len(runs)} mutants, {rows.total()} clause rows ({named.total()} named, {gaps.total()} gaps): "
        f"{rows['caught']} caught at the declared level, {rows['below']} caught only below it, {rows['missed']} missed"
    )
    print(f"{whole} of {len(runs)} mutants caught at the declared level by every clause they name, with no gap")


def status(runs: Sequence[_harness.MutantRun], control: _harness.MutantRun, *, allow_gaps: bool) -> int:
    """0 when every clause catches its mutant at the declared level, no gap is open and the reference passes."""
    if control.problem or any(run.problem for run in runs):
        return 2
    escaped = any(run.missed or run.gaps_closed for run in runs)
    open_gaps = not allow_gaps and any(set(run.mutant.gaps) - set(run.gaps_closed) for run in runs)
    return 1 if escaped or open_gaps or control.failing_clauses else 0


if __name__ == "__main__":
    raise SystemExit(main())

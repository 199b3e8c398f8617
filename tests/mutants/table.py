"""Run the conformance suite against every mutant and print which clause caught which.

    python tests/mutants/table.py [--jobs N] [--everything] [--keep DIR] [--allow-gaps] [NAME ...]

One row per mutant and clause it names: whether the clause failed and at which levels; the
clauses of a mutant's declared gaps (which should catch it and do not yet) are listed too. The
unmodified reference host is run as well, through the same path, and must fail no clause.
Exits 1 when a mutant escapes a clause of its ``CAUGHT_BY``, when the reference fails a clause,
or when a declared gap is still open (``--allow-gaps`` tolerates those), and 2 when a run could
not be trusted. ``--everything`` runs the whole suite against each mutant (properties and state
machine included) and lists the other clauses that caught it too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mutants import _harness


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
    print(f"\n{len(runs)} mutants in {time.perf_counter() - started:.1f} s")
    return status(runs, control, allow_gaps=arguments.allow_gaps)


def print_table(runs: Sequence[_harness.MutantRun], control: _harness.MutantRun, *, everything: bool) -> None:
    """One row per mutant and clause: caught or not, and the levels it failed at."""
    rows = [("mutant", "clause", "caught", "levels", "seconds")]
    for run in runs:
        clauses = [*run.mutant.caught_by, *run.mutant.gaps]
        for position, clause in enumerate(clauses):
            if clause in run.mutant.gaps:
                caught = "YES (gap closed)" if run.caught(clause) else "no (gap)"
            else:
                caught = "yes" if run.caught(clause) else "NO"
            name = run.mutant.name if position == 0 else ""
            seconds = f"{run.seconds:.1f}" if position == 0 else ""
            rows.append((name, clause, caught, ",".join(run.failed_levels(clause)) or "-", seconds))
    verdict = "FAILED: " + ", ".join(control.failing_clauses) if control.failing_clauses else "none failed"
    rows.append(("(reference)", "every clause", verdict, "-", f"{control.seconds:.1f}"))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            print("  ".join("-" * width for width in widths))
    if everything:
        print("\nOther clauses that failed on each mutant")
        for run in runs:
            named = {*run.mutant.caught_by, *run.mutant.gaps}
            others = [clause for clause in run.failing_clauses if clause not in named]
            print(f"- {run.mutant.name}: {', '.join(others) or '-'}")
    for run in (control, *runs):
        if run.problem:
            print(f"\n{run.mutant.name}: {run.problem}")
    gaps: dict[str, list[str]] = {}
    for run in runs:
        for clause, reason in run.mutant.gaps.items():
            gaps.setdefault(reason, []).append(f"{run.mutant.name} / {clause}")
    if gaps:
        print("\nGaps: clauses that should catch a mutant and cannot yet")
        for reason, where in gaps.items():
            print(f"- {'; '.join(where)}:\n  {reason}")


def status(runs: Sequence[_harness.MutantRun], control: _harness.MutantRun, *, allow_gaps: bool) -> int:
    """0 when every mutant is caught by every clause it names, no gap is open and the reference passes."""
    if control.problem or any(run.problem for run in runs):
        return 2
    escaped = any(run.missed for run in runs)
    open_gaps = not allow_gaps and any(set(run.mutant.gaps) - set(run.gaps_closed) for run in runs)
    return 1 if escaped or open_gaps or control.failing_clauses else 0


if __name__ == "__main__":
    raise SystemExit(main())

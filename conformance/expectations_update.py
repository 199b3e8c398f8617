"""``--update-expectations``: the expectations file a run shows, written over the one it read.

The departures come from the ledger (:mod:`conformance.results`): each clause that failed
gets an entry per lowest level it failed at, the corpus cases that failed entries of their
own, and the reasons and links already listed stay. The file's format is
:mod:`conformance.expectations`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conformance.catalog import Level
from conformance.expectations import TODO_REASON, CorpusDeparture, Departure, render
from conformance.paths import safe_name, write_atomically
from conformance.results import Ledger


def write_expectations(ledger: Ledger, path: Path | None) -> tuple[Path, int]:
    """Write the run's departures to ``path`` (default: the file read, else ``expectations/HOST.toml``)."""
    target = path or ledger.expectations.path or Path("expectations") / f"{safe_name(ledger.host)}.toml"
    departures = updated_departures(ledger)
    corpus = updated_corpus_departures(ledger)
    write_atomically(target, render(departures, ledger.host, ledger.revision, corpus).encode())
    return target, len(departures) + len(corpus)


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
                    versions=old.versions if old else "",
                )
            )
    # Clauses of other revisions are not in this run's ledger, entries of other releases of the
    # host not in its expectations: they stay as they are.
    departures += [entry for entry in existing.departures if entry.clause not in ledger.tallies]
    departures += existing.other_releases
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
        return [*existing, *ledger.expectations.other_releases_corpus]
    kept: list[CorpusDeparture] = []
    for entry in existing:
        status = corpus.departure_status(entry)
        if status == "not_checked":
            kept.append(entry)
        elif status == "expected_failure":
            # Outcomes this run did not see may show in cases it did not select: they stay.
            seen = {r.result.outcome for r in corpus.recorded.values() if r.departure == entry} | set(entry.outcomes)
            kept.append(dataclasses.replace(entry, outcomes=tuple(sorted(seen))))
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
    # Entries of other releases of the host were not part of the run: they stay as they are.
    return kept + new + list(ledger.expectations.other_releases_corpus)

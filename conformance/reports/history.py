"""A host's compatibility history: the reports of its releases, oldest first, as one page.

Each report becomes a column named by the release its host version names (``wasmtime 46.0.1``,
:func:`~conformance.expectations.release_of`). A *change* is a clause whose verdict at a level
differs from the release before: the page marks the cell and lists every change with links to
both releases' own pages, and ``history.md`` lists them in words. Two releases run with
different expectations or selections can differ by those alone (an expected failure in one,
a failure in the other); the verdicts are compared as the reports have them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conformance.catalog import Level
from conformance.expectations import release_of

__all__ = ["Change", "history_changes", "history_markdown", "history_reports", "release_label"]

_LEVELS = tuple(level.name.lower() for level in Level)
"""The levels as reports name them."""


@dataclass(frozen=True, slots=True)
class Change:
    """A clause whose verdict at ``level`` went from ``before`` in release ``earlier`` to ``after`` in ``later``.

    For a case of the ONNX node corpus, ``clause`` is the case and ``level`` is ``"corpus"``.
    """

    clause: str
    level: str
    before: str
    after: str
    earlier: str
    later: str


def release_label(report: Mapping[str, Any]) -> str:
    """The column name of a report: its host's name and release (``wasmtime-cli 46.0.1``), else its host's version."""
    host = report["host"]
    release = release_of(str(host["version"]))
    return f"{host['name']} {release}" if release is not None else f"{host['name']} ({host['version']})"


def history_changes(reports: Sequence[Mapping[str, Any]]) -> list[Change]:
    """Every verdict that differs from the release before, release by release: clauses, then corpus cases.

    A corpus case's change has ``level`` ``"corpus"``; only cases both releases ran count.
    """
    found = []
    for earlier, later in itertools.pairwise(reports):
        before = {clause["id"]: clause["verdicts"] for clause in earlier["clauses"]}
        for clause in later["clauses"]:
            verdicts = before.get(clause["id"])
            if verdicts is None:
                continue
            for level in _LEVELS:
                if verdicts.get(level) != clause["verdicts"].get(level):
                    found.append(
                        Change(
                            clause["id"],
                            level,
                            str(verdicts.get(level)),
                            str(clause["verdicts"].get(level)),
                            release_label(earlier),
                            release_label(later),
                        )
                    )
        cases_before = {case["id"]: str(case["verdict"]) for case in _corpus_cases(earlier)}
        for case in _corpus_cases(later):
            was = cases_before.get(case["id"])
            if was is not None and was != case["verdict"]:
                labels = (release_label(earlier), release_label(later))
                found.append(Change(case["id"], "corpus", was, str(case["verdict"]), *labels))
    return found


def _corpus_cases(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    corpus = report.get("corpus") or {}
    cases: list[dict[str, Any]] = corpus.get("cases", [])
    return cases


def history_reports(reports: Sequence[Mapping[str, Any]], folders: Sequence[Path], out: Path) -> list[dict[str, Any]]:
    """The reports as the page shows a history: named by release, each with its page and its changes.

    ``folders`` hold each report's own ``index.html``; the links are relative to ``out``, where
    the history page goes, so the folders can move together.
    """
    changes = history_changes(reports)
    shown = []
    for report, folder in zip(reports, folders, strict=True):
        label = release_label(report)
        page = Path(os.path.relpath(folder / "index.html", out)).as_posix()
        shown.append(
            {
                **report,
                "host": {**report["host"], "name": label},
                "history": {
                    "page": page,
                    "changes": [asdict(change) for change in changes if change.later == label],
                },
            }
        )
    return shown


def history_markdown(reports: Sequence[Mapping[str, Any]]) -> str:
    """``history.md``: the releases, and every verdict that changed from one to the next."""
    labels = [release_label(report) for report in reports]
    changes = history_changes(reports)
    lines = [f"# Compatibility history: {', '.join(labels)}", ""]
    if not changes:
        lines.append("No verdict changed between consecutive releases.")
    for change in changes:
        where = "(corpus case)" if change.level == "corpus" else f"at {change.level}"
        lines.append(
            f"- `{change.clause}` {where}: {change.before} in {change.earlier}, {change.after} in {change.later}"
        )
    return "\n".join(lines) + "\n"

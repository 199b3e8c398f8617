"""A run in several worker processes (pytest-xdist's ``-n``) reports what the same run in one process does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import run_suite, start

#: The host with one departure, every clause test and a slice of the corpus: failures, passes
#: and corpus cases all have to come back from the workers.
OPTIONS = (
    "--wasi-nn-host",
    "tests.hosts.errno_host:departing",
    "-k",
    "test_clause or (test_corpus_case and (Relu or Sigmoid or Softmax))",
    "--wasi-nn-corpus",
    "all",
)


def _verdicts(report: Path) -> dict[str, Any]:
    data = json.loads((report / "report.json").read_text())
    corpus = data["corpus"]
    return {
        "clauses": {clause["id"]: clause["verdict"] for clause in data["clauses"]},
        "levels": data["levels"],
        "tests": sorted((test["id"], test["outcome"]) for test in data["tests"]),
        "corpus": {case["id"]: (case["outcome"], case["verdict"]) for case in corpus["cases"]},
        "corpus counts": (corpus["outcomes"], corpus["verdicts"]),
    }


def test_two_workers_report_what_one_process_does(tmp_path_factory: pytest.TempPathFactory) -> None:
    start(tmp_path_factory, *OPTIONS)
    start(tmp_path_factory, *OPTIONS, "-n", "2")
    alone = run_suite(tmp_path_factory, *OPTIONS)
    workers = run_suite(tmp_path_factory, *OPTIONS, "-n", "2")
    # The departure fails both runs, the same way.
    assert alone.returncode == workers.returncode == 1, workers.output
    assert f"FAILED {DEPARTING_CLAUSE}" in workers.output
    assert _verdicts(alone.report) == _verdicts(workers.report)
    merged = _verdicts(workers.report)
    assert merged["clauses"][DEPARTING_CLAUSE] == "failed"
    assert sum(outcome == "passed" for outcome, _ in merged["corpus"].values()) > 10
    # The failing clause's reproducer came back from its worker.
    data = json.loads((workers.report / "report.json").read_text())
    assert any(DEPARTING_CLAUSE in case["clauses"] for case in data["cases"].values())

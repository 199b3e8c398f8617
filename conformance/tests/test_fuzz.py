"""The fuzz campaign (``--wasi-nn-fuzz SCRIPTS``) and the soak (``--wasi-nn-soak``), both of ``nox -s fuzz``.

Deselected unless ``--wasi-nn-fuzz`` asks for scripts. Hypothesis draws the scripts
(:func:`conformance.fuzz.hostile_scenarios`) in chunks until the scripts or the minutes
(``--wasi-nn-fuzz-minutes``) run out; its example database lives in the suite's cache, so a
script that failed once is tried first by the next campaign. The campaign stops at its first
failure, shrunk unless it hung, with its reproducer in the report like any other; it prints one line of
counters and writes ``fuzz.json`` beside the other reports. The soak
(:mod:`conformance.soak`) writes ``soak.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict

import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

from conformance.adapters.inprocess import InProcessAdapter
from conformance.catalog import Judgement, Level, at_levels
from conformance.fuzz import CampaignTally, Deadline, hostile_scenarios
from conformance.paths import cache_dir, safe_name, write_atomically
from conformance.plugin import FUZZ_SUMMARY, Suite, report_folder
from conformance.scenario import run_scenario
from conformance.soak import run_soak, soak_scenarios
from conformance.spec import NotAskable

CHUNK = 500
"""Scripts per round of hypothesis: the deadline is looked at between rounds."""


def test_fuzz_campaign(wasi_nn_suite: Suite, request: pytest.FixtureRequest) -> None:
    suite = wasi_nn_suite
    config = request.config
    wanted: int = config.getoption("--wasi-nn-fuzz")
    deadline = Deadline(config.getoption("--wasi-nn-fuzz-minutes"))
    tally = CampaignTally(suite.host.name, suite.ledger.revision)
    database = DirectoryBasedExampleDatabase(cache_dir("fuzz", safe_name(suite.host.name)))
    last_failure: list[Judgement] = []

    def campaign_round(scripts: int) -> Callable[[], None]:
        # A fresh hypothesis run per round: new random scripts, failures from the database first.
        @settings(
            max_examples=scripts,
            database=database,
            deadline=None,
            derandomize=False,
            print_blob=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        )
        @given(st.data())
        def hostile_script(data: st.DataObject) -> None:
            scenario = data.draw(hostile_scenarios(suite.bindings, suite.capabilities), label="script")
            try:
                run = run_scenario(scenario, suite.bindings, suite.host, suite.timeout)
            except NotAskable:  # a script outside the host's capabilities or the revision
                reject()
            tally.count(len(run.calls))
            judged = [at_levels(judgement, [Level.SAFETY]) for judgement in run.judgements]
            last_failure[:] = [judgement for judgement in judged if not judgement.passed]
            suite.record(run, levels=[Level.SAFETY])  # raises for a failure the expectations do not list

        return hostile_script

    started = time.perf_counter()
    stopped_by = "failure"  # until the rounds end without raising
    try:
        ended = "examples"
        while tally.scripts < wanted:
            if deadline.passed():
                ended = "minutes"
                break
            before = tally.scripts
            campaign_round(min(CHUNK, wanted - tally.scripts))()
            if tally.scripts == before:  # hypothesis found nothing more to draw
                ended = "exhausted"
                break
        stopped_by = ended
    finally:
        if stopped_by == "failure":
            # Hypothesis runs the shrunk script last: what it broke is counted, once.
            tally.failed(last_failure)
        tally.finish(time.perf_counter() - started, stopped_by)
        path = tally.write(report_folder(config))
        config.stash[FUZZ_SUMMARY] = [tally.line(), f"wasi-nn fuzz campaign: {path}"]


def test_soak(wasi_nn_suite: Suite, request: pytest.FixtureRequest) -> None:
    suite = wasi_nn_suite
    adapter = getattr(suite.host, "host", suite.host)
    if not isinstance(adapter, InProcessAdapter):
        # A command host's process ends with each guest: its memory is bounded by the address-space limit.
        pytest.skip("the soak reads memory inside the host's process: in-process hosts only")
    soaks = [
        run_soak(adapter, suite.bindings, name, scenario, suite.timeout)
        for name, scenario in soak_scenarios(suite.bindings).items()
    ]
    results = [result for result, _ in soaks]
    request.config.stash[FUZZ_SUMMARY] = [result.line() for result in results]
    written = [{"line": result.line(), "growth_mib": result.growth_mib, **asdict(result)} for result in results]
    write_atomically(report_folder(request.config) / "soak.json", (json.dumps(written, indent=2) + "\n").encode())
    failures = [result.line() for result in results if not result.bounded]
    for _, run in soaks:
        try:
            suite.record(run, levels=[Level.SAFETY])  # no crash, no stray write, within the scenario's bound
        except AssertionError as failed:
            failures.append(str(failed))
    assert not failures, "the soak failed:\n" + "\n".join(failures)

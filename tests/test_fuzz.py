"""The fuzz campaign counts what it ran, finds broken hosts, and its reproducer replays; the soak finds a leak."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from typing import Any

import pytest

from conformance.catalog import CallOutcome, Facts, Judgement, Level, Verdict, load_catalog
from conformance.fuzz import FAILURE_KINDS, CampaignTally, kind_of_failure
from conformance.soak import GROWTH_BOUND
from tests.hosts.runs import PROJECT, SuiteRun, run_suite, start

CAMPAIGN = ("-k", "test_fuzz_campaign", "--wasi-nn-corpus=none")
REFERENCE = (*CAMPAIGN, "--wasi-nn-fuzz=150")
OFF_BY_ONE = (*CAMPAIGN, "--wasi-nn-fuzz=3000", "--wasi-nn-host=tests.hosts.fuzz_targets:off_by_one")


SOAK = ("-k", "test_soak", "--wasi-nn-corpus=none", "--wasi-nn-soak")
LEAKING_SOAK = (*SOAK, "--wasi-nn-host=tests.hosts.fuzz_targets:keeping_loads")


@pytest.fixture(scope="module", autouse=True)
def campaigns(tmp_path_factory: pytest.TempPathFactory) -> None:
    for options in (REFERENCE, OFF_BY_ONE, SOAK, LEAKING_SOAK):
        start(tmp_path_factory, *options)


def campaign(run: SuiteRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.report / "fuzz.json").read_text())
    return data


def test_a_campaign_on_the_reference_host_runs_every_script_and_breaks_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = run_suite(tmp_path_factory, *REFERENCE)
    assert run.returncode == 0, run.output
    data = campaign(run)
    assert data["scripts"] == 150
    assert data["calls"] > 150
    assert data["failures"] == dict.fromkeys(FAILURE_KINDS, 0)
    assert data["stopped_by"] == "examples"
    assert data["peak_rss_mib"] > 0
    assert data["line"] in run.output
    assert re.search(r"fuzz on host 'reference' \(revision 2023-08\): 150 scripts, \d+ calls, 0 crashes", run.output)
    # Only the safety level was judged: no errno or value verdict comes out of a campaign.
    report = json.loads((run.report / "report.json").read_text())
    assert report["levels"]["safety"]["passed"] > 10
    assert report["levels"]["function"]["passed"] == report["levels"]["errno"]["passed"] == 0


def test_a_campaign_finds_a_host_whose_bounds_check_is_off_by_one_and_its_case_replays(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = run_suite(tmp_path_factory, *OFF_BY_ONE)
    assert run.returncode == 1, run.output
    data = campaign(run)
    assert data["stopped_by"] == "failure"
    assert data["failures"]["invalid_success"] == 1
    assert sum(data["failures"].values()) == 1
    # Every failing script of the campaign has a case, those hypothesis met while shrinking too
    # (with an empty example database there are several): any of them must replay.
    commands = re.findall(r"reproduce: `(wasi-nn-conformance replay [^`]+)`", (run.report / "summary.md").read_text())
    assert commands, run.output
    command = commands[0]
    case = json.loads((run.report / "repro" / command.split()[2].rsplit("/", 1)[-1] / "case.json").read_text())
    assert case["levels"] == ["safety"]
    # In a process of its own: the mutant patches the host's glue in the process that runs it.
    replayed = subprocess.run(
        [sys.executable, "-m", "conformance", *shlex.split(command)[1:]],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT,
    )
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr  # reproduced
    assert "REPRODUCED" in replayed.stdout


def test_without_their_options_the_campaign_and_the_soak_are_not_collected() -> None:
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.tests.test_fuzz", "--collect-only", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT,
    )
    assert "2 deselected" in collected.stdout, collected.stdout  # the campaign and the soak


def test_each_kind_of_failure_is_counted_under_its_own_name() -> None:
    clause = load_catalog("2023-08")["load.builder-out-of-bounds"]
    failed = {Level.SAFETY: Verdict(False, "broken")}
    judgements = {
        "crash": Judgement(clause, CallOutcome("crashed"), failed),
        "hang": Judgement(clause, CallOutcome("hung"), failed),
        "out_of_memory": Judgement(clause, CallOutcome("out_of_memory"), failed),
        "trap": Judgement(clause, CallOutcome("trapped"), failed),
        "stray_write": Judgement(clause, CallOutcome("returned", 1), failed, Facts(stray_write="past the buffer")),
        "runaway_memory": Judgement(clause, CallOutcome("returned", 1), failed, Facts(runaway_memory="grew")),
        "invalid_success": Judgement(clause, CallOutcome("returned", 0), failed),
    }
    assert set(judgements) == set(FAILURE_KINDS)
    for kind, judgement in judgements.items():
        assert kind_of_failure(judgement) == kind
    tally = CampaignTally("host", "2023-08")
    tally.failed(list(judgements.values()))
    assert set(tally.failures.values()) == {1}
    assert "1 crashes, 1 hangs, 1 out of memory, 1 traps, 1 stray writes" in tally.line()


def soaks(run: SuiteRun) -> dict[str, dict[str, Any]]:
    return {soak["name"]: soak for soak in json.loads((run.report / "soak.json").read_text())}


def test_the_soak_reads_memory_at_rounds_1_1000_and_10000_and_the_reference_host_stays_flat(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    run = run_suite(tmp_path_factory, *SOAK)
    assert run.returncode == 0, run.output
    found = soaks(run)
    assert set(found) == {"rounds", "failing loads"}
    for soak in found.values():
        assert soak["rounds"] == 10_000
        assert set(soak["resident_mib"]) == {"1", "1000", "10000"}
        assert all(mib > 0 for mib in soak["resident_mib"].values())
        assert soak["growth_mib"] <= GROWTH_BOUND / (1 << 20)
        assert soak["line"] in run.output


def test_the_soak_catches_a_host_that_keeps_memory_per_load(tmp_path_factory: pytest.TempPathFactory) -> None:
    run = run_suite(tmp_path_factory, *LEAKING_SOAK)
    assert run.returncode == 1, run.output
    found = soaks(run)
    # 64 KiB for each of 9,000 loads after round 1,000, refused ones included.
    assert found["failing loads"]["growth_mib"] > 400
    assert found["rounds"]["growth_mib"] > 400
    assert "OVER the 16 MiB bound" in run.output


_COLLECT = """
import json, sys
from hypofuzz.collection import collect_tests
found = collect_tests(sys.argv[1:])
print(json.dumps({"targets": [target.nodeid for target in found.fuzz_targets], "left": found.not_collected}))
"""


def _hypofuzz_targets(*options: str) -> dict[str, Any]:
    """What HypoFuzz would fuzz of the suite's property tests (``nox -s fuzz -- --hypofuzz``), and what it leaves."""
    selection = ("--pyargs", "conformance.tests", "-m", "hypothesis", "--wasi-nn-corpus=none", "-p", "no:cacheprovider")
    # As the session runs it: without the CI variable, under which hypothesis derandomizes everything.
    exploring = {name: value for name, value in os.environ.items() if name != "CI"}
    completed = subprocess.run(
        [sys.executable, "-c", _COLLECT, *selection, *options],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT,
        env=exploring,
    )
    found: dict[str, Any] = json.loads(completed.stdout.splitlines()[-1])
    return found


def test_hypofuzz_fuzzes_every_property_test_of_the_suite_under_the_profile_the_session_names() -> None:
    found = _hypofuzz_targets("--hypothesis-profile=conformance")
    assert not found["left"], found["left"]
    names = {target.rpartition("::")[2].partition("[")[0] for target in found["targets"]}
    assert {
        "test_outputs_equal_native_onnxruntime_for_any_values_and_buffer_slack",
        "test_hostile_memory_layouts_get_errnos_and_leave_the_host_running",
        "test_invalid_arguments_get_the_errno_of_the_clause_they_violate",
        "test_graphs_built_on_the_fly_compute_like_native_onnxruntime",
    } <= names


def test_hypofuzz_would_fuzz_nothing_under_the_derandomized_profile_of_ci() -> None:
    """Why the session names the profile: CI's derandomizes, and HypoFuzz leaves such tests alone."""
    found = _hypofuzz_targets("--hypothesis-profile=ci")
    assert found["targets"] == []
    assert {reason["status_reason"] for reason in found["left"].values()} == {"sets_derandomize"}

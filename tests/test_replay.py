"""Reproducers: a failing case is written beside the report, and the command summary.md gives
for it re-runs exactly that case and fails the same way."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import cli, fixture_models
from conformance.adapters.inprocess import reference_adapter
from conformance.examples import EXAMPLES
from conformance.replay import FAILS_OTHERWISE, REPRODUCED
from conformance.reproducers import scenario_from_json, scenario_to_json
from conformance.revisions import revision
from conformance.spec import Compute, Forged, GetOutput, InitExecutionContext, Load, Made, Scenario, SetInput
from conformance.special import SPECIAL_CLAUSES
from tests.hosts.errno_host import DEPARTING_CLAUSE
from tests.hosts.runs import CRASHING, CRASHING_HOST, DEPARTING, PROJECT, SuiteRun, run_suite, start


@pytest.fixture(scope="module")
def departing_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    start(tmp_path_factory, *CRASHING)
    return run_suite(tmp_path_factory, *DEPARTING)


def replay(words: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``wasi-nn-conformance WORDS...`` as a user would from the project folder."""
    monkeypatch.chdir(PROJECT)
    status = cli.main(words[1:])
    return status, capsys.readouterr().out


def summary_commands(run: SuiteRun) -> list[str]:
    return re.findall(r"reproduce: `(wasi-nn-conformance replay [^`]+)`", (run.report / "summary.md").read_text())


@pytest.mark.parametrize("clause_id", sorted(set(EXAMPLES) - set(SPECIAL_CLAUSES)))
def test_every_example_scenario_survives_its_json_form(clause_id: str) -> None:
    bindings = revision().bindings
    scenario = EXAMPLES[clause_id](bindings, reference_adapter(bindings, "2023-08").capabilities)
    data = json.loads(json.dumps(scenario_to_json(scenario)))
    assert scenario_from_json(data) == scenario


def test_a_graph_built_on_the_fly_is_built_again_from_its_case(tmp_path: Path) -> None:
    # A case written by one process is replayed by another, which never built the chain: the
    # child process below knows nothing but the case's JSON.
    name = fixture_models.elementwise_chain(["Relu", "Max"], (2, 3), 0.25)
    scenario = Scenario((Load(name), InitExecutionContext(Made(0))))
    data = json.loads(json.dumps(scenario_to_json(scenario)))
    assert data["chains"] == {name: {"ops": ["Relu", "Max"], "shape": [2, 3], "constant": 0.25}}
    (tmp_path / "scenario.json").write_text(json.dumps(data))
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from conformance import fixture_models; from conformance.reproducers import scenario_from_json; "
            "scenario = scenario_from_json(json.load(open(sys.argv[1]))); "
            "print(len(fixture_models.model_bytes(scenario.operations[0].fixture)))",
            str(tmp_path / "scenario.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT,
    )
    assert int(child.stdout) == len(fixture_models.model_bytes(name))
    with pytest.raises(ValueError, match="builds"):
        scenario_from_json({**data, "chains": {"chain-000000000000": data["chains"][name]}})


handles = st.one_of(st.builds(Made, st.integers(0, 9)), st.builds(Forged, st.integers(0, 2**32 - 1)))


@given(
    dimensions=st.lists(st.integers(0, 2**32 - 1), max_size=4).map(tuple),
    data=st.binary(max_size=64),
    builders=st.none() | st.lists(st.binary(max_size=16), max_size=3).map(tuple),
    context=handles,
)
def test_any_operation_survives_its_json_form(
    dimensions: tuple[int, ...], data: bytes, builders: tuple[bytes, ...] | None, context: Made | Forged
) -> None:
    scenario = Scenario(
        (
            Load("mlp", encoding=300, target="gpu", builders=builders, demonstrates=("load.valid",)),
            InitExecutionContext(context),
            SetInput(context, 1, dimensions, 255, data, padding=b"\xff\0\1", fault="data-wraps"),
            Compute(context),
            GetOutput(context, 0, 64, fault="buffer-past-end"),
        ),
        {"model": "add_f32"},
    )
    assert scenario_from_json(json.loads(json.dumps(scenario_to_json(scenario)))) == scenario


def test_every_failure_writes_a_case_folder(departing_run: SuiteRun) -> None:
    data = json.loads((departing_run.report / "report.json").read_text())
    failures = [failure for entry in data["clauses"] for failure in entry["failures"]]
    assert failures
    for failure in failures:
        case = data["cases"][failure["case"]]
        folder = departing_run.report / case["folder"]
        for name in ("guest.wasm", "stdin.bin", "case.json", "script.txt", "transcript.txt"):
            assert (folder / name).is_file(), name
        assert (folder / "guest.wasm").read_bytes().startswith(b"\0asm")
        assert json.loads((folder / "case.json").read_text())["command"] == failure["reproducer"]


def test_the_command_in_summary_md_fails_the_same_way(
    departing_run: SuiteRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = summary_commands(departing_run)
    assert commands, (departing_run.report / "summary.md").read_text()
    status, output = replay(shlex.split(commands[0]), monkeypatch, capsys)
    assert status == REPRODUCED, output
    assert "REPRODUCED" in output
    assert f"{DEPARTING_CLAUSE}: errno: expected invalid_argument, the call returned unsupported_operation" in output
    assert "-> 6 (unsupported_operation)" in output  # the driver's own transcript, in words


def test_the_same_case_passes_on_a_host_without_the_departure(
    departing_run: SuiteRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    words = shlex.split(summary_commands(departing_run)[0])
    words[words.index("--wasi-nn-host") + 1] = "tests.hosts.errno_host:conforming"
    status, output = replay(words, monkeypatch, capsys)
    assert status == 0, output
    assert "PASSES NOW" in output


def test_a_case_that_fails_differently_says_so(
    departing_run: SuiteRun, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shlex.split(summary_commands(departing_run)[0])[2]
    status, output = replay(
        ["wasi-nn-conformance", "replay", folder, "--wasi-nn-host-command", CRASHING_HOST], monkeypatch, capsys
    )
    assert status == FAILS_OTHERWISE, output
    assert f"recorded but not seen now: {DEPARTING_CLAUSE} (errno; returned unsupported_operation)" in output


def test_a_special_guest_replays_too(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_suite(tmp_path_factory, *CRASHING)
    data = json.loads((run.report / "report.json").read_text())
    failure = next(entry for entry in data["clauses"] if entry["id"] == "link.all-functions")["failures"][0]
    status, output = replay(shlex.split(failure["reproducer"]), monkeypatch, capsys)
    assert status == REPRODUCED, output
    assert "crashed" in output


def test_a_folder_that_is_no_case_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "is not a case folder" in error
    assert len(error.strip().splitlines()) == 1

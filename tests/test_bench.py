"""The benchmark machinery, run small: report fields, sane numbers, rounds really done. No timing asserted."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from conformance import bench, models
from conformance.bench import HostCalls, RoundTimingHost
from conformance.host import GuestOptions, GuestRun, run_guest
from conformance.revisions import revision

nn = revision().bindings


def run_bench_guest(folder: Path, *arguments: str) -> tuple[GuestRun, RoundTimingHost]:
    """Run bench.wat with ``arguments`` on a counting reference host; MLP files in ``folder``."""
    (folder / "mlp.onnx").write_bytes(models.model_bytes("mlp"))
    (folder / "input.bin").write_bytes(bench.bench_input("mlp").tobytes())
    hosts: list[RoundTimingHost] = []

    def make_host(bindings: ModuleType) -> RoundTimingHost:
        hosts.append(RoundTimingHost(bindings))
        return hosts[-1]

    run = run_guest(
        bench.BENCH_GUEST, make_host, nn, GuestOptions(argv=("bench", *arguments), dirs=[(str(folder), ".")])
    )
    return run, hosts[0]


@pytest.mark.parametrize("rounds", [0, 1, 7])
def test_the_guest_does_exactly_the_rounds_asked_for(tmp_path: Path, rounds: int) -> None:
    run, host = run_bench_guest(tmp_path, "mlp.onnx", "input.bin", str(rounds), "1", "16")
    assert (run.exit_code, run.stderr, run.trap) == (0, b"", None)
    output_bytes = 16 if rounds else 0
    assert run.stdout == f"bench: {rounds} rounds, output 0 is {output_bytes} bytes\n".encode()
    assert host.calls() == HostCalls(
        load=1, init_execution_context=1, set_input=rounds, compute=rounds, get_output=rounds
    )
    assert len(host.round_starts) == rounds


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("mlp.onnx", "input.bin", "3"), b"usage: bench MODEL INPUT ROUNDS D0 [D1 ...]\n"),
        (("mlp.onnx", "input.bin", "3x", "1", "16"), b"bench: not a decimal number: 3x\n"),
        (("mlp.onnx", "input.bin", "4294967296", "1", "16"), b"bench: not a decimal number: 4294967296\n"),
        (("missing.onnx", "input.bin", "3", "1", "16"), b"bench: cannot open missing.onnx (errno 44)\n"),
        (
            ("mlp.onnx", "input.bin", "3", "1", "15"),
            f"bench: set_input failed with errno {int(nn.NnErrno.INVALID_ARGUMENT)}\n".encode(),
        ),
    ],
)
def test_the_guest_reports_failures_and_exits_1(tmp_path: Path, arguments: tuple[str, ...], message: bytes) -> None:
    run, host = run_bench_guest(tmp_path, *arguments)
    assert (run.exit_code, run.stdout, run.stderr, run.trap) == (1, b"", message, None)
    assert host.computes == 0


def test_a_small_benchmark_reports_every_field_with_sane_numbers() -> None:
    rounds, repeat = 20, 2
    report = bench.run_benchmark(["mlp"], rounds=rounds, repeat=repeat)

    (result,) = report.results
    assert (result.model, result.input_shape, result.output_bytes) == ("mlp", (1, 16), 16)
    assert (result.rounds, result.repeat) == (rounds, repeat)
    for value in (result.native_us, result.guest_us, *result.native_us_by_repetition, *result.guest_us_by_repetition):
        assert math.isfinite(value)
        assert value > 0
    assert math.isfinite(result.overhead_us)
    assert math.isfinite(result.ratio_percent)
    assert len(result.native_us_by_repetition) == len(result.guest_us_by_repetition) == repeat

    # Every repetition is one guest run of warm-up + timed + 1 rounds, each seen by the host.
    per_run = bench.WARMUP_ROUNDS + rounds + 1
    assert result.guest_rounds_run == repeat * per_run
    assert result.host_calls == HostCalls(repeat, repeat, repeat * per_run, repeat * per_run, repeat * per_run)

    assert [(target.model, target.metric) for target in report.targets] == [("mlp", "overhead_us")]
    assert report.machine["platform"]
    assert report.machine["cpu_count"] >= 1
    assert {"onnxruntime", "wasmtime", "numpy", "onnx"} <= report.packages.keys()
    assert report.settings["repeat"] == repeat


def test_main_prints_the_table_and_writes_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = bench.main(["--models", "mlp", "--rounds", "5", "--repeat", "1", "--out", str(tmp_path / "bench")])

    assert status == 0
    assert "mlp" in capsys.readouterr().out
    written = json.loads((tmp_path / "bench" / "bench.json").read_text(encoding="utf-8"))
    assert {"created", "settings", "machine", "packages", "results", "targets"} <= written.keys()
    (result,) = written["results"]
    for key in ("native_us", "guest_us", "overhead_us", "ratio_percent"):
        assert np.isfinite(result[key])
    assert result["host_calls"]["set_input"] == bench.WARMUP_ROUNDS + 5 + 1
    assert "| mlp |" in (tmp_path / "bench" / "bench.md").read_text(encoding="utf-8")

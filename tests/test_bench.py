"""The benchmark machinery, run small: report fields, sane numbers, rounds really done. No timing asserted."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest

from conformance import bench, fixture_models
from conformance.bench import HostCalls, RoundTimingHost
from conformance.host import BACKENDS, GuestOptions, GuestRun, make_backend, run_guest
from conformance.host.linker import link as conformance_link
from conformance.revisions import Bindings, revision

nn = revision().bindings


def run_bench_guest(folder: Path, *arguments: str, backend: str = "onnxruntime") -> tuple[GuestRun, RoundTimingHost]:
    """Run bench.wat with ``arguments`` on a counting reference host over ``backend``; MLP files in ``folder``."""
    (folder / "mlp.onnx").write_bytes(fixture_models.model_bytes("mlp"))
    (folder / "input.bin").write_bytes(bench.bench_input("mlp").tobytes())
    hosts: list[RoundTimingHost] = []

    def make_host(bindings: Bindings) -> RoundTimingHost:
        hosts.append(RoundTimingHost(bindings, make_backend(backend)))
        return hosts[-1]

    run = run_guest(
        bench.BENCH_GUEST, make_host, nn, GuestOptions(argv=("bench", *arguments), dirs=[(str(folder), ".")])
    )
    return run, hosts[0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rounds", [0, 1, 7])
def test_the_guest_does_exactly_the_rounds_asked_for(tmp_path: Path, rounds: int, backend: str) -> None:
    run, host = run_bench_guest(tmp_path, "mlp.onnx", "input.bin", str(rounds), "1", "16", backend=backend)
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


def test_a_small_benchmark_reports_every_field_with_sane_numbers_for_both_backends() -> None:
    rounds, repeat = 20, 2
    report = bench.run_benchmark(["mlp"], rounds=rounds, repeat=repeat)

    assert [(result.model, result.backend) for result in report.results] == [
        ("mlp", "onnxruntime"),
        ("mlp", "tract"),
    ]
    per_run = bench.WARMUP_ROUNDS + rounds + 1
    for result in report.results:
        assert (result.input_shape, result.output_bytes) == ((1, 16), 16)
        assert (result.rounds, result.repeat) == (rounds, repeat)
        for value in (
            result.native_us,
            result.guest_us,
            *result.native_us_by_repetition,
            *result.guest_us_by_repetition,
        ):
            assert math.isfinite(value)
            assert value > 0
        assert math.isfinite(result.overhead_us)
        assert math.isfinite(result.ratio_percent)
        for layer in (result.host_direct_us, result.idle_guest_us, result.bare_calls_us):
            assert math.isfinite(layer)
            assert layer > 0
        # The parts of a round add up to it, and the host's own part is two of them.
        assert sum(astuple(result.breakdown)) == pytest.approx(result.guest_us)
        assert result.breakdown.engine_us == result.native_us
        assert result.breakdown.calls_us == result.bare_calls_us
        assert result.own_us == pytest.approx(result.breakdown.host_us + result.breakdown.glue_us)
        assert len(result.native_us_by_repetition) == len(result.guest_us_by_repetition) == repeat
        # Every repetition is one guest run of warm-up + timed + 1 rounds, each seen by the host.
        assert result.guest_rounds_run == repeat * per_run
        assert result.host_calls == HostCalls(repeat, repeat, repeat * per_run, repeat * per_run, repeat * per_run)

    # The design's targets are about onnxruntime; tract is compared with it instead.
    assert [(target.backend, target.model, target.metric) for target in report.targets] == [
        ("onnxruntime", "mlp", "own_us")
    ]
    (comparison,) = report.comparisons
    assert (comparison.model, comparison.backend, comparison.baseline) == ("mlp", "tract", "onnxruntime")
    onnxruntime, tract = report.results
    assert comparison.guest_ratio == pytest.approx(tract.guest_us / onnxruntime.guest_us)
    assert comparison.native_ratio == pytest.approx(tract.native_us / onnxruntime.native_us)

    assert report.machine["platform"]
    assert report.machine["cpu_count"] >= 1
    assert {"onnxruntime", "tract", "wasmtime", "numpy", "onnx"} <= report.packages.keys()
    assert report.settings["repeat"] == repeat
    assert report.settings["backends"] == ["onnxruntime", "tract"]


def test_one_backend_alone_has_its_rows_and_nothing_to_compare() -> None:
    report = bench.run_benchmark(["mlp"], rounds=3, repeat=1, backends=["tract", "tract"])

    (result,) = report.results
    assert (result.model, result.backend) == ("mlp", "tract")
    assert result.host_calls.compute == bench.WARMUP_ROUNDS + 3 + 1
    assert (report.targets, report.comparisons) == ((), ())


@pytest.mark.parametrize("backends", [[], ["onnxruntime", "pytorch"]])
def test_unknown_or_no_backends_are_refused(backends: list[str]) -> None:
    with pytest.raises(ValueError, match="backends must be some of onnxruntime, tract"):
        bench.run_benchmark(["mlp"], rounds=1, repeat=1, backends=backends)


def test_every_other_repetition_runs_a_models_blocks_in_reverse(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks: list[tuple[str, str]] = []

    def time_native(self: bench._ModelBench) -> None:
        blocks.append((self.backend_name, "native"))
        self.native_times.append([1.0])

    def time_guest(self: bench._ModelBench) -> None:
        blocks.append((self.backend_name, "guest"))
        self.guest_times.append([2.0])

    def time_layer(name: str, times: str) -> Callable[[bench._ModelBench], None]:
        def time(self: bench._ModelBench) -> None:
            blocks.append((self.backend_name, name))
            getattr(self, times).append([1.5])

        return time

    monkeypatch.setattr(bench._ModelBench, "time_native", time_native)
    monkeypatch.setattr(bench._ModelBench, "time_guest", time_guest)
    monkeypatch.setattr(bench._ModelBench, "time_host_direct", time_layer("host", "host_direct_times"))
    monkeypatch.setattr(bench._ModelBench, "time_bare_calls", time_layer("calls", "bare_calls_times"))
    monkeypatch.setattr(bench._ModelBench, "time_idle_guest", time_layer("glue", "idle_guest_times"))
    bench.run_benchmark(["mlp"], rounds=1, repeat=2)

    layers = ["native", "host", "calls", "glue", "guest"]
    forward = [(backend, layer) for backend in ("onnxruntime", "tract") for layer in layers]
    assert blocks == forward + forward[::-1]


@pytest.mark.parametrize("linking", ["glue", "bare"])
def test_the_idle_layers_run_the_guest_s_rounds_with_nothing_behind_them(tmp_path: Path, linking: str) -> None:
    """The glue and calls layers: the same guest, its rounds stamped, no model ever loaded."""
    (tmp_path / "mlp.onnx").write_bytes(b"not a model: the idle host never reads it")
    (tmp_path / "input.bin").write_bytes(bench.bench_input("mlp").tobytes())
    host = bench.IdleHost(output_bytes=16)
    link = bench.link_answering_success if linking == "bare" else conformance_link
    options = GuestOptions(argv=("bench", "mlp.onnx", "input.bin", "5", "1", "16"), dirs=[(str(tmp_path), ".")])
    run = run_guest(bench.BENCH_GUEST, lambda bindings: host, nn, options, linking=link)
    assert (run.exit_code, run.stderr, run.trap) == (0, b"", None)
    assert len(host.round_starts) == 5
    # Through the glue the result is stored in guest memory; bare calls store nothing.
    output_bytes = 0 if linking == "bare" else 16
    assert run.stdout == f"bench: 5 rounds, output 0 is {output_bytes} bytes\n".encode()


def test_main_prints_the_table_and_writes_json_and_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = bench.main(["--models", "mlp", "--rounds", "5", "--repeat", "1", "--out", str(tmp_path / "bench")])

    assert status == 0
    printed = capsys.readouterr().out
    assert "mlp            onnxruntime" in printed
    assert "mlp            tract" in printed
    assert "target mlp on onnxruntime: the host's own part of a round" in printed
    assert "mlp on onnxruntime: engine " in printed
    assert "mlp: tract takes" in printed
    written = json.loads((tmp_path / "bench" / "bench.json").read_text(encoding="utf-8"))
    assert {"created", "settings", "machine", "packages", "results", "targets", "comparisons"} <= written.keys()
    assert [result["backend"] for result in written["results"]] == ["onnxruntime", "tract"]
    for result in written["results"]:
        for key in ("native_us", "guest_us", "overhead_us", "ratio_percent"):
            assert np.isfinite(result[key])
        assert result["host_calls"]["set_input"] == bench.WARMUP_ROUNDS + 5 + 1
    markdown = (tmp_path / "bench" / "bench.md").read_text(encoding="utf-8")
    assert "| mlp | onnxruntime |" in markdown
    assert "| model | backend | engine | host | glue | calls | rest |" in markdown
    assert "| mlp | tract |" in markdown


def test_main_measures_the_backends_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bench"
    status = bench.main(["--models", "mlp", "--rounds", "2", "--repeat", "1", "--backend", "tract", "--out", str(out)])

    assert status == 0
    printed = capsys.readouterr().out
    assert "mlp            tract" in printed
    assert "onnxruntime" not in printed
    written = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert [result["backend"] for result in written["results"]] == ["tract"]
    assert written["settings"]["backends"] == ["tract"]

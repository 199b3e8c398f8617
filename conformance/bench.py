"""Benchmark: what the reference host adds to native onnxruntime for one inference round.

A *round* is what a guest does per inference once its model is loaded: ``set_input``,
``compute``, ``get_output``. For each model, in one process, this module times

- **native**: ``InferenceSession.run`` on a session made by the reference host's own backend
  (so the session options and providers are the same), and
- **guest**: the rounds of the ``bench.wat`` guest on the reference host, in-process through
  wasmtime-py: the wasm loop, three host calls through the ABI glue, the copies in and out of
  guest memory, and the same ``InferenceSession.run`` underneath.

How a guest round is isolated. The guest measures nothing (a clock import would itself be a
host call inside the loop). Its rounds are the only repeated work it does, so the host it
runs on records the time at which each ``set_input`` call begins: the time between two
consecutive ``set_input`` calls is exactly one round, the guest's own loop and all three
host calls included, while loading the model, reading files and instantiating fall before
the first stamp. Native rounds are stamped the same way, at the start of each ``run``. Both
sides run a few untimed warm-up rounds first (a fresh session's first runs allocate), and
the host counts every call, so a report also proves that the guest did the rounds asked for.

Repetitions alternate native and guest (and which goes first) to cancel slow drift in the
machine's speed; the per-round times of all repetitions are pooled and their medians
compared. Timings are reported, never asserted: whether the design's targets are met is a
field of the report.

Run ``python -m conformance.bench --out reports/bench`` (``--help`` for the options).
"""

from __future__ import annotations

import argparse
import enum
import gc
import importlib.metadata
import itertools
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, astuple, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

import conformance
from conformance import models
from conformance.bindings import GuestPointer
from conformance.host import GuestOptions, ReferenceHost, run_guest
from conformance.host.backend import OnnxRuntimeBackend
from conformance.revisions import revision

BENCH_GUEST = Path(__file__).parent / "fixtures" / "guests" / "bench.wat"
"""The guest whose rounds are timed (``bench MODEL INPUT ROUNDS D0 [D1 ...]``)."""

DEFAULT_MODELS = ("mlp", "mobilenet_v2")
"""The models benchmarked by default: a tiny one, where the fixed cost per call shows, and a
MobileNetV2-sized one, where the copies of a 588 KiB input show."""

DEFAULT_REPEAT = 10
"""Repetitions per model; each is one native block and one guest run."""

WARMUP_ROUNDS = 3
"""Untimed rounds at the start of every native block and guest run."""

DEFAULT_OUT = Path("reports") / "bench"
"""Where :func:`main` writes ``bench.json`` and ``bench.md`` by default (relative to the working folder)."""

_GUEST_SUMMARY = re.compile(rb"bench: (\d+) rounds, output 0 is (\d+) bytes\n")


def default_rounds(model: str) -> int:
    """Timed rounds per repetition for ``model`` when none are given.

    Chosen so that the default run (two models, ten repetitions) takes about 15 s on a
    2-core machine: a classifier round takes milliseconds, a tiny model's microseconds.
    """
    return 150 if "classifier" in models.FIXTURES[model].tags else 2000


@dataclass(frozen=True, slots=True)
class Target:
    """A performance target of the design, and whether the measurement met it."""

    model: str
    metric: str
    """``overhead_us`` or ``ratio_percent``, a field of :class:`ModelResult`."""
    limit: float
    """The target is met when the metric is below this."""
    value: float
    met: bool
    description: str


#: The design's targets, as (model, metric, limit, description). The 50 µs bound is on the
#: fixed cost per round, which the tiny model exposes; the larger model's copies of its
#: input make its overhead grow with size, so it is held to the relative bound.
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("mlp", "overhead_us", 50.0, "overhead per round under 50 µs"),
    ("mobilenet_v2", "ratio_percent", 3.0, "overhead under 3 % of a native round"),
)


@dataclass(frozen=True, slots=True)
class HostCalls:
    """How many times the guest called each wasi-nn function during one run, summed over runs."""

    load: int = 0
    init_execution_context: int = 0
    set_input: int = 0
    compute: int = 0
    get_output: int = 0

    def __add__(self, other: HostCalls) -> HostCalls:
        return HostCalls(*(mine + theirs for mine, theirs in zip(astuple(self), astuple(other), strict=True)))


@dataclass(frozen=True, slots=True)
class ModelResult:
    """The measurements of one model; times are medians of per-round times, in µs."""

    model: str
    input_shape: tuple[int, ...]
    output_bytes: int
    rounds: int
    """Timed rounds per repetition, on each side."""
    repeat: int
    native_us: float
    guest_us: float
    overhead_us: float
    """``guest_us - native_us``."""
    ratio_percent: float
    """``(guest_us / native_us - 1) * 100``."""
    native_us_by_repetition: tuple[float, ...]
    guest_us_by_repetition: tuple[float, ...]
    guest_rounds_run: int
    """Rounds the guest asked for over all its runs (warm-up included), from its own summary line."""
    host_calls: HostCalls


@dataclass(frozen=True, slots=True)
class BenchReport:
    """A whole benchmark run: settings, machine, package versions, results and targets."""

    created: str
    settings: dict[str, Any]
    machine: dict[str, Any]
    packages: dict[str, str]
    results: tuple[ModelResult, ...]
    targets: tuple[Target, ...] = field(default=())


class BenchError(RuntimeError):
    """The benchmark could not measure (the guest failed, or did not do the rounds asked for)."""


class RoundTimingHost(ReferenceHost):
    """The reference host, also stamping the start of each round and counting every call.

    ``round_starts`` holds ``time.perf_counter_ns()`` taken first thing in each
    ``set_input``. The stamp and the count cost well under a microsecond, and the native
    loop takes a stamp per round too.
    """

    def __init__(self, bindings: ModuleType) -> None:
        super().__init__(bindings)
        self.round_starts: list[int] = []
        self.loads = 0
        self.contexts_created = 0
        self.computes = 0
        self.outputs_read = 0

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Count, then load."""
        self.loads += 1
        return super().load(builder, encoding, target)

    def init_execution_context(self, graph: int) -> int:
        """Count, then create the context."""
        self.contexts_created += 1
        return super().init_execution_context(graph)

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Stamp the start of a round, then bind the input."""
        self.round_starts.append(time.perf_counter_ns())
        super().set_input(context, index, tensor)

    def compute(self, context: int) -> None:
        """Count, then infer."""
        self.computes += 1
        super().compute(context)

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Count, then copy the output out."""
        self.outputs_read += 1
        return super().get_output(context, index, out_buffer, out_buffer_max_size)

    def calls(self) -> HostCalls:
        """The calls received so far."""
        return HostCalls(self.loads, self.contexts_created, len(self.round_starts), self.computes, self.outputs_read)


def _per_round_us(starts: Sequence[int]) -> list[float]:
    """Per-round times in µs from the start stamps of consecutive rounds, warm-up rounds left out."""
    timed = starts[WARMUP_ROUNDS:]
    return [(later - earlier) / 1000 for earlier, later in itertools.pairwise(timed)]


def bench_input(model: str) -> npt.NDArray[np.float32]:
    """The input the benchmark feeds ``model``: the demo image for classifiers, else seeded noise."""
    fixture = models.FIXTURES[model]
    if len(fixture.inputs) != 1 or fixture.inputs[0].tensor_type != "f32" or fixture.inputs[0].is_dynamic:
        raise BenchError(f"{model}: the bench guest feeds one f32 input of a fixed shape")
    if "classifier" in fixture.tags:
        return models.demo_image()
    shape = fixture.inputs[0].concrete_shape({})
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


class _ModelBench:
    """Everything needed to time one model: a native session and the guest's files."""

    def __init__(self, model: str, rounds: int, folder: Path) -> None:
        self.model = model
        self.rounds = rounds
        self.input = bench_input(model)
        model_bytes = models.model_bytes(model)
        # The reference host's backend makes the native session, so both sides run with the
        # same session options and providers.
        graph = OnnxRuntimeBackend().load([memoryview(model_bytes)], "onnx", "cpu")
        self.session = graph.session
        self.feeds = {graph.inputs[0].name: self.input}
        self.output_bytes = int(np.asarray(self.session.run(None, self.feeds)[0]).nbytes)
        self.folder = folder
        (folder / "model.onnx").write_bytes(model_bytes)
        (folder / "input.bin").write_bytes(self.input.astype("<f4").tobytes())
        self.native_times: list[list[float]] = []
        self.guest_times: list[list[float]] = []
        self.guest_rounds_run = 0
        self.calls = HostCalls()

    @property
    def rounds_per_run(self) -> int:
        """Rounds per block or guest run: warm-up, timed, and one more whose start ends the last timed one."""
        return WARMUP_ROUNDS + self.rounds + 1

    def time_native(self) -> None:
        """One block of native rounds."""
        run = self.session.run
        feeds = self.feeds
        starts: list[int] = []
        for _ in range(self.rounds_per_run):
            starts.append(time.perf_counter_ns())
            run(None, feeds)
        self.native_times.append(_per_round_us(starts))

    def time_guest(self) -> None:
        """One run of the guest, with its rounds stamped by the host."""
        hosts: list[RoundTimingHost] = []

        def make_host(bindings: ModuleType) -> RoundTimingHost:
            hosts.append(RoundTimingHost(bindings))
            return hosts[-1]

        dims = [str(size) for size in self.input.shape]
        argv = ("bench", "model.onnx", "input.bin", str(self.rounds_per_run), *dims)
        run = run_guest(
            BENCH_GUEST, make_host, revision().bindings, GuestOptions(argv=argv, dirs=[(str(self.folder), ".")])
        )
        summary = _GUEST_SUMMARY.fullmatch(run.stdout)
        if run.exit_code != 0 or run.trap is not None or summary is None:
            detail = run.trap or run.stderr.decode(errors="replace").strip()
            raise BenchError(f"{self.model}: the bench guest failed (exit {run.exit_code}): {detail}")
        rounds_done, output_bytes = int(summary[1]), int(summary[2])
        (host,) = hosts
        calls = host.calls()
        expected = HostCalls(1, 1, self.rounds_per_run, self.rounds_per_run, self.rounds_per_run)
        if rounds_done != self.rounds_per_run or calls != expected:
            raise BenchError(f"{self.model}: asked for {self.rounds_per_run} rounds, got {rounds_done}: {calls}")
        if output_bytes != self.output_bytes:
            raise BenchError(f"{self.model}: the guest got {output_bytes} output bytes, native {self.output_bytes}")
        self.guest_times.append(_per_round_us(host.round_starts))
        self.guest_rounds_run += rounds_done
        self.calls += calls

    def result(self) -> ModelResult:
        """The medians over all repetitions."""
        native_us = statistics.median(round_us for block in self.native_times for round_us in block)
        guest_us = statistics.median(round_us for block in self.guest_times for round_us in block)
        return ModelResult(
            model=self.model,
            input_shape=tuple(int(size) for size in self.input.shape),
            output_bytes=self.output_bytes,
            rounds=self.rounds,
            repeat=len(self.guest_times),
            native_us=native_us,
            guest_us=guest_us,
            overhead_us=guest_us - native_us,
            ratio_percent=(guest_us / native_us - 1) * 100,
            native_us_by_repetition=tuple(statistics.median(block) for block in self.native_times),
            guest_us_by_repetition=tuple(statistics.median(block) for block in self.guest_times),
            guest_rounds_run=self.guest_rounds_run,
            host_calls=self.calls,
        )


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Collect now, then keep the collector off until the block ends.

    A collection pausing inside a timed round would be noise, not overhead; the timed code
    makes no reference cycles, so nothing piles up while it is off.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_benchmark(
    model_names: Sequence[str] = DEFAULT_MODELS,
    rounds: int | None = None,
    repeat: int = DEFAULT_REPEAT,
    progress: Callable[[str], None] | None = None,
) -> BenchReport:
    """Measure every model in ``model_names``; ``rounds`` ``None`` takes :func:`default_rounds`.

    ``progress``, if given, is told what is being measured as the run goes on.
    """
    if repeat < 1 or (rounds is not None and rounds < 1):
        raise ValueError("rounds and repeat must be at least 1")
    with tempfile.TemporaryDirectory(prefix="wasi-nn-bench-") as scratch:
        benches = []
        for name in model_names:
            folder = Path(scratch) / name
            folder.mkdir()
            benches.append(_ModelBench(name, default_rounds(name) if rounds is None else rounds, folder))
        for repetition in range(repeat):
            for bench in benches:
                if progress is not None:
                    progress(f"{bench.model}: repetition {repetition + 1} of {repeat}")
                # Alternate which side goes first, so that neither always runs on a warmer machine.
                sides = (bench.time_native, bench.time_guest)
                with _garbage_collection_paused():
                    for time_side in sides if repetition % 2 == 0 else reversed(sides):
                        time_side()
        results = tuple(bench.result() for bench in benches)
    return BenchReport(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={
            "models": list(model_names),
            "rounds": {result.model: result.rounds for result in results},
            "repeat": repeat,
            "warmup_rounds": WARMUP_ROUNDS,
            "revision": revision().name,
        },
        machine=machine_info(),
        packages=package_versions(),
        results=results,
        targets=evaluate_targets(results),
    )


def evaluate_targets(results: Sequence[ModelResult]) -> tuple[Target, ...]:
    """The design's targets that apply to the models measured, each met or not."""
    by_model = {result.model: result for result in results}
    targets = []
    for model, metric, limit, description in TARGETS:
        if model in by_model:
            value = float(getattr(by_model[model], metric))
            targets.append(Target(model, metric, limit, value, value < limit, description))
    return tuple(targets)


def machine_info() -> dict[str, Any]:
    """The machine the numbers come from."""
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model() or platform.processor(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        # Recorded because it changes which OpenBLAS kernels numpy uses; never set here.
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }


def _cpu_model() -> str | None:
    """The CPU's model name on Linux (``platform.processor()`` is often empty there)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return None


def package_versions() -> dict[str, str]:
    """The versions of the packages whose speed is measured."""
    versions = {"wasi-nn-conformance": conformance.__version__}
    for package in ("onnxruntime", "wasmtime", "numpy", "onnx"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def report_json(report: BenchReport) -> str:
    """The report as JSON; every time is in µs."""
    return json.dumps(asdict(report), indent=2, allow_nan=False) + "\n"


def format_table(report: BenchReport) -> str:
    """The results as a small plain-text table, with the targets below it."""
    header = f"{'model':<14} {'rounds':>9} {'native µs':>11} {'guest µs':>11} {'overhead µs':>12} {'ratio':>9}"
    lines = [header, "-" * len(header)]
    for result in report.results:
        lines.append(
            f"{result.model:<14} {f'{result.rounds}x{result.repeat}':>9} {result.native_us:>11.1f} "
            f"{result.guest_us:>11.1f} {result.overhead_us:>12.1f} {result.ratio_percent:>+8.1f}%"
        )
    for target in report.targets:
        verdict = "met" if target.met else "NOT met"
        lines.append(f"target {target.model}: {target.description}: {verdict} ({target.metric} = {target.value:.1f})")
    return "\n".join(lines) + "\n"


def report_markdown(report: BenchReport) -> str:
    """A short Markdown summary of the report."""
    machine = report.machine
    packages = ", ".join(f"{name} {version}" for name, version in report.packages.items())
    lines = [
        "# Reference host overhead over native onnxruntime",
        "",
        f"Measured {report.created} on {machine['platform']} ({machine['processor']}, "
        f"{machine['cpu_count']} CPUs), Python {machine['python']}; {packages}.",
        "",
        "One round is set_input + compute + get_output. Times are medians of per-round times in µs, "
        f"pooled over {report.settings['repeat']} interleaved repetitions "
        f"({report.settings['warmup_rounds']} warm-up rounds left out of each).",
        "",
        "| model | timed rounds | native µs | guest µs | overhead µs | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for result in report.results:
        lines.append(
            f"| {result.model} | {result.rounds} x {result.repeat} | {result.native_us:.1f} | {result.guest_us:.1f} "
            f"| {result.overhead_us:.1f} | {result.ratio_percent:+.1f} % |"
        )
    if report.targets:
        lines += ["", "Targets:", ""]
        for target in report.targets:
            verdict = "met" if target.met else "**not met**"
            lines.append(f"- {target.model}: {target.description}: {verdict} ({target.metric} = {target.value:.1f})")
    return "\n".join(lines) + "\n"


def write_report(report: BenchReport, out_dir: Path) -> tuple[Path, Path]:
    """Write ``bench.json`` and ``bench.md`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "bench.json"
    markdown_path = out_dir / "bench.md"
    json_path.write_text(report_json(report), encoding="utf-8")
    markdown_path.write_text(report_markdown(report), encoding="utf-8")
    return json_path, markdown_path


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance.bench``: measure, print the table, write the report; returns 0."""
    benchmark_models = sorted(name for name, fixture in models.FIXTURES.items() if "benchmark" in fixture.tags)
    parser = argparse.ArgumentParser(
        prog="python -m conformance.bench",
        description="Measure the reference host's overhead over native onnxruntime per "
        "set_input + compute + get_output round, driven from a wasm guest.",
    )
    parser.add_argument(
        "--rounds",
        type=_positive,
        metavar="N",
        help="timed rounds per repetition, for every model (default: 2000, or 150 for classifiers)",
    )
    parser.add_argument(
        "--repeat", type=_positive, default=DEFAULT_REPEAT, metavar="N", help=f"repetitions (default: {DEFAULT_REPEAT})"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="DIR", help=f"report folder (default: {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=benchmark_models,
        default=list(DEFAULT_MODELS),
        metavar="MODEL",
        help=f"fixture models to measure, among {', '.join(benchmark_models)} (default: {' '.join(DEFAULT_MODELS)})",
    )
    arguments = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    report = run_benchmark(arguments.models, arguments.rounds, arguments.repeat, progress)
    json_path, markdown_path = write_report(report, arguments.out)
    print(format_table(report), end="")
    print(f"wrote {json_path} and {markdown_path} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

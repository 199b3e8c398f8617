"""Benchmark: what the reference host adds to native onnxruntime and tract for one inference round.

A *round* is what a guest does per inference once its model is loaded: ``set_input``,
``compute``, ``get_output``. For each model and each backend of the reference host
(onnxruntime and tract, :data:`conformance.host.BACKENDS`), in one process, this module times

- **native**: ``Graph.run`` on a graph loaded by the backend the guest's host uses, so both
  sides run the engine as the host sets it up (session options and providers for
  onnxruntime, one execution state reused by every run for tract). It is the very call the
  host makes under ``compute``, so the difference is all the host's; it is
  ``InferenceSession.run`` plus a dict of feeds, or tract's ``State.run`` plus turning the
  outputs into numpy arrays, and
- **guest**: the rounds of the ``bench.wat`` guest on the reference host over that backend,
  in-process through wasmtime-py: the wasm loop, three host calls through the ABI glue, the
  copies in and out of guest memory, and the same ``Graph.run`` underneath.

How a guest round is isolated. The guest measures nothing (a clock import would itself be a
host call inside the loop). Its rounds are the only repeated work it does, so the host it
runs on records the time at which each ``set_input`` call begins: the time between two
consecutive ``set_input`` calls is exactly one round, the guest's own loop and all three
host calls included, while loading the model, reading files and instantiating fall before
the first stamp. Native rounds are stamped the same way, at the start of each ``run``. Both
sides run a few untimed warm-up rounds first (a fresh session's first runs allocate), and
the host counts every call, so a report also proves that the guest did the rounds asked for.

Where the time of a guest round goes is measured the same way, layer by layer, each a block
of rounds of its own:

- **host**: the reference host's ``set_input``, ``compute`` and ``get_output`` called from
  Python with arguments already decoded, no guest: the engine and the host's own work
  (checks, the copies in and out);
- **glue**: the bench guest on a host that does nothing, linked by the reference glue
  (:func:`conformance.host.linker.link`): the calls into Python and the glue's reading of
  guest memory, decoding, checks and result stores, but no host work;
- **calls**: the bench guest with every wasi-nn import answering success at once, not linked
  by the glue: what a call from wasm into Python costs through wasmtime-py, and the guest's loop.

So a round is the engine (native), the host's own work (host - native), the glue (glue -
calls) and the calls (calls), and whatever the guest round takes beyond these (guest - host -
glue): the cost of running them together, such as caches gone cold between calls.
:class:`RoundBreakdown` holds these.

Within a repetition a model's blocks run one after the other (onnxruntime native, onnxruntime
guest, tract native, tract guest), and every other repetition runs them in the reverse
order, which cancels slow drift in the machine's speed both between native and guest and
between the backends; the per-round times of all repetitions are pooled and their medians
compared. Timings are reported, never asserted: whether the design's targets are met is a
field of the report. The targets are about the overhead over onnxruntime, the default
backend, and are evaluated on its rows only; tract is compared with onnxruntime instead.

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
from typing import Any

import numpy as np
import numpy.typing as npt
import wasmtime

import conformance
from conformance import fixture_models
from conformance.bindings import GuestPointer
from conformance.errors import ConformanceError, UsageError
from conformance.host import BACKENDS, GuestOptions, ReferenceHost, make_backend, run_guest
from conformance.host.backend import Backend
from conformance.host.linker import core_type, link
from conformance.host.runner import Linking
from conformance.paths import GUESTS_DIR
from conformance.revisions import Bindings, revision

BENCH_GUEST = GUESTS_DIR / "bench.wat"
"""The guest whose rounds are timed (``bench MODEL INPUT ROUNDS D0 [D1 ...]``)."""

DEFAULT_MODELS = ("mlp", "mobilenet_v2")
"""The models benchmarked by default: a tiny one, where the fixed cost per call shows, and a
MobileNetV2-sized one, where the copies of a 588 KiB input show."""

DEFAULT_BACKENDS = BACKENDS
"""The backends benchmarked by default: all of the reference host's."""

TARGET_BACKEND = "onnxruntime"
"""The backend the design's :data:`TARGETS` are about, and the one other backends are compared with."""

DEFAULT_REPEAT = 10
"""Repetitions per model; each is one native block and one guest run per backend."""

WARMUP_ROUNDS = 3
"""Untimed rounds at the start of every native block and guest run."""

DEFAULT_OUT = Path("reports") / "bench"
"""Where :func:`main` writes ``bench.json`` and ``bench.md`` by default (relative to the working folder)."""

_GUEST_SUMMARY = re.compile(rb"bench: (\d+) rounds, output 0 is (\d+) bytes\n")


def default_rounds(model: str) -> int:
    """Timed rounds per repetition for ``model`` when none are given.

    A classifier round takes milliseconds, a tiny model's microseconds. The default run (two
    models, two backends, ten repetitions) takes about 100 s on a 2-core machine, two thirds
    of it tract's MobileNetV2 rounds.
    """
    return 150 if "classifier" in fixture_models.FIXTURES[model].tags else 2000


@dataclass(frozen=True, slots=True)
class Target:
    """A performance target of the design, and whether the measurement met it."""

    backend: str
    """Always :data:`TARGET_BACKEND`: the targets are about the overhead over onnxruntime."""
    model: str
    metric: str
    """``overhead_us`` or ``ratio_percent``, a field of :class:`ModelResult`."""
    limit: float
    """The target is met when the metric is below this."""
    value: float
    met: bool
    description: str


#: The design's targets for the :data:`TARGET_BACKEND` rows, as (model, metric, limit,
#: description). On the tiny model a round is mostly fixed costs, and the largest of them is
#: not the reference host's: three calls from wasm into Python through wasmtime-py take about
#: 20 µs, and the engine runs slower between them than in a tight loop (the ``rest``), so the
#: bound is on the host's own part, the ABI glue and its work beyond the engine. The larger
#: model's copies of its input make its overhead grow with size, so it is held to the relative
#: bound. They were set against onnxruntime; a relative bound would mean something else over
#: a slower engine, so tract's rows are reported, not judged.
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("mlp", "own_us", 20.0, "the host's own part of a round (glue and work beyond the engine) under 20 µs"),
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
class RoundBreakdown:
    """Where the time of a guest round goes, in µs, from the layers measured (see the module's docstring).

    The five parts add up to the guest round; ``rest_us`` may be negative when running the
    layers together costs less than running them apart.
    """

    engine_us: float
    """The backend's own run: the native median."""
    host_us: float
    """The reference host's work beyond the engine: checks, the input copy, the output copy."""
    glue_us: float
    """The ABI glue: reading guest memory, decoding arguments, checks, storing results."""
    calls_us: float
    """Three calls from wasm into Python through wasmtime-py, and the guest's loop."""
    rest_us: float
    """The guest round less all of the above."""


@dataclass(frozen=True, slots=True)
class ModelResult:
    """The measurements of one model on one backend; times are medians of per-round times, in µs."""

    model: str
    backend: str
    """The reference host's backend, one of :data:`conformance.host.BACKENDS`, on both sides."""
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
    host_direct_us: float
    """A round of the reference host's three calls made from Python, no guest."""
    idle_guest_us: float
    """A round of the bench guest on a host that does nothing, through the reference glue."""
    bare_calls_us: float
    """A round of the bench guest whose wasi-nn imports answer success at once, without the glue."""
    breakdown: RoundBreakdown
    own_us: float
    """The reference host's own part of a round: ``breakdown.host_us + breakdown.glue_us``."""


@dataclass(frozen=True, slots=True)
class BackendComparison:
    """How long a round of one model takes on ``backend`` relative to :data:`TARGET_BACKEND`."""

    model: str
    backend: str
    baseline: str
    native_ratio: float
    """``backend``'s native median over ``baseline``'s: above 1 when ``backend`` is slower."""
    guest_ratio: float
    """The same for rounds through the guest."""


@dataclass(frozen=True, slots=True)
class BenchReport:
    """A whole benchmark run: settings, machine, package versions, results, targets and comparisons."""

    created: str
    settings: dict[str, Any]
    machine: dict[str, Any]
    packages: dict[str, str]
    results: tuple[ModelResult, ...]
    targets: tuple[Target, ...] = field(default=())
    comparisons: tuple[BackendComparison, ...] = field(default=())


class BenchError(ConformanceError, RuntimeError):
    """The benchmark could not measure (the guest failed, or did not do the rounds asked for)."""


class RoundTimingHost(ReferenceHost):
    """The reference host, also stamping the start of each round and counting every call.

    ``round_starts`` holds ``time.perf_counter_ns()`` taken first thing in each
    ``set_input``. The stamp and the count cost well under a microsecond, and the native
    loop takes a stamp per round too.
    """

    def __init__(self, bindings: Bindings, backend: Backend | None = None) -> None:
        super().__init__(bindings, backend)
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


class IdleHost:
    """A host of the bench guest that does no work, stamping the start of each round.

    Linked by the reference glue, a round on it costs the glue and the calls, nothing else.
    Its handles are all 0, and its one output is ``output_bytes`` long.
    """

    def __init__(self, output_bytes: int = 0) -> None:
        self.round_starts: list[int] = []
        self.output_bytes = output_bytes

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load nothing."""
        return 0

    def load_by_name(self, name: str) -> int:
        """Load nothing."""
        return 0

    def init_execution_context(self, graph: int) -> int:
        """Create nothing."""
        return 0

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Stamp the start of a round."""
        self.round_starts.append(time.perf_counter_ns())

    def compute(self, context: int) -> None:
        """Compute nothing."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy nothing; say the output is ``output_bytes`` long."""
        return self.output_bytes


def link_answering_success(linker: wasmtime.Linker, host: object, bindings: Bindings) -> None:
    """Define every wasi-nn function as one that answers success at once, without the reference glue.

    ``host`` is an :class:`IdleHost`, whose ``round_starts`` the ``set_input`` import stamps.
    Nothing is read from or written to guest memory.
    """
    assert isinstance(host, IdleHost)
    success = wasmtime.Val.i32(int(bindings.NnErrno.SUCCESS))
    stamps = host.round_starts

    def answer(caller: wasmtime.Caller, *arguments: int) -> wasmtime.Val:
        return success

    def stamp(caller: wasmtime.Caller, *arguments: int) -> wasmtime.Val:
        stamps.append(time.perf_counter_ns())
        return success

    for name, signature in bindings.FUNCTIONS.items():
        function = stamp if name == "set_input" else answer
        linker.define_func(bindings.MODULE_NAME, name, core_type(signature), function, access_caller=True)


def _per_round_us(starts: Sequence[int]) -> list[float]:
    """Per-round times in µs from the start stamps of consecutive rounds, warm-up rounds left out."""
    timed = starts[WARMUP_ROUNDS:]
    return [(later - earlier) / 1000 for earlier, later in itertools.pairwise(timed)]


def bench_input(model: str) -> npt.NDArray[np.float32]:
    """The input the benchmark feeds ``model``: the demo image for classifiers, else seeded noise."""
    fixture = fixture_models.FIXTURES[model]
    if len(fixture.inputs) != 1 or fixture.inputs[0].tensor_type != "f32" or fixture.inputs[0].is_dynamic:
        raise BenchError(f"{model}: the bench guest feeds one f32 input of a fixed shape")
    if "classifier" in fixture.tags:
        return fixture_models.demo_image()
    shape = fixture.inputs[0].concrete_shape({})
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _write_guest_files(model: str, folder: Path) -> None:
    """Put the files the bench guest reads, ``model.onnx`` and ``input.bin``, into ``folder``."""
    (folder / "model.onnx").write_bytes(fixture_models.model_bytes(model))
    (folder / "input.bin").write_bytes(bench_input(model).astype("<f4").tobytes())


class _ModelBench:
    """Everything needed to time one model on one backend: a native graph and the guest's folder."""

    def __init__(self, model: str, backend_name: str, rounds: int, folder: Path) -> None:
        self.model = model
        self.backend_name = backend_name
        self.label = f"{model} on {backend_name}"
        self.rounds = rounds
        self.input = bench_input(model)
        # One backend makes the native graph and serves every guest run, so both sides run
        # the engine as the host sets it up.
        self.backend = make_backend(backend_name)
        self.graph = self.backend.load([memoryview(fixture_models.model_bytes(model))], "onnx", "cpu")
        self.output_bytes = int(np.asarray(self.graph.run([self.input])[0]).nbytes)
        self.folder = folder
        self.direct = self._direct_host()
        self.native_times: list[list[float]] = []
        self.guest_times: list[list[float]] = []
        self.host_direct_times: list[list[float]] = []
        self.idle_guest_times: list[list[float]] = []
        self.bare_calls_times: list[list[float]] = []
        self.guest_rounds_run = 0
        self.calls = HostCalls()

    def _direct_host(self) -> tuple[ReferenceHost, int, Any, GuestPointer]:
        """The direct blocks' reference host, over the same backend: a context of the model, its input, a buffer."""
        bindings = revision().bindings
        host = ReferenceHost(bindings, self.backend)
        graph = host.load(
            [memoryview(fixture_models.model_bytes(self.model))],
            bindings.GraphEncoding.ONNX,
            bindings.ExecutionTarget.CPU,
        )
        # Bindings types each record as the union of the revisions' classes, which no call fits.
        make_tensor: Callable[..., Any] = bindings.TensorValue
        tensor = make_tensor(list(self.input.shape), bindings.TensorType.F32, memoryview(self.input.tobytes()))
        output = GuestPointer(0, memoryview(bytearray(self.output_bytes)))
        return host, host.init_execution_context(graph), tensor, output

    @property
    def rounds_per_run(self) -> int:
        """Rounds per block or guest run: warm-up, timed, and one more whose start ends the last timed one."""
        return WARMUP_ROUNDS + self.rounds + 1

    def time_native(self) -> None:
        """One block of native rounds."""
        run = self.graph.run
        inputs = [self.input]
        starts: list[int] = []
        for _ in range(self.rounds_per_run):
            starts.append(time.perf_counter_ns())
            run(inputs)
        self.native_times.append(_per_round_us(starts))

    def time_host_direct(self) -> None:
        """One block of rounds of the reference host's three calls, made from Python with decoded arguments."""
        host, context, tensor, output = self.direct
        starts: list[int] = []
        for _ in range(self.rounds_per_run):
            starts.append(time.perf_counter_ns())
            host.set_input(context, 0, tensor)
            host.compute(context)
            host.get_output(context, 0, output, self.output_bytes)
        self.host_direct_times.append(_per_round_us(starts))

    def time_idle_guest(self) -> None:
        """One run of the guest on a host that does nothing, through the reference glue."""
        self.idle_guest_times.append(self._time_idle(link))

    def time_bare_calls(self) -> None:
        """One run of the guest whose wasi-nn imports answer success at once."""
        self.bare_calls_times.append(self._time_idle(link_answering_success))

    def _time_idle(self, linking: Linking) -> list[float]:
        host = IdleHost(self.output_bytes)
        run = run_guest(BENCH_GUEST, lambda bindings: host, revision().bindings, self._guest_options(), linking=linking)
        if run.exit_code != 0 or run.trap is not None or len(host.round_starts) != self.rounds_per_run:
            detail = run.trap or run.stderr.decode(errors="replace").strip()
            raise BenchError(f"{self.label}: the bench guest failed on an idle host (exit {run.exit_code}): {detail}")
        return _per_round_us(host.round_starts)

    def _guest_options(self) -> GuestOptions:
        dims = [str(size) for size in self.input.shape]
        argv = ("bench", "model.onnx", "input.bin", str(self.rounds_per_run), *dims)
        return GuestOptions(argv=argv, dirs=[(str(self.folder), ".")])

    def time_guest(self) -> None:
        """One run of the guest, with its rounds stamped by the host."""
        hosts: list[RoundTimingHost] = []

        def make_host(bindings: Bindings) -> RoundTimingHost:
            hosts.append(RoundTimingHost(bindings, self.backend))
            return hosts[-1]

        run = run_guest(BENCH_GUEST, make_host, revision().bindings, self._guest_options())
        summary = _GUEST_SUMMARY.fullmatch(run.stdout)
        if run.exit_code != 0 or run.trap is not None or summary is None:
            detail = run.trap or run.stderr.decode(errors="replace").strip()
            raise BenchError(f"{self.label}: the bench guest failed (exit {run.exit_code}): {detail}")
        rounds_done, output_bytes = int(summary[1]), int(summary[2])
        (host,) = hosts
        calls = host.calls()
        expected = HostCalls(1, 1, self.rounds_per_run, self.rounds_per_run, self.rounds_per_run)
        if rounds_done != self.rounds_per_run or calls != expected:
            raise BenchError(f"{self.label}: asked for {self.rounds_per_run} rounds, got {rounds_done}: {calls}")
        if output_bytes != self.output_bytes:
            raise BenchError(f"{self.label}: the guest got {output_bytes} output bytes, native {self.output_bytes}")
        self.guest_times.append(_per_round_us(host.round_starts))
        self.guest_rounds_run += rounds_done
        self.calls += calls

    def result(self) -> ModelResult:
        """The medians over all repetitions."""
        native_us = _pooled_median(self.native_times)
        guest_us = _pooled_median(self.guest_times)
        host_direct_us = _pooled_median(self.host_direct_times)
        idle_guest_us = _pooled_median(self.idle_guest_times)
        bare_calls_us = _pooled_median(self.bare_calls_times)
        breakdown = RoundBreakdown(
            engine_us=native_us,
            host_us=host_direct_us - native_us,
            glue_us=idle_guest_us - bare_calls_us,
            calls_us=bare_calls_us,
            rest_us=guest_us - host_direct_us - idle_guest_us,
        )
        return ModelResult(
            model=self.model,
            backend=self.backend_name,
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
            host_direct_us=host_direct_us,
            idle_guest_us=idle_guest_us,
            bare_calls_us=bare_calls_us,
            breakdown=breakdown,
            own_us=breakdown.host_us + breakdown.glue_us,
        )


def _pooled_median(blocks: Sequence[Sequence[float]]) -> float:
    return statistics.median(round_us for block in blocks for round_us in block)


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
    backends: Sequence[str] = DEFAULT_BACKENDS,
) -> BenchReport:
    """Measure every model in ``model_names`` on every backend in ``backends``.

    ``rounds`` ``None`` takes :func:`default_rounds`; every backend runs the same rounds of a
    model. ``progress``, if given, is told what is being measured as the run goes on.
    """
    if repeat < 1 or (rounds is not None and rounds < 1):
        raise UsageError("rounds and repeat must be at least 1")
    backends = list(dict.fromkeys(backends))
    if not backends or not set(backends) <= set(BACKENDS):
        raise UsageError(f"backends must be some of {', '.join(BACKENDS)}, got {backends}")
    with tempfile.TemporaryDirectory(prefix="wasi-nn-bench-") as scratch:
        benches_by_model: dict[str, list[_ModelBench]] = {}
        for name in model_names:
            folder = Path(scratch) / name
            folder.mkdir()
            _write_guest_files(name, folder)
            model_rounds = default_rounds(name) if rounds is None else rounds
            benches_by_model[name] = [_ModelBench(name, backend, model_rounds, folder) for backend in backends]
        for repetition in range(repeat):
            for name, benches in benches_by_model.items():
                if progress is not None:
                    progress(f"{name} on {' and '.join(backends)}: repetition {repetition + 1} of {repeat}")
                blocks = [
                    block
                    for bench in benches
                    for block in (
                        bench.time_native,
                        bench.time_host_direct,
                        bench.time_bare_calls,
                        bench.time_idle_guest,
                        bench.time_guest,
                    )
                ]
                # Every other repetition runs the blocks in reverse, so that no side and no
                # backend always runs on a warmer (or a more tired) machine.
                with _garbage_collection_paused():
                    for time_block in blocks if repetition % 2 == 0 else reversed(blocks):
                        time_block()
        results = tuple(bench.result() for benches in benches_by_model.values() for bench in benches)
    return BenchReport(
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={
            "models": list(model_names),
            "backends": backends,
            "rounds": {result.model: result.rounds for result in results},
            "repeat": repeat,
            "warmup_rounds": WARMUP_ROUNDS,
            "revision": revision().name,
        },
        machine=machine_info(),
        packages=package_versions(),
        results=results,
        targets=evaluate_targets(results),
        comparisons=compare_backends(results),
    )


def evaluate_targets(results: Sequence[ModelResult]) -> tuple[Target, ...]:
    """The design's targets that apply to the :data:`TARGET_BACKEND` rows measured, each met or not."""
    by_model = {result.model: result for result in results if result.backend == TARGET_BACKEND}
    targets = []
    for model, metric, limit, description in TARGETS:
        if model in by_model:
            value = float(getattr(by_model[model], metric))
            targets.append(Target(TARGET_BACKEND, model, metric, limit, value, value < limit, description))
    return tuple(targets)


def compare_backends(results: Sequence[ModelResult]) -> tuple[BackendComparison, ...]:
    """Each other backend's times relative to :data:`TARGET_BACKEND`'s, for every model measured on both."""
    baselines = {result.model: result for result in results if result.backend == TARGET_BACKEND}
    return tuple(
        BackendComparison(
            model=result.model,
            backend=result.backend,
            baseline=TARGET_BACKEND,
            native_ratio=result.native_us / baselines[result.model].native_us,
            guest_ratio=result.guest_us / baselines[result.model].guest_us,
        )
        for result in results
        if result.backend != TARGET_BACKEND and result.model in baselines
    )


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
    for package in ("onnxruntime", "tract", "wasmtime", "numpy", "onnx"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def report_json(report: BenchReport) -> str:
    """The report as JSON; every time is in µs."""
    return json.dumps(asdict(report), indent=2, allow_nan=False) + "\n"


def _comparison_line(comparison: BackendComparison) -> str:
    """One line saying how much slower or faster ``comparison.backend`` is than its baseline."""
    return (
        f"{comparison.model}: {comparison.backend} takes {comparison.guest_ratio:.2f}x {comparison.baseline}'s "
        f"time per round through the guest ({comparison.native_ratio:.2f}x native)"
    )


def format_table(report: BenchReport) -> str:
    """The results as a small plain-text table, with the targets and the comparisons below it."""
    header = (
        f"{'model':<14} {'backend':<12} {'rounds':>9} {'native µs':>11} {'guest µs':>11} "
        f"{'overhead µs':>12} {'ratio':>9}"
    )
    lines = [header, "-" * len(header)]
    for result in report.results:
        lines.append(
            f"{result.model:<14} {result.backend:<12} {f'{result.rounds}x{result.repeat}':>9} "
            f"{result.native_us:>11.1f} {result.guest_us:>11.1f} {result.overhead_us:>12.1f} "
            f"{result.ratio_percent:>+8.1f}%"
        )
    lines += ["", "where a guest round goes, µs:"]
    for result in report.results:
        lines.append(f"{result.model} on {result.backend}: {_breakdown_line(result.breakdown)}")
    lines.append("")
    for target in report.targets:
        verdict = "met" if target.met else "NOT met"
        lines.append(
            f"target {target.model} on {target.backend}: {target.description}: {verdict} "
            f"({target.metric} = {target.value:.1f})"
        )
    lines += [_comparison_line(comparison) for comparison in report.comparisons]
    return "\n".join(lines) + "\n"


def _breakdown_line(breakdown: RoundBreakdown) -> str:
    """The parts of a round on one line, named as in the README's performance table."""
    return ", ".join(f"{name} {value:.1f}" for name, value in zip(_PART_NAMES, astuple(breakdown), strict=True))


_PART_NAMES = ("engine", "host", "glue", "calls", "rest")
"""Short names of the fields of :class:`RoundBreakdown`, in order."""


def report_markdown(report: BenchReport) -> str:
    """A short Markdown summary of the report."""
    machine = report.machine
    packages = ", ".join(f"{name} {version}" for name, version in report.packages.items())
    backends = " and ".join(report.settings["backends"])
    lines = [
        f"# Reference host overhead over native {backends}",
        "",
        f"Measured {report.created} on {machine['platform']} ({machine['processor']}, "
        f"{machine['cpu_count']} CPUs), Python {machine['python']}; {packages}.",
        "",
        "One round is set_input + compute + get_output. Native is the backend's own graph run, the "
        "call the host makes under compute. Times are medians of per-round times in µs, "
        f"pooled over {report.settings['repeat']} interleaved repetitions "
        f"({report.settings['warmup_rounds']} warm-up rounds left out of each).",
        "",
        "| model | backend | timed rounds | native µs | guest µs | overhead µs | ratio |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for result in report.results:
        lines.append(
            f"| {result.model} | {result.backend} | {result.rounds} x {result.repeat} | {result.native_us:.1f} "
            f"| {result.guest_us:.1f} | {result.overhead_us:.1f} | {result.ratio_percent:+.1f} % |"
        )
    lines += [
        "",
        "Where a guest round goes, in µs: the engine (native), the host's own work (host calls made from "
        "Python, less native), the ABI glue (the guest on an idle host, less bare calls), the calls "
        "(the guest with imports that answer at once) and the rest (the round less all of these).",
        "",
        "| model | backend | " + " | ".join(_PART_NAMES) + " |",
        "|---|---|" + "---:|" * len(_PART_NAMES),
    ]
    for result in report.results:
        parts = " | ".join(f"{value:.1f}" for value in astuple(result.breakdown))
        lines.append(f"| {result.model} | {result.backend} | {parts} |")
    if report.targets:
        lines += ["", f"Targets (the design's, about the overhead over {TARGET_BACKEND}):", ""]
        for target in report.targets:
            verdict = "met" if target.met else "**not met**"
            lines.append(
                f"- {target.model} on {target.backend}: {target.description}: {verdict} "
                f"({target.metric} = {target.value:.1f})"
            )
    if report.comparisons:
        lines += ["", "Backends compared:", ""]
        lines += [f"- {_comparison_line(comparison)}" for comparison in report.comparisons]
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
    benchmark_models = sorted(name for name, fixture in fixture_models.FIXTURES.items() if "benchmark" in fixture.tags)
    parser = argparse.ArgumentParser(
        prog="python -m conformance.bench",
        description="Measure the reference host's overhead over native onnxruntime and tract per "
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
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        dest="backends",
        metavar="BACKEND",
        help=f"a backend of the reference host to measure, among {', '.join(BACKENDS)}; "
        f"repeat it for several (default: {' '.join(DEFAULT_BACKENDS)})",
    )
    arguments = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"bench: {message}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    backends = arguments.backends or list(DEFAULT_BACKENDS)
    report = run_benchmark(arguments.models, arguments.rounds, arguments.repeat, progress, backends)
    json_path, markdown_path = write_report(report, arguments.out)
    print(format_table(report), end="")
    print(f"wrote {json_path} and {markdown_path} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

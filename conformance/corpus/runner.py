"""Running corpus cases through a host: many cases per guest process, resumed after the one that stopped it.

A *batch* is one driver script that runs case after case, each with a graph and a context of
its own: ``load`` (the model in the packaging the host declares), ``init_execution_context``,
``set_input`` for every input with its exact dimensions and type, ``compute``, and
``get_output`` for every output into a buffer of the exact size with canaries around it. The
transcript is cut back into cases by call number, and each case is judged on its own against
native onnxruntime (:mod:`conformance.corpus.oracle`).

When the host stops inside a batch (it crashes, hangs or runs out of memory at case k), the
cases before k keep their verdicts and the run resumes at k in a new process. So does a batch
in which a case after the first is refused at ``load`` or ``init_execution_context``: hosts
keep every graph until the process ends (the current revision has no way to free one), so a
refusal late in a batch may be a limit of the host rather than the case. The case is run
again first in a process of its own; what happens there is its verdict, and when it passes
there, batches are cut to the number of cases that fitted.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from numpy.typing import NDArray

from conformance.adapters.base import HostAdapter, RunOutcome
from conformance.adapters.packaging import ONNX_PACKAGINGS, onnx_builders
from conformance.corpus.cases import CorpusCase
from conformance.corpus.oracle import native_outputs
from conformance.corpus.outcomes import CaseOutcome
from conformance.errors import ConformanceError
from conformance.guest.driver import FIRST_FREE_ADDRESS, TranscriptError, driver_wasm, parse_transcript
from conformance.guest.encoder import Region, ScriptEncoder, ScriptResult
from conformance.oracle import EXACT, Tolerance, compare, tolerance
from conformance.revisions import Bindings

__all__ = [
    "BATCH_SIZE",
    "CASE_SECONDS",
    "CaseResult",
    "CorpusRunner",
    "NotServed",
    "case_script",
    "corpus_packaging",
]

#: A comparison that only measures how far apart two outputs are, element by element.
_DISTANCE = Tolerance(False)

BATCH_SIZE = 64
"""Cases per guest run at most, and at first: a host that refuses graphs late in a run gets fewer."""

CASE_SECONDS = 2.0
"""Seconds a batch may take for each case after its first, beyond the scenario timeout."""

BatchRun = Callable[[bytes, bytes, Mapping[str, str], float], RunOutcome]
"""Runs a guest of several corpus cases: ``(wasm, stdin, graphs, timeout) -> outcome``."""

#: Calls of a case, in the order they are made.
CallName = Literal["load", "init_execution_context", "set_input", "compute", "get_output"]


#: Outcomes that end a guest run: the cases after it in the batch were never asked.
_STOPPED = ("crashed", "hung", "out_of_memory")


def _refused_early(result: CaseResult) -> bool:
    return result.outcome == "refused" and result.call in ("load", "init_execution_context")


def _held_against(
    results: Sequence[CaseResult], index: int, refused_alone: set[tuple[str, ...]], operators: tuple[str, ...]
) -> bool:
    """Whether case ``index`` was refused at ``load`` or ``init_execution_context`` while the run held a graph.

    Such a refusal may be the host's, not the case's: a limit on what one process holds, or
    memory that ran short. Refusals that came with nothing held are the case's own, and so
    are those of a graph whose operators the host already refused with nothing held.
    """
    held = any(not _refused_early(result) for result in results[:index])
    return held and _refused_early(results[index]) and operators not in refused_alone


class NotServed(ConformanceError):
    """The host loads no encoding that takes ONNX bytes: it cannot be asked the corpus."""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The verdict of one case on a host, with what the report and the reproducer need.

    ``call`` and ``errno`` say where a case went wrong; ``max_error`` and ``tolerance`` what a
    wrong output looked like; ``transcript`` is the case's own calls, one line each.
    """

    case: str
    outcome: CaseOutcome
    call: str | None = None
    errno: str | None = None
    max_error: float | None = None
    tolerance: str | None = None
    detail: str = ""
    transcript: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the host computed what native onnxruntime does."""
        return self.outcome == "passed"

    @property
    def judged(self) -> bool:
        """Whether the case says anything about the host (it had an oracle)."""
        return self.outcome != "oracle_unavailable"


def corpus_packaging(encodings: Mapping[str, str]) -> tuple[str, str]:
    """The graph encoding and packaging the corpus hands ONNX models to a host in.

    ONNX bytes as they are: through ``onnx`` when the host loads it, else through the first
    encoding whose backend reads ONNX bytes too (OpenVINO does: ``openvino-onnx``), which
    spares converting every case. :class:`NotServed` when there is none.
    """
    if "onnx" in encodings and encodings["onnx"] in ONNX_PACKAGINGS:
        return "onnx", encodings["onnx"]
    for encoding, packaging in encodings.items():
        if packaging == "openvino-ir":
            return encoding, "openvino-onnx"
        if packaging in ONNX_PACKAGINGS:
            return encoding, packaging
    raise NotServed(f"the host loads no encoding that takes ONNX models (it declares {', '.join(encodings) or 'none'})")


@dataclass
class _Placed:
    """Where a case's calls and regions are in a batch script."""

    case: CorpusCase
    oracle: tuple[NDArray[Any], ...]
    calls: list[tuple[int, CallName, str]] = field(default_factory=list)
    """Each call's number in the script, its name, and a description for the transcript."""
    guarded: list[Region] = field(default_factory=list)
    outputs: list[tuple[int, Region, Region]] = field(default_factory=list)
    """For each output: its get_output call number, the buffer, and the bytes_written slot."""


def _place_case(
    encoder: ScriptEncoder, case: CorpusCase, oracle: tuple[NDArray[Any], ...], encoding: str, packaging: str
) -> _Placed:
    """Add one case's calls to ``encoder``'s script; memory is reused from the last case's."""
    bindings = encoder.bindings
    placed = _Placed(case, oracle)
    # The last case's regions were read back before this one writes: its memory is free again.
    encoder.next_free = FIRST_FREE_ADDRESS
    buffers = onnx_builders(case.model, packaging)
    graph = encoder.result_slot(encoder.functions["load"])
    array = encoder.builders(buffers)
    target = int(bindings.ExecutionTarget.CPU)
    number = encoder.call(
        "load", array.pointer, array.length, int(bindings.GraphEncoding[encoding.upper()]), target, graph.address
    )
    sizes = ", ".join(str(len(buffer)) for buffer in buffers)
    placed.calls.append((number, "load", f"load({encoding}, cpu, builders of {sizes} bytes)"))
    context = encoder.result_slot(encoder.functions["init_execution_context"])
    number = encoder.call("init_execution_context", graph.deref(), context.address)
    placed.calls.append((number, "init_execution_context", "init_execution_context(graph)"))
    dimension = encoder.info("tensor_dimensions").element
    assert dimension is not None
    for index, (slot, value) in enumerate(zip(case.inputs, case.input_values, strict=True)):
        dims = encoder.place(struct.pack(f"<{len(slot.shape)}{dimension.format}", *slot.shape), dimension.align)
        data = encoder.place(value.tobytes(), 8)
        record = bindings.Tensor(
            bindings.GuestList(dims, len(slot.shape)),
            bindings.TensorType[slot.type.upper()],
            bindings.GuestList(data, value.nbytes),
        )
        address = encoder.place(record.pack(), bindings.Tensor.ALIGN)
        number = encoder.call("set_input", context.deref(), index, address)
        placed.calls.append(
            (number, "set_input", f"set_input({index}, {slot.type}{list(slot.shape)}, {value.nbytes} bytes)")
        )
    number = encoder.call("compute", context.deref())
    placed.calls.append((number, "compute", "compute(context)"))
    for index, native in enumerate(oracle):
        buffer = encoder.region(native.nbytes)
        written = encoder.result_slot(encoder.functions["get_output"])
        number = encoder.call("get_output", context.deref(), index, buffer.address, native.nbytes, written.address)
        placed.calls.append((number, "get_output", f"get_output({index}, buffer of {native.nbytes} bytes)"))
        placed.outputs.append((number, encoder.read_back(buffer), encoder.read_back(written)))
    placed.guarded = [encoder.read_back(graph), encoder.read_back(context)]
    return placed


def case_script(
    case: CorpusCase, oracle: tuple[NDArray[Any], ...], bindings: Bindings, encodings: Mapping[str, str]
) -> tuple[bytes, bytes]:
    """The driver guest and script that run ``case`` alone: what its reproducer replays."""
    encoding, packaging = corpus_packaging(encodings)
    encoder = ScriptEncoder(bindings)
    _place_case(encoder, case, oracle, encoding, packaging)
    return driver_wasm(encoder.imports), encoder.script.to_bytes()


class CorpusRunner:
    """Runs corpus cases on a host in batches, on demand, and keeps every case's result.

    ``order`` is the run's cases in the order they are asked for; :meth:`result` runs a batch
    from the case asked on when it has no result yet. A case run alone may take ``timeout``
    seconds, as a scenario may, and a batch :data:`CASE_SECONDS` more for each further case.
    A batch runs through ``run_batch`` (by default the host's ``run``); the suite passes one
    that cuts it short at the host's adaptive timeout (:mod:`conformance.timeouts`). A batch
    cut short resumes like any batch that stopped, with its case run alone, even the first:
    a timeout too short for a batch costs a rerun, and only a case that outlasts the timeout on
    its own is hung.
    """

    def __init__(
        self,
        host: HostAdapter,
        bindings: Bindings,
        order: Sequence[CorpusCase],
        timeout: float,
        batch_size: int = BATCH_SIZE,
        run_batch: BatchRun | None = None,
    ) -> None:
        self.host = host
        self.run_batch = run_batch if run_batch is not None else host.run
        self.bindings = bindings
        self.order = list(order)
        self.position = {case.id: index for index, case in enumerate(self.order)}
        self.timeout = timeout
        self.batch_size = batch_size
        self.encoding, self.packaging = corpus_packaging(host.capabilities.encodings)
        self.results: dict[str, CaseResult] = {}
        self._refused_alone: set[tuple[str, ...]] = set()
        """Operators of graphs the host refused while holding none: refusing them is the host's answer."""
        self.processes = 0
        self.seconds = 0.0
        self._errnos = bindings.NnErrno

    def result(self, case_id: str) -> CaseResult:
        """The result of case ``case_id``, running batches from it until it has one."""
        started = time.perf_counter()
        try:
            while case_id not in self.results:
                self._run_from(self.position[case_id])
        finally:
            self.seconds += time.perf_counter() - started
        return self.results[case_id]

    def run_all(self) -> list[CaseResult]:
        """The result of every case of ``order``, in order."""
        return [self.result(case.id) for case in self.order]

    def _pending(self, start: int) -> Iterable[CorpusCase]:
        """The cases from ``start`` on without a result; those without an oracle get theirs on the way."""
        for case in self.order[start:]:
            if case.id in self.results:
                continue
            oracle = native_outputs(case)
            if oracle.outputs is None:
                self.results[case.id] = CaseResult(case.id, "oracle_unavailable", detail=oracle.unavailable)
                continue
            yield case

    def _run_from(self, start: int, alone: bool = False) -> None:
        batch: list[CorpusCase] = []
        for case in self._pending(start):
            batch.append(case)
            if alone or len(batch) >= self.batch_size:
                break
        if not batch:
            return
        stopped_at = self._run_batch(batch)
        if stopped_at is None:
            return
        # A case stopped the batch (the first only by hanging, perhaps at the batch's timeout),
        # or was refused while the run held graphs: it runs first, on its own. If a later one
        # gets further there, the batch held more than fits.
        self._run_from(self.position[batch[stopped_at].id], alone=True)
        again = self.results.get(batch[stopped_at].id)
        if stopped_at and again is not None and again.outcome not in _STOPPED and not _refused_early(again):
            self.batch_size = max(1, min(self.batch_size, stopped_at))

    def _run_batch(self, batch: Sequence[CorpusCase]) -> int | None:
        """Run ``batch`` in one process; record the results it settles. Returns where it must resume alone."""
        encoder = ScriptEncoder(self.bindings)
        placed = []
        for case in batch:
            outputs = native_outputs(case).outputs
            assert outputs is not None
            placed.append(_place_case(encoder, case, outputs, self.encoding, self.packaging))
        run_guest = self.host.run if len(batch) == 1 else self.run_batch
        timeout = self.timeout + CASE_SECONDS * (len(batch) - 1)
        run = run_guest(driver_wasm(encoder.imports), encoder.script.to_bytes(), {}, timeout)
        self.processes += 1
        try:
            result: ScriptResult | None = ScriptResult(parse_transcript(run.stdout)) if run.stdout else None
        except TranscriptError:
            result = None
        verdicts = [self._judge(case, run, result) for case in placed]
        for index, verdict in enumerate(verdicts):
            operators = placed[index].case.operators
            # A hang in a batch may be the batch's timeout, shorter than a case's own.
            late = (index > 0 or (len(batch) > 1 and verdict.outcome == "hung")) and (
                verdict.outcome in _STOPPED or _held_against(verdicts, index, self._refused_alone, operators)
            )
            if late:
                return index
            self.results[verdict.case] = verdict
            if _refused_early(verdict) and not any(not _refused_early(earlier) for earlier in verdicts[:index]):
                self._refused_alone.add(operators)
            if verdict.outcome in _STOPPED:
                # The first case of the batch stopped the host: the rest resume in a new process.
                return None
        return None

    def _judge(self, placed: _Placed, run: RunOutcome, result: ScriptResult | None) -> CaseResult:
        """The verdict of one case from the batch's transcript."""
        lines: list[str] = []
        case_id = placed.case.id
        for number, name, description in placed.calls:
            returned = result.errno(number) if result is not None else None
            if returned is None:
                # The run ended inside this call, or before it.
                reached = result is not None and result.reached(number)
                kind = run.kind if run.kind not in ("exited", "trapped") else "crashed"
                how = run.last_words() or run.kind
                if not reached and run.kind == "exited" and result is not None and result.transcript.complete:
                    how = "the driver stopped before it"
                lines.append(f"{description} -> {'stopped: ' if reached else 'never reached: '}{how}")
                outcome: CaseOutcome = kind if kind in ("hung", "out_of_memory") else "crashed"
                detail = f"the host stopped in {name}: {how}" if reached else f"the host stopped before {name}: {how}"
                return CaseResult(case_id, outcome, name if reached else None, detail=detail, transcript=tuple(lines))
            errno = self._errno_name(returned)
            lines.append(f"{description} -> {errno}")
            if returned != 0:
                stray = self._stray_write(placed, result)
                if stray:
                    return CaseResult(case_id, "stray_write", name, errno, detail=stray, transcript=tuple(lines))
                return CaseResult(
                    case_id, "refused", name, errno, detail=f"{name} returned {errno}", transcript=tuple(lines)
                )
        assert result is not None
        stray = self._stray_write(placed, result)
        if stray:
            return CaseResult(case_id, "stray_write", "get_output", detail=stray, transcript=tuple(lines))
        return self._compare_outputs(placed, result, tuple(lines))

    def _compare_outputs(self, placed: _Placed, result: ScriptResult, lines: tuple[str, ...]) -> CaseResult:
        worst: tuple[float, str, str] | None = None
        outputs = zip(placed.outputs, placed.oracle, placed.case.outputs, strict=True)
        for index, ((_, buffer, written), native, slot) in enumerate(outputs):
            size = result.region(written).u32
            if size != native.nbytes:
                return CaseResult(
                    placed.case.id,
                    "wrong_values",
                    "get_output",
                    detail=f"output {index} ({slot.name}): bytes_written {size}, expected {native.nbytes}",
                    transcript=lines,
                )
            limit = EXACT if self.host.capabilities.bit_exact else tolerance(placed.case.id, slot.type, "corpus")
            data = result.region(buffer).inside
            comparison = compare(native, data, limit)
            if not comparison.equal:
                # An exact comparison only counts differing bytes; the distance is still worth showing.
                error = compare(native, data, _DISTANCE).max_error if limit.exact else comparison.max_error
                rank = math.inf if math.isnan(error) else error
                if worst is None or rank > worst[0]:
                    worst = (rank, str(limit), f"output {index} ({slot.name}, {slot.type}): {comparison.detail}")
        if worst is not None:
            error, limit_text, detail = worst
            return CaseResult(
                placed.case.id,
                "wrong_values",
                "get_output",
                max_error=error,
                tolerance=limit_text,
                detail=detail,
                transcript=lines,
            )
        return CaseResult(placed.case.id, "passed", transcript=lines)

    @staticmethod
    def _stray_write(placed: _Placed, result: ScriptResult | None) -> str:
        """Which guarded region the host wrote around, if any."""
        if result is None:
            return ""
        regions = [*placed.guarded, *(region for _, buffer, written in placed.outputs for region in (buffer, written))]
        for region in regions:
            if region.read is None or region.read >= len(result.transcript.reads):
                continue
            if not result.region(region).canaries_intact:
                return f"the host wrote outside the {region.size}-byte region at {region.address:#x}"
        return ""

    def _errno_name(self, value: int) -> str:
        members = self._errnos._value2member_map_
        return str(members[value].name.lower()) if value in members else f"errno {value}"

"""Run a scenario on a host and judge every call against the spec model's prediction.

A scenario becomes one driver script (so a subprocess host starts once per scenario); each
operation's result slot and buffer are guarded with canaries and read back right after the
call, and the driver's untouchable low memory is read at the end. The transcript says what
each call returned, where a trap or crash struck, and what memory held.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import struct
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from conformance import oracle
from conformance.adapters.base import SCENARIO_TIMEOUT, HostAdapter, RunOutcome
from conformance.adapters.packaging import builders as packaged
from conformance.catalog import CallOutcome, Catalog, Clause, Facts, Judgement, Level, Verdict, judge, load_catalog
from conformance.fixture_models import nul_terminated_model_bytes
from conformance.guest.driver import WORKING_AREA_START, Deref, driver_wasm, parse_transcript
from conformance.guest.encoder import Region, ScriptEncoder, ScriptResult
from conformance.revisions import Bindings
from conformance.spec import (
    Compute,
    Forged,
    GetOutput,
    HandleArgument,
    InitExecutionContext,
    Load,
    LoadByName,
    Made,
    NotAskable,
    Operation,
    Prediction,
    Scenario,
    SetInput,
    SpecModel,
    call_name,
)

#: The driver never touches memory below this address and no script writes there: a host
#: that does wrote through a null or garbage pointer.
LOW_MEMORY = WORKING_AREA_START

#: How far off its alignment a misaligned record or result is placed.
MISALIGNMENT = 2

#: How far past the end of memory a zero-length range is placed: out of bounds as wasm's bulk
#: memory instructions count it (a range may end at the end of memory, not start past it).
PAST_THE_END = 16

#: Rounds of calls a scenario may make within one timeout; more rounds get more time.
ROUNDS_PER_TIMEOUT = 1_000


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One operation as it ran: the prediction, what happened, and each clause judged on it."""

    position: int
    operation: Operation
    prediction: Prediction
    outcome: CallOutcome
    judgements: tuple[Judgement, ...]
    skipped: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    """A scenario after it ran on a host: every call, the run's end, and how to replay it."""

    scenario: Scenario
    calls: tuple[CallRecord, ...]
    run: RunOutcome
    script: bytes
    wasm: bytes
    steps: tuple[str, ...]

    @property
    def judgements(self) -> list[Judgement]:
        """Every clause judgement of the run, in call order."""
        return [judgement for call in self.calls for judgement in call.judgements]

    def transcript_lines(self) -> list[str]:
        """One line per call: what it was, what it did, and what the model expected."""
        lines = []
        for call in self.calls:
            expected = "success" if call.prediction.success else "failure: " + ", ".join(call.prediction.clauses)
            lines.append(f"#{call.position} {describe(call.operation)} -> {call.outcome} (expected {expected})")
        return lines


@dataclass
class _Compiled:
    encoder: ScriptEncoder
    call_numbers: dict[int, int] = field(default_factory=dict)
    regions: dict[int, list[Region]] = field(default_factory=dict)
    low_memory_read: int = -1


def predict(scenario: Scenario, bindings: Bindings, host: HostAdapter) -> list[Prediction]:
    """The model's prediction of every operation; :class:`~conformance.spec.NotAskable` if one cannot be asked."""
    if scenario.alongside and not host.capabilities.concurrency:
        raise NotAskable("the host declares no concurrency: its instances are not run on several threads")
    model = SpecModel(bindings, host.capabilities, load_catalog(host.capabilities.revision), scenario.graphs)
    predictions = [model.predict(position, operation) for position, operation in enumerate(scenario.operations)]
    if scenario.within_limits:
        return [
            dataclasses.replace(prediction, clauses=operation.demonstrates) if prediction.success else prediction
            for prediction, operation in zip(predictions, scenario.operations, strict=True)
        ]
    return predictions


def run_scenario(
    scenario: Scenario, bindings: Bindings, host: HostAdapter, timeout: float = SCENARIO_TIMEOUT
) -> ScenarioRun:
    """Predict, compile, run on ``host`` (hung after ``timeout`` seconds), and judge every call.

    Scenarios ``alongside`` run at the same time, each in an instance of its own on a thread;
    every one is judged and the first that failed is returned. A scenario of many ``rounds``
    may take ``timeout`` seconds for each :data:`ROUNDS_PER_TIMEOUT`.
    """
    timeout *= max(1, scenario.rounds // ROUNDS_PER_TIMEOUT)
    together = (scenario, *scenario.alongside)
    predictions = [predict(each, bindings, host) for each in together]
    for earlier in scenario.earlier:
        # Run for what it leaves behind in the host, if anything; its own calls are not judged.
        earlier_encoder = _compile(earlier, bindings, host).encoder
        host.run(driver_wasm(earlier_encoder.imports), earlier_encoder.script.to_bytes(), earlier.graphs, timeout)
    compiled = [_compile(each, bindings, host) for each in together]
    wasms = [driver_wasm(each.encoder.imports) for each in compiled]
    scripts = [each.encoder.script.to_bytes() for each in compiled]

    def run_one(index: int) -> RunOutcome:
        return host.run(wasms[index], scripts[index], together[index].graphs, timeout)

    with _MemoryWatch(watching=scenario.memory_bound is not None) as memory:
        if scenario.alongside:
            with ThreadPoolExecutor(max_workers=len(together)) as pool:
                runs = list(pool.map(run_one, range(len(together))))
        else:
            runs = [run_one(0)]
    runaway = ""
    if scenario.memory_bound is not None and memory.growth > scenario.memory_bound:
        runaway = (
            f"the host's process grew by {memory.growth / MiB:.0f} MiB during the run, "
            f"more than the {scenario.memory_bound / MiB:.0f} MiB it may"
        )
    judged = [
        _judge_run(each, predictions[index], compiled[index], runs[index], bindings, host, runaway)
        for index, each in enumerate(together)
    ]
    failing = [index for index, calls in enumerate(judged) if any(not j.passed for c in calls for j in c.judgements)]
    shown = failing[0] if failing else 0
    steps = tuple(compiled[shown].encoder.script.describe())
    return ScenarioRun(together[shown], tuple(judged[shown]), runs[shown], scripts[shown], wasms[shown], steps)


def _judge_run(
    scenario: Scenario,
    predictions: Sequence[Prediction],
    compiled: _Compiled,
    run: RunOutcome,
    bindings: Bindings,
    host: HostAdapter,
    runaway: str,
) -> list[CallRecord]:
    transcript = parse_transcript(run.stdout) if run.stdout else None
    result = ScriptResult(transcript) if transcript is not None else None
    catalog = load_catalog(host.capabilities.revision)
    calls = _judge_calls(scenario, predictions, compiled, run, result, bindings, catalog, host.capabilities.bit_exact)
    reads = result.transcript.reads if result is not None else ()
    # Read last: a run cut short never got there, and its calls are judged without it.
    if compiled.low_memory_read < len(reads) and reads[compiled.low_memory_read] != bytes(LOW_MEMORY):
        message = f"the host wrote into low memory (below {LOW_MEMORY:#x}) it was never given"
        calls = [_with_facts(call, stray_write=message) for call in calls]
    if runaway:
        calls = [_with_facts(call, runaway_memory=runaway) for call in calls]
    return calls


def _with_facts(call: CallRecord, stray_write: str = "", runaway_memory: str = "") -> CallRecord:
    """``call`` judged again with a safety finding of the whole run added to each judgement's facts."""
    judgements = tuple(
        judge(
            j.clause,
            j.outcome,
            dataclasses.replace(
                j.facts,
                stray_write=stray_write or j.facts.stray_write,
                runaway_memory=runaway_memory or j.facts.runaway_memory,
            ),
        )
        for j in call.judgements
    )
    return CallRecord(call.position, call.operation, call.prediction, call.outcome, judgements, call.skipped)


MiB = 1 << 20


class _MemoryWatch:
    """The most the resident memory of this process grew by while the block ran.

    It samples ``/proc/self/statm`` on a thread (the host's calls into wasmtime release the
    GIL), so a host that takes memory and gives it back before the end is still seen. Where
    there is no ``/proc``, or when not ``watching``, the growth reads 0.
    """

    INTERVAL = 0.02

    def __init__(self, watching: bool = True) -> None:
        self.growth = 0
        self._start = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True) if watching else None

    def __enter__(self) -> _MemoryWatch:
        if self._thread is not None:
            self._start = resident_bytes()
            self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._thread is not None:
            self._done.set()
            self._thread.join()
            self._note()

    def _sample(self) -> None:
        while not self._done.wait(self.INTERVAL):
            self._note()

    def _note(self) -> None:
        self.growth = max(self.growth, resident_bytes() - self._start)


def resident_bytes() -> int:
    """The resident memory of this process in bytes (0 where there is no ``/proc``)."""
    try:
        fields = Path("/proc/self/statm").read_text(encoding="ascii").split()
    except OSError:
        return 0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


# -- compiling ------------------------------------------------------------------------------


def _handle(argument: HandleArgument, compiled: _Compiled) -> int | Deref:
    """A handle argument: a forged value, or the result slot of the load or init that made it.

    When that call failed, its slot still holds the canary fill: a forged handle too.
    """
    if isinstance(argument, Forged):
        return argument.value
    return compiled.regions[argument.op][0].deref()


def _compile(scenario: Scenario, bindings: Bindings, host: HostAdapter) -> _Compiled:
    encoder = ScriptEncoder(bindings)
    compiled = _Compiled(encoder)
    model = SpecModel(bindings, host.capabilities, load_catalog(host.capabilities.revision), scenario.graphs)
    for position, operation in enumerate(scenario.operations):
        number, regions = _compile_operation(operation, encoder, compiled, model, host)
        compiled.call_numbers[position] = number
        compiled.regions[position] = [encoder.read_back(region) for region in regions]
    compiled.low_memory_read = encoder.read(0, LOW_MEMORY)
    return compiled


def _compile_operation(
    operation: Operation, encoder: ScriptEncoder, compiled: _Compiled, model: SpecModel, host: HostAdapter
) -> tuple[int, list[Region]]:
    if isinstance(operation, Load):
        encoding = model.encoding_of(operation)
        target = model.target_of(operation)
        buffers = operation.builders
        packaging = host.capabilities.encodings.get(getattr(encoding, "name", "").lower(), "onnx")
        if buffers is None:
            buffers = tuple(packaged(operation.fixture, packaging))
        result = encoder.functions["load"].result
        assert result is not None
        # A misaligned result gets room in its guarded slot: a host that stores it anyway
        # (harmless, accepted below the errno level) must not look like a stray write.
        room = MISALIGNMENT if operation.fault == "out-pointer-misaligned" else 0
        slot = encoder.region(result.size + room)
        array = encoder.builders(buffers, at_end=operation.fault == "builder-array-one-past-end")
        pointer, count, out = array.pointer, array.length, slot.address
        entry = encoder.info("graph_builder_array").element
        assert entry is not None
        if operation.fault == "builder-array-past-end":
            # Aligned, one alignment unit of the entry past the end.
            pointer = encoder.memory_size - entry.size + entry.align
        elif operation.fault == "builder-array-one-past-end":
            # The whole array at the very end of memory, its count one more: a host that reads
            # only the entries that lie in memory finds the valid ones.
            count += 1
        elif operation.fault == "builder-array-wraps":
            count = 0x20000000 + count
        elif operation.fault in ("builder-past-end", "builder-one-past-end", "builder-wraps"):
            entry_format = "<" + entry.format
            pointer, count = encoder.alloc(entry.size, entry.align), 1
            if operation.fault == "builder-past-end":
                # All but the last byte in memory. For ONNX that byte is a zero, so a host whose
                # bounds check is off by one (and reads a zero there) finds a valid model.
                data = nul_terminated_model_bytes(operation.fixture) if packaging == "onnx" else buffers[0]
                start, length = encoder.alloc_at_end(len(data) - 1), len(data)
                encoder.script.write(start, data[:-1])
            elif operation.fault == "builder-one-past-end":
                # The whole model in memory, the length one byte longer: a host that reads only
                # what lies in memory finds a valid model.
                start, length = encoder.alloc_at_end(len(buffers[0])), len(buffers[0]) + 1
                encoder.script.write(start, buffers[0])
            else:
                start, length = 0xFFFFFFF0, 0x20
            encoder.script.write(pointer, struct.pack(entry_format, start, length))
        elif operation.fault == "out-pointer-past-end":
            # Aligned, so only a bounds check can refuse it.
            out = encoder.memory_size
        elif operation.fault == "out-pointer-misaligned":
            out = slot.address + MISALIGNMENT
        number = encoder.call("load", pointer, count, int(encoding), int(target), out)
        return number, [slot]
    if isinstance(operation, LoadByName):
        slot = encoder.result_slot(encoder.functions["load_by_name"])
        length = len(operation.name)
        if operation.fault == "name-past-end" or operation.at_memory_end:
            # The name's last byte is the last byte of memory; with the fault the length passed
            # is one more, so the range runs one byte past the end and a host that reads only
            # what lies in memory finds the name itself.
            name_pointer = encoder.alloc_at_end(length)
            encoder.script.write(name_pointer, operation.name)
            length += operation.fault == "name-past-end"
        elif operation.fault == "empty-past-end":
            name_pointer = encoder.memory_size + PAST_THE_END
        else:
            name_pointer = encoder.place(operation.name, 1) if operation.name else encoder.next_free
        return encoder.call("load_by_name", name_pointer, length, slot.address), [slot]
    if isinstance(operation, InitExecutionContext):
        slot = encoder.result_slot(encoder.functions["init_execution_context"])
        out = encoder.memory_size if operation.fault == "out-pointer-past-end" else slot.address
        return encoder.call("init_execution_context", _handle(operation.graph, compiled), out), [slot]
    if isinstance(operation, SetInput):
        return _compile_set_input(operation, encoder, compiled), []
    if isinstance(operation, Compute):
        return encoder.call("compute", _handle(operation.context, compiled)), []
    assert isinstance(operation, GetOutput)
    # The guarded buffer is as large as the size passed, unless the fault is the buffer itself.
    buffer = encoder.region(operation.max_size if operation.fault in (None, "out-pointer-past-end") else 16)
    written = encoder.result_slot(encoder.functions["get_output"])
    address, size, out = buffer.address, operation.max_size, written.address
    if operation.fault == "buffer-past-end":
        size = max(size, 64)
        address = encoder.memory_size - size + 1
    elif operation.fault == "buffer-size-wraps":
        size = 0xFFFFFFFF
    elif operation.fault == "out-pointer-past-end":
        out = encoder.memory_size
    context = _handle(operation.context, compiled)
    number = encoder.call("get_output", context, operation.index, address, size, out)
    return number, [buffer, written]


def _compile_set_input(operation: SetInput, encoder: ScriptEncoder, compiled: _Compiled) -> int:
    bindings = encoder.bindings
    dimension = encoder.info("tensor_dimensions").element
    assert dimension is not None
    fault = operation.fault
    dims_bytes = struct.pack(f"<{len(operation.dimensions)}{dimension.format}", *operation.dimensions)
    # Room for the record at an aligned address, or MISALIGNMENT bytes off it. What must end at
    # the end of memory is placed last: any later allocation would grow memory past it.
    record_pointer = encoder.alloc(bindings.Tensor.SIZE + MISALIGNMENT, bindings.Tensor.ALIGN)
    dims_at_end = fault == "dimensions-one-past-end"
    data_at_end = operation.data_at_memory_end or fault in ("data-one-past-end", "data-last-byte-past-end")
    dims_pointer = 0 if dims_at_end else encoder.place(dims_bytes, dimension.align)
    dims_length = len(operation.dimensions)
    data = operation.data[:-1] if fault == "data-last-byte-past-end" else operation.data
    data_pointer = 0 if data_at_end else encoder.place(data, 8)
    data_length = len(operation.data)
    if dims_at_end:
        # The whole dimension list in memory, its length one longer: a host that reads only what
        # lies in memory sees valid dimensions.
        dims_pointer = encoder.alloc_at_end(len(dims_bytes))
        encoder.script.write(dims_pointer, dims_bytes)
        dims_length += 1
    elif data_at_end:
        # Valid data whose last byte is the last byte of memory (a bounds check off by one the
        # other way refuses it); one byte longer than it, so that only a host reading what lies
        # in memory sees valid data; or missing its last byte, so that only a host reading a
        # zero past the end does (the data ends in a zero byte).
        data_pointer = encoder.alloc_at_end(len(data))
        encoder.script.write(data_pointer, data)
        data_length += fault == "data-one-past-end"
    end = encoder.memory_size
    if fault == "dimensions-past-end":
        # Aligned: the first dimension in memory, the second past its end.
        dims_pointer = end - dimension.size
        dims_length = max(dims_length, 2)
    elif fault == "dimensions-wrap":
        dims_length = 0x40000000 + dims_length
    elif fault == "data-past-end":
        data_length = max(data_length, 8)
        data_pointer = end - data_length + 1
    elif fault == "data-wraps":
        data_pointer = 0xFFFFFFF0
        data_length = max(data_length, 0x20)
    elif fault == "empty-data-past-end":
        data_pointer, data_length = end + PAST_THE_END, 0
    record = bindings.Tensor(
        bindings.GuestList(dims_pointer, dims_length),
        operation.tensor_type,
        bindings.GuestList(data_pointer, data_length),
    )
    packed = bytearray(record.pack())
    type_offset = bindings.Tensor.OFFSETS["type"]
    type_size = bindings.TYPES["tensor_type"].size
    padding_start = type_offset + type_size
    packed[padding_start : padding_start + len(operation.padding)] = operation.padding
    if fault == "record-past-end":
        # Aligned, with all but its last field (the data length) in memory: only a bounds check
        # of the whole record refuses it.
        outside = bindings.Tensor.SIZE - bindings.Tensor.OFFSETS["data.length"]
        record_pointer = end - len(packed) + outside
        encoder.script.write(record_pointer, bytes(packed[:-outside]))
    else:
        if fault == "record-misaligned":
            record_pointer += MISALIGNMENT
        encoder.script.write(record_pointer, bytes(packed))
    return encoder.call("set_input", _handle(operation.context, compiled), operation.index, record_pointer)


# -- judging --------------------------------------------------------------------------------


def _judge_calls(
    scenario: Scenario,
    predictions: Sequence[Prediction],
    compiled: _Compiled,
    run: RunOutcome,
    result: ScriptResult | None,
    bindings: Bindings,
    catalog: Catalog,
    bit_exact: bool,
) -> list[CallRecord]:
    errnos: type[enum.IntEnum] = bindings.NnErrno
    records: list[CallRecord] = []
    # Operations whose host result differs from the model's: later calls that use what they
    # made are not judged, since the model's state no longer describes the host's.
    diverged: dict[int, int] = {}
    stopped: CallOutcome | None = None
    real_handles = _handles_returned(scenario, predictions, compiled, result)
    for position, (operation, prediction) in enumerate(zip(scenario.operations, predictions, strict=True)):
        number = compiled.call_numbers[position]
        outcome = _outcome(number, run, result, errnos, stopped)
        if outcome.kind != "returned":
            stopped = stopped or CallOutcome("not_reached", message=f"call #{position} {outcome}")
        if outcome.kind == "not_reached":
            # Nothing was asked of the host here: the clauses of this call are not observed.
            records.append(CallRecord(position, operation, prediction, outcome, (), f"not reached: {outcome.message}"))
            continue
        collided = _forged_collision(operation, real_handles)
        if collided is not None:
            diverged[position] = position
            skip = f"the forged handle {collided:#x} is one the host really returned"
            records.append(CallRecord(position, operation, prediction, outcome, (), skip))
            continue
        depends = _dependency(operation, diverged)
        if depends is not None and outcome.kind == "returned":
            diverged[position] = depends
            records.append(
                CallRecord(
                    position,
                    operation,
                    prediction,
                    outcome,
                    (),
                    f"uses what call #{depends} made, which went otherwise",
                )
            )
            continue
        facts = _facts(prediction, outcome, compiled.regions[position], result, bit_exact)
        judgements = tuple(judge(catalog[clause_id], outcome, facts) for clause_id in prediction.clauses)
        if not prediction.success:
            judgements = _judge_violations(judgements, [catalog[clause_id] for clause_id in prediction.demonstrated])
        if outcome.kind == "returned" and (outcome.errno == 0) != prediction.success:
            diverged[position] = position
        records.append(CallRecord(position, operation, prediction, outcome, judgements))
    return records


def _judge_violations(judgements: Sequence[Judgement], demonstrated: Sequence[Clause]) -> tuple[Judgement, ...]:
    """The verdicts of a call that violates every clause judged, shared by all of them.

    A host may find any of the violations first, so an error that one clause allows is right
    for the call; success is right only where every clause allows it (a misaligned pointer is
    harmless, a forged handle beside it is not). The clauses of earlier calls the call shows
    share its safety verdict only: which errno this call answers says nothing of theirs.
    """
    passes = [sum(verdict.passed for verdict in judgement.verdicts.values()) for judgement in judgements]
    succeeded = judgements[0].outcome.kind == "returned" and judgements[0].outcome.errno == 0
    deciding = judgements[passes.index(min(passes) if succeeded else max(passes))]
    violated = tuple(
        Judgement(
            judgement.clause,
            deciding.outcome,
            _shared_verdicts(deciding, judgement.clause.levels, judgement),
            deciding.facts,
        )
        for judgement in judgements
    )
    shown = tuple(
        Judgement(clause, deciding.outcome, _shared_verdicts(deciding, (Level.SAFETY,)), deciding.facts)
        for clause in demonstrated
    )
    return violated + shown


def _shared_verdicts(
    deciding: Judgement, levels: Sequence[Level], own: Judgement | None = None
) -> dict[Level, Verdict]:
    """The call's verdicts at ``levels``, each failure with the reason that fits the clause.

    A level the call passed passes. A level it failed fails with the clause's own reason where
    the clause failed it first (not because a lower level failed), else with the deciding
    clause's reason, named.
    """
    highest = max(deciding.verdicts)
    verdicts: dict[Level, Verdict] = {}
    for level in levels:
        shared = deciding.verdicts[min(level, highest)]
        mine = own.verdicts.get(level) if own is not None else None
        first = own is not None and all(verdict.passed for below, verdict in own.verdicts.items() if below < level)
        cascade = any(not verdict.passed for below, verdict in deciding.verdicts.items() if below < level)
        if shared.passed or own is None or own.clause == deciding.clause or cascade:
            verdicts[level] = shared
        elif mine is not None and not mine.passed and first:
            verdicts[level] = mine
        else:
            verdicts[level] = Verdict(False, f"{shared.reason} (as {deciding.clause.id}, which the call breaks too)")
    return verdicts


def _handles_returned(
    scenario: Scenario, predictions: Sequence[Prediction], compiled: _Compiled, result: ScriptResult | None
) -> set[int]:
    """Every handle value the host wrote for a call that succeeded as predicted."""
    handles: set[int] = set()
    if result is None:
        return handles
    for position, operation in enumerate(scenario.operations):
        if not isinstance(operation, Load | LoadByName | InitExecutionContext) or not predictions[position].success:
            continue
        slot = compiled.regions[position][0]
        if (
            result.errno(compiled.call_numbers[position]) == 0
            and slot.read is not None
            and slot.read < len(result.transcript.reads)
        ):
            handles.add(result.region(slot).u32)
    return handles


def _forged_collision(operation: Operation, real_handles: set[int]) -> int | None:
    for name in ("graph", "context"):
        argument = getattr(operation, name, None)
        if isinstance(argument, Forged) and argument.value in real_handles:
            return argument.value
    return None


def _dependency(operation: Operation, diverged: dict[int, int]) -> int | None:
    for name in ("graph", "context"):
        argument = getattr(operation, name, None)
        if isinstance(argument, Made) and argument.op in diverged:
            return argument.op
    return None


def _outcome(
    number: int, run: RunOutcome, result: ScriptResult | None, errnos: type[enum.IntEnum], stopped: CallOutcome | None
) -> CallOutcome:
    if stopped is not None:
        return stopped
    if result is not None and result.reached(number):
        errno = result.errno(number)
        if errno is not None:
            name = errnos(errno).name.lower() if errno in errnos._value2member_map_ else None
            return CallOutcome("returned", errno, name)
        # Announced, never returned: the run ended inside this call.
        return CallOutcome(run.kind if run.kind != "exited" else "crashed", message=run.last_words())
    if run.kind == "exited" and result is not None and result.transcript.complete:
        return CallOutcome("not_reached", message="the driver stopped before it")
    return CallOutcome(run.kind if run.kind != "exited" else "crashed", message=run.last_words())


def _facts(
    prediction: Prediction, outcome: CallOutcome, regions: list[Region], result: ScriptResult | None, bit_exact: bool
) -> Facts:
    if result is None or outcome.kind != "returned":
        return Facts()
    contents = [
        result.region(region)
        for region in regions
        if region.read is not None and region.read < len(result.transcript.reads)
    ]
    stray = ""
    for region in contents:
        if not region.canaries_intact:
            stray = "the host wrote outside the region the call may write (a canary changed)"
    problems: list[str] = []
    if outcome.errno != 0:
        if any(not region.untouched() for region in contents):
            problems.append("the call failed yet wrote into its result or buffer")
        return Facts(stray_write=stray, problems=problems)
    if prediction.output is None or len(contents) < 2:
        return Facts(stray_write=stray, problems=problems)
    buffer, written = contents
    expected = prediction.output
    if written.u32 != expected.nbytes:
        problems.append(f"bytes_written is {written.u32}, the output has {expected.nbytes} bytes")
    if not buffer.untouched(expected.nbytes):
        problems.append("the host wrote past the output's bytes in the buffer")
    limit = oracle.EXACT if bit_exact else oracle.tolerance(prediction.fixture, prediction.tensor_type)
    comparison = oracle.compare(expected, buffer.inside[: expected.nbytes], limit)
    value_problem = "" if comparison.equal else f"output differs from native onnxruntime ({limit}): {comparison.detail}"
    return Facts(
        stray_write=stray,
        problems=problems,
        value_problem=value_problem,
        max_error=comparison.max_error,
        tolerance=str(limit),
    )


def describe(operation: Operation) -> str:
    """A short readable form of an operation, for transcripts and reports."""
    fields = []
    for name in operation.__dataclass_fields__:
        value = getattr(operation, name)
        # Not "value in (None, False)": 0 == False, and index 0 or type 0 must show.
        if name == "demonstrates" or value is None or value is False or value == () or value == b"\0\0\0":
            continue
        if isinstance(value, bytes | tuple) and name in ("data", "builders"):
            value = f"<{len(value)} {'bytes' if isinstance(value, bytes) else 'buffers'}>"
        elif isinstance(value, Made):
            value = f"#{value.op}"
        elif isinstance(value, Forged):
            value = f"forged {value.value:#x}"
        fields.append(f"{name}={value}")
    return f"{call_name(operation)}({', '.join(fields)})"


__all__ = ["CallRecord", "ScenarioRun", "describe", "predict", "run_scenario"]

"""A fuzz campaign: hostile scripts of all six calls against a host, judged at the safety level.

Each script is a scenario drawn by :func:`hostile_scenarios`: random sequences of ``load``,
``load_by_name``, ``init_execution_context``, ``set_input``, ``compute`` and ``get_output``
with hostile layouts (pointers at and past the end of memory, ranges that wrap at 2^32,
lengths near 2^32, huge and zero dimensions, forged and stale handles, enum values outside
the revision, garbage in padding and in model bytes, and data large enough that memory grows
between calls). Every call is judged at the safety level only: no crash, hang, trap or stray
write, an invalid call never succeeds, and the host's memory stays bounded. Errnos and values
are the clause suite's business.

Hypothesis is the engine: the campaign runs it in chunks until the examples or the minutes
run out, with an example database in the suite's cache, so a failure found once is tried
first in the next campaign. :class:`CampaignTally` counts what ran and what broke, for the
line a campaign prints and the ``fuzz.json`` it writes beside the other reports.
"""

from __future__ import annotations

import json
import math
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_args

from hypothesis import strategies as st

from conformance.adapters.base import Capabilities
from conformance.catalog import Judgement
from conformance.dtypes import NUMPY_DTYPES
from conformance.examples import ready, tensor_type
from conformance.paths import write_atomically
from conformance.revisions import Bindings
from conformance.scenario import MiB
from conformance.spec import (
    Compute,
    Forged,
    GetOutput,
    HandleArgument,
    InitExecutionContext,
    InitFault,
    Load,
    LoadByName,
    LoadFault,
    Made,
    NameFault,
    Operation,
    OutputFault,
    Scenario,
    SetInput,
    TensorFault,
)

MEMORY_BOUND = 256 * MiB
"""How much an in-process host's process may grow during one script: no script draws more
than a few MiB of tensors, so more is memory the host holds on to without bound."""

FIXTURES = ("add_f32", "mlp", "dynamic", "scalar", "empty", "multi_io")
"""Models the scripts load: several inputs and outputs, dynamic, scalar and empty tensors."""

GRAPH_NAME = "fuzz"
"""The name ``load_by_name`` finds (the host preloads add_f32 under it)."""

#: 32-bit values that sit on the edges hosts get wrong: zero, one, the end of a page, the sign
#: bit, and the last values before 2^32 wraps.
EDGE_U32 = (0, 1, 2, 3, 4, 0xFFFF, 0x10000, 0x10001, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFE, 0xFFFFFFFF)

u32 = st.one_of(st.sampled_from(EDGE_U32), st.integers(0, 0xFFFFFFFF))


def _handle(draw: st.DrawFn, made: Sequence[int]) -> HandleArgument:
    """A handle an earlier call of the right kind wrote (whatever became of that call), or a forged one.

    A graph handle never stands in for a context: hosts number both from 0, so the value may
    well name a context, and the spec model cannot tell (forged values that meet a real
    handle are not judged; see conformance.scenario).
    """
    if len(made) > 0 and draw(st.booleans()):
        return Made(draw(st.sampled_from(made)))
    return Forged(draw(u32))


@st.composite
def _operation(
    draw: st.DrawFn, bindings: Bindings, capabilities: Capabilities, graphs: Sequence[int], contexts: Sequence[int]
) -> Operation:
    """One call, valid or hostile, of any of the revision's functions.

    ``graphs`` and ``contexts`` are the earlier calls that made one.
    """
    calls = ["load", "init", "set_input", "compute", "get_output"]
    if capabilities.load_by_name and "load_by_name" in bindings.FUNCTIONS:
        calls.append("load_by_name")
    call = draw(st.sampled_from(calls))
    if call == "load":
        # A fault misplaces the fixture's own builders; garbage builders come without one.
        load_fault: LoadFault | None = draw(st.one_of(st.none(), st.sampled_from(get_args(LoadFault))))
        garbage = st.lists(st.binary(max_size=64), max_size=3).map(tuple)
        return Load(
            draw(st.sampled_from(FIXTURES)),
            encoding=draw(st.one_of(st.none(), st.integers(0, 300))),
            target=draw(st.one_of(st.just("cpu"), st.integers(0, 9))),
            builders=None if load_fault else draw(st.one_of(st.none(), garbage)),
            fault=load_fault,
        )
    if call == "load_by_name":
        # A fault places the name itself; only a name without one can be put at the end of memory.
        name_fault: NameFault | None = draw(st.one_of(st.none(), st.sampled_from(get_args(NameFault))))
        return LoadByName(
            draw(st.one_of(st.just(GRAPH_NAME.encode()), st.binary(max_size=24))),
            fault=name_fault,
            at_memory_end=name_fault is None and draw(st.booleans()),
        )
    if call == "init":
        init_fault: InitFault | None = draw(st.one_of(st.none(), st.sampled_from(get_args(InitFault))))
        return InitExecutionContext(_handle(draw, graphs), fault=init_fault)
    if call == "set_input":
        # Mostly a tensor the fixtures can take (f32, small), so calls get past the type and
        # shape checks; sometimes any type value and dimensions near 2^32; sometimes data
        # large enough that the guest's memory grows before the call.
        dimensions = tuple(draw(st.lists(st.one_of(st.integers(0, 4), u32), max_size=4)))
        exact = NUMPY_DTYPES["f32"].itemsize * math.prod(dimensions)  # what f32 data of these dimensions takes
        sizes = [st.integers(0, 64), st.just(70_000), *([st.just(exact)] if exact <= 4096 else [])]
        size = draw(st.one_of(sizes))
        tensor_fault: TensorFault | None = draw(st.one_of(st.none(), st.sampled_from(get_args(TensorFault))))
        return SetInput(
            _handle(draw, contexts),
            draw(st.one_of(st.integers(0, 3), u32)),
            dimensions,
            draw(st.one_of(st.just(tensor_type(bindings, "f32")), st.integers(0, 255))),
            bytes(draw(st.binary(min_size=min(size, 16), max_size=min(size, 16)))).ljust(size, b"\x7f"),
            padding=draw(st.binary(min_size=3, max_size=3)),
            fault=tensor_fault,
            data_at_memory_end=tensor_fault is None and draw(st.booleans()),
        )
    if call == "compute":
        return Compute(_handle(draw, contexts))
    output_fault: OutputFault | None = draw(st.one_of(st.none(), st.sampled_from(get_args(OutputFault))))
    # The guest allocates the whole buffer: sizes stay within what memory can hold, and the
    # fault buffer-size-wraps passes a size near 2^32 without allocating it.
    return GetOutput(
        _handle(draw, contexts),
        draw(st.one_of(st.integers(0, 3), u32)),
        draw(st.one_of(st.integers(0, 256), st.just(70_000))),
        fault=output_fault,
    )


@st.composite
def hostile_scenarios(draw: st.DrawFn, bindings: Bindings, capabilities: Capabilities, max_calls: int = 12) -> Scenario:
    """A script of up to ``max_calls`` calls of every kind, most of them hostile.

    Half the scripts start from a context that computed (add_f32 loaded, its inputs set), so
    hostile calls also meet live graphs, contexts and outputs, which random calls rarely make.
    """
    operations: list[Operation] = ready(bindings) if draw(st.booleans()) else []
    graphs: list[int] = [0] if operations else []  # the loads so far
    contexts: list[int] = [1] if operations else []  # the inits so far
    for _ in range(draw(st.integers(1, max_calls))):
        operation = draw(_operation(bindings, capabilities, tuple(graphs), tuple(contexts)))
        if isinstance(operation, Load | LoadByName):
            graphs.append(len(operations))
        elif isinstance(operation, InitExecutionContext):
            contexts.append(len(operations))
        operations.append(operation)
    preloaded = {GRAPH_NAME: "add_f32"} if capabilities.load_by_name else {}
    return Scenario(tuple(operations), preloaded, memory_bound=MEMORY_BOUND)


#: The kind of failure of a call that did not return, by how it ended.
_STOPPED = {"crashed": "crash", "hung": "hang", "out_of_memory": "out_of_memory", "trapped": "trap"}


def kind_of_failure(judgement: Judgement) -> str:
    """What broke, for the counters: crash, hang, out_of_memory, trap, stray_write, runaway_memory, invalid_success."""
    if judgement.outcome.kind in _STOPPED:
        return _STOPPED[judgement.outcome.kind]
    if judgement.facts.stray_write:
        return "stray_write"
    if judgement.facts.runaway_memory:
        return "runaway_memory"
    return "invalid_success"


FAILURE_WORDS = {
    "crash": "crashes",
    "hang": "hangs",
    "out_of_memory": "out of memory",
    "trap": "traps",
    "stray_write": "stray writes",
    "runaway_memory": "runaway memory",
    "invalid_success": "invalid successes",
}
"""How the campaign's line names each kind of failure (its counters, in this order)."""

FAILURE_KINDS = tuple(FAILURE_WORDS)


@dataclass
class CampaignTally:
    """What a campaign ran, what broke, how long it took and why it stopped."""

    host: str
    revision: str
    scripts: int = 0
    calls: int = 0
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))
    seconds: float = 0.0
    peak_rss_mib: float = 0.0
    stopped_by: str = ""
    """``examples``, ``minutes``, or ``failure`` (a campaign stops at its first failure)."""

    def count(self, calls: int) -> None:
        """Count one script of ``calls`` calls."""
        self.scripts += 1
        self.calls += calls

    def failed(self, judgements: Sequence[Judgement]) -> None:
        """Count what a failing script broke, each kind once."""
        for kind in {kind_of_failure(judgement) for judgement in judgements}:
            self.failures[kind] += 1

    def finish(self, seconds: float, stopped_by: str) -> None:
        """Record how long the campaign took, why it stopped and the peak resident memory seen."""
        self.seconds = seconds
        self.stopped_by = stopped_by
        self.peak_rss_mib = peak_rss_mib()

    def line(self) -> str:
        """The campaign in one line."""
        broken = ", ".join(f"{self.failures[kind]} {FAILURE_WORDS[kind]}" for kind in FAILURE_KINDS)
        return (
            f"fuzz on host '{self.host}' (revision {self.revision}): {self.scripts} scripts, {self.calls} calls, "
            f"{broken}, peak RSS {self.peak_rss_mib:.0f} MiB, {self.seconds:.0f} s (stopped by {self.stopped_by})"
        )

    def write(self, folder: Path) -> Path:
        """Write ``fuzz.json`` into ``folder``."""
        path = folder / "fuzz.json"
        data: dict[str, Any] = {"line": self.line(), **asdict(self)}
        write_atomically(path, (json.dumps(data, indent=2) + "\n").encode())
        return path


def peak_rss_mib() -> float:
    """The largest resident set of this process or of any child it waited for, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


class Deadline:
    """The end of a campaign bounded in minutes (``None``: no bound)."""

    def __init__(self, minutes: float | None) -> None:
        self.end = None if minutes is None else time.monotonic() + minutes * 60

    def passed(self) -> bool:
        """Whether the campaign's time is up."""
        return self.end is not None and time.monotonic() >= self.end

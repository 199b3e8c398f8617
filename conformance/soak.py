"""The soak: 10,000 rounds in one guest, the host's resident memory sampled at rounds 1, 1,000 and 10,000.

Two guests run on an in-process host (``nox -s fuzz -- --soak``):

- **rounds**: 10,000 rounds of load, init_execution_context, set_input, compute and
  get_output. No revision can unload a graph, so a host with limits refuses loads once it
  holds as many graphs as it allows (the reference host: 64) and the later calls of a round
  fail on the handle it did not make; either way, what it holds stops growing;
- **failing loads**: 10,000 loads of bytes that are no model, each refused.

The process's resident memory is read when load number 1, 1,000 and 10,000 begins. Between
round 1,000 and round 10,000 a host that holds nothing more may grow by :data:`GROWTH_BOUND`
at most: the guest's own memory grows too (the script puts each call's arguments in fresh
memory, about 1 KiB a round), and the allocator is not exact. A host that keeps something
per call grows with the calls: 64 KiB a load is 560 MiB over those 9,000 rounds.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.adapters.inprocess import InProcessAdapter
from conformance.examples import SOAK_MEMORY_BOUND, SOAK_ROUNDS, example_inputs, output_size, set_inputs
from conformance.revisions import Bindings
from conformance.scenario import MiB, ScenarioRun, resident_bytes, run_scenario
from conformance.spec import Compute, GetOutput, InitExecutionContext, Load, Made, Operation, Scenario

ROUNDS = SOAK_ROUNDS
CHECKPOINTS = (1, 1_000, ROUNDS)
"""The loads at whose start resident memory is read."""

GROWTH_BOUND = 16 * MiB
"""How much the process may grow between round 1,000 and round 10,000."""

MEMORY_BOUND = SOAK_MEMORY_BOUND
"""How much it may grow over a whole soak (what the host holds up to its limits, included), as state.soak allows."""

GARBAGE = b"\x08\x01not a model" * 64
"""Builder bytes no backend loads (1 KiB): every load of them is refused."""


def soak_scenarios(bindings: Bindings, rounds: int = ROUNDS) -> dict[str, Scenario]:
    """The two soaks by name: full rounds of add_f32, and loads that fail."""
    inputs = example_inputs("add_f32", 0)
    # Each load shows state.soak: it succeeds or answers an errno, and the process stays
    # within the scenario's memory bound.
    shows = ("state.soak",)
    full: list[Operation] = []
    for _ in range(rounds):
        load = len(full)
        full += [Load("add_f32", demonstrates=shows), InitExecutionContext(Made(load))]
        full += [*set_inputs(bindings, load + 1, "add_f32", inputs), Compute(Made(load + 1))]
        full.append(GetOutput(Made(load + 1), 0, output_size("add_f32")))
    failing: list[Operation] = [Load("add_f32", builders=(GARBAGE,), demonstrates=shows) for _ in range(rounds)]
    return {
        name: Scenario(tuple(operations), memory_bound=MEMORY_BOUND, within_limits=True, rounds=rounds)
        for name, operations in (("rounds", full), ("failing loads", failing))
    }


class _SamplingHost:
    """A host that reads the process's resident memory as given loads begin, and otherwise is the host it wraps."""

    def __init__(self, host: Any, samples: dict[int, int]) -> None:
        self._host = host
        self._samples = samples
        self._loads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Read resident memory at a checkpoint, then load."""
        self._loads += 1
        if self._loads in CHECKPOINTS:
            self._samples[self._loads] = resident_bytes()
        result: int = self._host.load(builder, encoding, target)
        return result


@dataclass(frozen=True, slots=True)
class SoakResult:
    """One soak: resident memory in MiB at each checkpoint, and whether the growth after round 1,000 stayed bounded."""

    name: str
    rounds: int
    resident_mib: Mapping[int, float]

    @property
    def growth_mib(self) -> float:
        """Growth from round 1,000 to the last checkpoint."""
        return self.resident_mib[CHECKPOINTS[-1]] - self.resident_mib[CHECKPOINTS[1]]

    @property
    def bounded(self) -> bool:
        """Whether that growth is within :data:`GROWTH_BOUND`."""
        return self.growth_mib <= GROWTH_BOUND / MiB

    def line(self) -> str:
        """The soak in one line."""
        readings = ", ".join(f"round {round_:,} {mib:.0f} MiB" for round_, mib in self.resident_mib.items())
        verdict = "within" if self.bounded else "OVER"
        return (
            f"soak '{self.name}': {self.rounds:,} rounds; resident memory at {readings}; "
            f"{self.growth_mib:+.1f} MiB after round 1,000 ({verdict} the {GROWTH_BOUND // MiB} MiB bound)"
        )


def run_soak(
    adapter: InProcessAdapter, bindings: Bindings, name: str, scenario: Scenario, timeout: float
) -> tuple[SoakResult, ScenarioRun]:
    """Run one soak on an in-process host, reading resident memory at the checkpoints."""
    samples: dict[int, int] = {}

    def sampling(bindings: Bindings, graphs: Mapping[str, Path]) -> object:
        return _SamplingHost(adapter.factory(bindings, graphs), samples)

    watched = InProcessAdapter(adapter.name, sampling, adapter.capabilities, adapter.bindings)
    run = run_scenario(scenario, bindings, watched, timeout)
    resident = {checkpoint: samples.get(checkpoint, 0) / MiB for checkpoint in CHECKPOINTS}
    return SoakResult(name, scenario.rounds, resident), run

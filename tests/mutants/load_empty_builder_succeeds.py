"""load of no builders, or of empty ones, answers success with a graph of nothing.

The host creates its graph object before it parses anything and parses lazily, so an empty
builder array or an empty buffer gives a graph with no inputs and no outputs, and success.
WasmEdge has such "empty" graphs: its unit tests expect missing_memory from contexts of them,
later (witx-and-hosts.md §3.2, "An 'empty' graph or context → MissingMemory(3)"). No model was
given: load must fail, for the builder count (none) or for bytes that are no model (empty).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.host import ReferenceHost
from conformance.host.backend import TensorSlot
from mutants._hosts import factory_for

CAUGHT_BY = {"load.builder-count": "safety", "load.model-malformed": "safety"}


class NothingGraph:
    """A graph without inputs or outputs; inference on it does nothing."""

    inputs: Sequence[TensorSlot] = ()
    outputs: Sequence[TensorSlot] = ()

    def run(self, inputs: Sequence[npt.NDArray[np.generic]]) -> list[npt.NDArray[np.generic]]:
        """Infer nothing."""
        return []


class EmptyLoading(ReferenceHost):
    """No builders, or only empty ones, load as a graph of nothing."""

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph; without bytes, a graph of nothing."""
        if all(len(buffer) == 0 for buffer in builder):
            graph: Any = NothingGraph()
            return self._add_graph(lambda: graph)
        return super().load(builder, encoding, target)


factory = factory_for(EmptyLoading)

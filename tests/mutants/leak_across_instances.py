"""Graphs are never released when a guest instance ends: they pile up in the process until load refuses.

The host registers every graph in a process-wide table that outlives the instance that loaded it
(nothing frees it at teardown), and that table has a fixed capacity: after it has taken
``CAPACITY`` graphs, from any number of instances, every load fails, with ``runtime_error``. WAMR's
first multi-backend wasi-nn left "free mem of NNs used by an app on exit" as a TODO
(wasm-micro-runtime#1834), and WasmEdge's whisper backend kept each round's memory
(WasmEdge#3912). No clause speaks of a leak; it is seen because in-process runs share the
process, so a later valid load fails (load.valid).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import ClassVar

from conformance.bindings import ErrnoError
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load.valid": "function"}
TESTS = ("test_clause", "test_outputs_equal_native_onnxruntime")

CAPACITY = 64
"""Graphs the process-wide table holds: the mutant's own fixed table (WAMR's TFLite backend has
ten slots), which the mutant's fault fills; the host's per-instance limits are out of reach."""


class Leaking(ReferenceHost):
    """Every instance's graphs stay in one process-wide table, which fills up."""

    retained: ClassVar[list[tuple[ReferenceHost, int]]] = []
    """Every graph any instance loaded, by instance and handle: never emptied."""

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph into the process-wide table."""
        self._refuse_when_full()
        return self._retain(super().load(builder, encoding, target))

    def load_by_name(self, name: str) -> int:
        """Load a named graph into the process-wide table."""
        self._refuse_when_full()
        return self._retain(super().load_by_name(name))

    def _refuse_when_full(self) -> None:
        if len(self.retained) >= CAPACITY:
            raise ErrnoError(self.bindings.NnErrno.RUNTIME_ERROR, "the graph table is full")

    def _retain(self, handle: int) -> int:
        self.retained.append((self, handle))
        return handle


factory = factory_for(Leaking)

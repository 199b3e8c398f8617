"""compute stages its inputs in one buffer of the process, shared by every instance.

The host copies a context's inputs into a process-wide staging area, then runs the graph on what
the area holds; between the two, another instance on another thread may have staged its own.
One instance at a time never sees it. WAMR's wasi-nn raced when several instances of one runtime
ran inference at once (wasm-micro-runtime#4314), as did WasmEdge's unload and compute. Instances
running at once must each get their own outputs.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"state.concurrent-instances": "function"}
TESTS = ("test_clause[state.concurrent-instances]",)

STAGED_FOR = 0.02
"""Seconds the staged inputs wait for the backend. The probe's instances compute 30 rounds each,
back to back, so another instance stages its own inputs within that time on every run."""


class SharedStaging(ReferenceHost):
    """Inputs go through one staging area on their way to the backend."""

    staged: ClassVar[dict[int, Any]] = {}

    def compute(self, context: int) -> None:
        """Stage the inputs, give other threads a moment, and compute on what is staged."""
        state = self._context(context)
        own = list(state.inputs)
        for index, value in enumerate(own):
            self.staged[index] = value
        time.sleep(STAGED_FOR)  # the window another instance's compute falls into
        # Only tensors of the same type and shape can stand in; others are this context's own.
        state.inputs = [
            staged if (staged := self.staged.get(index)) is not None and _fits(staged, value) else value
            for index, value in enumerate(own)
        ]
        try:
            super().compute(context)
        finally:
            state.inputs = own


def _fits(staged: Any, value: Any) -> bool:
    return value is not None and staged.dtype == value.dtype and staged.shape == value.shape


factory = factory_for(SharedStaging)

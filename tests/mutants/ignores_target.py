"""load ignores the execution target and runs every graph on the CPU.

Wasmtime's ONNX backend used the default (CPU) execution provider whatever the target
(wasmtime#8547); a guest that asked for a GPU or TPU silently got the CPU, and could not tell.
load for a target the host does not offer must fail (``unsupported_operation``). Notes: the
catalog's load.target-unavailable rationale.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load.target-unavailable": "safety"}


class CpuAlways(ReferenceHost):
    """Every target is the CPU."""

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph for the CPU, whatever target was asked for."""
        return super().load(builder, encoding, self.bindings.ExecutionTarget.CPU)


factory = factory_for(CpuAlways)

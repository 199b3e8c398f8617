"""Every load keeps 64 KiB for good, whether it succeeds or fails.

The host copies each model into a buffer of its own and never releases it (nor the copy of a
load it refused), so memory grows with the number of calls rather than with what the guest
holds. Wasmtime kept memory per call until wasmtime#11704, and WAMR freed nothing of a failed
load (wasm-micro-runtime#4340). Over 10,000 loads the process grows by 625 MiB; the soak allows
256 MiB.

Unlike the other mutants it keeps the reference host's limits: a host without a graph limit
holds an onnxruntime session (and its threads) per load, 10,000 of them, which is the soak's
other finding, not this one. The limit does not catch it: the memory is kept by every load,
refused ones included.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from conformance.host import ReferenceHost
from conformance.revisions import Bindings

CAUGHT_BY = {"state.soak": "safety"}
TESTS = ("test_clause[state.soak]",)

KEPT = 64 << 10
"""Bytes every load keeps."""


class KeepingLoads(ReferenceHost):
    """Each load leaves a buffer behind, filled so that its pages are resident."""

    kept: ClassVar[list[bytes]] = []

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load after keeping a buffer of :data:`KEPT` bytes for ever."""
        self.kept.append(b"\1" * KEPT)
        return super().load(builder, encoding, target)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> KeepingLoads:
    """A keeping host for one guest instance, with the reference host's limits."""
    return KeepingLoads(bindings, graphs_by_name=graphs_by_name)

"""Guest ranges are read with a clamp instead of a bounds check, as wasmtime-py's ``Memory.read`` does.

wasmtime-py's ``Memory.read(store, start, stop)`` silently clamps ``stop`` to the memory's size,
which is why the reference glue checks every range itself (conformance/host/linker.py). A Python
host that reads guest memory with it gets a short (or empty) buffer for a range past the end, and
goes on with what it got: a name, a model, a builder array or tensor data that lie in memory
while their length runs past its end are taken as they are there, and a result that does not
fit fails to store after the method ran (a graph loaded and lost). A range past the end of
memory must answer ``invalid_argument``. Reading short is a memory fault, so the clauses must
catch it at the safety level, where only a probe on which the short read succeeds can: a
tensor record or a dimension list read short fails to unpack here (the count of dimensions is
read first), so set_input.record-out-of-bounds and set_input.dimensions-out-of-bounds see no
more than its errno and are not named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {
    "load_by_name.name-out-of-bounds": "safety",
    "load.out-pointer-out-of-bounds": "safety",
    "load.builder-array-out-of-bounds": "safety",
    "load.builder-out-of-bounds": "safety",
    "set_input.data-out-of-bounds": "safety",
}


class ClampingMemory(GuestMemory):
    """A range past the end of memory is the part of it inside memory."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The bytes at ``address``, at most ``length`` of them, never a fault for the bounds."""
        if address + length > self.size:
            length = max(0, self.size - address)
            address = min(address, self.size)
        return super().span(address, length, align)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with clamping reads."""
    _glue.install(memory=ClampingMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""Guest ranges are read with a clamp instead of a bounds check, as wasmtime-py's ``Memory.read`` does.

wasmtime-py's ``Memory.read(store, start, stop)`` silently clamps ``stop`` to the memory's size,
which is why the reference glue checks every range itself (conformance/host/linker.py). A Python
host that reads guest memory with it gets a short (or empty) buffer for a range past the end, and
goes on: a record or builder array comes up short and fails to unpack (a host error:
``runtime_error``), a name past the end is cut to what is there (``not_found``). A range past the
end of memory must answer ``invalid_argument``.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from mutants import _glue

CAUGHT_BY = (
    "load.builder-array-out-of-bounds",
    "load_by_name.name-out-of-bounds",
    "set_input.record-out-of-bounds",
    "load.out-pointer-out-of-bounds",
)


class ClampingMemory(GuestMemory):
    """A range past the end of memory is the part of it inside memory."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The bytes at ``address``, at most ``length`` of them, never a fault for the bounds."""
        if address + length > self.size:
            length = max(0, self.size - address)
            address = min(address, self.size)
        return super().span(address, length, align)


def factory(bindings: ModuleType, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with clamping reads."""
    _glue.install(memory=ClampingMemory)
    return ReferenceHost(bindings, graphs_by_name=graphs_by_name)

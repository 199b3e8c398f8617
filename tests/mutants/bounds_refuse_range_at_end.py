"""The bounds check is off by one the other way: a range may not end at the end of memory.

The host refuses a range whose end equals the memory's size (``address + length >= size``
instead of ``>``), so a valid name or tensor whose last byte is the last byte of memory, and an
empty range that starts at the end, are refused. It is the mirror image of the classic
off-by-one that lets a range read one byte too many (bounds_off_by_one); hosts that tightened
their checks after the overruns of wasm-micro-runtime#4351 and #4491 risk this one. A range
that ends at the end of memory lies inside it and must be taken.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import HostFault, ReferenceHost, Situation
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"load_by_name.name-at-memory-end": "function", "set_input.empty": "function"}


class ShortOfTheEndMemory(GuestMemory):
    """A range that reaches the last byte of memory is out of bounds."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The bytes at ``address``; a fault when the range reaches the end of memory."""
        if address + length >= self.size:
            raise HostFault(Situation.GUEST_RANGE_OUT_OF_BOUNDS, self.bindings, f"{length} bytes at {address:#x}")
        return super().span(address, length, align)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with the bounds check that stops one byte short."""
    _glue.install(memory=ShortOfTheEndMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

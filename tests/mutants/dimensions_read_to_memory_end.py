"""A dimension list that runs past the end of memory is read as far as memory goes.

The host bounds-checks only the start of the dimension list and then takes as many dimensions
as lie in memory, so a list whose count is one more than the dimensions inside memory is read as
those dimensions alone. WAMR validated only the first bytes of the array (the size of its
header) before reading the count of dimensions it was given (the rationale of
set_input.dimensions-out-of-bounds). A dimension list past the end of memory must answer
invalid_argument; read short here, it makes a valid tensor and the call succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.bindings import TypeInfo
from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"set_input.dimensions-out-of-bounds": "safety"}


class ShortDimensions(GuestMemory):
    """Lists of integers end where memory ends."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """A list of integers cut to the elements that lie in memory; the reference's decoding otherwise."""
        element = info.element
        if info.kind != "list" or element is None or element.kind != "int":
            return super().decode(info, raw, stored)
        pointer, length = next(raw), next(raw)
        inside = max(0, self.size - pointer) // element.size
        return super().decode(info, iter((pointer, min(length, inside))), stored)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with dimension lists read short."""
    _glue.install(memory=ShortDimensions)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

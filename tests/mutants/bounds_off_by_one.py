"""The bounds check is off by one: a range may end one byte past the end of memory.

The host checks the index of a range's last byte with ``>`` where ``>=`` is meant
(``address + length - 1 > size`` instead of ``address + length > size``), so a range that ends
exactly one byte past the end of memory passes, and that byte reads as zero (a C host reads
whatever lies after the linear memory). It is the classic off-by-one of bounds checks; the notes
list a stream of such checks being fixed in WAMR (wasm-micro-runtime#4351, #4353, #4491, #4535,
witx-and-hosts.md §6 item 10). A range past the end of memory must answer ``invalid_argument``.

A name whose last byte lies past the end is read with a zero there, a name no graph can be
registered under from a command line: load_by_name.name-out-of-bounds sees this host at the
errno level only, so it is not among the clauses that must catch it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"load.builder-out-of-bounds": "safety", "set_input.data-out-of-bounds": "safety"}


class OffByOneMemory(GuestMemory):
    """A range may reach one byte past the end of memory; that byte reads as zero."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The bytes at ``address``, one of them past the end if need be."""
        if length == 0 or address + length != self.size + 1:
            return super().span(address, length, align)
        inside = super().span(address, length - 1, align)
        return memoryview(bytearray(inside) + b"\0")


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with the off-by-one bounds check."""
    _glue.install(memory=OffByOneMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""Only the start of a guest range is checked against the memory's size, and the host reads on past the end.

WAMR validates, before the call, that each pointer argument's first byte lies in memory; the
extent was left to each function, and several lacked it (set_input: wasm-micro-runtime#3223 and
#4534; get_output: #4535; load_by_name: #4491). Here a range that starts inside memory and ends
past it is read in full, the bytes past the end reading as zeros (what an untouched reservation
holds; a C host reads whatever lies there) up to a page, further than that as a fault (a host
error: ``runtime_error``), and writes past the end are lost: tensor data that runs off the end of
memory is accepted, and a result that does not fit is "stored". A range past the end of memory
must answer ``invalid_argument``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

# A u32 result is 4-aligned and memory a whole number of pages, so a result cannot start
# inside memory and end past it: for out-pointers a start-only check is a full one.
CAUGHT_BY = {
    "set_input.data-out-of-bounds": "safety",
    "set_input.record-out-of-bounds": "safety",
}


READABLE_PAST_THE_END = 1 << 16
"""Bytes past the end of memory that read (as zeros); a read further than that faults."""


class StartCheckedMemory(GuestMemory):
    """A range is valid when its first byte is in memory; past the end it reads zeros."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The bytes at ``address``, as many as asked when the first is in memory."""
        if length == 0 or address + length <= self.size or address >= self.size:
            return super().span(address, length, align)
        inside = super().span(address, self.size - address, align)
        if length - len(inside) > READABLE_PAST_THE_END:
            raise MemoryError(f"reading {length} bytes at {address:#x} runs into unmapped memory")
        return memoryview(bytearray(inside) + bytes(length - len(inside)))


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with start-only range checks."""
    _glue.install(memory=StartCheckedMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""A list's byte size is computed in 32 bits, so a count that wraps past 2^32 passes the bounds check.

The host computes ``count * element_size`` in a ``uint32_t``, checks that many bytes, and walks
the bytes it checked: a builder array of 0x20000001 entries is 8 bytes after the wrap (one entry,
and the model loads), dimensions of 0x40000002 entries are 8 bytes (two dimensions, and the
tensor is taken). The clauses name the case ("or whose length makes it wrap past 2^32"); no host in
the notes is known to wrap here, but WAMR checks only 8 bytes of the dimensions whatever their
count (witx-and-hosts.md §3.3), the same blind spot.
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

CAUGHT_BY = {
    "load.builder-array-out-of-bounds": "safety",
    "set_input.dimensions-out-of-bounds": "safety",
}


class WrappingMemory(GuestMemory):
    """A list holds as many elements as fit in its byte size modulo 2^32."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value; a list's element count comes from a 32-bit byte size."""
        if info.kind != "list" or info.element is None:
            return super().decode(info, raw, stored)
        pointer, count = next(raw), next(raw)
        size = info.element.size
        return super().decode(info, iter([pointer, (count * size & _glue.I32) // size]))


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with 32-bit list sizes."""
    _glue.install(memory=WrappingMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""A range of length zero is never bounds-checked: its pointer may lie anywhere.

The host skips the bounds check of an empty range, reasoning that nothing is read (a C host
that checks ``len > 0 && ptr + len > size``). Wasm's own bulk memory instructions trap on an
empty range that starts past the end of memory, and the catalog asks for invalid_argument: a
zero-length name or tensor data whose pointer lies past the end is then taken as the empty
name (not_found) and as valid empty data (success). Both are harmless, so this is a departure
at the errno level only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"set_input.empty-data-past-end": "errno", "load_by_name.empty-name-past-end": "errno"}


class EmptyAnywhereMemory(GuestMemory):
    """An empty range is in bounds wherever it starts."""

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """No bytes for an empty range, without a bounds check; the reference's check otherwise."""
        if length == 0:
            return memoryview(b"")
        return super().span(address, length, align)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked without a bounds check for empty ranges."""
    _glue.install(memory=EmptyAnywhereMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

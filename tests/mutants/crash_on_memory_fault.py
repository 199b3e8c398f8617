"""The host process aborts when a builder, name, dimensions or data range leaves guest memory.

In Wasmtime (v23 and later) a ``GuestError`` raised inside the wasi-nn implementation, which is
where the builder buffers, the name, the dimensions and data and the output buffer are read, is
converted with ``unimplemented!("guest error conversion")``: a host panic, and the CLI aborts
(witx-and-hosts.md §3.1; before v23 every error panicked, wasmtime#3948 and
bytecodealliance/wasi-nn#101). This host aborts the process (SIGABRT) the same way, so it runs as
a subprocess: ``--wasi-nn-host-command 'python tests/mutants/run_mutant.py crash_on_memory_fault
{wasm}'``. A host process that dies is never a pass.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.bindings import TypeInfo
from conformance.host import HostFault, ReferenceHost, Situation
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {
    "load.builder-out-of-bounds": "safety",
    "set_input.data-out-of-bounds": "safety",
}
SUBPROCESS = True


class PanickingMemory(GuestMemory):
    """A list or string range outside memory aborts the process."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value; a list out of bounds is a panic."""
        try:
            return super().decode(info, raw, stored)
        except HostFault as error:
            if info.kind not in ("list", "string") or error.situation is not Situation.GUEST_RANGE_OUT_OF_BOUNDS:
                raise
            print(f"wasi-nn host panicked: not implemented: guest error conversion ({error})", file=sys.stderr)
            sys.stderr.flush()
            os.abort()


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked so that a list out of bounds aborts the process."""
    _glue.install(memory=PanickingMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

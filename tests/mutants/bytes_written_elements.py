"""get_output reports the number of elements written instead of bytes, as WAMR's legacy module does.

WAMR's deprecated ``wasi_nn`` module stores the count of f32 elements in bytes_written, kept
"bug-to-bug" compatible (wasm-micro-runtime#4376); the WITX result is "the number of bytes of
tensor data written". The bytes themselves are right; only the count is not (for u8 outputs the
two agree). Notes: witx-and-hosts.md §2.2 (get_output) and §4 ("bytes written reported").
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import computed_output, factory_for

CAUGHT_BY = {
    "get_output.valid": "function",
    "get_output.larger-buffer": "function",
}


class CountingElements(ReferenceHost):
    """bytes_written is the output's element count."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest; answer how many elements it has."""
        super().get_output(context, index, out_buffer, out_buffer_max_size)
        return int(computed_output(self, context, index).size)


factory = factory_for(CountingElements)

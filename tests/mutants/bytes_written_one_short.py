"""get_output stores one byte less than it wrote in bytes_written.

The count is computed as the offset of the last byte written rather than the number of bytes,
the off-by-one of a loop's bound. No host in the notes is known to be one short; the count has
been wrong before, by a factor: WAMR's legacy module reports elements, not bytes
(wasm-micro-runtime#4376, witx-and-hosts.md §2.2). The result is "the number of bytes of tensor
data written".
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.valid": "function", "get_output.larger-buffer": "function"}


class OneShort(ReferenceHost):
    """bytes_written is the output's size minus one."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest; answer one byte less than its size."""
        return super().get_output(context, index, out_buffer, out_buffer_max_size) - 1


factory = factory_for(OneShort)

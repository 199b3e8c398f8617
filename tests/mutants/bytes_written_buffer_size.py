"""get_output stores the buffer's size in bytes_written instead of the number of bytes it wrote.

WAMR's legacy ``wasi_nn`` module passes the size in and out through one pointer
(``get_output(ctx, index, buffer, size_inout)``, witx-and-hosts.md §3.3); a host ported from it
that never updates the size answers the buffer's size. For a buffer of exactly the output's size
the two agree; for a larger one the count is wrong. The result is "the number of bytes of tensor
data written".
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.larger-buffer": "function"}


class BufferSize(ReferenceHost):
    """bytes_written is out_buffer_max_size."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest; answer the buffer's size."""
        super().get_output(context, index, out_buffer, out_buffer_max_size)
        return out_buffer_max_size


factory = factory_for(BufferSize)

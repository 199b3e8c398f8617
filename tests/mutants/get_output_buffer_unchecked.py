"""get_output does not check its buffer against the size of guest memory, only the output against the buffer.

WAMR's get_output lacked the address validation of its out buffer (wasm-micro-runtime#4533,
#4535; witx-and-hosts.md §6 item 10): a buffer whose declared size reaches past the end of
memory is taken, and the output is written at its start. Here the output is written when it
fits in memory (a C host writes past the end when it does not). A buffer that reaches past the
end of memory must answer ``invalid_argument`` and write nothing.
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.buffer-out-of-bounds": "safety"}


class UncheckedBuffer(ReferenceHost):
    """The buffer's size is trusted as far as guest memory goes."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into a buffer whose end is never compared with memory's."""
        inside = max(0, len(out_buffer.memory) - out_buffer.address)
        return super().get_output(context, index, out_buffer, min(out_buffer_max_size, inside))


factory = factory_for(UncheckedBuffer)

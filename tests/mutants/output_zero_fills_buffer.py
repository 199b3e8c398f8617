"""get_output clears the whole buffer before it copies the output: the bytes past the output are zeroed.

The host hands the guest's whole buffer to the backend as the output tensor's storage, which
zero-fills it before writing the output into its start. The bytes are inside the buffer the
guest gave, so nothing outside it is touched, but a buffer larger than the output must keep
its other bytes. No host in the notes is known to do this; the clause's bytes_written rule and
its "rest stays untouched" come from the WITX result ("the number of bytes of tensor data
written", witx-and-hosts.md §1.3).
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.larger-buffer": "function"}


class ZeroFilling(ReferenceHost):
    """The buffer is zeroed before the output is copied into it."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Zero the guest's buffer, then copy the output into it."""
        written = super().get_output(context, index, out_buffer, out_buffer_max_size)
        start = out_buffer.address
        out_buffer.memory[start + written : start + out_buffer_max_size] = bytes(out_buffer_max_size - written)
        return written


factory = factory_for(ZeroFilling)

"""get_output into a buffer too small copies what fits, then answers too_large.

WasmEdge's backends disagreed on a buffer too small (witx-and-hosts.md §3.2): the PyTorch
backend copies as many bytes as fit and answers success, the TFLite one failed after a copy that
went wrong silently (WasmEdge#2359). This host has both halves: it copies the output's first
bytes and then reports too_large, so the guest is told nothing was done while its buffer
changed. A call that fails writes nothing, neither the buffer nor bytes_written.
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import HostFault, ReferenceHost, Situation
from mutants._hosts import computed_output, factory_for

CAUGHT_BY = {"get_output.buffer-too-small": "function"}


class CopyingFirst(ReferenceHost):
    """A buffer too small receives the output's first bytes before the call fails."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest, or as much of it as fits and then fail."""
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        except HostFault as error:
            if error.situation is Situation.OUTPUT_BUFFER_TOO_SMALL:
                data = computed_output(self, context, index).reshape(-1).view("u1")[:out_buffer_max_size]
                start = out_buffer.address
                out_buffer.memory[start : start + len(data)] = data.data
            raise


factory = factory_for(CopyingFirst)

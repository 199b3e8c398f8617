"""get_output into a buffer too small truncates the output and succeeds, as WasmEdge's PyTorch backend did.

In WasmEdge up to 0.17 the PyTorch backend copies as many bytes as fit, reports that count in
bytes_written and answers ``success``; the guest cannot tell it got part of the tensor.
get_output must fail (``too_large``) and write nothing. Notes: witx-and-hosts.md §3.2 ("get_output
with a too-small buffer ... PyTorch → silent truncation") and §3.4 ("out buffer too small").
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import HostFault, ReferenceHost, Situation
from mutants._hosts import computed_output, factory_for

CAUGHT_BY = {"get_output.buffer-too-small": "safety"}


class Truncating(ReferenceHost):
    """A buffer too small receives the output's first bytes."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest, or as much of it as fits."""
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        except HostFault as error:
            if error.situation is not Situation.OUTPUT_BUFFER_TOO_SMALL:
                raise
        data = computed_output(self, context, index).reshape(-1).view("u1")[:out_buffer_max_size]
        start = out_buffer.address
        out_buffer.memory[start : start + len(data)] = data.data
        return len(data)


factory = factory_for(Truncating)

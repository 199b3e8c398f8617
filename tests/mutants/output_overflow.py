"""get_output copies the whole output whatever out_buffer_max_size says, as WasmEdge's OpenVINO backend did.

In WasmEdge up to 0.17 the OpenVINO backend copies the output's byte size into the guest buffer
without comparing it with the buffer's size, writing past the buffer's end, and answers
``success``; WAMR's OpenVINO backend lacked the same check (wasm-micro-runtime#4351, #4353).
get_output must fail (``too_large``) and write nothing. Notes: witx-and-hosts.md §3.2 ("OpenVINO
copies byte_size bytes with no check") and §6 item 10.
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import HostFault, ReferenceHost, Situation
from mutants._hosts import computed_output, factory_for

CAUGHT_BY = {"get_output.buffer-too-small": "safety"}


class Overflowing(ReferenceHost):
    """The output is copied whole into any buffer (still within guest memory)."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest without looking at the buffer's size."""
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        except HostFault as error:
            if error.situation is not Situation.OUTPUT_BUFFER_TOO_SMALL:
                raise
        data = computed_output(self, context, index).reshape(-1).view("u1")
        start = out_buffer.address
        out_buffer.memory[start : start + len(data)] = data.data
        return len(data)


factory = factory_for(Overflowing)

"""get_output before compute answers success with zeros, as Wasmtime's OpenVINO backend does.

Wasmtime's OpenVINO backend reads the output tensor of an inference request that never ran and
returns its bytes (stale or zero) with ``success``; WAMR's TFLite backend does the same. get_output
must fail "if the inference has not yet run". Notes: witx-and-hosts.md §3.4 ("get_output before
compute": "OpenVINO returns stale or empty data, 0"; "tflite 0 with stale data").
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import HostFault, ReferenceHost, Situation
from mutants._hosts import declared_zeros, factory_for

CAUGHT_BY = {"get_output.before-compute": "safety"}


class ZerosBeforeCompute(ReferenceHost):
    """Before compute, an output reads as its freshly allocated tensor: zeros of its declared shape."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest, computed or not."""
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        except HostFault as error:
            if error.situation is not Situation.NOT_COMPUTED:
                raise
        data = declared_zeros(self._context(context).graph.outputs[index]).reshape(-1).view("u1")
        if len(data) > out_buffer_max_size:
            raise self.fault(Situation.OUTPUT_BUFFER_TOO_SMALL, f"{len(data)} bytes > {out_buffer_max_size}")
        start = out_buffer.address
        out_buffer.memory[start : start + len(data)] = data.data
        return len(data)


factory = factory_for(ZerosBeforeCompute)

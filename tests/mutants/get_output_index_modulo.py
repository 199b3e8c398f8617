"""get_output takes its output index modulo the number of outputs: an index past the last reads an earlier output.

Hosts have left output indices unchecked (WasmEdge's PyTorch backend takes any input index,
witx-and-hosts.md §3.2; WAMR's TFLite and OpenVINO backends answer runtime_error from deep in the
backend, §3.4); a host that keeps the index in range by reducing it modulo the output count
never reads outside its table, but copies an output the guest did not ask for and answers
success. get_output at an index that is not a position of the graph's output list must fail.
"""

from __future__ import annotations

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.index-out-of-range": "safety"}


class WrappingOutputIndex(ReferenceHost):
    """Output ``index`` is output ``index % count``."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy the output at ``index`` modulo the graph's output count."""
        count = len(self._context(context).graph.outputs)
        return super().get_output(context, index % count if count else index, out_buffer, out_buffer_max_size)


factory = factory_for(WrappingOutputIndex)

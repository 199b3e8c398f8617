"""get_output does not check that its context computed: outputs are kept per graph, not per context.

The host runs every context of a graph through the graph's one session and keeps the outputs
there, so get_output answers whatever the graph last computed, for whichever context: a context
reads another's outputs, and one that never computed reads them with ``success``. This is the
shape of WAMR's TFLite backend answering get_output before compute with stale data and 0, and of
hosts that hold one inference request per graph. Notes: witx-and-hosts.md §3.4 ("get_output before
compute").
"""

from __future__ import annotations

from typing import Any

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from conformance.host.backend import Graph
from mutants._hosts import factory_for

CAUGHT_BY = {"state.contexts-independent": "function"}


class GraphOutputs(ReferenceHost):
    """compute stores the outputs on the graph; get_output reads the graph's."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.last_outputs: dict[int, tuple[Graph, list[Any]]] = {}

    def compute(self, context: int) -> None:
        """Run inference and keep the outputs as the graph's."""
        super().compute(context)
        state = self._context(context)
        assert state.outputs is not None
        self.last_outputs[id(state.graph)] = (state.graph, state.outputs)

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy the graph's last output into the guest, whichever context computed it."""
        state = self._context(context)
        last = self.last_outputs.get(id(state.graph))
        own, state.outputs = state.outputs, last[1] if last is not None else state.outputs
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        finally:
            state.outputs = own


factory = factory_for(GraphOutputs)

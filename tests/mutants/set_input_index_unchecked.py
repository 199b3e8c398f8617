"""set_input takes any input index, as WasmEdge's PyTorch backend does.

WasmEdge's PyTorch backend resizes its vector of inputs to fit whatever index the guest
passes, so an index past the graph's inputs succeeds and the tensor is never used. set_input
must fail for an index that is not a position of the graph's input list. Notes:
witx-and-hosts.md §3.2 ("PyTorch: ... any input index accepted (the vector is resized)").
"""

from __future__ import annotations

from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.index-out-of-range": "safety"}


class AnyIndex(ReferenceHost):
    """Inputs past the graph's are kept aside and never read."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.extra_inputs: dict[tuple[int, int], bytes] = {}

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input; an index past the graph's inputs grows the list instead of failing."""
        if index >= len(self._context(context).graph.inputs):
            self.extra_inputs[context, index] = bytes(tensor.data)
            return
        super().set_input(context, index, tensor)


factory = factory_for(AnyIndex)

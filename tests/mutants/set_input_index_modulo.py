"""set_input takes its input index modulo the number of inputs: an index past the last binds an earlier input.

WasmEdge's PyTorch backend accepts any input index by resizing its vector (witx-and-hosts.md
§3.2); a host that instead keeps the index in range by reducing it modulo the input count never
writes outside its table, but binds the tensor to an input the guest did not name, and answers
success. set_input at an index that is not a position of the graph's input list must fail.
"""

from __future__ import annotations

from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.index-out-of-range": "safety"}


class WrappingInputIndex(ReferenceHost):
    """Input ``index`` is input ``index % count``."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind the input at ``index`` modulo the graph's input count."""
        count = len(self._context(context).graph.inputs)
        super().set_input(context, index % count if count else index, tensor)


factory = factory_for(WrappingInputIndex)

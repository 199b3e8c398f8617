"""set_input multiplies the dimensions in 32 bits, so a huge tensor that wraps to the data's length passes.

The host computes product(dimensions) x element size in a ``uint32_t``; for dimensions
[0x40000001, 3] of f32 that is 3 x 2^32 + 12 bytes, which wraps to 12, so 12 bytes of data
"match" and set_input succeeds; the backend tensor is then the declared size, and the first
compute fails (in a C host it reads far past the data). The clause names the case: "including a
product that overflows 32 bits". No host in the notes is known to wrap here; it is the classic
integer overflow of a C host's length check (the notes' WasmEdge and WAMR code reading, §3.2,
§3.3, found unchecked lengths beside it).
"""

from __future__ import annotations

import math
from typing import Any

from conformance.dtypes import NUMPY_DTYPES
from conformance.host import ReferenceHost, Situation
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.data-length-mismatch": "safety", "set_input.dimensions-product-wraps": "safety"}

U32 = 0xFFFFFFFF


class WrappingProduct(ReferenceHost):
    """A tensor whose size wraps to its data's length is accepted; its context can then not compute."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.accepted_wrapped: set[int] = set()

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input; the size check compares the length with a 32-bit product."""
        itemsize = NUMPY_DTYPES[tensor.type.name.lower()].itemsize
        wrapped = (math.prod(tensor.dimensions) * itemsize) & U32
        exact = math.prod(tensor.dimensions) * itemsize
        if wrapped == len(tensor.data) != exact:
            self._context(context)  # an unknown context still fails first
            self.accepted_wrapped.add(context)
            return
        super().set_input(context, index, tensor)

    def compute(self, context: int) -> None:
        """Run inference; a context given a wrapped tensor fails in the backend."""
        if context in self.accepted_wrapped:
            raise self.fault(Situation.BACKEND_FAILURE, "the input tensor is larger than its data")
        super().compute(context)


factory = factory_for(WrappingProduct)

"""set_input takes dimensions of another order or rank when they hold as many elements as the input's shape.

WAMR's TFLite backend hands the data to ``TfLiteTensorCopyFromBuffer``, which compares byte
sizes only, and WasmEdge's OpenVINO and PyTorch backends do not compare the dimensions with the
model's (witx-and-hosts.md §3.2, §3.3): a tensor of dimensions [3, 2] or [6] is taken for a
[2, 3] input, its data read as if it had the input's shape. set_input must fail "if the input
tensor does not match the expected dimensions and type".
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.shape-mismatch": "safety"}


class SameCount(ReferenceHost):
    """Dimensions that count the input's elements are taken as the input's shape."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input, reshaping dimensions of the right element count to the input's shape."""
        inputs = self._context(context).graph.inputs
        if index < len(inputs):
            shape = [size for size in inputs[index].shape if size is not None]
            static = len(shape) == len(inputs[index].shape)
            if static and math.prod(tensor.dimensions) == math.prod(shape):
                tensor = dataclasses.replace(tensor, dimensions=shape)
        super().set_input(context, index, tensor)


factory = factory_for(SameCount)

"""set_input takes a tensor of another type with the same element size, and reads its bytes as the input's type.

A host that checks only the byte size of the data, as WAMR's TFLite backend through
``TfLiteTensorCopyFromBuffer`` and the backends that ignore the tensor type (WasmEdge's GGML
backend, witx-and-hosts.md §4; WAMR's OpenVINO backend, which passes an unknown type through,
§3.3), accepts i32 data for an f32 input: the integers are reinterpreted as floats. set_input
must fail "if the input tensor does not match the expected dimensions and type".
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.dtypes import NUMPY_DTYPES
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.tensor-type-mismatch": "safety"}


class SameSize(ReferenceHost):
    """A tensor type of the input's element size is taken as the input's type."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input, retyping a tensor whose elements are as wide as the input's."""
        inputs = self._context(context).graph.inputs
        if index < len(inputs):
            element = inputs[index].element
            given = tensor.type.name.lower()
            if element is not None and NUMPY_DTYPES[given].itemsize == NUMPY_DTYPES[element].itemsize:
                tensor = dataclasses.replace(tensor, type=self.bindings.TensorType[element.upper()])
        super().set_input(context, index, tensor)


factory = factory_for(SameSize)

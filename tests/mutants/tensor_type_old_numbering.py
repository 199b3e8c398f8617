"""set_input reads tensor_type with the numbering before 2023-08: u8 = 2 and i32 = 3.

The 2023-08 revision inserted f64 (2) and i64 (5), moving u8 from 2 to 3 and i32 from 3 to 4.
WasmEdge up to 0.14 kept the old numbering (WasmEdge#4068, fixed by PR #4069 in 0.15), and a guest
built with wasi-nn 0.6.0 sent U8 that the host read as I32 (bytecodealliance/wasi-nn#98). Here 2
reads as u8, 3 as i32, and 4 and 5 as unknown types. Notes: witx-and-hosts.md §1.1, §2.3, §3.2 and
§6 items 4 and 5.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.host import ReferenceHost, Situation
from mutants._hosts import factory_for

CAUGHT_BY = {
    "set_input.valid": "function",
    "get_output.values": "function",
}

OLD_NUMBERING = ("f16", "f32", "u8", "i32")
"""tensor_type cases of the revisions R3 to R12, in value order."""


class OldTensorTypes(ReferenceHost):
    """Tensor types are the pre-2023-08 cases."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input whose type value means what it meant before 2023-08."""
        value = int(tensor.type)
        if value >= len(OLD_NUMBERING):
            raise self.fault(Situation.TENSOR_TYPE_UNKNOWN, f"{value} is not a tensor_type")
        old = self.bindings.TensorType[OLD_NUMBERING[value].upper()]
        super().set_input(context, index, dataclasses.replace(tensor, type=old))


factory = factory_for(OldTensorTypes)

"""i64 outputs are truncated to 32 bits and sign-extended back: values past the i32 range come out wrong.

A backend or binding that moves integer tensors through a 32-bit type loses the high half of
every i64: TFLite's kernels are mostly 32-bit, and Wasmtime's ONNX backend implements only f32
inputs at compute (witx-and-hosts.md §3.1, "At compute only FP32 inputs are implemented"), the
kind of gap a 32-bit stand-in fills. No host in the notes is known to truncate. The outputs
must be the model's.
"""

from __future__ import annotations

import numpy as np

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.values": "function"}


class Truncating(ReferenceHost):
    """Every i64 output passes through an i32."""

    def compute(self, context: int) -> None:
        """Run inference; i64 outputs keep their low 32 bits, sign-extended."""
        super().compute(context)
        state = self._context(context)
        assert state.outputs is not None
        state.outputs = [
            value.astype(np.int32).astype(np.int64) if value.dtype == np.int64 else value for value in state.outputs
        ]


factory = factory_for(Truncating)

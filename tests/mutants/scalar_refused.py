"""Rank-0 (scalar) tensors are refused: set_input and get_output answer runtime_error, as the Wasmtime CLI does.

The Wasmtime CLI 49 with OpenVINO answers runtime_error for an input of dimensions [] and for a
rank-0 output, while compute succeeds (reports/baselines/wasmtime-cli-49/FINDINGS.md, finding 5).
tensor_dimensions' length is the rank, and a rank-0 input takes dimensions [] with one element:
the valid call must succeed.
"""

from __future__ import annotations

from typing import Any

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost, Situation
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.scalar": "function"}


class NoScalars(ReferenceHost):
    """A rank-0 input or output is a backend failure."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input; one of rank 0 fails."""
        if len(tensor.dimensions) == 0:
            self._context(context)  # an unknown context still fails first
            raise self.fault(Situation.BACKEND_FAILURE, "the backend has no rank-0 tensors")
        super().set_input(context, index, tensor)

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest; one of rank 0 fails."""
        outputs = self._context(context).outputs
        if outputs is not None and index < len(outputs) and outputs[index].ndim == 0:
            raise self.fault(Situation.BACKEND_FAILURE, "the backend has no rank-0 tensors")
        return super().get_output(context, index, out_buffer, out_buffer_max_size)


factory = factory_for(NoScalars)

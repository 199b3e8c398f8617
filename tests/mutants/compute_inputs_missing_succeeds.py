"""compute with an input never set succeeds, as WAMR's TFLite backend does.

WAMR's TFLite backend allocates the input tensors when the context is made and ignores the
status of ``Invoke()``, so compute before every input is set runs on whatever the unset tensors
hold (zeros) and answers ``success``. compute must fail "if the inputs are not all defined".
Notes: witx-and-hosts.md §3.3 ("compute ignores the Invoke() status") and §3.4 ("compute before all
inputs set": "tflite 0 (success)").
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import declared_zeros, factory_for

CAUGHT_BY = {"compute.inputs-missing": "safety"}


class ZeroInputs(ReferenceHost):
    """An input never set is a tensor of zeros of the declared shape."""

    def compute(self, context: int) -> None:
        """Run inference with every unset input as zeros."""
        state = self._context(context)
        for position, value in enumerate(state.inputs):
            if value is None:
                state.inputs[position] = declared_zeros(state.graph.inputs[position])
        super().compute(context)


factory = factory_for(ZeroInputs)

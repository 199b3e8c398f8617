"""compute answers success when inference fails, leaving outputs of zeros, as WAMR's TFLite backend does.

WAMR's TFLite backend ignores the status of ``Invoke()`` and always answers success
(witx-and-hosts.md §3.3, "compute ignores the Invoke() status"); the output tensors then hold
what they held, zeros for a fresh context. The guest reads zeros as if they were the model's
answer. compute whose inference fails must fail (``runtime_error``).
"""

from __future__ import annotations

from conformance.host import HostFault, ReferenceHost, Situation
from mutants._hosts import declared_zeros, factory_for

CAUGHT_BY = {"compute.inference-fails": "safety"}


class IgnoringStatus(ReferenceHost):
    """A failed inference leaves zeros of the declared shapes as the outputs."""

    def compute(self, context: int) -> None:
        """Run inference; if it fails, the outputs are zeros and the call succeeds."""
        try:
            super().compute(context)
        except HostFault as error:
            if error.situation is not Situation.BACKEND_FAILURE:
                raise
            state = self._context(context)
            state.outputs = [declared_zeros(slot) for slot in state.graph.outputs]


factory = factory_for(IgnoringStatus)

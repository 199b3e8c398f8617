"""compute consumes the context's inputs: computing again without setting them again fails.

The host moves the input tensors into the inference request and drops them when it has run, so
a second compute on the same context finds no inputs and answers invalid_argument. Inputs set
on a context stay set until replaced: the spec asks only that they are "all defined" before
compute. No host in the notes is known to forget inputs; WasmEdge's OpenVINO backend creates its
inference request inside set_input (witx-and-hosts.md §3.2), the kind of coupling that does.
Only a scenario that computes twice on one context without setting its inputs again sees it.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"compute.valid": "function"}
TESTS = ("test_clause[compute.valid]", "test_state_machine")


class Forgetting(ReferenceHost):
    """compute unsets every input after it ran."""

    def compute(self, context: int) -> None:
        """Run inference, then forget the inputs."""
        super().compute(context)
        state = self._context(context)
        state.inputs = [None] * len(state.inputs)


factory = factory_for(Forgetting)

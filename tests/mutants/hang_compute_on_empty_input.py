"""compute waits forever when an input has a zero-size dimension.

The shape of a host that hands inference to workers and waits for one result per chunk of the
batch: a tensor with a zero-size dimension makes no chunk, and the wait never ends. Such a
tensor is valid (set_input.empty); no host in the notes is known to hang on it. The mutant is
here for what it costs: a host that hangs on one class of input hangs on every example of it,
each waiting out a timeout (tests/test_hang_costs.py measures the run against it). It runs as
a subprocess: ``--wasi-nn-host-command 'python tests/mutants/run_mutant.py
hang_compute_on_empty_input {graphs} {wasm}'``; ``hang_compute_on_empty_input:without_the_hang``
is the same host without the fault.
"""

from __future__ import annotations

import threading

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"compute.valid": "safety"}
TESTS = ("test_clause[set_input.empty]",)
SUBPROCESS = True
TIMEOUT = 10.0


class WaitingOnEmpty(ReferenceHost):
    """compute on a context with an input of a zero-size dimension waits for results that never come."""

    def compute(self, context: int) -> None:
        """Wait forever when an input has a zero-size dimension; compute as the reference otherwise."""
        state = self._context(context)
        if any(value is not None and 0 in value.shape for value in state.inputs):
            threading.Event().wait()  # the chunks of an empty dimension: none is ever sent
        super().compute(context)


factory = factory_for(WaitingOnEmpty)

without_the_hang = factory_for(ReferenceHost)
"""The same host with the fault fixed: the control of a run against the mutant."""

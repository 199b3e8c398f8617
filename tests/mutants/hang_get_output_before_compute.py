"""get_output before compute waits forever for an inference that was never started.

The host runs inference asynchronously: compute starts it and get_output waits for its result.
get_output on a context that never computed waits on a result that will never come, instead of
failing "if the inference has not yet run". It is the shape of a backend whose output read blocks
on the inference request (OpenVINO's infer request ``wait()``, a remote backend such as WasmEdge's
RPC mode); no host in the notes is known to hang here. A host that hangs is stopped at the
scenario timeout and never passes; the mutant runs as a subprocess with a short timeout:
``--wasi-nn-host-command 'python tests/mutants/run_mutant.py hang_get_output_before_compute {wasm}'
--wasi-nn-timeout 10``.
"""

from __future__ import annotations

import threading

from conformance.bindings import GuestPointer
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.before-compute": "safety"}
SUBPROCESS = True
TIMEOUT = 10.0


class Waiting(ReferenceHost):
    """get_output waits for the context's inference to finish; compute is what finishes it."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Wait for the context's inference, then copy its output."""
        if self._context(context).outputs is None:
            threading.Event().wait()  # the inference was never started: nothing will ever set it
        return super().get_output(context, index, out_buffer, out_buffer_max_size)


factory = factory_for(Waiting)

"""Context handles are taken modulo the number of contexts: a forged handle names a real context.

WAMR's TFLite backend keeps execution contexts in fixed slots (ten per instance,
witx-and-hosts.md §3.3) and reports a bad handle with runtime_error; a host that keeps the index
in range by reducing it modulo the table instead of checking it can never read outside the
table, but answers for a context the guest never named: set_input, compute and get_output on a
forged handle succeed. A handle no init_execution_context returned must fail.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from conformance.host.reference import _Context
from mutants._hosts import factory_for

CAUGHT_BY = {
    "set_input.context-unknown": "safety",
    "compute.context-unknown": "safety",
    "get_output.context-unknown": "safety",
}


class WrappingContexts(ReferenceHost):
    """A context handle is reduced modulo the number of contexts made (handles count up from 0)."""

    def _context(self, context: int) -> _Context:
        made = self._tables.next_context
        return super()._context(context % made if made else context)


factory = factory_for(WrappingContexts)

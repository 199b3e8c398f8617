"""A bad graph or context handle answers busy, as if the resource were in use.

busy is "device or resource busy"; WAMR answers it for concurrent use of one instance, guarded
by a per-instance flag (witx-and-hosts.md §3.3 and §3.4, "concurrent use of one instance: 4
busy"), and WasmEdge's TFLite backend for a failed copy (§3.2). A host that reports every failed
lookup through that path answers busy for a handle that names nothing, and the guest waits for
a resource that will never be free. The catalog rules ``invalid_argument``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {
    "init_execution_context.graph-unknown": "errno",
    "set_input.context-unknown": "errno",
    "compute.context-unknown": "errno",
    "get_output.context-unknown": "errno",
}


class BusyHandles(Misanswering):
    """Unknown handles are a busy resource."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {
        Situation.GRAPH_UNKNOWN: "busy",
        Situation.CONTEXT_UNKNOWN: "busy",
    }


factory = factory_for(BusyHandles)

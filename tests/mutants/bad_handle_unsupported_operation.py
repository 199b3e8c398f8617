"""A bad graph or context handle answers unsupported_operation, as Wasmtime does.

Since v23 (commit 0f4ae88a7a, 2024-06-27) Wasmtime turns every ``UsageError`` into
``unsupported_operation`` (6), an unknown graph or execution context handle included; the spec
names no errno for it and the catalog rules ``invalid_argument``: the handle is an invalid
argument. Notes: witx-and-hosts.md §3.1 and §3.4 ("bad graph handle", "bad context handle").
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


class UnsupportedHandles(Misanswering):
    """Unknown handles are an unsupported operation."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {
        Situation.GRAPH_UNKNOWN: "unsupported_operation",
        Situation.CONTEXT_UNKNOWN: "unsupported_operation",
    }


factory = factory_for(UnsupportedHandles)

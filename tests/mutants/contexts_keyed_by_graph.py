"""init_execution_context hands out one context per graph: a second call returns the first context.

The host keys its execution contexts by graph (one inference request made when the graph is
first used), so two contexts of one graph are one: inputs set on either overwrite the other's,
and each compute replaces both contexts' outputs. An execution context is "an instance of a
graph"; every call must give a new one. No host in the notes does exactly this; it is the
handle confusion that state.contexts-independent exists for (witx-and-hosts.md §4, "graph/context
handles validated").
"""

from __future__ import annotations

from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"state.contexts-independent": "function"}


class ContextPerGraph(ReferenceHost):
    """The first context of a graph is the answer to every later init_execution_context of it."""

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        self.context_of_graph: dict[int, int] = {}

    def init_execution_context(self, graph: int) -> int:
        """The graph's context, made on first use."""
        if graph not in self.context_of_graph:
            self.context_of_graph[graph] = super().init_execution_context(graph)
        return self.context_of_graph[graph]


factory = factory_for(ContextPerGraph)

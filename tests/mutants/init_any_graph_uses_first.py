"""init_execution_context takes any graph handle: one that names no graph gets a context of the first graph.

WAMR dispatches a call on a graph to the backend of its instance and lets the backend look the
handle up; since commit 4f8646867 (2025-09) nothing checks first that a graph was loaded at
all, and its TFLite backend keeps graphs in ten fixed slots (witx-and-hosts.md §3.3). A host
that falls back to its first graph when the handle names none answers success for a handle no
load returned. init_execution_context of such a handle must fail.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"init_execution_context.graph-unknown": "safety"}


class FirstGraph(ReferenceHost):
    """An unknown graph handle means the oldest graph still loaded."""

    def init_execution_context(self, graph: int) -> int:
        """Create a context of ``graph``, or of the first graph when ``graph`` names none."""
        graphs = self._tables.graphs
        if graph not in graphs and graphs:
            graph = min(graphs)
        return super().init_execution_context(graph)


factory = factory_for(FirstGraph)

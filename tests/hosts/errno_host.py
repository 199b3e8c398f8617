"""A host that departs from the reference host in exactly one situation, and one that does not.

``departing`` answers ``init_execution_context`` of an unknown graph handle with
``unsupported_operation`` (what Wasmtime answers) instead of ``invalid_argument``: the clause
``init_execution_context.graph-unknown`` fails at the errno level and no other clause fails.
``conforming`` is the same host with the departure fixed. Both are ``module:factory`` hosts:
``--wasi-nn-host tests.hosts.errno_host:departing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conformance.host import ReferenceHost
from conformance.host.situations import HostFault, Situation
from conformance.revisions import Bindings

DEPARTING_CLAUSE = "init_execution_context.graph-unknown"
"""The one clause ``departing`` fails."""


class UnknownGraphIsUnsupported(ReferenceHost):
    """The reference host, but an unknown graph handle is an unsupported operation."""

    def fault(self, situation: Situation, detail: str) -> HostFault:
        error = super().fault(situation, detail)
        if situation is Situation.GRAPH_UNKNOWN:
            error.errno = self.bindings.NnErrno.UNSUPPORTED_OPERATION
        return error


def departing(bindings: Bindings, graphs: Mapping[str, Path]) -> ReferenceHost:
    return UnknownGraphIsUnsupported(bindings, graphs_by_name=graphs)


def conforming(bindings: Bindings, graphs: Mapping[str, Path]) -> ReferenceHost:
    return ReferenceHost(bindings, graphs_by_name=graphs)

"""Every guest instance of the process shares one table of graphs and contexts.

The host keeps its handle tables in the process rather than in the instance, counting handles
from 0 for the first instance only: a new instance that uses handle values it was never given
reaches the graphs and contexts of an instance before it. WasmEdge kept graphs in a table that
outlived the guest that made them, and recycled ids from earlier guests reached newer ones
(WasmEdge#5100, PR #5005). A handle no call of this instance returned must answer an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.revisions import Bindings
from mutants._hosts import mutant_host

CAUGHT_BY = {"state.instances-independent": "safety"}

_SHARED: dict[str, Any] = {}
"""The tables of the first instance, which every later instance takes over."""


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """A reference host whose handle tables are the process's, not the instance's."""
    host = mutant_host(ReferenceHost, bindings, graphs_by_name)
    host._tables = _SHARED.setdefault("tables", host._tables)
    return host

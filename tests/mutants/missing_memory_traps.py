"""A caller without a memory export traps instead of getting missing_memory, as Wasmtime and WasmEdge do.

Wasmtime's wiggle glue fails to find the caller's memory and traps; WasmEdge returns a
``HostFuncError``, also a trap. The revision's ``missing_memory`` is defined as "the caller module is
missing a memory export"; a trap is accepted at the function level, the errno level expects
``missing_memory``. Notes: witx-and-hosts.md §3.2 ("a missing memory export returns
Unexpect(HostFuncError), which is a trap") and §3.4 ("module has no memory export").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

from conformance.bindings import FunctionSignature
from conformance.host import ReferenceHost
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"memory.missing-export": "errno"}


def trap_without_memory(
    signature: FunctionSignature, bindings: Bindings, method: Callable[..., Any], call: _glue.HostFunction
) -> _glue.HostFunction:
    """The import, trapping when its caller exports no memory."""

    def checked(caller: wasmtime.Caller, *arguments: int) -> int:
        if not isinstance(caller.get("memory"), wasmtime.Memory):
            raise wasmtime.Trap(f"{signature.name}: the caller exports no memory")
        return call(caller, *arguments)

    return checked


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked so that a missing memory traps."""
    _glue.install(wrap=trap_without_memory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""load loads the graph before it finds that the out-pointer is bad: the graph stays, unreachable.

Wasmtime's wiggle glue stores a call's result after the host method returns, so a load whose
graph out-pointer lies past the end of memory has already put the graph in the table when the
store fails (witx-and-hosts.md §3.1: errors "after the trait method runs" become traps; Wasmtime
traps there, this host answers the right errno so that the leaked graph is its only fault). The
guest never learns the handle, yet the graph holds memory and a slot, so a guest that repeats
the call makes the host's memory grow without bound: runaway memory, a safety failure. load with
a bad out-pointer must load nothing. The host's limits are out of reach, so the leak shows only
to a probe that finds the graph behind a handle the guest was never given: the clause's example
forges the small handle values after the failed loads, and the leaked graphs answer success.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

from conformance.bindings import ErrnoError, FunctionSignature
from conformance.host import ReferenceHost
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"load.out-pointer-out-of-bounds": "safety"}


def result_stored_last(function: str) -> _glue.BridgeWrapper:
    """A glue fault: ``function`` runs its method before it checks where its result goes."""

    def wrap(
        signature: FunctionSignature, bindings: Bindings, method: Callable[..., Any], call: _glue.HostFunction
    ) -> _glue.HostFunction:
        if signature.name != function:
            return call
        out_pointer = signature.out_pointer
        assert out_pointer is not None
        assert signature.result is not None
        result_size = signature.result.size

        def late(caller: wasmtime.Caller, *arguments: int) -> int:
            guest = _glue.guest_memory(caller, bindings)
            if guest is None or (arguments[out_pointer] & _glue.I32) + result_size <= guest.size:
                return call(caller, *arguments)
            try:
                method(*_glue.decode_arguments(guest, signature, arguments))
            except ErrnoError as error:
                return int(error.errno)
            return int(bindings.NnErrno.INVALID_ARGUMENT)  # storing the handle fails

        return late

    return wrap


STORE_RESULT_LAST = result_stored_last("load")
"""The fault of this mutant, made once: a process installs one fault, and the same one again."""


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked so that load stores its result last."""
    _glue.install(wrap=STORE_RESULT_LAST)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

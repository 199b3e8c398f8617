"""get_output into a buffer too small answers too_large and writes the size it needs to bytes_written.

WasmEdge on main (commit 40bdbb920, 2026-06-30, no release yet) and WAMR's ONNX backend answer
``too_large`` and store the output's size at bytes_written, so the guest can allocate and retry.
It is deliberate there, and useful, but it writes through a result pointer of a call that failed;
the catalog rules that such a call writes nothing, neither the buffer nor bytes_written. Notes:
witx-and-hosts.md §3.2 ("all local backends → TooLarge(7) and bytes_written is set to the required
size"), §3.3 (ONNX) and §3.4 ("out buffer too small").
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from types import MethodType
from typing import Any

import wasmtime

from conformance.bindings import FunctionSignature, GuestPointer
from conformance.host import HostFault, ReferenceHost, Situation
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import computed_output, mutant_host

CAUGHT_BY = {"get_output.buffer-too-small": "function"}


class SizeTelling(ReferenceHost):
    """Remembers the size of the output it could not copy, for the glue to store."""

    required_size: int | None = None

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        """Copy an output into the guest; when it does not fit, note its size."""
        self.required_size = None
        try:
            return super().get_output(context, index, out_buffer, out_buffer_max_size)
        except HostFault as error:
            if error.situation is Situation.OUTPUT_BUFFER_TOO_SMALL:
                self.required_size = computed_output(self, context, index).nbytes
            raise


def store_required_size(
    signature: FunctionSignature, bindings: Bindings, method: Callable[..., Any], call: _glue.HostFunction
) -> _glue.HostFunction:
    """get_output, storing the required size at bytes_written when it answers too_large."""
    if signature.name != "get_output":
        return call
    out_pointer = signature.out_pointer
    assert out_pointer is not None
    assert signature.result is not None
    result = signature.result
    assert isinstance(method, MethodType)
    host = method.__self__
    assert isinstance(host, SizeTelling)
    too_large = int(bindings.NnErrno.TOO_LARGE)

    def telling(caller: wasmtime.Caller, *arguments: int) -> int:
        errno = call(caller, *arguments)
        guest = _glue.guest_memory(caller, bindings)
        if errno == too_large and guest is not None and host.required_size is not None:
            slot = guest.span(arguments[out_pointer] & _glue.I32, result.size, result.align)
            struct.pack_into("<" + result.format, slot, 0, host.required_size)
        return errno

    return telling


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The size-telling host, linked so that too_large stores the required size."""
    _glue.install(wrap=store_required_size)
    return mutant_host(SizeTelling, bindings, graphs_by_name)

"""What the glue-level mutants are built from: faults in the ABI half of a host.

Some faults of real hosts are not in the host's logic but in how it reads guest memory and
lowers arguments (a bounds check, the width of a field, the order of the result store). The
in-process adapter links every Python host with :mod:`conformance.host.linker`, so such a
mutant replaces a part of that glue, in the process that runs it only:

- ``memory``: a subclass of :class:`~conformance.host.linker.GuestMemory`, the accessor every
  import decodes its arguments with (bounds checks, list and record decoding);
- ``wrap``: a function that wraps the wasm-facing function of each import (the caller and the
  raw core arguments in, the errno out), for faults around the call itself.

The mutant's factory calls :func:`install` before it builds the host: the linker looks both up
when a guest is linked, after the factory ran. A process runs one mutant: installing another
fault is an error, and nothing is ever uninstalled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wasmtime

from conformance.bindings import FunctionSignature
from conformance.host import linker
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings

HostFunction = Callable[..., int]
"""The wasm-facing function of an import: ``(caller, *core_arguments) -> errno``."""

BridgeWrapper = Callable[[FunctionSignature, Bindings, Callable[..., Any], HostFunction], HostFunction]
"""Given an import's signature, the bindings, the host's method and the reference's wasm-facing
function, the wasm-facing function of the mutant."""

I32 = 0xFFFFFFFF
"""wasmtime-py hands i32 arguments over signed; masked with this they read as the ABI's u32."""

_REFERENCE_MEMORY = linker.GuestMemory
_REFERENCE_BRIDGE = linker._bridge
_installed: tuple[object, object] | None = None


def install(*, memory: type[GuestMemory] | None = None, wrap: BridgeWrapper | None = None) -> None:
    """Put one glue fault into the linker of this process; again with the same fault is a no-op."""
    global _installed
    fault = (memory, wrap)
    if _installed is not None:
        if _installed != fault:
            raise RuntimeError("another glue fault is already installed in this process")
        return
    if memory is not None:
        linker.GuestMemory = memory  # type: ignore[misc]
    if wrap is not None:

        def bridge(signature: FunctionSignature, method: Callable[..., Any], bindings: Bindings, *rest: Any) -> Any:
            return wrap(signature, bindings, method, _REFERENCE_BRIDGE(signature, method, bindings, *rest))

        linker._bridge = bridge  # type: ignore[assignment]  # passes through whatever else the glue takes
    _installed = fault


def guest_memory(caller: wasmtime.Caller, bindings: Bindings) -> GuestMemory | None:
    """The caller's memory behind the reference's checked accessor, or ``None`` without a memory export."""
    export = caller.get("memory")
    if not isinstance(export, wasmtime.Memory):
        return None
    size = export.data_len(caller)
    return _REFERENCE_MEMORY(memoryview(export.get_buffer_ptr(caller, size)).cast("B"), bindings)


def decode_arguments(guest: GuestMemory, signature: FunctionSignature, arguments: tuple[int, ...]) -> list[Any]:
    """The WITX arguments of a call from its core arguments, decoded as the reference decodes them."""
    raw = iter(argument & I32 for argument in arguments)
    return [guest.decode(param.type, raw) for param in signature.params]

"""Link a Python host of ``wasi_ephemeral_nn`` into a wasmtime-py ``Linker``.

Any object with one method per function of the revision (the generated ``Protocol``) can be
linked. This module does the ABI half for it, from the generated signatures and type
information only: it reads the caller's memory, checks every guest range against its bounds
(wasmtime-py's own ``Memory.read`` silently clamps) and alignment, decodes each argument to
the value the ``Protocol`` promises, validates the result out-pointer before the method runs
(so a call that cannot report its result has no effect), and stores the result. An
``ErrnoError`` becomes its errno; any other exception becomes ``runtime_error`` and is logged.

Every call that does not succeed is logged on this module's logger (``debug`` for an errno,
``error`` with the exception for anything else), the record carrying a :class:`FailedCall` as
its ``failed_call`` attribute, so a caller such as ``wasi-nn-conformance run --verbose`` can
show each one without parsing log text.
"""

from __future__ import annotations

import enum
import logging
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import wasmtime

from conformance.bindings import ErrnoError, FunctionSignature, GuestPointer, TypeInfo
from conformance.host.situations import HostFault, Situation
from conformance.revisions import Bindings

log = logging.getLogger(__name__)

#: wasmtime-py hands core integers over signed; the ABI reads them unsigned.
_UNSIGNED_MASK = {"i32": 0xFFFFFFFF, "i64": 0xFFFFFFFFFFFFFFFF}

#: Which situation an out-of-range enum value is, by the WITX name of the enum.
_UNKNOWN_ENUM_VALUE = {
    "graph_encoding": Situation.ENCODING_UNKNOWN,
    "execution_target": Situation.TARGET_UNKNOWN,
    "tensor_type": Situation.TENSOR_TYPE_UNKNOWN,
}


@dataclass(frozen=True, slots=True)
class FailedCall:
    """A call that did not succeed: the function, the errno it answered and the host's reason.

    ``unexpected`` marks a call whose host method raised something other than ``ErrnoError``:
    the errno is then ``runtime_error`` and the reason names the exception, a fault of the host
    rather than of the guest.
    """

    function: str
    errno: enum.IntEnum
    reason: str
    unexpected: bool = False


def _reason(error: ErrnoError) -> str:
    """The host's reason for an errno, without the situation name a ``HostFault`` adds to it."""
    if isinstance(error, HostFault):
        return error.reason
    return error.detail


class GuestMemory:
    """The caller's linear memory during one host call, with checked access.

    ``bytes`` is a zero-copy view; it is valid only until the call returns, since the guest
    may grow (and so move) its memory afterwards.
    """

    def __init__(self, view: memoryview, bindings: Bindings) -> None:
        self.bytes = view
        self.size = len(view)
        self.bindings = bindings

    def span(self, address: int, length: int, align: int = 1) -> memoryview:
        """The ``length`` bytes at ``address``; a fault if they leave memory or are misaligned."""
        if address < 0 or length < 0 or address + length > self.size:
            raise HostFault(
                Situation.GUEST_RANGE_OUT_OF_BOUNDS,
                self.bindings,
                f"{length} bytes at {address:#x} exceed the {self.size:#x} bytes of memory",
            )
        if address % align:
            raise HostFault(
                Situation.GUEST_POINTER_MISALIGNED,
                self.bindings,
                f"address {address:#x} is not aligned to {align}",
            )
        return self.bytes[address : address + length]

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value of type ``info`` from its raw integers.

        ``raw`` holds core arguments, or with ``stored`` the integers of a value stored in
        memory (a record's fields, a list's elements): a record passed as an argument is a
        pointer to it, a stored one is its fields themselves.
        """
        kind = info.kind
        if kind in ("int", "handle"):
            return next(raw)
        if kind == "enum":
            assert info.python is not None
            value = next(raw)
            member = _members(info.python).get(value)
            if member is None:
                situation = _UNKNOWN_ENUM_VALUE.get(info.name, Situation.ENUM_VALUE_UNKNOWN)
                raise HostFault(situation, self.bindings, f"{value} is not a {info.name}")
            return member
        if kind in ("list", "string"):
            pointer, length = next(raw), next(raw)
            element = info.element
            if element is None:  # a string: UTF-8 bytes
                try:
                    return str(self.span(pointer, length), "utf-8")
                except UnicodeDecodeError as error:
                    raise HostFault(Situation.NAME_NOT_UTF8, self.bindings, str(error)) from None
            data = self.span(pointer, length * element.size, element.align)
            if element.kind == "int":
                # Integers need no decoding beyond unpacking: bytes stay a zero-copy view.
                return data if element.size == 1 else list(struct.unpack(f"<{length}{element.format}", data))
            return [
                self.decode(element, iter(values), stored=True) for values in _layout(element.format).iter_unpack(data)
            ]
        if kind == "record":
            fields = raw
            if not stored:
                pointed = self.span(next(raw), info.size, info.align)
                fields = iter(_layout(info.format).unpack_from(pointed))
            assert info.value is not None
            return info.value(*(self.decode(field.type, fields, stored=True) for field in info.fields))
        if kind == "pointer":
            return GuestPointer(next(raw), self.bytes)
        return next(raw)


@cache
def _layout(format: str) -> struct.Struct:
    """The little-endian :class:`struct.Struct` of a ``TypeInfo.format``, made once."""
    return struct.Struct("<" + format)


@cache
def _members(enum_type: type[enum.IntEnum]) -> dict[int, enum.IntEnum]:
    """The members of a generated enum by value: a dictionary lookup, where calling the class costs a microsecond."""
    return {int(member): member for member in enum_type}


HostFunction = Callable[..., "int | wasmtime.Val"]
"""The wasm-facing function of an import: ``(caller, *core_arguments) -> errno``."""

_NO_MEMORY = memoryview(b"")
"""What a call that reads and writes no guest memory (``compute``) is given as memory."""


def link(linker: wasmtime.Linker, host: object, bindings: Bindings) -> None:
    """Define every function of ``bindings`` in ``linker``, calling the same-named method of ``host``."""
    signatures: Mapping[str, FunctionSignature] = bindings.FUNCTIONS
    memory = _CallerMemory(bindings)
    for name, signature in signatures.items():
        bridge = _bridge(signature, getattr(host, name), bindings, memory)
        linker.define_func(bindings.MODULE_NAME, name, core_type(signature), bridge, access_caller=True)


def core_type(signature: FunctionSignature) -> wasmtime.FuncType:
    """The core-wasm type of a function, as the guest imports it."""
    return wasmtime.FuncType(
        [_VALTYPES[core] for core in signature.core_params],
        [_VALTYPES[core] for core in signature.core_results],
    )


_VALTYPES = {
    "i32": wasmtime.ValType.i32(),
    "i64": wasmtime.ValType.i64(),
    "f32": wasmtime.ValType.f32(),
    "f64": wasmtime.ValType.f64(),
}


class _CallerMemory:
    """The memory export of the one guest instance a linker serves, and a view of it.

    Both are kept between calls: looking the export up is a fifth of a call's cost, and
    making a view another. A kept view stays right while the memory keeps its size, since
    wasm memory never shrinks and moves only when it grows; so each call asks for the size
    alone, and a new view is made after a growth.
    """

    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings
        self.export: wasmtime.Memory | None = None
        self.view = _NO_MEMORY

    def check_exported(self, caller: wasmtime.Caller) -> wasmtime.Memory:
        """The caller's memory export; a fault when it has none, whatever the call."""
        if self.export is None:
            export = caller.get("memory")
            if not isinstance(export, wasmtime.Memory):
                raise HostFault(
                    Situation.NO_MEMORY_EXPORT, self.bindings, "the caller exports no memory named 'memory'"
                )
            self.export = export
        return self.export

    def bytes(self, caller: wasmtime.Caller) -> memoryview:
        """A zero-copy view of the caller's whole memory, as it is now."""
        export = self.check_exported(caller)
        size = export.data_len(caller)
        if size != len(self.view):
            self.view = memoryview(export.get_buffer_ptr(caller, size)).cast("B")
        return self.view


def _touches_memory(signature: FunctionSignature) -> bool:
    """Whether a call of ``signature`` reads or writes guest memory: a range, a record or a result."""
    return signature.out_pointer is not None or any(
        param.type.kind in ("list", "string", "record", "pointer") for param in signature.params
    )


def _bridge(
    signature: FunctionSignature, method: Callable[..., Any], bindings: Bindings, memory: _CallerMemory
) -> HostFunction:
    """The wasm-facing function of one WITX function."""
    params = signature.params
    result = signature.result
    out_pointer = signature.out_pointer
    masks = [_UNSIGNED_MASK.get(core, -1) for core in signature.core_params]
    touches_memory = _touches_memory(signature)
    result_layout = _layout(result.format) if result is not None else None
    # wasmtime-py turns a returned int into a wasm value by building and comparing types on
    # every call; a ready value of the right type skips most of that.
    answers = {int(errno): wasmtime.Val.i32(int(errno)) for errno in bindings.NnErrno}
    success = answers[int(bindings.NnErrno.SUCCESS)]
    failure_errno: enum.IntEnum = bindings.NnErrno.RUNTIME_ERROR
    failure = answers[int(failure_errno)]
    name = signature.name

    def call(caller: wasmtime.Caller, *arguments: int) -> wasmtime.Val:
        try:
            if touches_memory:
                view = memory.bytes(caller)
            else:
                memory.check_exported(caller)  # missing_memory answers every call, even one that reads none
                view = _NO_MEMORY
            guest = GuestMemory(view, bindings)
            unsigned = [argument & mask for argument, mask in zip(arguments, masks, strict=True)]
            raw = iter(unsigned)
            decoded = [guest.decode(param.type, raw) for param in params]
            result_view = None
            if result is not None and out_pointer is not None:
                result_view = guest.span(unsigned[out_pointer], result.size, result.align)
            value = method(*decoded)
            if result_view is not None:
                assert result_layout is not None
                result_layout.pack_into(result_view, 0, value)
            return success
        except ErrnoError as error:
            errno: enum.IntEnum = error.errno
            if log.isEnabledFor(logging.DEBUG):  # the suite makes invalid calls by the thousand
                log.debug("%s failed: %s", name, error, extra={"failed_call": FailedCall(name, errno, _reason(error))})
            return answers[int(errno)]
        except Exception as error:
            failed = FailedCall(name, failure_errno, f"{type(error).__name__}: {error}", unexpected=True)
            log.exception("%s failed unexpectedly; answering runtime_error", name, extra={"failed_call": failed})
            return failure

    return call

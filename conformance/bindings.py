"""The vocabulary every generated binding module is written in.

A generated module (``conformance.generated.<module>_<revision>``) describes one WITX revision
with these classes: :class:`TypeInfo` for each type (its size, alignment and ``struct`` format,
all computed from the WITX), :class:`FunctionSignature` for each function (its WITX params and
its core-wasm lowering), and it refers to guest memory through :class:`GuestList` and
:class:`GuestPointer`. Hosts fail a call by raising :class:`ErrnoError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, NamedTuple

from conformance.errors import ConformanceError
from conformance.witx.abi import CoreParam, CoreType

TypeKind = Literal["int", "float", "char", "string", "list", "pointer", "enum", "flags", "record", "handle"]


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A WITX type as the ABI sees it.

    ``format`` is the :mod:`struct` format (little-endian, without the ``<``) of the bytes the
    type occupies in linear memory, padding included, so ``struct.calcsize("<" + format) ==
    size``. ``element`` is the element of a list or the pointee of a pointer; ``python`` is the
    generated class of an enum, flags or record type (for a record, its layout class), and
    ``fields`` and ``value`` are a record's fields and the class of its decoded value.
    """

    name: str
    kind: TypeKind
    size: int
    align: int
    format: str
    element: TypeInfo | None = None
    python: type | None = None
    fields: tuple[Param, ...] = ()
    value: type | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """A WITX parameter: its name and type."""

    name: str
    type: TypeInfo


@dataclass(frozen=True, slots=True)
class FunctionSignature:
    """A function of the module: WITX parameters, result, and its core-wasm lowering.

    ``result`` is the value an ``expected`` result carries (``None`` for none), ``error`` the
    enum its errors are returned as. ``core`` lists the core-wasm parameters in order, each
    saying which WITX parameter it comes from and its role (value, pointer, length, or the
    out-pointer the result is stored through).
    """

    name: str
    params: tuple[Param, ...]
    result: TypeInfo | None
    error: TypeInfo | None
    core: tuple[CoreParam, ...]
    core_results: tuple[CoreType, ...]
    doc: str = ""

    @property
    def core_params(self) -> tuple[CoreType, ...]:
        """The core-wasm types of the parameters, e.g. ``("i32",) * 5`` for ``load``."""
        return tuple(param.type for param in self.core)

    @property
    def out_pointer(self) -> int | None:
        """The index of the core parameter the result is written through, if any."""
        for index, param in enumerate(self.core):
            if param.role == "out_pointer":
                return index
        return None

    def core_index(self, source: str, role: str = "value") -> int:
        """The index of the core parameter that carries ``role`` of WITX parameter ``source``."""
        for index, param in enumerate(self.core):
            if param.source == source and param.role == role:
                return index
        raise KeyError(f"{self.name} has no core parameter for {source!r} as {role}")


class GuestList(NamedTuple):
    """A list or string as it lies in guest memory: the address of its elements and their count."""

    pointer: int
    length: int


@dataclass(frozen=True, slots=True)
class GuestPointer:
    """A raw pointer argument: its address and a view of the whole guest memory.

    The view is valid only during the host call it was given to (memory may grow after it).
    Whoever writes through it checks bounds: nothing here does.
    """

    address: int
    memory: memoryview


class ErrnoError(ConformanceError):
    """Raised by a host method to fail the call with ``errno``, a value of the module's error enum."""

    def __init__(self, errno: enum.IntEnum, detail: str = "") -> None:
        super().__init__(f"{errno.name.lower()}: {detail}" if detail else errno.name.lower())
        self.errno = errno
        self.detail = detail

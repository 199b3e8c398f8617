"""The WITX type model: what a parsed document says, before any layout is computed."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.witx.errors import Position

_NOWHERE = Position("<builtin>", 0, 0)


@dataclass(frozen=True, slots=True)
class Int:
    """A builtin integer type: ``u8`` to ``u64``, ``s8`` to ``s64``."""

    name: str
    bits: int
    signed: bool


@dataclass(frozen=True, slots=True)
class Float:
    """``f32`` or ``f64``."""

    name: str
    bits: int


@dataclass(frozen=True, slots=True)
class Char:
    """A Unicode scalar value."""


@dataclass(frozen=True, slots=True)
class String:
    """UTF-8 text, passed as pointer and byte length."""


@dataclass(frozen=True, slots=True)
class List:
    """``(list T)``: a pointer to ``length`` consecutive elements and that length."""

    element: WitxType


@dataclass(frozen=True, slots=True)
class Pointer:
    """``(@witx pointer T)`` or ``(@witx const_pointer T)``: a raw address of guest memory."""

    pointee: WitxType
    const: bool


@dataclass(frozen=True, slots=True)
class Case:
    """An enum case or a flag: its name and doc comment."""

    name: str
    docs: str = ""


@dataclass(frozen=True, slots=True)
class Enum:
    """``(enum (@witx tag uN) $a $b ...)``: cases numbered from 0 in declaration order."""

    tag: Int
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Flags:
    """``(flags (@witx repr uN) $a $b ...)``: flag i is bit i."""

    repr: Int
    flags: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Field:
    """A record field."""

    name: str
    type: WitxType
    docs: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    """``(record (field $name T) ...)``."""

    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Handle:
    """``(handle)``: an opaque u32 the host hands out."""


@dataclass(frozen=True, slots=True)
class Expected:
    """``(expected T (error E))`` or ``(expected (error E))``: a value or an error."""

    ok: WitxType | None
    error: WitxType


@dataclass(frozen=True, slots=True)
class Named:
    """A reference to a ``typename``: keeps the name, which the bindings are generated under."""

    name: str
    type: WitxType
    docs: str = field(default="", compare=False)
    position: Position = field(default=_NOWHERE, compare=False)


WitxType = Int | Float | Char | String | List | Pointer | Enum | Flags | Record | Handle | Expected | Named


def resolve(witx_type: WitxType) -> WitxType:
    """Follow ``typename`` references to the type they name."""
    while isinstance(witx_type, Named):
        witx_type = witx_type.type
    return witx_type


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter or a result of a function."""

    name: str
    type: WitxType
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Function:
    """An ``(@interface func (export "name") ...)`` of a module."""

    name: str
    params: tuple[Param, ...]
    results: tuple[Param, ...]
    docs: str = ""
    position: Position = field(default=_NOWHERE, compare=False)


@dataclass(frozen=True, slots=True)
class Module:
    """A ``(module $name ...)``: its imports (only memory exists in WITX) and functions."""

    name: str
    imports_memory: bool
    functions: tuple[Function, ...]
    docs: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """One file a document was read from, with the sha256 of its bytes."""

    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed WITX file together with the files it ``use``s."""

    sources: tuple[Source, ...]
    header: str
    typenames: tuple[Named, ...]
    modules: tuple[Module, ...]

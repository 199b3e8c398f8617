"""The WITX ABI: how values lie in linear memory and how functions lower to core wasm.

These are the rules of the witx crate that the WASI repositories used (its ``layout.rs`` and
``abi.rs``): integers, enums, flags, handles and pointers are one core value; a list or string
is a pointer and an element count; a record is passed by pointer and laid out like a C struct;
an ``expected`` result is returned as its error's integer, with its value (if any) written
through one more pointer parameter at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.witx.errors import WitxError
from conformance.witx.types import (
    Char,
    Enum,
    Expected,
    Flags,
    Float,
    Function,
    Handle,
    Int,
    List,
    Pointer,
    Record,
    String,
    WitxType,
    resolve,
)

CoreType = Literal["i32", "i64", "f32", "f64"]
ParamRole = Literal["value", "pointer", "length", "out_pointer"]

#: A list or string in memory and as arguments: (pointer, element count), both u32.
LIST_FIELDS: tuple[tuple[str, Int], ...] = (("pointer", Int("u32", 32, False)), ("length", Int("u32", 32, False)))


@dataclass(frozen=True, slots=True)
class Layout:
    """Size and alignment of a type stored in linear memory, in bytes."""

    size: int
    align: int


@dataclass(frozen=True, slots=True)
class Scalar:
    """A memory location holding one integer or float: the leaves a layout is made of."""

    path: tuple[str, ...]
    offset: int
    type: Int | Float


@dataclass(frozen=True, slots=True)
class CoreParam:
    """One core-wasm parameter and the WITX parameter it comes from."""

    name: str
    type: CoreType
    source: str
    role: ParamRole


@dataclass(frozen=True, slots=True)
class CoreSignature:
    """The core-wasm type of a function: its params (with their origin) and results."""

    params: tuple[CoreParam, ...]
    results: tuple[CoreType, ...]


def layout(witx_type: WitxType) -> Layout:
    """The size and alignment of ``witx_type`` in linear memory."""
    resolved = resolve(witx_type)
    if isinstance(resolved, Int | Float):
        return Layout(resolved.bits // 8, resolved.bits // 8)
    if isinstance(resolved, Char | Handle | Pointer):
        return Layout(4, 4)
    if isinstance(resolved, List | String):
        return _record_layout(tuple(field_type for _, field_type in LIST_FIELDS))
    if isinstance(resolved, Enum):
        return layout(resolved.tag)
    if isinstance(resolved, Flags):
        return layout(resolved.repr)
    if isinstance(resolved, Record):
        return _record_layout(tuple(field.type for field in resolved.fields))
    raise TypeError(f"{resolved} has no layout in linear memory")


def field_offsets(record: Record) -> tuple[int, ...]:
    """The offset of each field of ``record``: each aligned to its own alignment, in order."""
    return _offsets(tuple(field.type for field in record.fields))


def scalars(witx_type: WitxType, path: tuple[str, ...] = (), offset: int = 0) -> tuple[Scalar, ...]:
    """Every integer or float stored for ``witx_type``, with its field path and offset.

    A list or string contributes ``pointer`` and ``length``; a record its fields, recursively;
    an enum, flags, handle, char or pointer its integer representation.
    """
    resolved = resolve(witx_type)
    if isinstance(resolved, Int | Float):
        return (Scalar(path, offset, resolved),)
    if isinstance(resolved, Enum):
        return (Scalar(path, offset, resolved.tag),)
    if isinstance(resolved, Flags):
        return (Scalar(path, offset, resolved.repr),)
    if isinstance(resolved, Char | Handle | Pointer):
        return (Scalar(path, offset, Int("u32", 32, False)),)
    if isinstance(resolved, List | String):
        names = tuple(name for name, _ in LIST_FIELDS)
        types = tuple(field_type for _, field_type in LIST_FIELDS)
        return tuple(
            scalar
            for name, field_type, field_offset in zip(names, types, _offsets(types), strict=True)
            for scalar in scalars(field_type, (*path, name), offset + field_offset)
        )
    if isinstance(resolved, Record):
        return tuple(
            scalar
            for field, field_offset in zip(resolved.fields, field_offsets(resolved), strict=True)
            for scalar in scalars(field.type, (*path, field.name), offset + field_offset)
        )
    raise TypeError(f"{resolved} has no layout in linear memory")


def lower(function: Function) -> CoreSignature:
    """The core-wasm signature of ``function``; a :class:`WitxError` if none exists."""
    params: list[CoreParam] = []
    for param in function.params:
        resolved = resolve(param.type)
        if isinstance(resolved, List | String):
            params.append(CoreParam(f"{param.name}_pointer", "i32", param.name, "pointer"))
            params.append(CoreParam(f"{param.name}_length", "i32", param.name, "length"))
        elif isinstance(resolved, Record):
            params.append(CoreParam(f"{param.name}_pointer", "i32", param.name, "pointer"))
        elif isinstance(resolved, Expected):
            raise WitxError(
                param.position,
                f"expected a parameter type that can be lowered, found '(expected ...)' for '${param.name}'",
            )
        else:
            params.append(CoreParam(param.name, _core_value(resolved), param.name, "value"))
    if not function.results:
        return CoreSignature(tuple(params), ())
    if len(function.results) > 1:
        raise WitxError(
            function.results[1].position,
            "expected at most one result, found a second; several results cannot be lowered",
        )
    result = function.results[0]
    resolved = resolve(result.type)
    if isinstance(resolved, Expected):
        error = resolve(resolved.error)
        if not isinstance(error, Enum) or error.tag.bits > 32:
            raise WitxError(
                result.position,
                "expected the error of an '(expected ...)' result to be an enum of at most 32 bits, "
                "returned as i32; it cannot be lowered",
            )
        if resolved.ok is not None:
            params.append(CoreParam("result_out", "i32", result.name, "out_pointer"))
        return CoreSignature(tuple(params), ("i32",))
    if isinstance(resolved, Int | Float | Enum | Flags | Handle | Char):
        return CoreSignature(tuple(params), (_core_value(resolved),))
    raise WitxError(
        result.position,
        f"expected a result of integer, enum or '(expected ...)' type, "
        f"found {type(resolved).__name__.lower()}; it cannot be lowered",
    )


def _core_value(resolved: WitxType) -> CoreType:
    if isinstance(resolved, Float):
        return "f32" if resolved.bits == 32 else "f64"
    if isinstance(resolved, Int):
        return "i64" if resolved.bits == 64 else "i32"
    if isinstance(resolved, Enum):
        return _core_value(resolved.tag)
    if isinstance(resolved, Flags):
        return _core_value(resolved.repr)
    return "i32"


def _offsets(types: tuple[WitxType, ...]) -> tuple[int, ...]:
    offsets: list[int] = []
    end = 0
    for member in types:
        member_layout = layout(member)
        start = _align_up(end, member_layout.align)
        offsets.append(start)
        end = start + member_layout.size
    return tuple(offsets)


def _record_layout(types: tuple[WitxType, ...]) -> Layout:
    align = max(layout(member).align for member in types)
    offsets = _offsets(types)
    end = offsets[-1] + layout(types[-1]).size
    return Layout(_align_up(end, align), align)


def _align_up(value: int, align: int) -> int:
    return -(-value // align) * align

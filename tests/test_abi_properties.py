"""Properties of layouts, lowerings and generated records over WITX that hypothesis writes."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from driving import generated_module
from hypothesis import given
from hypothesis import strategies as st

from conformance import codegen
from conformance.witx import abi, parse
from conformance.witx.types import Flags, Float, Int, List, Named, Record, String, WitxType, resolve

SCALARS = [
    "u8",
    "u16",
    "u32",
    "u64",
    "s8",
    "s16",
    "s32",
    "s64",
    "f32",
    "f64",
    "char",
    "string",
    "(list u8)",
    "(list u64)",
]


@dataclass
class WitxSource:
    """WITX text declaring typenames $t0, $t1, ... (later ones may use earlier ones)."""

    text: str
    count: int


@st.composite
def witx_typenames(draw: st.DrawFn) -> WitxSource:
    """Random enums, flags, handles, lists and (nested) records, as WITX text."""
    declared: list[str] = []
    storable: list[str] = []  # names usable as record fields and list elements
    lines: list[str] = []
    for index in range(draw(st.integers(1, 6))):
        name = f"$t{index}"
        kind = draw(st.sampled_from(["enum", "flags", "handle", "list", "record", "record", "alias"]))
        field_types = st.sampled_from(SCALARS + storable)
        if kind == "enum":
            tag = draw(st.sampled_from(["u8", "u16", "u32"]))
            cases = " ".join(f"$c{case}" for case in range(draw(st.integers(1, 5))))
            lines.append(f"(typename {name} (enum (@witx tag {tag}) {cases}))")
        elif kind == "flags":
            representation = draw(st.sampled_from(["u8", "u16", "u32", "u64"]))
            flags = " ".join(f"$f{flag}" for flag in range(draw(st.integers(1, 8))))
            lines.append(f"(typename {name} (flags (@witx repr {representation}) {flags}))")
        elif kind == "handle":
            lines.append(f"(typename {name} (handle))")
        elif kind == "list":
            lines.append(f"(typename {name} (list {draw(field_types)}))")
        elif kind == "alias":
            lines.append(f"(typename {name} {draw(st.sampled_from(SCALARS))})")
        else:
            fields = [draw(field_types) for _ in range(draw(st.integers(1, 6)))]
            body = " ".join(f"(field $x{position} {field})" for position, field in enumerate(fields))
            lines.append(f"(typename {name} (record {body}))")
        declared.append(name)
        storable.append(name)
    return WitxSource("\n".join(lines) + "\n", len(declared))


@given(witx_typenames())
def test_every_layout_is_aligned_compact_and_non_overlapping(source: WitxSource) -> None:
    for named in parse(source.text).typenames:
        layout = abi.layout(named)
        assert layout.align in (1, 2, 4, 8)
        assert layout.size % layout.align == 0
        resolved = resolve(named)
        if not isinstance(resolved, Record):
            continue
        offsets = abi.field_offsets(resolved)
        end = 0
        for field, offset in zip(resolved.fields, offsets, strict=True):
            field_layout = abi.layout(field.type)
            assert offset % field_layout.align == 0, "field misaligned"
            assert offset >= end, "fields overlap"
            assert offset - end < field_layout.align, "more padding than alignment needs"
            end = offset + field_layout.size
        assert layout.size >= end
        assert layout.size - end < layout.align, "more tail padding than alignment needs"
        assert layout.align == max(abi.layout(field.type).align for field in resolved.fields)


@given(witx_typenames())
def test_scalars_tile_each_type_without_overlap(source: WitxSource) -> None:
    for named in parse(source.text).typenames:
        end = 0
        for scalar in abi.scalars(named):
            assert isinstance(scalar.type, Int | Float)
            assert scalar.offset >= end
            assert scalar.offset % (scalar.type.bits // 8) == 0
            end = scalar.offset + scalar.type.bits // 8
        assert end <= abi.layout(named).size


@st.composite
def witx_functions(draw: st.DrawFn) -> tuple[str, list[list[str]], list[bool]]:
    """A module of functions over random parameter types, each with an expected or no result."""
    source: WitxSource = draw(witx_typenames())
    names = [f"$t{index}" for index in range(source.count)]
    param_types = st.sampled_from([*SCALARS, *names, "(@witx pointer u8)", "(@witx const_pointer u32)"])
    functions: list[str] = []
    params_of: list[list[str]] = []
    has_value: list[bool] = []
    for index in range(draw(st.integers(1, 4))):
        params = [draw(param_types) for _ in range(draw(st.integers(0, 5)))]
        result = draw(st.sampled_from(["none", "empty", "value"]))
        declared = " ".join(f"(param $p{position} {param})" for position, param in enumerate(params))
        if result == "empty":
            declared += " (result $r (expected (error $errno)))"
        elif result == "value":
            declared += f" (result $r (expected {draw(st.sampled_from(['u32', 'u64', *names]))} (error $errno)))"
        functions.append(f'(@interface func (export "f{index}") {declared})')
        params_of.append(params)
        has_value.append(result == "value")
    text = f"{source.text}(typename $errno (enum (@witx tag u16) $ok $bad))\n(module $m {' '.join(functions)})\n"
    return text, params_of, has_value


def _expected_core_types(witx_type: WitxType) -> list[str]:
    """The lowering rules of the WITX ABI, restated independently of the implementation."""
    resolved = resolve(witx_type)
    if isinstance(resolved, List | String):
        return ["i32", "i32"]
    if isinstance(resolved, Float):
        return [f"f{resolved.bits}"]
    if (isinstance(resolved, Int) and resolved.bits == 64) or (
        isinstance(resolved, Flags) and resolved.repr.bits == 64
    ):
        return ["i64"]
    return ["i32"]


@given(witx_functions())
def test_every_lowering_is_well_formed(case: tuple[str, list[list[str]], list[bool]]) -> None:
    text, params_of, has_value = case
    module = parse(text).modules[0]
    for function, params, value in zip(module.functions, params_of, has_value, strict=True):
        assert len(function.params) == len(params)
        signature = abi.lower(function)
        expected = [core_type for param in function.params for core_type in _expected_core_types(param.type)]
        expected += ["i32"] if value else []
        assert [core.type for core in signature.params] == expected
        assert [core.role == "out_pointer" for core in signature.params] == [False] * (len(expected) - value) + [
            True
        ] * value
        sources = [core.source for core in signature.params if core.role != "out_pointer"]
        assert sources == [param.name for param in function.params for _ in _expected_core_types(param.type)]
        assert signature.results == (("i32",) if function.results else ())


@given(witx_typenames(), st.data())
def test_generated_records_round_trip_any_bytes(source: WitxSource, data: st.DataObject) -> None:
    module = generated_module(source.text)
    for named in parse(source.text).typenames:
        resolved = resolve(named)
        if not isinstance(resolved, Record):
            continue
        record_class = getattr(module, codegen.class_name(named.name))
        layout = abi.layout(named)
        assert (layout.size, layout.align) == (record_class.SIZE, record_class.ALIGN)
        raw = bytearray(data.draw(st.binary(min_size=layout.size, max_size=layout.size)))
        scalars = abi.scalars(named)
        # Floats travel through Python floats, which may quiet a signalling NaN; keep them finite.
        for scalar in scalars:
            if isinstance(scalar.type, Float):
                code = "<f" if scalar.type.bits == 32 else "<d"
                struct.pack_into(code, raw, scalar.offset, 1.5)
        record = record_class.unpack_from(bytes(raw))
        packed = record.pack()
        covered = bytearray(layout.size)
        for scalar in scalars:
            width = scalar.type.bits // 8
            covered[scalar.offset : scalar.offset + width] = raw[scalar.offset : scalar.offset + width]
            assert record_class.OFFSETS[".".join(scalar.path)] == scalar.offset
        assert packed == bytes(covered), "pack must give the same field bytes and zeroed padding"
        assert record_class.unpack_from(packed) == record


def test_named_records_are_what_the_generator_names() -> None:
    named = parse("(typename $some_record (record (field $a u8)))").typenames[0]
    assert isinstance(named, Named)
    assert codegen.class_name(named.name) == "SomeRecord"

"""The WITX parser: every construct it reads and every error it reports, with line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.witx import WitxError, abi, load, parse
from conformance.witx.types import (
    Char,
    Enum,
    Expected,
    Flags,
    Float,
    Handle,
    Int,
    List,
    Pointer,
    Record,
    String,
    resolve,
)

ALL_CONSTRUCTS = """\
;; A header that says what this file is.
;; Second header line.

;;; A size.
(typename $size u32)
(typename $big s64)
(typename $ratio f64)
(typename $letter char)
;;; Colours.
(typename $colour
  (enum (@witx tag u16)
    ;;; The first.
    $red
    $green ;; a line comment
    (; a block
       comment ;)
    $blue))
(typename $rights (flags (@witx repr u32) $read $write))
(typename $blob (list u8))
(typename $point (record (field $x s32) (field $y s32)))
(typename $shape
  (record
    ;;; Where it is.
    (field $origin $point)
    (field $colour $colour)
    (field $name string)
    (field $scale f32)))
(typename $fd (handle))

;;; The module.
(module $example
  (import "memory" (memory))
  ;;; Draw a shape.
  (@interface func (export "draw")
    (param $target $fd)
    (param $shape $shape)
    (param $raw (@witx pointer u8))
    (param $readonly (@witx const_pointer $point))
    (param $count u64)
    (param $blobs (list $blob))
    (result $error (expected $size (error $colour))))
  (@interface func (export "flush")
    (result $error (expected (error $colour))))
  (@interface func (export "tick"))
  (@interface func (export "now") (result $t u32)))
"""


def test_every_construct_parses_into_the_type_model() -> None:
    document = parse(ALL_CONSTRUCTS, "all.witx")
    types = {named.name: named for named in document.typenames}
    assert document.header == "A header that says what this file is.\nSecond header line."
    assert types["size"].type == Int("u32", 32, False)
    assert types["size"].docs == "A size."
    assert types["big"].type == Int("s64", 64, True)
    assert types["ratio"].type == Float("f64", 64)
    assert types["letter"].type == Char()
    colour = types["colour"].type
    assert isinstance(colour, Enum)
    assert colour.tag.name == "u16"
    assert [case.name for case in colour.cases] == ["red", "green", "blue"]
    assert colour.cases[0].docs == "The first."
    rights = types["rights"].type
    assert isinstance(rights, Flags)
    assert rights.repr.bits == 32
    assert [flag.name for flag in rights.flags] == ["read", "write"]
    assert types["blob"].type == List(Int("u8", 8, False))
    shape = types["shape"].type
    assert isinstance(shape, Record)
    assert [field.name for field in shape.fields] == ["origin", "colour", "name", "scale"]
    assert shape.fields[0].docs == "Where it is."
    assert resolve(shape.fields[0].type) == types["point"].type
    assert shape.fields[2].type == String()
    assert types["fd"].type == Handle()

    (module,) = document.modules
    assert module.name == "example"
    assert module.imports_memory
    assert module.docs == "The module."
    draw, flush, tick, now = module.functions
    assert draw.name == "draw"
    assert draw.docs == "Draw a shape."
    assert [param.name for param in draw.params] == ["target", "shape", "raw", "readonly", "count", "blobs"]
    assert draw.params[2].type == Pointer(Int("u8", 8, False), const=False)
    readonly = draw.params[3].type
    assert isinstance(readonly, Pointer)
    assert readonly.const
    result = draw.results[0].type
    assert isinstance(result, Expected)
    assert resolve(result.ok) == Int("u32", 32, False) if result.ok else False
    flush_result = flush.results[0].type
    assert isinstance(flush_result, Expected)
    assert flush_result.ok is None
    assert tick.params == ()
    assert tick.results == ()
    assert now.results[0].type == Int("u32", 32, False)


def test_lowering_of_every_parameter_and_result_kind() -> None:
    module = parse(ALL_CONSTRUCTS, "all.witx").modules[0]
    draw, flush, tick, now = (abi.lower(function) for function in module.functions)
    assert [(param.type, param.role) for param in draw.params] == [
        ("i32", "value"),  # handle
        ("i32", "pointer"),  # record by pointer
        ("i32", "value"),  # pointer
        ("i32", "value"),  # const pointer
        ("i64", "value"),  # u64
        ("i32", "pointer"),  # list: pointer ...
        ("i32", "length"),  # ... and element count
        ("i32", "out_pointer"),  # the expected's value
    ]
    assert draw.results == ("i32",)
    assert [param.role for param in flush.params] == []
    assert flush.results == ("i32",)
    assert tick.params == ()
    assert tick.results == ()
    assert now.results == ("i32",)


def test_layouts_follow_the_c_like_rules() -> None:
    types = {named.name: named for named in parse(ALL_CONSTRUCTS, "all.witx").typenames}
    assert abi.layout(types["colour"]) == abi.Layout(2, 2)
    assert abi.layout(types["rights"]) == abi.Layout(4, 4)
    assert abi.layout(types["big"]) == abi.Layout(8, 8)
    assert abi.layout(types["blob"]) == abi.Layout(8, 4)
    # point {s32, s32} = 8; colour u16 at 8; string (align 4) at 12; f32 at 20; size 24.
    shape = resolve(types["shape"])
    assert isinstance(shape, Record)
    assert abi.field_offsets(shape) == (0, 8, 12, 20)
    assert abi.layout(shape) == abi.Layout(24, 4)


def test_use_reads_types_from_another_file(tmp_path: Path) -> None:
    (tmp_path / "typenames.witx").write_text("(typename $size u32)\n")
    (tmp_path / "main.witx").write_text('(use "typenames.witx")\n(typename $pair (record (field $a $size)))\n')
    document = load(tmp_path / "main.witx")
    assert [named.name for named in document.typenames] == ["size", "pair"]
    assert [source.path.rsplit("/", 1)[-1] for source in document.sources] == ["main.witx", "typenames.witx"]


def test_an_enum_may_use_every_value_of_its_tag() -> None:
    cases = " ".join(f"$c{index}" for index in range(256))
    enum = parse(f"(typename $e (enum (@witx tag u8) {cases}))").typenames[0].type
    assert isinstance(enum, Enum)
    assert len(enum.cases) == 256


def _error(text: str) -> WitxError:
    with pytest.raises(WitxError) as caught:
        parse(text, "bad.witx")
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        pytest.param(
            "(typename $a u32", 1, 17, "expected ')' to close the '(' opened at 1:1, found end of file", id="unclosed"
        ),
        pytest.param("(typename $a u32))", 1, 18, "found ')' with no '(' to close", id="extra-close"),
        pytest.param(
            "(typenam $a u32)", 1, 2, "expected 'typename', 'use' or 'module', found 'typenam'", id="unknown-keyword"
        ),
        pytest.param(
            "\n  (typename $a $b)", 2, 16, "expected a defined type name, found unknown type '$b'", id="unknown-type"
        ),
        pytest.param("(typename $a u32)\n(typename $a u8)", 2, 11, "already defined", id="duplicate-type"),
        pytest.param("(typename $u32 u8)", 1, 11, "already defined", id="shadows-builtin"),
        pytest.param("(typename $a (enum (@witx tag u8)))", 1, 34, "expected at least one case name", id="empty-enum"),
        pytest.param("(typename $a (enum (@witx tag u8) $x $x))", 1, 38, "found '$x' again", id="duplicate-case"),
        pytest.param(
            "(typename $a (enum (@witx tag s8) $x))", 1, 31, "expected an unsigned integer type", id="signed-tag"
        ),
        pytest.param(
            "(typename $a (enum (@witx repr u8) $x))", 1, 27, "expected 'tag', found 'repr'", id="tag-keyword"
        ),
        pytest.param(
            "(typename $a (flags (@witx repr u8) $a $b $c $d $e $f $g $h $i))",
            1,
            14,
            "expected at most 8 flags",
            id="too-many-flags",
        ),
        pytest.param("(typename $a (record))", 1, 21, "expected at least one '(field $name TYPE)'", id="empty-record"),
        pytest.param(
            "(typename $a (record (field $x u8) (field $x u8)))", 1, 43, "found '$x' again", id="duplicate-field"
        ),
        pytest.param(
            "(typename $a (list))", 1, 19, "expected the element type in (list TYPE), found ')'", id="list-without-type"
        ),
        pytest.param(
            "(typename $a (list u8 u8))", 1, 23, "expected ')' to end (list TYPE), found 'u8'", id="list-extra"
        ),
        pytest.param(
            "(typename $a (record (field $h (handle))))", 1, 32, "only as a typename definition", id="inline-handle"
        ),
        pytest.param(
            "(typename $a (expected u8 (error u8)))", 1, 14, "only as a function result", id="expected-outside-result"
        ),
        pytest.param(
            "(typename $a (@witx pointr u8))",
            1,
            21,
            "expected 'pointer' or 'const_pointer', found 'pointr'",
            id="pointer-keyword",
        ),
        pytest.param("(typename $a (variant u8))", 1, 15, "expected a type constructor", id="unknown-constructor"),
        pytest.param('(typename $a "u8")', 1, 14, 'found string "u8"', id="string-as-type"),
        pytest.param("(typename $a u32", 1, 17, "found end of file", id="eof"),
        pytest.param(
            '(module $m (import "mem" (memory)))',
            1,
            20,
            'expected the import name "memory", found "mem"',
            id="import-name",
        ),
        pytest.param(
            '(module $m (@interface func (export "f") (param $p u8) (param $p u8)))',
            1,
            63,
            "found '$p' again",
            id="duplicate-param",
        ),
        pytest.param(
            '(module $m (@interface func (export "f")) (@interface func (export "f")))',
            1,
            68,
            'found "f" again',
            id="duplicate-function",
        ),
        pytest.param(
            '(module $m (@interface func (export "f") (result $r u8) (param $p u8)))',
            1,
            57,
            "after a result",
            id="param-after-result",
        ),
        pytest.param(
            '(module $m (@interface func (export "f") (result $r (list u8))))',
            1,
            50,
            "cannot be lowered",
            id="list-result",
        ),
        pytest.param(
            '(module $m (@interface func (export "f") (result $r (expected u8 (error u8)))))',
            1,
            50,
            "enum of at most 32 bits",
            id="non-enum-error",
        ),
        pytest.param(
            '(typename $e (enum (@witx tag u8) $x))\n(module $m (@interface func (export "f") (result $a $e) (result $b $e)))',
            2,
            65,
            "several results cannot be lowered",
            id="two-results",
        ),
        pytest.param('(typename $a u8) "stray"', 1, 18, 'found string "stray"', id="stray-atom"),
        pytest.param("(typename $a u8)\n(; open", 2, 1, "block comment", id="unclosed-block-comment"),
        pytest.param('(use "missing.witx)', 1, 6, "to close this string", id="unclosed-string"),
    ],
)
def test_malformed_input_names_line_column_and_what_was_expected(
    text: str, line: int, column: int, message: str
) -> None:
    error = _error(text)
    assert (error.position.path, error.position.line, error.position.column) == ("bad.witx", line, column)
    assert message in error.message
    assert str(error).startswith(f"bad.witx:{line}:{column}: ")


def test_an_enum_with_more_cases_than_its_tag_holds_is_rejected() -> None:
    cases = " ".join(f"$c{index}" for index in range(257))
    error = _error(f"(typename $e\n  (enum (@witx tag u8) {cases}))")
    assert (error.position.line, error.position.column) == (2, 3)
    assert "expected at most 256 cases for tag u8, found 257" in error.message


def test_a_missing_used_file_is_reported_where_it_is_used(tmp_path: Path) -> None:
    (tmp_path / "main.witx").write_text('\n  (use "nowhere.witx")\n')
    with pytest.raises(WitxError) as caught:
        load(tmp_path / "main.witx")
    assert (caught.value.position.line, caught.value.position.column) == (2, 8)
    assert "nowhere.witx" in caught.value.message


def test_a_use_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.witx").write_text('(use "b.witx")\n')
    (tmp_path / "b.witx").write_text('(use "a.witx")\n')
    with pytest.raises(WitxError, match="cycle"):
        load(tmp_path / "a.witx")


def test_a_file_that_is_not_utf8_is_reported_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "latin1.witx").write_bytes(b";; caf\xe9\n")
    with pytest.raises(WitxError) as caught:
        load(tmp_path / "latin1.witx")
    assert (caught.value.position.line, caught.value.position.column) == (1, 7)

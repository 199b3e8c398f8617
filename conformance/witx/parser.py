"""Parse WITX documents into the type model.

Covers the WITX that the WASI repositories write: ``typename``, ``use``, ``module`` with
``(import "memory" (memory))`` and ``(@interface func ...)``, the builtin types, ``list``,
``record``, ``enum``, ``flags``, ``handle``, ``expected`` and ``@witx`` pointers. Types are
referenced after they are declared, as in those repositories. Every problem is a
:class:`WitxError` naming file, line and column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from conformance.witx.abi import lower
from conformance.witx.errors import Position, WitxError
from conformance.witx.sexpr import Atom, SExpr, SList, read
from conformance.witx.types import (
    Case,
    Char,
    Document,
    Enum,
    Expected,
    Field,
    Flags,
    Float,
    Function,
    Handle,
    Int,
    List,
    Module,
    Named,
    Param,
    Pointer,
    Record,
    Source,
    String,
    WitxType,
)

BUILTINS: dict[str, WitxType] = {
    **{f"u{bits}": Int(f"u{bits}", bits, signed=False) for bits in (8, 16, 32, 64)},
    **{f"s{bits}": Int(f"s{bits}", bits, signed=True) for bits in (8, 16, 32, 64)},
    "f32": Float("f32", 32),
    "f64": Float("f64", 64),
    "char": Char(),
    "string": String(),
}


def load(path: str | Path) -> Document:
    """Read and parse the WITX file at ``path``, following its ``use`` declarations."""
    return _DocumentParser().parse_file(Path(path), display=str(path))


def parse(text: str, path: str = "<string>") -> Document:
    """Parse WITX ``text``; ``path`` names it in errors and resolves ``use`` relative to it."""
    parser = _DocumentParser()
    parser.sources.append(Source(path, hashlib.sha256(text.encode()).hexdigest()))
    return parser.parse_text(text, Path(path), display=path)


def _header(text: str) -> str:
    """The ``;;`` comment block the file opens with, which says what the file is."""
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith(";;") or stripped.startswith(";;;"):
            break
        lines.append(stripped[2:].removeprefix(" "))
    return "\n".join(lines).strip()


class _DocumentParser:
    def __init__(self) -> None:
        self.typenames: dict[str, Named] = {}
        self.modules: list[Module] = []
        self.sources: list[Source] = []
        # The files being read, innermost last, as (resolved path, path shown in errors).
        self.reading: list[tuple[Path, str]] = []

    def parse_file(self, path: Path, display: str, used_at: Position | None = None) -> Document:
        try:
            data = path.read_bytes()
        except OSError as error:
            where = used_at or Position(display, 1, 1)
            raise WitxError(where, f"expected a readable WITX file, found {error.strerror}: {display}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            raise WitxError(Position(display, line, column), "expected UTF-8 text, found an invalid byte") from None
        self.sources.append(Source(display, hashlib.sha256(data).hexdigest()))
        return self.parse_text(text, path, display)

    def parse_text(self, text: str, path: Path, display: str) -> Document:
        self.reading.append((path.resolve(), display))
        for expression in read(text, display):
            self.top_level(expression, path)
        self.reading.pop()
        return Document(
            sources=tuple(self.sources),
            header=_header(text),
            typenames=tuple(self.typenames.values()),
            modules=tuple(self.modules),
        )

    # -- top level ---------------------------------------------------------------------------

    def top_level(self, expression: SExpr, path: Path) -> None:
        form = _expect_form(expression, "a top-level form '(typename ...)', '(use ...)' or '(module ...)'")
        if form.head == "typename":
            self.typename(form)
        elif form.head == "use":
            self.use(form, path)
        elif form.head == "module":
            self.module(form)
        else:
            raise _unexpected(form.items[0] if form.items else form, "'typename', 'use' or 'module'")

    def typename(self, form: SList) -> None:
        items = _Items(form, "(typename $name TYPE)")
        name = items.identifier("a type name '$name'")
        if name.text[1:] in self.typenames or name.text[1:] in BUILTINS:
            raise WitxError(name.position, f"expected a new type name, found '{name.text}', which is already defined")
        definition = self.type_expression(items.next("a type"), allow_handle=True)
        items.end()
        self.typenames[name.text[1:]] = Named(name.text[1:], definition, form.docs, name.position)

    def use(self, form: SList, path: Path) -> None:
        items = _Items(form, '(use "file.witx")')
        target = items.string("a file name string")
        items.end()
        used = (path.parent / target.text).resolve()
        if any(used == reading for reading, _ in self.reading):
            raise WitxError(
                target.position, f"expected a file that is not already being read, found a cycle through {target.text}"
            )
        display = str(Path(self.reading[-1][1]).parent / target.text)
        self.parse_file(used, display=display, used_at=target.position)

    def module(self, form: SList) -> None:
        items = _Items(form, "(module $name ...)")
        name = items.identifier("a module name '$name'")
        imports_memory = False
        functions: dict[str, Function] = {}
        for item in items.rest():
            entry = _expect_form(item, "'(import \"memory\" (memory))' or '(@interface func ...)'")
            if entry.head == "import":
                self.memory_import(entry)
                imports_memory = True
            elif entry.head == "@interface":
                function = self.function(entry)
                if function.name in functions:
                    raise WitxError(function.position, f'expected a new function name, found "{function.name}" again')
                functions[function.name] = function
            else:
                raise _unexpected(entry.items[0] if entry.items else entry, "'import' or '@interface'")
        self.modules.append(Module(name.text[1:], imports_memory, tuple(functions.values()), form.docs))

    def memory_import(self, form: SList) -> None:
        items = _Items(form, '(import "memory" (memory))')
        imported = items.string('the import name "memory"')
        if imported.text != "memory":
            raise WitxError(imported.position, f'expected the import name "memory", found "{imported.text}"')
        kind = _expect_form(items.next("'(memory)'"), "'(memory)'")
        if kind.head != "memory" or len(kind.items) != 1:
            raise _unexpected(kind, "'(memory)'")
        items.end()

    def function(self, form: SList) -> Function:
        items = _Items(form, '(@interface func (export "name") ...)')
        keyword = items.word("'func'")
        if keyword.text != "func":
            raise _unexpected(keyword, "'func'")
        export = _expect_form(items.next('(export "name")'), '(export "name")')
        if export.head != "export":
            raise _unexpected(export.items[0] if export.items else export, "'export'")
        export_items = _Items(export, '(export "name")')
        name = export_items.string("the function name string")
        export_items.end()
        params: list[Param] = []
        results: list[Param] = []
        for item in items.rest():
            entry = _expect_form(item, "'(param $name TYPE)' or '(result $name TYPE)'")
            if entry.head not in ("param", "result"):
                raise _unexpected(entry.items[0] if entry.items else entry, "'param' or 'result'")
            if entry.head == "param" and results:
                raise WitxError(entry.position, "expected '(result ...)' or ')', found '(param ...)' after a result")
            entry_items = _Items(entry, f"({entry.head} $name TYPE)")
            param_name = entry_items.identifier(f"a {entry.head} name '$name'")
            taken = params if entry.head == "param" else results
            if any(existing.name == param_name.text[1:] for existing in taken):
                raise WitxError(
                    param_name.position, f"expected a new {entry.head} name, found '{param_name.text}' again"
                )
            param_type = self.type_expression(entry_items.next("a type"), allow_expected=entry.head == "result")
            entry_items.end()
            taken.append(Param(param_name.text[1:], param_type, param_name.position))
        function = Function(name.text, tuple(params), tuple(results), form.docs, name.position)
        # Lower now, so a function no core-wasm signature exists for is reported where it stands.
        lower(function)
        return function

    # -- types -------------------------------------------------------------------------------

    def type_expression(self, expression: SExpr, allow_handle: bool = False, allow_expected: bool = False) -> WitxType:
        if isinstance(expression, Atom):
            if expression.kind == "id":
                named = self.typenames.get(expression.text[1:])
                if named is None:
                    raise WitxError(
                        expression.position, f"expected a defined type name, found unknown type '{expression.text}'"
                    )
                return named
            if expression.kind == "word" and expression.text in BUILTINS:
                return BUILTINS[expression.text]
            raise _unexpected(expression, "a type: a builtin such as 'u32', '$name' or '(list ...)'")
        head = expression.head
        if head == "list":
            items = _Items(expression, "(list TYPE)")
            element = self.type_expression(items.next("the element type"))
            items.end()
            return List(element)
        if head == "record":
            return self.record(expression)
        if head == "enum":
            return self.enum(expression)
        if head == "flags":
            return self.flags(expression)
        if head == "handle":
            if not allow_handle:
                raise WitxError(
                    expression.position, "expected '(handle)' only as a typename definition, found it inline"
                )
            _Items(expression, "(handle)").end()
            return Handle()
        if head == "expected":
            if not allow_expected:
                raise WitxError(
                    expression.position, "expected '(expected ...)' only as a function result, found it here"
                )
            return self.expected(expression)
        if head == "@witx":
            items = _Items(expression, "(@witx pointer TYPE)")
            kind = items.word("'pointer' or 'const_pointer'")
            if kind.text not in ("pointer", "const_pointer"):
                raise _unexpected(kind, "'pointer' or 'const_pointer'")
            pointee = self.type_expression(items.next("the pointee type"))
            items.end()
            return Pointer(pointee, const=kind.text == "const_pointer")
        raise _unexpected(
            expression.items[0] if expression.items else expression,
            "a type constructor: 'list', 'record', 'enum', 'flags', 'handle', 'expected' or '@witx pointer'",
        )

    def record(self, form: SList) -> Record:
        items = _Items(form, "(record (field $name TYPE) ...)")
        fields: list[Field] = []
        for item in items.rest():
            entry = _expect_form(item, "'(field $name TYPE)'")
            if entry.head != "field":
                raise _unexpected(entry.items[0] if entry.items else entry, "'field'")
            entry_items = _Items(entry, "(field $name TYPE)")
            name = entry_items.identifier("a field name '$name'")
            if any(existing.name == name.text[1:] for existing in fields):
                raise WitxError(name.position, f"expected a new field name, found '{name.text}' again")
            field_type = self.type_expression(entry_items.next("a type"))
            entry_items.end()
            fields.append(Field(name.text[1:], field_type, entry.docs))
        if not fields:
            raise WitxError(form.end, "expected at least one '(field $name TYPE)', found ')'")
        return Record(tuple(fields))

    def enum(self, form: SList) -> Enum:
        items = _Items(form, "(enum (@witx tag uN) $case ...)")
        tag = self.witx_int(items.next("'(@witx tag uN)'"), "tag")
        cases = self.cases(items, "case")
        if len(cases) > 2**tag.bits:
            raise WitxError(
                form.position, f"expected at most {2**tag.bits} cases for tag {tag.name}, found {len(cases)}"
            )
        return Enum(tag, cases)

    def flags(self, form: SList) -> Flags:
        items = _Items(form, "(flags (@witx repr uN) $flag ...)")
        representation = self.witx_int(items.next("'(@witx repr uN)'"), "repr")
        flags = self.cases(items, "flag")
        if len(flags) > representation.bits:
            raise WitxError(
                form.position,
                f"expected at most {representation.bits} flags for repr {representation.name}, found {len(flags)}",
            )
        return Flags(representation, flags)

    def witx_int(self, expression: SExpr, keyword: str) -> Int:
        form = _expect_form(expression, f"'(@witx {keyword} uN)'")
        if form.head != "@witx":
            raise _unexpected(form.items[0] if form.items else form, "'@witx'")
        items = _Items(form, f"(@witx {keyword} uN)")
        found = items.word(f"'{keyword}'")
        if found.text != keyword:
            raise _unexpected(found, f"'{keyword}'")
        width = items.word("an unsigned integer type 'u8', 'u16', 'u32' or 'u64'")
        integer = BUILTINS.get(width.text)
        if not isinstance(integer, Int) or integer.signed:
            raise _unexpected(width, "an unsigned integer type 'u8', 'u16', 'u32' or 'u64'")
        items.end()
        return integer

    def cases(self, items: _Items, what: str) -> tuple[Case, ...]:
        cases: list[Case] = []
        for item in items.rest():
            if not isinstance(item, Atom) or item.kind != "id":
                raise _unexpected(item, f"a {what} name '$name'")
            if any(existing.name == item.text[1:] for existing in cases):
                raise WitxError(item.position, f"expected a new {what} name, found '{item.text}' again")
            cases.append(Case(item.text[1:], item.docs))
        if not cases:
            raise WitxError(items.form.end, f"expected at least one {what} name '$name', found ')'")
        return tuple(cases)

    def expected(self, form: SList) -> Expected:
        items = _Items(form, "(expected TYPE (error TYPE))")
        first = items.next("a type or '(error TYPE)'")
        ok: WitxType | None = None
        if isinstance(first, SList) and first.head == "error":
            error_form = first
        else:
            ok = self.type_expression(first)
            error_form = _expect_form(items.next("'(error TYPE)'"), "'(error TYPE)'")
            if error_form.head != "error":
                raise _unexpected(error_form, "'(error TYPE)'")
        error_items = _Items(error_form, "(error TYPE)")
        error = self.type_expression(error_items.next("the error type"))
        error_items.end()
        items.end()
        return Expected(ok, error)


class _Items:
    """Walks the items of a form after its head, with errors that name what was expected."""

    def __init__(self, form: SList, shape: str) -> None:
        self.form = form
        self.shape = shape
        self.index = 1 if form.head is not None else 0

    def next(self, what: str) -> SExpr:
        if self.index >= len(self.form.items):
            raise WitxError(self.form.end, f"expected {what} in {self.shape}, found ')'")
        item = self.form.items[self.index]
        self.index += 1
        return item

    def atom(self, what: str, kind: str) -> Atom:
        item = self.next(what)
        if not isinstance(item, Atom) or item.kind != kind:
            raise _unexpected(item, what)
        return item

    def identifier(self, what: str) -> Atom:
        return self.atom(what, "id")

    def string(self, what: str) -> Atom:
        return self.atom(what, "string")

    def word(self, what: str) -> Atom:
        item = self.next(what)
        if not isinstance(item, Atom) or item.kind not in ("word", "annotation"):
            raise _unexpected(item, what)
        return item

    def rest(self) -> Iterator[SExpr]:
        while self.index < len(self.form.items):
            self.index += 1
            yield self.form.items[self.index - 1]

    def end(self) -> None:
        if self.index < len(self.form.items):
            raise _unexpected(self.form.items[self.index], f"')' to end {self.shape}")


def _expect_form(expression: SExpr, what: str) -> SList:
    if not isinstance(expression, SList):
        raise _unexpected(expression, what)
    return expression


def _unexpected(found: SExpr, expected: str) -> WitxError:
    return WitxError(found.position, f"expected {expected}, found {found.describe()}")

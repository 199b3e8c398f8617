"""Generate typed Python bindings from a WITX document.

One module per WITX file: an ``IntEnum`` per enum, an ``IntFlag`` per flags type, a ``NewType``
per handle, a layout class per record (size, alignment, offsets, pack and unpack) plus the
decoded value a host receives, a :class:`~conformance.bindings.TypeInfo` per type, a
:class:`~conformance.bindings.FunctionSignature` per function, and the ``Protocol`` a host
implements. Every number in the output comes from :mod:`conformance.witx.abi`.
"""

from __future__ import annotations

import difflib
import keyword
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from conformance.witx import abi
from conformance.witx.parser import load
from conformance.witx.types import (
    Char,
    Document,
    Enum,
    Expected,
    Flags,
    Float,
    Function,
    Handle,
    Int,
    List,
    Module,
    Named,
    Pointer,
    Record,
    String,
    WitxType,
    resolve,
)

GENERATOR_VERSION = "1"

_STRUCT_CODES = {
    ("int", 8, False): "B",
    ("int", 8, True): "b",
    ("int", 16, False): "H",
    ("int", 16, True): "h",
    ("int", 32, False): "I",
    ("int", 32, True): "i",
    ("int", 64, False): "Q",
    ("int", 64, True): "q",
    ("float", 32, False): "f",
    ("float", 64, False): "d",
}


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """A file the generator writes: its name inside the output folder and its text."""

    name: str
    text: str


def module_name(witx_path: Path) -> str:
    """The Python module a WITX file generates: ``a-2023-08.witx`` gives ``a_2023_08``."""
    return witx_path.stem.replace("-", "_").replace(".", "_")


def generate_module(witx_path: Path, shown_as: str | None = None) -> GeneratedFile:
    """Parse ``witx_path`` and return the bindings module generated from it.

    ``shown_as`` is how the banner names the WITX file (a path relative to the project, so the
    output does not depend on where the project lies).
    """
    document = load(witx_path)
    return GeneratedFile(f"{module_name(witx_path)}.py", generate_source(document, shown_as or witx_path.name))


def generate_source(document: Document, shown_as: str) -> str:
    """The bindings module of a parsed ``document`` whose file the banner calls ``shown_as``."""
    return _ModuleWriter(document, shown_as).write()


def generate_package(witx_paths: Sequence[Path], shown_dir: str) -> list[GeneratedFile]:
    """Generate every module of ``witx_paths`` and the package ``__init__`` listing them.

    The ``__init__`` also defines ``Bindings``, the ``Protocol`` of what every one of the
    modules provides, which code that takes a revision's bindings is typed with: the names
    all revisions share, each typed as the union of the revisions' own classes, so that a
    case one revision lacks (``NnErrno.NOT_FOUND``) is a type error where it is used.
    """
    paths = sorted(witx_paths)
    documents = [load(path) for path in paths]
    files = [
        GeneratedFile(f"{module_name(path)}.py", generate_source(document, f"{shown_dir}/{path.name}"))
        for path, document in zip(paths, documents, strict=True)
    ]
    modules = [module_name(path) for path in paths]
    lines = [
        _banner("the WITX files in " + shown_dir, None),
        '"""Bindings generated from the WITX revisions of the suite, one module per file:',
        "",
    ]
    for name, document in zip(modules, documents, strict=True):
        header = document.header.splitlines()
        lines.append(f"- ``{name}``: {header[0] if header else name}")
    lines += [
        "",
        "``Bindings`` is what every one of them provides, the type of a revision's bindings.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from typing import TYPE_CHECKING, Protocol",
        "",
        "from conformance import bindings as vocabulary",
        "",
        "if TYPE_CHECKING:",
        *(f"    from conformance.generated import {name}" for name in modules),
        "",
        '__all__ = ["Bindings"]',
        "",
        "",
        "class Bindings(Protocol):",
        '    """What the bindings module of every revision provides (a module is one of these).',
        "",
        "    The enums and records are each revision's own classes: a member is typed as the union of",
        "    them, so only what every revision has can be used without asking which revision it is.",
        '    """',
    ]
    members = [
        ("__name__", "str", "The bindings module's own name (``conformance.generated.MODULE``)."),
        ("MODULE_NAME", "str", "The import module name the functions are imported from."),
        ("WITX_SOURCE", "str", "The WITX file the bindings were generated from."),
        ("WITX_SHA256", "str", "The sha256 of that file's bytes."),
        ("IMPORTS_MEMORY", "bool", "Whether the functions use the caller's exported memory."),
        ("TYPES", "Mapping[str, vocabulary.TypeInfo]", "Every typename of the module, by its WITX name."),
        ("FUNCTIONS", "Mapping[str, vocabulary.FunctionSignature]", "Every function of the module in WITX order."),
        ("ErrnoError", "type[vocabulary.ErrnoError]", "What a host method raises to fail a call with an errno."),
        ("GuestList", "type[vocabulary.GuestList]", "A list as it lies in guest memory."),
        ("GuestPointer", "type[vocabulary.GuestPointer]", "A raw pointer argument."),
    ]
    for name in _shared_classes(documents):
        union = " | ".join(f"type[{module}.{name}]" for module in modules)
        members.append((name, union, f"``{name}`` of the revision."))
    for name, annotation, doc in members:
        lines += ["", "    @property", f"    def {name}(self) -> {annotation}:", f'        """{doc}"""', "        ..."]
    lines += [
        "",
        "",
        "if TYPE_CHECKING:",
        "    # Strict mypy checks here that each revision's module provides all of Bindings.",
        *(f"    _{name}: Bindings = {name}" for name in modules),
    ]
    files.insert(0, GeneratedFile("__init__.py", "\n".join(lines) + "\n"))
    return files


def _shared_classes(documents: Sequence[Document]) -> list[str]:
    """The enum, flags and record classes (and records' value classes) every document generates, in order."""
    per_document = []
    for document in documents:
        names: list[str] = []
        for named in document.typenames:
            definition = resolve(named)
            if isinstance(named.type, (Enum, Flags, Record)):
                names.append(class_name(named.name))
                if isinstance(definition, Record):
                    names.append(f"{class_name(named.name)}Value")
        per_document.append(names)
    shared = set.intersection(*(set(names) for names in per_document)) if per_document else set()
    return [name for name in per_document[0] if name in shared] if per_document else []


def write(files: Sequence[GeneratedFile], out_dir: Path) -> None:
    """Write ``files`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for file in files:
        (out_dir / file.name).write_text(file.text, encoding="utf-8")


def stale(files: Sequence[GeneratedFile], out_dir: Path) -> str:
    """A unified diff of every file in ``out_dir`` that differs from ``files``; empty when fresh."""
    diffs: list[str] = []
    for file in files:
        path = out_dir / file.name
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != file.text:
            diffs.extend(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    file.text.splitlines(keepends=True),
                    fromfile=f"{path} (checked in)",
                    tofile=f"{path} (generated now)",
                )
            )
    return "".join(diffs)


def _banner(source: str, sha256: str | None) -> str:
    digest = f" (sha256 {sha256})" if sha256 else ""
    return (
        f"# Generated by wasi-nn-conformance generate (generator {GENERATOR_VERSION}) from {source}{digest}.\n"
        "# DO NOT EDIT: change the WITX and run `nox -s generate`; `nox -s generate -- --check` and the\n"
        "# test run fail while this file is stale."
    )


def class_name(witx_name: str) -> str:
    """``nn_errno`` becomes ``NnErrno``."""
    return "".join(part[:1].upper() + part[1:] for part in witx_name.split("_"))


def constant_name(witx_name: str) -> str:
    """``invalid_argument`` becomes ``INVALID_ARGUMENT``; a leading digit gets an underscore."""
    name = witx_name.upper()
    return f"_{name}" if name[:1].isdigit() else name


def _identifier(witx_name: str) -> str:
    return f"{witx_name}_" if keyword.iskeyword(witx_name) else witx_name


def _docstring(text: str, indent: str) -> list[str]:
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if escaped.endswith('"'):  # it would run into the closing quotes
        escaped = escaped[:-1] + '\\"'
    lines = escaped.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}', *(f"{indent}{line}" if line else "" for line in lines[1:]), f'{indent}"""']


class _ModuleWriter:
    def __init__(self, document: Document, shown_as: str) -> None:
        if len(document.modules) != 1:
            raise ValueError(f"{shown_as}: expected exactly one module, found {len(document.modules)}")
        self.document = document
        self.module: Module = document.modules[0]
        self.shown_as = shown_as
        self.lines: list[str] = []
        # Anonymous types (``u32``, ``(list u8)``) get one TypeInfo constant each, named by shape.
        self.type_constants: dict[str, str] = {}

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)

    def write(self) -> str:
        sha256 = self.document.sources[0].sha256
        self.emit(_banner(self.shown_as, sha256))
        doc = f"Bindings of ``{self.module.name}`` from {self.shown_as}.\n\n{self.document.header}".strip()
        self.emit(*_docstring(doc, ""), "")
        self.emit(
            "from __future__ import annotations",
            "",
            "import enum",
            "import struct",
            "from collections.abc import Mapping, Sequence",
            "from dataclasses import dataclass",
            "from typing import ClassVar, NewType, Protocol, TypeAlias",
            "",
            "from conformance.bindings import ErrnoError, FunctionSignature, GuestList, GuestPointer, Param, TypeInfo",
            "from conformance.witx.abi import CoreParam",
            "",
            "__all__ = [",
            *(f'    "{name}",' for name in sorted(self.public_names())),
            "]",
            "",
            f'MODULE_NAME = "{self.module.name}"',
            '"""The import module name the functions are imported from."""',
            f'WITX_SOURCE = "{self.shown_as}"',
            '"""The WITX file these bindings were generated from."""',
            f'WITX_SHA256 = "{sha256}"',
            '"""The sha256 of that file\'s bytes."""',
            f"IMPORTS_MEMORY = {self.module.imports_memory}",
            '"""Whether the functions use the caller\'s exported memory."""',
            "",
        )
        for named in self.document.typenames:
            self.typename(named)
        self.type_infos()
        self.functions()
        self.protocol()
        return "\n".join(self.lines).rstrip() + "\n"

    def public_names(self) -> Iterator[str]:
        yield from ("MODULE_NAME", "WITX_SOURCE", "WITX_SHA256", "IMPORTS_MEMORY", "TYPES", "FUNCTIONS")
        yield from ("ErrnoError", "GuestList", "GuestPointer")
        yield class_name(self.module.name)
        for named in self.document.typenames:
            yield class_name(named.name)
            if isinstance(resolve(named), Record):
                yield f"{class_name(named.name)}Value"

    # -- type definitions --------------------------------------------------------------------

    def typename(self, named: Named) -> None:
        name = class_name(named.name)
        definition = named.type
        if isinstance(definition, Enum):
            self.enum_class(name, named, definition)
        elif isinstance(definition, Flags):
            self.flags_class(name, named, definition)
        elif isinstance(definition, Handle):
            self.emit(
                f'{name} = NewType("{name}", int)', *_docstring(named.docs or f"A ``{named.name}`` handle.", ""), "", ""
            )
        elif isinstance(definition, Record):
            self.record_classes(name, named, definition)
        else:
            self.emit(f"{name}: TypeAlias = {self.value_annotation(definition)}", *_docstring(named.docs, ""), "", "")

    def enum_class(self, name: str, named: Named, definition: Enum) -> None:
        self.emit(f"class {name}(enum.IntEnum):")
        self.emit(*_docstring(named.docs or f"The ``{named.name}`` enum.", "    "), "")
        self.emit(
            f"    TAG_BITS = enum.nonmember({definition.tag.bits})",
            '    """Width of the tag the value is stored and passed as."""',
            "",
        )
        for value, case in enumerate(definition.cases):
            self.emit(f"    {constant_name(case.name)} = {value}", *_docstring(case.docs, "    "))
        self.emit("", "")

    def flags_class(self, name: str, named: Named, definition: Flags) -> None:
        self.emit(f"class {name}(enum.IntFlag):")
        self.emit(*_docstring(named.docs or f"The ``{named.name}`` flags.", "    "), "")
        self.emit(
            f"    REPR_BITS = enum.nonmember({definition.repr.bits})",
            '    """Width of the integer the flags are stored and passed as."""',
            "",
        )
        for bit, flag in enumerate(definition.flags):
            self.emit(f"    {constant_name(flag.name)} = 1 << {bit}", *_docstring(flag.docs, "    "))
        self.emit("", "")

    def record_classes(self, name: str, named: Named, record: Record) -> None:
        record_layout = abi.layout(record)
        scalars = abi.scalars(record)
        offsets = dict(zip((field.name for field in record.fields), abi.field_offsets(record), strict=True))
        offsets.update({".".join(scalar.path): scalar.offset for scalar in scalars})
        self.emit("@dataclass(frozen=True, slots=True)", f"class {name}:")
        self.emit(
            *_docstring(
                (named.docs or f"The ``{named.name}`` record.")
                + "\n\nAs it lies in guest memory: lists are (pointer, length), enums and handles raw"
                " integers, so that values outside an enum can be written and read back.",
                "    ",
            ),
            "",
        )
        self.emit(
            f"    SIZE: ClassVar[int] = {record_layout.size}", f"    ALIGN: ClassVar[int] = {record_layout.align}"
        )
        self.emit("    OFFSETS: ClassVar[Mapping[str, int]] = {")
        for path, offset in offsets.items():
            self.emit(f'        "{path}": {offset},')
        self.emit("    }", '    """Offset of every field, and of every integer inside a field, by dotted path."""')
        self.emit(f'    _STRUCT: ClassVar[struct.Struct] = struct.Struct("<{self.struct_format(record)}")', "")
        for field in record.fields:
            self.emit(
                f"    {_identifier(field.name)}: {self.raw_annotation(field.type)}", *_docstring(field.docs, "    ")
            )
        flat = [self.flat_expressions(field.type, f"self.{_identifier(field.name)}") for field in record.fields]
        self.emit(
            "",
            "    def pack(self) -> bytes:",
            f'        """The {record_layout.size} bytes of this record, padding zeroed."""',
            f"        return self._STRUCT.pack({', '.join(expr for exprs in flat for expr in exprs)})",
            "",
            "    def pack_into(self, buffer: bytearray | memoryview, offset: int = 0) -> None:",
            '        """Write this record into ``buffer`` at ``offset``, padding zeroed."""',
            f"        self._STRUCT.pack_into(buffer, offset, {', '.join(expr for exprs in flat for expr in exprs)})",
            "",
            "    @classmethod",
            f"    def unpack_from(cls, buffer: bytes | bytearray | memoryview, offset: int = 0) -> {name}:",
            '        """Read a record from ``buffer`` at ``offset``."""',
            "        values = cls._STRUCT.unpack_from(buffer, offset)",
        )
        cursor = iter(range(len(scalars)))
        arguments = ", ".join(self.rebuild_expression(field.type, cursor) for field in record.fields)
        self.emit(f"        return cls({arguments})", "", "")
        self.emit("@dataclass(frozen=True, slots=True)", f"class {name}Value:")
        self.emit(*_docstring(f"A ``{named.name}`` decoded from guest memory, as a host receives it.", "    "), "")
        for field in record.fields:
            self.emit(
                f"    {_identifier(field.name)}: {self.value_annotation(field.type)}", *_docstring(field.docs, "    ")
            )
        self.emit("", "")

    def struct_format(self, witx_type: WitxType) -> str:
        parts: list[str] = []
        end = 0
        for scalar in abi.scalars(witx_type):
            if scalar.offset > end:
                parts.append(f"{scalar.offset - end}x")
            kind = "int" if isinstance(scalar.type, Int) else "float"
            signed = isinstance(scalar.type, Int) and scalar.type.signed
            parts.append(_STRUCT_CODES[(kind, scalar.type.bits, signed)])
            end = scalar.offset + scalar.type.bits // 8
        size = abi.layout(witx_type).size
        if size > end:
            parts.append(f"{size - end}x")
        return "".join(parts)

    def flat_expressions(self, witx_type: WitxType, expression: str) -> list[str]:
        resolved = resolve(witx_type)
        if isinstance(resolved, List | String):
            return [f"{expression}.{name}" for name, _ in abi.LIST_FIELDS]
        if isinstance(resolved, Record):
            return [
                flat
                for field in resolved.fields
                for flat in self.flat_expressions(field.type, f"{expression}.{_identifier(field.name)}")
            ]
        return [expression]

    def rebuild_expression(self, witx_type: WitxType, cursor: Iterator[int]) -> str:
        resolved = resolve(witx_type)
        if isinstance(resolved, List | String):
            return f"GuestList({', '.join(f'values[{next(cursor)}]' for _ in abi.LIST_FIELDS)})"
        if isinstance(resolved, Record):
            assert isinstance(witx_type, Named), "records are always named in WITX"
            inner = ", ".join(self.rebuild_expression(field.type, cursor) for field in resolved.fields)
            return f"{class_name(witx_type.name)}({inner})"
        return f"values[{next(cursor)}]"

    def raw_annotation(self, witx_type: WitxType) -> str:
        resolved = resolve(witx_type)
        if isinstance(resolved, List | String):
            return "GuestList"
        if isinstance(resolved, Record):
            assert isinstance(witx_type, Named)
            return class_name(witx_type.name)
        if isinstance(resolved, Float):
            return "float"
        return "int"

    def value_annotation(self, witx_type: WitxType) -> str:
        """The Python type a host receives for ``witx_type``."""
        if isinstance(witx_type, Named):
            suffix = "Value" if isinstance(resolve(witx_type), Record) else ""
            return class_name(witx_type.name) + suffix
        if isinstance(witx_type, Int):
            return "int"
        if isinstance(witx_type, Float):
            return "float"
        if isinstance(witx_type, Char | String):
            return "str"
        if isinstance(witx_type, Pointer):
            return "GuestPointer"
        if isinstance(witx_type, List):
            element = resolve(witx_type.element)
            if isinstance(element, Int) and element.bits == 8 and not element.signed:
                return "memoryview"
            return f"Sequence[{self.value_annotation(witx_type.element)}]"
        raise TypeError(f"no Python annotation for inline {witx_type}")

    # -- type infos ----------------------------------------------------------------------------

    def type_infos(self) -> None:
        self.emit("# -- type information (sizes, alignment and formats from the WITX) ----------", "")
        named_constants: dict[str, str] = {}
        for named in self.document.typenames:
            named_constants[named.name] = self.type_info_constant(named)
        self.emit("TYPES: Mapping[str, TypeInfo] = {")
        for witx_name, constant in named_constants.items():
            self.emit(f'    "{witx_name}": {constant},')
        self.emit("}", '"""Every typename of the module, by its WITX name."""', "", "")

    def type_info_constant(self, witx_type: WitxType) -> str:
        key = self.type_key(witx_type)
        if key in self.type_constants:
            return self.type_constants[key]
        constant = "_" + "".join(char if char.isalnum() else "_" for char in key).upper().strip("_")
        constant = constant.replace("__", "_")
        resolved = resolve(witx_type)
        element = ""
        if isinstance(resolved, List):
            element = f", element={self.type_info_constant(resolved.element)}"
        elif isinstance(resolved, Pointer):
            element = f", element={self.type_info_constant(resolved.pointee)}"
        python = ""
        if isinstance(resolved, Enum | Flags | Record):
            assert isinstance(witx_type, Named)
            python = f", python={class_name(witx_type.name)}"
        if isinstance(resolved, Record):
            assert isinstance(witx_type, Named)
            fields = ", ".join(
                f'Param("{field.name}", {self.type_info_constant(field.type)})' for field in resolved.fields
            )
            python += f", fields=({fields},), value={class_name(witx_type.name)}Value"
        type_layout = abi.layout(witx_type)
        self.emit(
            f'{constant} = TypeInfo("{key}", "{self.kind(resolved)}", size={type_layout.size}, '
            f'align={type_layout.align}, format="{self.struct_format(witx_type)}"{element}{python})'
        )
        self.type_constants[key] = constant
        return constant

    def type_key(self, witx_type: WitxType) -> str:
        if isinstance(witx_type, Named):
            return witx_type.name
        if isinstance(witx_type, Int | Float):
            return witx_type.name
        if isinstance(witx_type, Char):
            return "char"
        if isinstance(witx_type, String):
            return "string"
        if isinstance(witx_type, List):
            return f"(list {self.type_key(witx_type.element)})"
        if isinstance(witx_type, Pointer):
            keyword_name = "const_pointer" if witx_type.const else "pointer"
            return f"(@witx {keyword_name} {self.type_key(witx_type.pointee)})"
        raise TypeError(f"{witx_type} cannot appear unnamed")

    @staticmethod
    def kind(resolved: WitxType) -> str:
        return {
            Int: "int",
            Float: "float",
            Char: "char",
            String: "string",
            List: "list",
            Pointer: "pointer",
            Enum: "enum",
            Flags: "flags",
            Record: "record",
            Handle: "handle",
        }[type(resolved)]

    # -- functions -----------------------------------------------------------------------------

    def functions(self) -> None:
        self.emit("# -- functions ------------------------------------------------------------------", "")
        entries: list[str] = []
        for function in self.module.functions:
            signature = abi.lower(function)
            params = ", ".join(
                f'Param("{param.name}", {self.type_info_constant(param.type)})' for param in function.params
            )
            result, error = self.result_types(function)
            core = ", ".join(
                f'CoreParam("{param.name}", "{param.type}", "{param.source}", "{param.role}")'
                for param in signature.params
            )
            results = "".join(f'"{result_type}", ' for result_type in signature.results)
            entries.append(
                f'    "{function.name}": FunctionSignature(\n'
                f'        "{function.name}",\n'
                f"        params=({params}{',' if len(function.params) == 1 else ''}),\n"
                f"        result={result},\n"
                f"        error={error},\n"
                f"        core=({core}{',' if len(signature.params) == 1 else ''}),\n"
                f"        core_results=({results.rstrip(' ')}),\n"
                f"        doc={function.docs!r},\n"
                "    ),"
            )
        self.emit("FUNCTIONS: Mapping[str, FunctionSignature] = {", *entries, "}")
        self.emit('"""Every function of the module in WITX order, by export name."""', "", "")

    def result_types(self, function: Function) -> tuple[str, str]:
        if not function.results:
            return "None", "None"
        result = resolve(function.results[0].type)
        if isinstance(result, Expected):
            ok = "None" if result.ok is None else self.type_info_constant(result.ok)
            return ok, self.type_info_constant(result.error)
        return self.type_info_constant(function.results[0].type), "None"

    def protocol(self) -> None:
        name = class_name(self.module.name)
        self.emit(f"class {name}(Protocol):")
        self.emit(
            *_docstring(
                f"What a host of ``{self.module.name}`` implements: one method per function.\n\n"
                "Arguments arrive decoded from guest memory; a method fails the call by raising\n"
                "``ErrnoError`` with a value of the error enum, and returns the result value.",
                "    ",
            ),
        )
        for function in self.module.functions:
            params = "".join(
                f", {_identifier(param.name)}: {self.value_annotation(param.type)}" for param in function.params
            )
            returns = "None"
            if function.results:
                result = resolve(function.results[0].type)
                if isinstance(result, Expected):
                    returns = "None" if result.ok is None else self.value_annotation(result.ok)
                else:
                    returns = self.value_annotation(function.results[0].type)
            self.emit("", f"    def {function.name}(self{params}) -> {returns}:")
            self.emit(*_docstring(function.docs or f"The ``{function.name}`` function.", "        "), "        ...")

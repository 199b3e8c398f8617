"""The handwritten WAT guests agree with the WITX on every ABI constant they spell.

The driver is a template the bindings fill; ``classify.wat``, ``bench.wat`` and
``no_memory.wat`` are plain WAT that a person can run as they are, so they spell encodings,
targets, tensor types, errnos and record offsets as numbers. Each such number carries an
annotation naming what it stands for (``fixtures/guests/README.md``)::

    (i32.store (i32.const 88) (i32.const 1))   ;; abi: 80+tensor.type, tensor_type.f32

one entry per ``i32.const`` of the line, in order: ``ENUM.case`` (a case of an enum of the
WITX), ``BASE+RECORD.FIELD`` (a field's offset in a record laid out at BASE), or ``-`` (a
number that is no ABI fact). These tests check every annotated number against the bindings
of each revision the guest is run under, that the facts a guest relies on are annotated, and
that its ``wasi_ephemeral_nn`` imports have the core signatures the WITX lowers to.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import wasmtime

from conformance.paths import GUESTS_DIR
from conformance.revisions import DEFAULT_REVISION, REVISIONS, Bindings, revision

#: Each handwritten guest that spells ABI facts, the revisions it runs under, and the facts it must annotate.
GUESTS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "classify.wat": (
        (DEFAULT_REVISION,),
        frozenset(
            {
                "graph_encoding.onnx",
                "execution_target.cpu",
                "tensor_type.f32",
                "tensor.dimensions.pointer",
                "tensor.dimensions.length",
                "tensor.type",
                "tensor.data.pointer",
                "tensor.data.length",
            }
        ),
    ),
    "bench.wat": (
        (DEFAULT_REVISION,),
        frozenset(
            {
                "graph_encoding.onnx",
                "execution_target.cpu",
                "tensor_type.f32",
                "tensor.dimensions.pointer",
                "tensor.dimensions.length",
                "tensor.type",
                "tensor.data.pointer",
                "tensor.data.length",
            }
        ),
    ),
    # The special guest of memory.missing-export runs under every revision.
    "no_memory.wat": (
        tuple(REVISIONS),
        frozenset({"graph_encoding.onnx", "execution_target.cpu", "nn_errno.missing_memory"}),
    ),
}

_ANNOTATION = re.compile(r";;\s*abi:\s*(.*)$")
_CONSTANT = re.compile(r"\(i32\.const\s+(-?(?:0x[0-9a-fA-F]+|\d+))\)")
_FIELD = re.compile(r"(\d+)\+([a-z_]+)\.([a-z_.]+)")
_CASE = re.compile(r"([a-z_]+)\.([a-z_0-9]+)")


def annotations(path: Path) -> list[tuple[int, str, list[int], list[str]]]:
    """Every annotated line of a guest: its number, its code, its constants and its annotation's entries."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        annotation = _ANNOTATION.search(line)
        if annotation is None:
            continue
        code = line[: annotation.start()]
        constants = [int(value, 0) for value in _CONSTANT.findall(code)]
        entries = [entry.strip() for entry in annotation.group(1).split(",")]
        found.append((number, code, constants, entries))
    return found


def meaning(entry: str, bindings: Bindings) -> tuple[int, str]:
    """The value an annotation entry stands for in ``bindings``, and the fact it names (without a base)."""
    field = _FIELD.fullmatch(entry)
    if field is not None:
        base, record, path = field.groups()
        info = bindings.TYPES[record]
        assert info.kind == "record", f"{record} is no record of the WITX"
        assert info.python is not None
        offsets = info.python.OFFSETS
        assert path in offsets, f"the record {record} has no field {path}"
        return int(base) + int(offsets[path]), f"{record}.{path}"
    case = _CASE.fullmatch(entry)
    assert case is not None, f"{entry!r} is none of ENUM.case, BASE+RECORD.FIELD, -"
    enum_name, case_name = case.groups()
    info = bindings.TYPES[enum_name]
    assert info.kind == "enum", f"{enum_name} is no enum of the WITX"
    assert info.python is not None
    assert case_name.upper() in info.python.__members__, f"{enum_name} has no case {case_name}"
    return int(info.python[case_name.upper()]), entry


def store_fits(code: str, entry: str, bindings: Bindings) -> bool:
    """Whether an ``i32.store`` to a record field leaves the 4 bytes it writes inside that field and its padding."""
    field = _FIELD.fullmatch(entry)
    if field is None or "i32.store (i32.const" not in code:
        return True
    _, record, path = field.groups()
    info = bindings.TYPES[record]
    assert info.python is not None
    offsets = info.python.OFFSETS
    following = [offset for name, offset in offsets.items() if offset > offsets[path]]
    return min(following, default=info.size) - offsets[path] >= 4


@pytest.mark.parametrize("guest", sorted(GUESTS))
def test_every_abi_constant_of_a_handwritten_guest_is_the_witx_one(guest: str) -> None:
    revisions, required = GUESTS[guest]
    lines = annotations(GUESTS_DIR / guest)
    named: set[str] = set()
    for name in revisions:
        bindings = revision(name).bindings
        for number, code, constants, entries in lines:
            where = f"{guest}:{number}"
            assert len(constants) == len(entries), f"{where}: {len(constants)} i32.const, {len(entries)} entries"
            for value, entry in zip(constants, entries, strict=True):
                if entry == "-":
                    continue
                expected, fact = meaning(entry, bindings)
                assert value == expected, f"{where}: {entry} is {expected} in revision {name}, the guest says {value}"
                assert store_fits(code, entry, bindings), f"{where}: a u32 stored at {entry} overwrites the next field"
                named.add(fact)
    assert required <= named, f"{guest} annotates none of {sorted(required - named)}"


@pytest.mark.parametrize("guest", sorted(GUESTS))
def test_the_wasi_nn_imports_of_a_handwritten_guest_have_the_witx_signatures(guest: str) -> None:
    revisions, _ = GUESTS[guest]
    module = wasmtime.Module(wasmtime.Engine(), (GUESTS_DIR / guest).read_text(encoding="utf-8"))
    for name in revisions:
        bindings = revision(name).bindings
        imported = [item for item in module.imports if item.module == bindings.MODULE_NAME]
        assert imported, f"{guest} imports nothing from {bindings.MODULE_NAME}"
        for item in imported:
            assert item.name in bindings.FUNCTIONS, f"{guest} imports {item.name}, which revision {name} lacks"
            signature = bindings.FUNCTIONS[item.name]
            kind = item.type
            assert isinstance(kind, wasmtime.FuncType)
            assert tuple(str(param) for param in kind.params) == signature.core_params, (guest, item.name)
            assert tuple(str(result) for result in kind.results) == signature.core_results, (guest, item.name)


def test_an_annotation_that_disagrees_with_the_witx_is_caught(tmp_path: Path) -> None:
    bindings = revision().bindings
    guest = tmp_path / "guest.wat"
    guest.write_text("(i32.store (i32.const 88) (i32.const 2))   ;; abi: 80+tensor.type, tensor_type.f32\n")
    ((_, code, constants, entries),) = annotations(guest)
    assert constants == [88, 2]
    assert [meaning(entry, bindings)[0] for entry in entries] == [88, 1]
    assert store_fits(code, entries[0], bindings)

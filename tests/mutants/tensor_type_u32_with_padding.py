"""set_input reads the tensor's type as a u32, padding included, as WasmEdge did before PR #2135.

The tensor record's ``type`` is a u8 at offset 8 followed by three bytes of padding. WasmEdge's
host struct read it as a u32 (its enum was u32-based until WasmEdge PR #2135, 2022-11), and WAMR's
host struct had a 4-byte C enum there until PR #4333, whose message says "some wasm modules actually
use non-zero padding and cause errors". With garbage in the padding the type is no known case, and
a valid tensor is refused. Notes: witx-and-hosts.md §2.2 and §6 items 6 and 9.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.bindings import TypeInfo
from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"set_input.padding-ignored": "function"}


class WideTypeMemory(GuestMemory):
    """The tensor record's type field is the u32 at its offset."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value; a tensor's type is read four bytes wide."""
        if info.name != "tensor":
            return super().decode(info, raw, stored)
        layout = self.bindings.Tensor
        record = self.span(next(raw), info.size, info.align)
        packed = layout.unpack_from(record)
        (wide_type,) = struct.unpack_from("<I", record, layout.OFFSETS["type"])
        fields = {"dimensions": packed.dimensions, "type": (wide_type,), "data": packed.data}
        assert info.value is not None
        return info.value(**{field.name: self.decode(field.type, iter(fields[field.name])) for field in info.fields})


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with the four-byte tensor type."""
    _glue.install(memory=WideTypeMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

"""Enum arguments are truncated to their u8 tag: an encoding of 256 + onnx is onnx.

The core argument of a graph_encoding or execution_target is an i32 whose value must be a case
of the u8 enum; WasmEdge ``static_cast``s the raw u32 to its ``uint8_t``-based enum, so 256 behaves
as 0 and 257 as 1 (code reading; witx-and-hosts.md §3.2 "Encoding" and §3.4). A value outside the
enum must answer ``invalid_encoding`` (``invalid_argument`` for a target), never be read as another
case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.bindings import TypeInfo
from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"load.encoding-unknown": "safety"}


class TruncatingMemory(GuestMemory):
    """An enum value keeps only its low byte."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value; an enum's value is cast to a byte first."""
        if info.kind != "enum":
            return super().decode(info, raw, stored)
        return super().decode(info, iter([next(raw) & 0xFF]))


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked with byte-truncated enums."""
    _glue.install(memory=TruncatingMemory)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

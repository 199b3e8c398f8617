"""set_input of a tensor whose type is no tensor_type answers success and binds nothing, as WAMR's OpenVINO backend does.

WAMR's OpenVINO backend meets an unknown tensor type after ``ret`` was set to success and jumps
to its exit with it, so set_input answers 0 (witx-and-hosts.md §3.3 and §3.4, "tensor_type value
invalid: openvino 0 (accepted)", code reading). The guest believes its input is set. A type
outside the enum must answer ``invalid_argument``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.bindings import TypeInfo
from conformance.host import ReferenceHost
from conformance.host.linker import GuestMemory
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host

CAUGHT_BY = {"set_input.tensor-type-unknown": "safety"}


class RawTypeMemory(GuestMemory):
    """A tensor_type outside the enum decodes to its raw value instead of failing."""

    def decode(self, info: TypeInfo, raw: Iterator[int], stored: bool = False) -> Any:
        """Decode a value; an unknown tensor_type stays an int."""
        if info.kind != "enum" or info.name != "tensor_type":
            return super().decode(info, raw, stored)
        value = next(raw)
        assert info.python is not None
        try:
            return info.python(value)
        except ValueError:
            return value


class SkippingUnknownTypes(ReferenceHost):
    """set_input of an unknown type returns at once, with success."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input; one of an unknown type is skipped."""
        if not isinstance(tensor.type, enum.Enum):
            return
        super().set_input(context, index, tensor)


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The skipping host, linked so that an unknown tensor type reaches it."""
    _glue.install(memory=RawTypeMemory)
    return mutant_host(SkippingUnknownTypes, bindings, graphs_by_name)

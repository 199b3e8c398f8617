"""set_input does not compare the data's length with the dimensions: short data is padded, long data cut.

WasmEdge's OpenVINO and PyTorch backends build the backend tensor from the dimensions and copy
from the guest pointer without checking the data length (over-reading when it is short), and
Wasmtime's OpenVINO backend panics on the mismatch (wasmtime#9379). Here the missing bytes read as
zeros, as an over-read of untouched memory would, and extra bytes are ignored. The tensor data
must hold exactly product(dimensions) x element size bytes. Notes: witx-and-hosts.md §3.2, §3.4
("dims x elem size != data length") and §6 item 3. Reading more than a page past the data runs
into unmapped memory, a fault of the host (``runtime_error``), as in a C host it would crash.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from conformance.dtypes import NUMPY_DTYPES
from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.data-length-mismatch": "safety"}

READABLE_PAST_THE_DATA = 1 << 16
"""Bytes past the end of the data that read (as zeros); a read further than that faults."""


class UncheckedLength(ReferenceHost):
    """The data is read as long as the dimensions say, whatever its own length."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind an input, taking product(dimensions) x element size bytes from the data."""
        needed = math.prod(tensor.dimensions) * NUMPY_DTYPES[tensor.type.name.lower()].itemsize
        if needed - len(tensor.data) > READABLE_PAST_THE_DATA:
            raise MemoryError(f"reading {needed} bytes of tensor data runs into unmapped memory")
        tensor = dataclasses.replace(tensor, data=memoryview(bytes(tensor.data[:needed]).ljust(needed, b"\0")))
        super().set_input(context, index, tensor)


factory = factory_for(UncheckedLength)

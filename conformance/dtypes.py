"""The numpy element type of each WITX tensor type, in the byte order of guest memory.

One table for the whole suite: the reference host reads and writes tensors with it, the
fixtures and the oracles build and compare them with it. The WITX names the tensor types
(``f16`` ... ``i64``) but not how numpy spells their elements, and wasm memory is
little-endian whatever the machine, hence the explicit ``<``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

__all__ = ["NUMPY_DTYPES", "TensorType"]

TensorType = Literal["f16", "f32", "f64", "u8", "i32", "i64"]
"""A tensor element type, named as in the WITX ``tensor-type`` enum."""

NUMPY_DTYPES: Mapping[str, np.dtype[Any]] = MappingProxyType(
    {
        "f16": np.dtype("<f2"),
        "f32": np.dtype("<f4"),
        "f64": np.dtype("<f8"),
        "u8": np.dtype("u1"),
        "i32": np.dtype("<i4"),
        "i64": np.dtype("<i8"),
    }
)
"""numpy's type for the elements of each WITX tensor type, by the type's name."""

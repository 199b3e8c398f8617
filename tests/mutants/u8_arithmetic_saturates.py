"""u8 arithmetic saturates at 255 instead of wrapping around, as the Wasmtime CLI's OpenVINO backend does.

The Wasmtime CLI 49 with OpenVINO 2026.4 computes ``a + b`` on u8 tensors as 255 whenever the
sum passes 255, where ONNX's Add wraps modulo 256 as onnxruntime does
(reports/baselines/wasmtime-cli-49/FINDINGS.md, finding 6; expectations/wasmtime-cli.toml). The
outputs must be the model's. Here u8 graphs are computed in i32 and stored back clamped to
[0, 255]: what a backend does whose u8 kernels saturate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.host import ReferenceHost
from mutants._hosts import ComputingIn, factory_for

CAUGHT_BY = {"get_output.values": "function"}


def saturate(value: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An i32 result stored as u8, clamped to its range."""
    stored: npt.NDArray[Any] = np.clip(value, 0, 255).astype(np.uint8)
    return stored


factory = factory_for(ReferenceHost, backend=ComputingIn("u8", "i32", saturate))

"""f64 graphs are computed in f32 precision, as the Wasmtime CLI's OpenVINO backend computes them.

The Wasmtime CLI 49 with OpenVINO 2026.4 answers an f64 graph with values about 1e-7 away
(relative) from onnxruntime's f64 result, where the f64 tolerance is 1e-12: the CPU plugin
computes in f32 and widens the result (reports/baselines/wasmtime-cli-49/FINDINGS.md, finding 6).
The outputs must be the model's, at its precision. Here f64 inputs are narrowed to f32, the
graph computed in f32, and the outputs widened back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.host import ReferenceHost
from mutants._hosts import ComputingIn, factory_for

CAUGHT_BY = {"get_output.values": "function"}


def widen(value: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An f32 result stored as f64."""
    return value.astype(np.float64)


factory = factory_for(ReferenceHost, backend=ComputingIn("f64", "f32", widen))

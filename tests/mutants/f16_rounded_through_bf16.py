"""f16 outputs are rounded through bf16 on their way out: three bits of their precision are lost.

On CPUs with AMX or AVX-512 BF16, OpenVINO's CPU plugin computes in bf16 unless told otherwise,
which is why the Wasmtime CLI adapter pins its inference precision to f32
(conformance/adapters/wasmtime_cli.py); a host that leaves the default answers f16 graphs with
bf16's 8 significant bits instead of f16's 11, beyond the f16 tolerance
(fixtures/tolerances.toml). The outputs must be the model's, at its precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"get_output.values": "function"}


def through_bf16(value: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``value`` rounded to bf16 (to nearest, ties to even) and back; NaN stays NaN."""
    bits = value.astype(np.float32).view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    narrowed = rounded.view(np.float32)
    return np.where(np.isnan(value), value, narrowed.astype(np.float16))


class Bf16Outputs(ReferenceHost):
    """Every f16 output passes through bf16."""

    def compute(self, context: int) -> None:
        """Run inference; f16 outputs are rounded through bf16."""
        super().compute(context)
        state = self._context(context)
        assert state.outputs is not None
        state.outputs = [through_bf16(value) if value.dtype == np.float16 else value for value in state.outputs]


factory = factory_for(Bf16Outputs)

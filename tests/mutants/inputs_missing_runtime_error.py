"""compute before every input is set answers runtime_error, as Wasmtime and WasmEdge's OpenVINO backend do.

Wasmtime's ONNX backend fails "missing input tensor" as a backend error (5), and WasmEdge's unit
test "compute -- empty context" asserts runtime_error for its OpenVINO backend
(witx-and-hosts.md §3.1, §3.2 and §3.4, "compute before all inputs set"). The inputs are the
caller's to set; the catalog rules ``invalid_argument``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"compute.inputs-missing": "errno"}


class BackendMissingInputs(Misanswering):
    """Missing inputs are a backend error."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.INPUTS_MISSING: "runtime_error"}


factory = factory_for(BackendMissingInputs)

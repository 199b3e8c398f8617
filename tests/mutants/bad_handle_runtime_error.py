"""A bad graph or context handle answers runtime_error, as WAMR's TFLite and OpenVINO backends do.

WAMR (≥ 2.4) checks handles in each backend: TFLite and OpenVINO answer an unknown graph or
context with ``runtime_error`` (5), its ONNX backend with ``invalid_argument``. The catalog
rules ``invalid_argument``. Notes: witx-and-hosts.md §3.3 ("Handles (per backend)") and §3.4.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {
    "init_execution_context.graph-unknown": "errno",
    "set_input.context-unknown": "errno",
    "compute.context-unknown": "errno",
    "get_output.context-unknown": "errno",
}


class RuntimeErrorHandles(Misanswering):
    """Unknown handles are a runtime error."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {
        Situation.GRAPH_UNKNOWN: "runtime_error",
        Situation.CONTEXT_UNKNOWN: "runtime_error",
    }


factory = factory_for(RuntimeErrorHandles)

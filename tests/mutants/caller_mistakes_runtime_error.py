"""Caller mistakes the backend finds answer runtime_error, as the Wasmtime CLI does.

Wasmtime maps every ``BackendError`` to runtime_error (witx-and-hosts.md §3.1), and its backends
find the caller's mistakes: a wrong builder count, an input or output index out of range, an
input of another type or shape all answer 5 on the Wasmtime CLI 49 with OpenVINO
(reports/baselines/wasmtime-cli-49/FINDINGS.md, finding 8). The catalog rules
``invalid_argument``: each is an invalid argument of the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {
    "load.builder-count": "errno",
    "set_input.index-out-of-range": "errno",
    "set_input.tensor-type-mismatch": "errno",
    "set_input.shape-mismatch": "errno",
    "get_output.index-out-of-range": "errno",
}


class BackendErrors(Misanswering):
    """The mistakes a backend finds are backend errors."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {
        Situation.BUILDER_COUNT: "runtime_error",
        Situation.INPUT_INDEX: "runtime_error",
        Situation.TENSOR_TYPE_MISMATCH: "runtime_error",
        Situation.TENSOR_SHAPE_MISMATCH: "runtime_error",
        Situation.OUTPUT_INDEX: "runtime_error",
    }


factory = factory_for(BackendErrors)

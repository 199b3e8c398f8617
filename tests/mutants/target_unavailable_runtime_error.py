"""load for a target the host cannot provide answers runtime_error, as the Wasmtime CLI does for gpu.

On a machine without a GPU the Wasmtime CLI 49's OpenVINO backend fails to compile the graph for
the gpu target and answers runtime_error (reports/baselines/wasmtime-cli-49/FINDINGS.md, finding
3); WAMR's ONNX backend answers unsupported_operation (witx-and-hosts.md §3.4). The target is
valid and the host does not offer it: the catalog rules ``unsupported_operation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"load.target-unavailable": "errno"}


class BackendTargets(Misanswering):
    """A target without a device is a backend error."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.TARGET_UNAVAILABLE: "runtime_error"}


factory = factory_for(BackendTargets)

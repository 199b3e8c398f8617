"""get_output before compute answers runtime_error, as Wasmtime's ONNX backend does.

Wasmtime's ONNX backend has no outputs before compute and reports it as a backend error (5)
(witx-and-hosts.md §3.1, "get_output before compute → 5", and §3.4). The call is refused, which
is right; the catalog rules ``invalid_argument``: the guest called out of order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"get_output.before-compute": "errno"}


class BackendNotComputed(Misanswering):
    """No outputs yet is a backend error."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.NOT_COMPUTED: "runtime_error"}


factory = factory_for(BackendNotComputed)

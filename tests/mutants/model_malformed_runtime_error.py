"""Bytes that are not a model answer runtime_error, as Wasmtime and WasmEdge do.

Both pass the builder bytes to the backend and report its refusal as a backend failure
(``runtime_error``, 5): Wasmtime maps every ``BackendError`` to it, WasmEdge's OpenVINO backend
answers 5 for a malformed model (its unit tests assert it). The catalog rules
``invalid_argument``: the builder bytes are the invalid argument. Notes: witx-and-hosts.md §3.1,
§3.2 and §3.4 ("malformed model bytes").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"load.model-malformed": "errno"}


class RuntimeErrorModels(Misanswering):
    """A malformed model is a backend failure."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.MODEL_MALFORMED: "runtime_error"}


factory = factory_for(RuntimeErrorModels)

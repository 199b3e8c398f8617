"""load_by_name of a name the host does not know answers unsupported_operation, as Wasmtime does.

Wasmtime's registry lookup fails with the ``UsageError`` ``NotFound``, which it turns into
``unsupported_operation`` (6) like every usage error, although the revision has ``not_found``
("graph not found") for exactly this; WasmEdge answers ``not_found``. Notes: witx-and-hosts.md
§3.1 and §3.4 ("load_by_name unknown name").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"load_by_name.unknown-name": "errno"}


class UnsupportedUnknownName(Misanswering):
    """An unknown name is an unsupported operation."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.NAME_NOT_FOUND: "unsupported_operation"}


factory = factory_for(UnsupportedUnknownName)

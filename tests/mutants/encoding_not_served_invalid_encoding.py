"""load of a valid encoding no backend serves answers invalid_encoding, as WAMR does.

WAMR answers invalid_encoding (2) for tensorflow and pytorch, which map to no backend library,
and for a backend library that is missing (witx-and-hosts.md §3.3 and §3.4, "encoding in the
enum but no backend"). The encoding is a case of the enum, so it is not invalid: the host does
not offer the operation, and the catalog rules ``unsupported_operation``, as Wasmtime answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from conformance.host import Situation
from mutants._hosts import Misanswering, factory_for

CAUGHT_BY = {"load.encoding-not-served": "errno"}


class InvalidUnserved(Misanswering):
    """An encoding without a backend is an invalid encoding."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {Situation.ENCODING_NOT_SERVED: "invalid_encoding"}


factory = factory_for(InvalidUnserved)

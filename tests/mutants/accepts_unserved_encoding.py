"""load hands every encoding it has no backend for to its one backend, which sniffs the bytes.

The host has only onnxruntime, and instead of refusing an encoding no backend serves
(openvino, tensorflow, pytorch, tensorflowlite) it tries the bytes as ONNX: ONNX bytes labelled
openvino load. The guest asked for a format the host does not serve; load must fail
(``unsupported_operation``). No host in the notes is known to do exactly this; WAMR picks a backend
by probing for autodetect (§3.3), and this host probes for every encoding.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load.encoding-not-served": "safety"}


class OneBackendForAll(ReferenceHost):
    """An encoding no backend serves is loaded as ONNX."""

    def load(self, builder: Sequence[memoryview], encoding: enum.IntEnum, target: enum.IntEnum) -> int:
        """Load a graph, as ONNX when no backend serves its encoding."""
        if not self.backend.serves(encoding.name.lower()):
            encoding = self.bindings.GraphEncoding.ONNX
        return super().load(builder, encoding, target)


factory = factory_for(OneBackendForAll)

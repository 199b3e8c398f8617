"""What the host-level mutants are built from: subclasses of the reference host.

A host-level mutant overrides one method of :class:`~conformance.host.ReferenceHost` (or the
errno of one situation) and defers to the reference for everything else, so the one fault is
the only difference a run can see.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from conformance.host import HostFault, ReferenceHost, Situation
from conformance.host.backend import NUMPY_TYPES, TensorSlot

HostFactory = Callable[[ModuleType, Mapping[str, Path]], object]
"""What ``--wasi-nn-host module:factory`` names: the host of one guest instance."""


def factory_for(host_class: type[ReferenceHost]) -> HostFactory:
    """The ``module:factory`` factory of a reference host subclass."""

    def factory(bindings: ModuleType, graphs_by_name: Mapping[str, Path]) -> ReferenceHost:
        return host_class(bindings, graphs_by_name=graphs_by_name)

    factory.__doc__ = f"A {host_class.__name__} for one guest instance."
    return factory


reference = factory_for(ReferenceHost)
"""The unmodified reference host through the ``module:factory`` path: the control run."""


class Misanswering(ReferenceHost):
    """The reference host, except that the situations of ``ANSWERS`` fail with another errno."""

    ANSWERS: ClassVar[Mapping[Situation, str]] = {}
    """The errno name each listed situation answers with instead of the reference's."""

    def fault(self, situation: Situation, detail: str) -> HostFault:
        """The reference's fault, carrying this host's errno for the listed situations."""
        error = super().fault(situation, detail)
        name = self.ANSWERS.get(situation)
        if name is not None:
            error.errno = self.bindings.NnErrno[name.upper()]
        return error


def computed_output(host: ReferenceHost, context: int, index: int) -> npt.NDArray[Any]:
    """Output ``index`` of the last compute of ``context``, as the reference would copy it."""
    outputs = host._context(context).outputs
    assert outputs is not None, "the reference checks that the context computed before the size"
    return np.ascontiguousarray(outputs[index])


def declared_zeros(slot: TensorSlot) -> npt.NDArray[Any]:
    """Zeros of a graph input's or output's declared type and shape (a dynamic dimension as 0).

    What a backend's freshly allocated tensor holds before anything was written into it.
    """
    shape = tuple(0 if size is None else size for size in slot.shape)
    assert slot.element is not None
    return np.zeros(shape, NUMPY_TYPES[slot.element])


def declared_bytes(slot: TensorSlot) -> int:
    """The byte size of :func:`declared_zeros` of ``slot``."""
    assert slot.element is not None
    return math.prod(0 if size is None else size for size in slot.shape) * NUMPY_TYPES[slot.element].itemsize

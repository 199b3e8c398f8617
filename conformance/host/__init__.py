"""The reference host: ``wasi_ephemeral_nn`` over onnxruntime or tract, linked into wasmtime-py.

- :class:`ReferenceHost` implements the generated ``Protocol`` of a revision, strictly;
- :func:`make_backend` makes one of its :data:`BACKENDS`;
- :func:`link` puts any such Python host into a wasmtime ``Linker`` (the ABI half);
- :func:`run_guest` runs a WASI command guest with a host linked in;
- :class:`Situation` is the table of invalid situations and the errno each answers.
"""

from conformance.errors import UsageError
from conformance.host.backend import Backend, OnnxRuntimeBackend
from conformance.host.linker import link
from conformance.host.reference import HostLimits, ReferenceHost
from conformance.host.runner import TRAP_EXIT_CODE, GuestOptions, GuestRun, run_guest
from conformance.host.situations import HostFault, Situation

BACKENDS = ("onnxruntime", "tract")
"""The engines the reference host can run graphs on; onnxruntime is the default."""


def make_backend(name: str = "onnxruntime") -> Backend:
    """A new backend of the engine ``name`` (one of :data:`BACKENDS`)."""
    if name == "onnxruntime":
        return OnnxRuntimeBackend()
    if name == "tract":
        # Imported on demand: tract's native library is loaded only by runs that use it.
        from conformance.host.tract_backend import TractBackend

        return TractBackend()
    raise UsageError(f"unknown backend {name!r}: one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "TRAP_EXIT_CODE",
    "GuestOptions",
    "GuestRun",
    "HostFault",
    "HostLimits",
    "ReferenceHost",
    "Situation",
    "link",
    "make_backend",
    "run_guest",
]

"""The reference host: ``wasi_ephemeral_nn`` over onnxruntime, linked into wasmtime-py.

- :class:`ReferenceHost` implements the generated ``Protocol`` of a revision, strictly;
- :func:`link` puts any such Python host into a wasmtime ``Linker`` (the ABI half);
- :func:`run_guest` runs a WASI command guest with a host linked in;
- :class:`Situation` is the table of invalid situations and the errno each answers.
"""

from conformance.host.linker import link
from conformance.host.reference import HostLimits, ReferenceHost
from conformance.host.runner import TRAP_EXIT_CODE, GuestOptions, GuestRun, run_guest
from conformance.host.situations import HostFault, Situation

__all__ = [
    "TRAP_EXIT_CODE",
    "GuestOptions",
    "GuestRun",
    "HostFault",
    "HostLimits",
    "ReferenceHost",
    "Situation",
    "link",
    "run_guest",
]

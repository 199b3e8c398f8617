"""init_execution_context makes the context before it finds that the out-pointer is bad: the context stays.

The same ordering as load_out_pointer_checked_late, for contexts: Wasmtime's wiggle glue stores
a call's result after the host method returns (witx-and-hosts.md §3.1), so a context is made and
registered before the store of its handle fails. The guest never learns the handle, yet the
context is there, and the first handle values reach it: a set_input on a handle no call
returned succeeds. init_execution_context with a bad out-pointer must make nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.host import ReferenceHost
from conformance.revisions import Bindings
from mutants import _glue
from mutants._hosts import mutant_host
from mutants.load_out_pointer_checked_late import result_stored_last

CAUGHT_BY = {"init_execution_context.out-pointer-out-of-bounds": "safety"}

STORE_RESULT_LAST = result_stored_last("init_execution_context")
"""The fault of this mutant, made once: a process installs one fault, and the same one again."""


def factory(bindings: Bindings, graphs_by_name: dict[str, Path]) -> Any:
    """The reference host, linked so that init_execution_context stores its result last."""
    _glue.install(wrap=STORE_RESULT_LAST)
    return mutant_host(ReferenceHost, bindings, graphs_by_name)

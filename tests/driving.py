"""Run a driver script on the reference host in-process, for the suite's own tests."""

from __future__ import annotations

import struct
import sys
import types
from collections.abc import Sequence
from typing import Any

from conformance import codegen
from conformance.bindings import GuestList
from conformance.guest.driver import FIRST_FREE_ADDRESS, Deref, driver_wasm, parse_transcript
from conformance.guest.encoder import Region, ScriptEncoder, ScriptResult
from conformance.host import GuestOptions, ReferenceHost, run_guest
from conformance.revisions import Bindings, revision
from conformance.witx import parse


class TypedScript(ScriptEncoder):
    """A script encoder with one typed helper per call, for the suite's own tests.

    Each helper lays its arguments out with the generated bindings and returns the call's
    number (and the guarded regions it writes). The conformance tests build their scripts
    from operations instead (conformance.scenario).
    """

    def tensor(self, dimensions: Sequence[int], tensor_type: int, data: bytes) -> int:
        """Place dimensions, data and a tensor record; returns the record's address."""
        dimension = self.info("tensor_dimensions").element
        assert dimension is not None
        dims = GuestList(
            self.place(struct.pack(f"<{len(dimensions)}{dimension.format}", *dimensions), dimension.align),
            len(dimensions),
        )
        payload = GuestList(self.place(data, 8), len(data))
        record = self.bindings.Tensor(dims, tensor_type, payload)
        return self.place(record.pack(), self.bindings.Tensor.ALIGN)

    def load(self, buffers: Sequence[bytes], encoding: int, target: int) -> tuple[int, Region]:
        """``load``: returns the call number and the guarded slot the graph lands in."""
        builders = self.builders(buffers)
        slot = self.result_slot(self.functions["load"])
        return self.call("load", builders.pointer, builders.length, encoding, target, slot.address), slot

    def load_by_name(self, name: bytes) -> tuple[int, Region]:
        """``load_by_name``: returns the call number and the graph's slot."""
        pointer = self.place(name, 1) if name else FIRST_FREE_ADDRESS
        slot = self.result_slot(self.functions["load_by_name"])
        return self.call("load_by_name", pointer, len(name), slot.address), slot

    def init_execution_context(self, graph: int | Deref) -> tuple[int, Region]:
        """``init_execution_context``: returns the call number and the context's slot."""
        slot = self.result_slot(self.functions["init_execution_context"])
        return self.call("init_execution_context", graph, slot.address), slot

    def set_input(
        self, context: int | Deref, index: int, dimensions: Sequence[int], tensor_type: int, data: bytes
    ) -> int:
        """``set_input`` of a tensor placed in memory; returns the call number."""
        return self.call("set_input", context, index, self.tensor(dimensions, tensor_type, data))

    def compute(self, context: int | Deref) -> int:
        """``compute``; returns the call number."""
        return self.call("compute", context)

    def get_output(self, context: int | Deref, index: int, max_size: int) -> tuple[int, Region, Region]:
        """``get_output`` into a guarded buffer of ``max_size`` bytes.

        Returns the call number, the buffer and the bytes-written slot (both to be read back).
        """
        buffer = self.region(max_size)
        written = self.result_slot(self.functions["get_output"])
        number = self.call("get_output", context, index, buffer.address, max_size, written.address)
        return number, buffer, written


def encoder(name: str = "current") -> TypedScript:
    """A script encoder for revision ``name``."""
    return TypedScript(revision(name).bindings)


def run_on_reference(script: ScriptEncoder, **host_options: Any) -> ScriptResult:
    """Run ``script`` through the driver guest on a fresh reference host."""
    bindings: Bindings = script.bindings

    def factory(bindings: Bindings) -> ReferenceHost:
        return ReferenceHost(bindings, **host_options)

    run = run_guest(driver_wasm(script.imports), factory, bindings, GuestOptions(stdin=script.script.to_bytes()))
    transcript = parse_transcript(run.stdout)
    assert run.trap is None, f"the reference host let the guest trap: {run.trap}"
    assert transcript.complete, f"transcript cut off (exit {run.exit_code}): {transcript.events[-3:]}"
    assert transcript.failure is None, f"the driver rejected the script: {transcript.failure}"
    return ScriptResult(transcript)


def generated_module(text: str) -> types.ModuleType:
    """Generate bindings for ``text`` and import them, as a user of the generator would."""
    document = parse(text + "(module $m)\n", "random.witx")
    source = codegen.generate_source(document, "random.witx")
    module = types.ModuleType("random_bindings")
    # dataclasses resolves string annotations (ClassVar) through sys.modules.
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, "random_bindings.py", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module

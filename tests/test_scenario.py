"""Judging a scenario: writes a host makes where no call may write are caught."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.adapters.inprocess import InProcessAdapter, reference_capabilities
from conformance.bindings import GuestPointer
from conformance.catalog import Level
from conformance.examples import output_size, ready
from conformance.host import ReferenceHost
from conformance.model import GetOutput, Made, Scenario
from conformance.revisions import revision
from conformance.scenario import run_scenario


class WritesThroughNull(ReferenceHost):
    """Also stores bytes_written through a null pointer, as a host confusing its arguments might."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        written = super().get_output(context, index, out_buffer, out_buffer_max_size)
        out_buffer.memory[0:4] = written.to_bytes(4, "little")
        return written


def _host(host_class: type[ReferenceHost]) -> InProcessAdapter:
    bindings = revision().bindings

    def factory(bindings: ModuleType, graphs: Any) -> ReferenceHost:
        return host_class(bindings, graphs_by_name={name: Path(path) for name, path in graphs.items()})

    return InProcessAdapter(host_class.__name__, factory, reference_capabilities(bindings, "2023-08"), bindings)


def _scenario() -> Scenario:
    bindings = revision().bindings
    return Scenario((*ready(bindings), GetOutput(Made(1), 0, output_size("add_f32"))))


def test_a_write_into_low_memory_fails_every_call_at_the_safety_level() -> None:
    run = run_scenario(_scenario(), revision().bindings, _host(WritesThroughNull))
    judgements = run.judgements
    assert judgements
    for judgement in judgements:
        assert not judgement.verdicts[Level.SAFETY].passed
        assert "low memory" in judgement.verdicts[Level.SAFETY].reason


def test_the_reference_host_writes_nowhere_else() -> None:
    run = run_scenario(_scenario(), revision().bindings, _host(ReferenceHost))
    assert all(judgement.passed for judgement in run.judgements)

"""Judging a scenario: writes a host makes where no call may write are caught; a call that breaks several
clauses is judged by all of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.adapters.inprocess import InProcessAdapter, reference_capabilities
from conformance.bindings import GuestPointer
from conformance.catalog import CallOutcome, Facts, Level, judge, load_catalog
from conformance.examples import output_size, ready
from conformance.host import ReferenceHost
from conformance.revisions import Bindings, revision
from conformance.scenario import _judge_violations, run_scenario
from conformance.spec import Forged, GetOutput, InitExecutionContext, Load, Made, Scenario, SetInput, SpecModel


class WritesThroughNull(ReferenceHost):
    """Also stores bytes_written through a null pointer, as a host confusing its arguments might."""

    def get_output(self, context: int, index: int, out_buffer: GuestPointer, out_buffer_max_size: int) -> int:
        written = super().get_output(context, index, out_buffer, out_buffer_max_size)
        out_buffer.memory[0:4] = written.to_bytes(4, "little")
        return written


def _host(host_class: type[ReferenceHost]) -> InProcessAdapter:
    bindings = revision().bindings

    def factory(bindings: Bindings, graphs: Any) -> ReferenceHost:
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


# -- a call that breaks several clauses ------------------------------------------------------


CATALOG = load_catalog("2023-08")
NN = revision("2023-08").bindings


def _returned(name: str) -> CallOutcome:
    errno = NN.NnErrno[name.upper()]
    return CallOutcome("returned", int(errno), name)


def _violations(outcome: CallOutcome, *clause_ids: str, shown: tuple[str, ...] = ()) -> dict[str, dict[Level, bool]]:
    judgements = [judge(CATALOG[clause_id], outcome, Facts()) for clause_id in clause_ids]
    shared = _judge_violations(judgements, [CATALOG[clause_id] for clause_id in shown])
    return {j.clause.id: {level: verdict.passed for level, verdict in j.verdicts.items()} for j in shared}


def test_a_call_that_breaks_two_clauses_may_answer_the_errno_of_either() -> None:
    for errno in ("invalid_encoding", "invalid_argument"):
        verdicts = _violations(_returned(errno), "load.encoding-unknown", "load.target-unknown")
        assert all(all(levels.values()) for levels in verdicts.values()), (errno, verdicts)
    verdicts = _violations(_returned("runtime_error"), "load.encoding-unknown", "load.target-unknown")
    assert all(levels[Level.SAFETY] and not levels[Level.ERRNO] for levels in verdicts.values())


def test_success_is_right_only_where_every_broken_clause_allows_it() -> None:
    # A misaligned record alone may succeed; beside a forged context it may not.
    alone = _violations(_returned("success"), "set_input.record-misaligned")
    assert alone["set_input.record-misaligned"][Level.SAFETY]
    both = _violations(_returned("success"), "set_input.record-misaligned", "set_input.context-unknown")
    assert not both["set_input.record-misaligned"][Level.SAFETY]
    assert not both["set_input.context-unknown"][Level.SAFETY]


def test_a_clause_a_later_call_shows_shares_only_its_safety_verdict() -> None:
    # A forged handle answered with another errno says nothing of the failed load's errno...
    wrong_errno = _violations(
        _returned("runtime_error"), "init_execution_context.graph-unknown", shown=("load.out-pointer-out-of-bounds",)
    )
    assert wrong_errno["load.out-pointer-out-of-bounds"] == {Level.SAFETY: True}
    # ...but a forged handle that works shows a graph the failed load made.
    success = _violations(
        _returned("success"), "init_execution_context.graph-unknown", shown=("load.out-pointer-out-of-bounds",)
    )
    assert success["load.out-pointer-out-of-bounds"] == {Level.SAFETY: False}


def test_the_model_lists_every_clause_a_call_breaks() -> None:
    model = SpecModel(NN, reference_capabilities(NN, "2023-08"), CATALOG)
    model.predict(0, Load())
    model.predict(1, InitExecutionContext(Made(0)))
    prediction = model.predict(2, SetInput(Forged(99), 0, (2, 3), 99, b"\0" * 5))
    assert set(prediction.clauses) == {"set_input.context-unknown", "set_input.tensor-type-unknown"}
    f32 = int(NN.TensorType.F32)
    prediction = model.predict(3, SetInput(Made(1), 0, (3, 2), int(NN.TensorType.I32), b"\0" * 5))
    assert set(prediction.clauses) == {
        "set_input.tensor-type-mismatch",
        "set_input.shape-mismatch",
        "set_input.data-length-mismatch",
    }
    prediction = model.predict(4, SetInput(Made(1), 0, (0x40000000, 3), f32, b""))
    assert prediction.clauses[:2] == ("set_input.shape-mismatch", "set_input.data-length-mismatch")
    assert "set_input.dimensions-product-wraps" in prediction.clauses


def test_a_scalar_takes_no_dimension_list_but_the_empty_one() -> None:
    model = SpecModel(NN, reference_capabilities(NN, "2023-08"), CATALOG)
    model.predict(0, Load("scalar"))
    model.predict(1, InitExecutionContext(Made(0)))
    f32, value = int(NN.TensorType.F32), b"\0\0\x80?"
    assert model.predict(2, SetInput(Made(1), 0, (), f32, value)).success
    assert model.predict(3, SetInput(Made(1), 0, (1,), f32, value)).clauses == ("set_input.shape-mismatch",)

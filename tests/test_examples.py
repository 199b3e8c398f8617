"""Every clause of every revision can be asked of the reference host, without running it.

A clause whose example cannot be built or predicted on a revision (:class:`NotAskable`) is a
clause the conformance run always skips there, which would hide a gap as a skip.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from conformance.adapters.base import Capabilities, RunOutcome
from conformance.adapters.inprocess import reference_adapter
from conformance.catalog import load_catalog
from conformance.examples import EXAMPLES
from conformance.revisions import REVISIONS
from conformance.scenario import predict
from conformance.spec import NotAskable
from conformance.special import SPECIAL_CLAUSES, run_special

CASES = [(revision, clause_id) for revision in REVISIONS for clause_id in sorted(load_catalog(revision).clauses)]
EXAMPLE_CASES = [case for case in CASES if case[1] not in SPECIAL_CLAUSES]
SPECIAL_CASES = [case for case in CASES if case[1] in SPECIAL_CLAUSES]


def test_every_clause_has_an_example_or_a_guest_of_its_own() -> None:
    for revision, clause_id in CASES:
        assert (clause_id in EXAMPLES) != (clause_id in SPECIAL_CLAUSES), (revision, clause_id)


@pytest.mark.parametrize(("revision", "clause_id"), EXAMPLE_CASES, ids=[f"{r}-{c}" for r, c in EXAMPLE_CASES])
def test_every_example_can_be_asked_of_the_reference_host(revision: str, clause_id: str) -> None:
    bindings = REVISIONS[revision].bindings
    host = reference_adapter(bindings, revision)
    try:
        scenario = EXAMPLES[clause_id](bindings, host.capabilities)
        predictions = predict(scenario, bindings, host)
    except NotAskable as why:
        pytest.fail(f"the example of {clause_id} cannot be asked on {revision}: {why}")
    # A call decides the clause when the model says so, or when the example marks it as one
    # that shows the clause.
    decided = [prediction.clauses for prediction in predictions]
    decided += [operation.demonstrates for operation in scenario.operations]
    assert any(clause_id in clauses for clauses in decided), (
        f"the example of {clause_id} never reaches a call that clause decides"
    )


class _Recorder:
    """A host that runs nothing: it keeps the guest it was given and reports a clean exit."""

    name = "recorder"

    def __init__(self, capabilities: Capabilities) -> None:
        self.capabilities = capabilities
        self.guests: list[bytes] = []

    def version(self) -> str:
        return "0"

    def run(self, wasm: bytes, stdin: bytes, graphs: Mapping[str, str], timeout: float) -> RunOutcome:
        self.guests.append(wasm)
        return RunOutcome("exited", exit_code=0)


@pytest.mark.parametrize(("revision", "clause_id"), SPECIAL_CASES, ids=[f"{r}-{c}" for r, c in SPECIAL_CASES])
def test_every_special_clause_has_a_guest_of_its_own(revision: str, clause_id: str) -> None:
    bindings = REVISIONS[revision].bindings
    host = _Recorder(reference_adapter(bindings, revision).capabilities)
    special = run_special(clause_id, bindings, host)
    assert special.judgement.clause.id == clause_id
    assert host.guests == [special.wasm]
    assert special.wasm.startswith(b"\0asm")

"""One example test per clause of the catalog, named after the clause."""

from __future__ import annotations

import pytest

from conformance.catalog import Clause, load_catalog
from conformance.examples import EXAMPLES
from conformance.plugin import Suite
from conformance.revisions import revision
from conformance.spec import NotAskable
from conformance.special import SPECIAL_CLAUSES, run_special


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per clause of the revision under test."""
    if "clause_id" in metafunc.fixturenames:
        name = revision(metafunc.config.getoption("--wasi-nn-revision")).name
        metafunc.parametrize("clause_id", sorted(load_catalog(name).clauses))


def unaskable(clause: Clause, suite: Suite) -> str | None:
    """Why the host cannot be asked ``clause``, if it cannot."""
    capabilities = suite.capabilities
    if clause.needs == "load_by_name" and not capabilities.load_by_name:
        return "the host declares no load_by_name"
    if clause.needs and clause.needs.startswith("encoding:"):
        encoding = clause.needs.partition(":")[2]
        if encoding not in capabilities.encodings:
            return f"the host declares no {encoding} encoding"
    return None


def test_clause(clause_id: str, wasi_nn_suite: Suite) -> None:
    suite = wasi_nn_suite
    clause = suite.ledger.catalog[clause_id]
    reason = unaskable(clause, suite)
    if reason:
        suite.skip(clause_id, reason)
    if clause_id in SPECIAL_CLAUSES:
        suite.record_special(run_special(clause_id, suite.bindings, suite.host, suite.timeout))
        return
    try:
        scenario = EXAMPLES[clause_id](suite.bindings, suite.capabilities)
        # When the host stops (crashes, traps, hangs) before a call decides the clause, that is
        # the clause's outcome on this host: the suite records it so.
        run = suite.run(scenario, decides=clause_id)
    except NotAskable as why:
        suite.skip(clause_id, why)
    decided = [judgement for judgement in run.judgements if judgement.clause.id == clause_id]
    departed = wasi_nn_suite.departed_here()
    if not decided and departed:
        # The host refused a step the example builds on (tract cannot load the model that
        # compute.inference-fails computes), as its expectations list: this example cannot
        # ask it the clause. Skipped with why, never passed.
        suite.skip(clause_id, f"a listed departure of an earlier call, {', '.join(departed)}, stops the example")
    assert decided, f"the example of {clause_id} never reached a call that clause decides"


def test_every_clause_has_an_example() -> None:
    for name in ("2023-08", "2022-10"):
        for clause_id in load_catalog(name).clauses:
            assert clause_id in EXAMPLES or clause_id in SPECIAL_CLAUSES, clause_id

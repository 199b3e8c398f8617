"""Broken hosts the conformance suite must catch: the reference host with one real-world fault each.

Every mutant is a module of this package that holds

- a docstring naming the fault and the real host that showed it;
- ``factory(bindings, graphs_by_name)``: the host, as ``--wasi-nn-host mutants.NAME:factory``
  takes it (the ``tests`` folder on ``sys.path``);
- ``CAUGHT_BY``: the clauses that must fail on it;

and may hold ``TESTS`` (``-k`` terms of the conformance tests that catch it; by default the
examples of the clauses it names), ``SUBPROCESS = True`` (run through ``run_mutant.py`` and
``--wasi-nn-host-command`` instead of in-process), ``TIMEOUT`` (seconds a scenario may take
before the host counts as hung) and ``GAPS``: the clauses that should catch it and do not yet,
each with the reason, the suite's known blind spots. A mutant with no ``CAUGHT_BY`` at all is
one the suite cannot see.

The machinery: :mod:`mutants._harness` runs the suite against a mutant and reads its report,
:mod:`mutants._hosts` and :mod:`mutants._glue` are what mutants are built from,
:mod:`mutants._profile` is the hypothesis profile of the runs, ``run_mutant.py`` runs a guest
on a mutant from the command line, and ``table.py`` prints which clause caught which mutant.
"""

"""Broken hosts the conformance suite must catch: the reference host with one real-world fault each.

Every mutant is a module of this package that holds

- a docstring whose first line names the fault, and a paragraph on the real hosts that had it;
- ``factory(bindings, graphs_by_name)``: the host, as ``--wasi-nn-host mutants.NAME:factory``
  takes it (the ``tests`` folder on ``sys.path``), built with limits no run can reach
  (:data:`mutants._hosts.UNREACHABLE`), so that no catch comes from a limit of the reference;
- ``CAUGHT_BY``: the clauses that must fail on it, each with the level it must fail at, by the
  harm the fault does: ``"safety"`` for memory faults (reading or writing outside guest memory,
  reading short or long), crashes, hangs, runaway memory and invalid calls that report success;
  ``"function"`` for wrong outputs, wrong ``bytes_written``, refused valid calls and failed calls
  that write their result; ``"errno"`` for wrong errnos. A clause that fails only at a milder
  level than declared has not caught the mutant;

and may hold ``TESTS`` (``-k`` terms of the conformance tests that catch it; by default the
examples of the clauses it names), ``SUBPROCESS = True`` (run through ``run_mutant.py`` and
``--wasi-nn-host-command`` instead of in-process), ``TIMEOUT`` (seconds a scenario may take
before the host counts as hung) and ``GAPS``: the clauses that should catch it at a level and do
not yet, as ``{clause: (level, reason)}``, the reason naming the probe that is missing; these
are the suite's known blind spots.

The machinery: :mod:`mutants._harness` runs the suite against a mutant and reads its report,
:mod:`mutants._hosts` and :mod:`mutants._glue` are what mutants are built from,
:mod:`mutants._profile` is the hypothesis profile of the runs, ``run_mutant.py`` runs a guest
on a mutant from the command line, and ``table.py`` prints which clause caught which mutant,
at which level.
"""

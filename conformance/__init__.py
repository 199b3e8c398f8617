"""wasi-nn-conformance: the conformance suite for hosts of WASI-NN (WITX, ``wasi_ephemeral_nn``).

Subsystems, each a module or subpackage:

- WITX and bindings: :mod:`~conformance.witx` (parser and ABI), :mod:`~conformance.codegen`,
  :mod:`~conformance.generated` (the bindings), :mod:`~conformance.revisions`;
- the reference host: :mod:`~conformance.host`;
- guests: :mod:`~conformance.guest` (the driver, its scripts and transcripts);
- hosts under test: :mod:`~conformance.adapters`;
- the spec and its oracles: :mod:`~conformance.catalog` (clauses, ``clauses.toml``),
  :mod:`~conformance.model` (operations and predictions), :mod:`~conformance.oracle` (native
  onnxruntime, tolerances), :mod:`~conformance.models` (fixture models);
- running the suite: :mod:`~conformance.scenario`, :mod:`~conformance.examples`,
  :mod:`~conformance.special`, :mod:`~conformance.timeouts`, :mod:`~conformance.plugin` and
  the tests in :mod:`conformance.tests`;
- what a run leaves: :mod:`~conformance.results` (the ledger), :mod:`~conformance.expectations`,
  :mod:`~conformance.reports`, :mod:`~conformance.replay`;
- tools: :mod:`~conformance.cli`, :mod:`~conformance.bench`, :mod:`~conformance.cache`.
"""

__version__ = "0.1.0"

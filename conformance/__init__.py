"""wasi-nn-conformance: the conformance suite for hosts of WASI-NN (WITX, ``wasi_ephemeral_nn``).

Subsystems, each a module or subpackage:

- WITX and bindings: :mod:`~conformance.witx` (parser and ABI), :mod:`~conformance.codegen`,
  :mod:`~conformance.generated` (the bindings), :mod:`~conformance.revisions`;
- the reference host: :mod:`~conformance.host`;
- guests: :mod:`~conformance.guest` (the driver, its scripts and transcripts);
- hosts under test: :mod:`~conformance.adapters`;
- the spec and its oracles: :mod:`~conformance.catalog` (clauses, ``clauses.toml``),
  :mod:`~conformance.spec` (operations and predictions), :mod:`~conformance.oracle` (native
  onnxruntime, tolerances), :mod:`~conformance.fixture_models` (fixture models);
- running the suite: :mod:`~conformance.scenario`, :mod:`~conformance.examples`,
  :mod:`~conformance.special`, :mod:`~conformance.timeouts`, :mod:`~conformance.plugin` and
  the tests in :mod:`conformance.tests`;
- what a run leaves, each layer importing only those before it:
  :mod:`~conformance.expectations` (the file of known departures),
  :mod:`~conformance.results` (the ledger), :mod:`~conformance.reproducers` (the failure-case
  format), then :mod:`~conformance.reports` and :mod:`~conformance.replay`, then
  :mod:`~conformance.expectations_update` (``--update-expectations``); the plugin and the
  command line sit on top;
- tools: :mod:`~conformance.cli`, :mod:`~conformance.bench`;
- underneath everything: :mod:`~conformance.errors` (one root for the suite's errors,
  :class:`~conformance.errors.UsageError` for a person's mistakes) and
  :mod:`~conformance.paths` (where files are, the cache, writing files whole),
  :mod:`~conformance.dtypes` (the numpy type of each tensor type).
"""

__version__ = "0.1.0"

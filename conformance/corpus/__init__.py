"""The ONNX backend node tests through WASI-NN: what hosts compute, operator by operator.

- :mod:`~conformance.corpus.cases`: the cases of the installed onnx package in a revision's scope;
- :mod:`~conformance.corpus.oracle`: native onnxruntime's outputs, when they can be trusted;
- :mod:`~conformance.corpus.runner`: many cases per guest run on a host, each judged;
- :mod:`~conformance.corpus.ledger`: a run's results, verdicts and expectations, by operator;
- :mod:`~conformance.corpus.report`: the report section and the reproducers.
"""

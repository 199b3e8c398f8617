"""The ONNX backend node tests through the host: one test per case, judged against native onnxruntime.

Each case is loaded, fed, computed and read back by the driver guest on the host under test,
many cases to a guest run (:mod:`conformance.corpus.runner`). ``--wasi-nn-corpus`` chooses the
cases: ``sample`` (one per operator, the default), ``all``, or ``none``; ``-k relu`` selects by
case id or operator.
"""

from __future__ import annotations

from conformance.plugin import Suite


def test_corpus_case(corpus_case: str, wasi_nn_suite: Suite) -> None:
    """The host computes what native onnxruntime does on this case, through WASI-NN."""
    wasi_nn_suite.run_corpus_case(corpus_case)

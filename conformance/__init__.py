"""wasi-nn-conformance: the conformance suite for hosts of WASI-NN (WITX, ``wasi_ephemeral_nn``).

The bindings of each WITX revision live in :mod:`conformance.generated`; :mod:`conformance.revisions`
names the revisions the suite knows and which is the default.
"""

__version__ = "0.1.0"

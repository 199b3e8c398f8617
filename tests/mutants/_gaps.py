"""Why the suite cannot see some faults yet: the reasons mutants give in their ``GAPS``.

Each is a blind spot of the clause examples and properties as they stand, with the change
that would close it.
"""

from __future__ import annotations

ONE_PAST_THE_END = (
    "the builder probe ends one byte past the end of memory, but a host that reads that byte as zero "
    "still gets bytes that are no model, and refuses them as malformed with the same invalid_argument; "
    "a builder whose bytes are a valid ONNX model when its missing last byte reads as zero (a model "
    "ending in a zero byte, e.g. a metadata value of one NUL) would make the off-by-one host succeed"
)

"""WITX: parse the interface definitions of WASI proposals and compute their ABI."""

from conformance.witx.abi import CoreParam, CoreSignature, Layout, field_offsets, layout, lower
from conformance.witx.errors import Position, WitxError
from conformance.witx.parser import load, parse

__all__ = [
    "CoreParam",
    "CoreSignature",
    "Layout",
    "Position",
    "WitxError",
    "field_offsets",
    "layout",
    "load",
    "lower",
    "parse",
]

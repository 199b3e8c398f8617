"""The ABI glue decodes any generated type, nested ones included."""

from __future__ import annotations

import struct

from driving import generated_module

from conformance.host.linker import GuestMemory
from conformance.revisions import revision

NESTED = """
(typename $inner (record (field $a u32) (field $b u8)))
(typename $outer (record (field $x $inner) (field $y u32) (field $items (list $inner))))
"""


def test_records_stored_inside_records_and_lists_are_decoded_from_their_fields() -> None:
    module = generated_module(NESTED)
    inner, outer = module.TYPES["inner"], module.TYPES["outer"]
    memory = bytearray(256)
    element = struct.Struct("<" + inner.format)
    element.pack_into(memory, 64, 5, 6)
    element.pack_into(memory, 64 + inner.size, 7, 8)
    struct.pack_into("<" + outer.format, memory, 16, 1, 2, 3, 64, 2)
    decoded = GuestMemory(memoryview(memory), revision().bindings).decode(outer, iter([16]))
    assert decoded == module.OuterValue(module.InnerValue(1, 2), 3, [module.InnerValue(5, 6), module.InnerValue(7, 8)])


def test_a_doc_comment_ending_in_a_quote_generates_valid_python() -> None:
    module = generated_module(';;; Ends with a "quote"\n(typename $size u32)\n')
    assert module.Size is int

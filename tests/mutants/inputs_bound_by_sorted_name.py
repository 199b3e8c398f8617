"""set_input binds index i to the i-th input in alphabetical order of the names, not the i-th input.

ONNX sessions take their feeds by name; a host that builds the name list by sorting (a
``BTreeMap`` or ``std::map`` of the model's inputs) binds the guest's positions to the wrong
inputs whenever the names do not sort in model order. The index is a position in the graph's
input list. The multi_io fixture's names are chosen so that the orders differ (values, offsets,
scale sorts as offsets, scale, values); no host in the notes is known to do this.
"""

from __future__ import annotations

from typing import Any

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"set_input.valid": "function"}
TESTS = ("test_clause[get_output.output-order]",)


class SortedInputs(ReferenceHost):
    """Input positions count in sorted-name order."""

    def set_input(self, context: int, index: int, tensor: Any) -> None:
        """Bind the input whose name is the ``index``-th in sorted order."""
        slots = self._context(context).graph.inputs
        by_name = sorted(range(len(slots)), key=lambda position: slots[position].name)
        super().set_input(context, by_name[index] if index < len(by_name) else index, tensor)


factory = factory_for(SortedInputs)

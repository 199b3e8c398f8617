"""load_by_name matches names without regard to case: "ADD" loads the graph registered as "add".

WAMR's TFLite backend treats the name as a file path (witx-and-hosts.md §3.3); on a file system
that folds case (Windows, macOS by default) "ADD" opens the file of "add", and a host that looks
names up in a case-folded table does the same anywhere. The guest is given a graph it did not
name, with success. A name is its bytes: a name the host does not know must answer not_found.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load_by_name.unknown-name": "safety"}


class CaseFolding(ReferenceHost):
    """Names are compared case-folded."""

    def load_by_name(self, name: str) -> int:
        """Load the graph whose registered name equals ``name`` but for case."""
        for known in self.graphs_by_name:
            if known.casefold() == name.casefold():
                return super().load_by_name(known)
        return super().load_by_name(name)


factory = factory_for(CaseFolding)

"""load_by_name reads the name as a C string: it ends at the first NUL, whatever its length says.

A host written in C that passes the guest's bytes to a lookup taking a NUL-terminated string
(``strcmp``, a ``std::string`` built from ``char *``) stops at the first NUL: "add\\0mlp" is looked
up as "add". WAMR's load_by_name took the name this way before its length handling was fixed
(wasm-micro-runtime#4491). The guest gets a graph it did not name, with success. A WITX string
is every byte of its range: a name with a NUL inside that is not registered answers not_found.
"""

from __future__ import annotations

from conformance.host import ReferenceHost
from mutants._hosts import factory_for

CAUGHT_BY = {"load_by_name.name-interior-nul": "safety"}


class CStringNames(ReferenceHost):
    """A name ends at its first NUL."""

    def load_by_name(self, name: str) -> int:
        """Load the graph registered under the name's part before its first NUL."""
        return super().load_by_name(name.partition("\0")[0])


factory = factory_for(CStringNames)

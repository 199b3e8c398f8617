"""The WITX revisions of ``wasi_ephemeral_nn`` the suite knows, and their generated bindings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import cast

from conformance.errors import UsageError
from conformance.generated import Bindings

__all__ = ["DEFAULT_REVISION", "REVISIONS", "Bindings", "Revision", "UnknownRevision", "revision"]

DEFAULT_REVISION = "2023-08"
"""The current revision (six functions with ``load_by_name``), which Wasmtime 21+,
WasmEdge 0.15+ and WAMR 2.4+ speak."""


@dataclass(frozen=True, slots=True)
class Revision:
    """A revision: its name (the month of its upstream commit) and its bindings module."""

    name: str
    module_name: str

    @property
    def bindings(self) -> Bindings:
        """The generated module of this revision (mypy checks in the package that each is a ``Bindings``)."""
        return cast(Bindings, importlib.import_module(f"conformance.generated.{self.module_name}"))


REVISIONS: dict[str, Revision] = {
    name: Revision(name, f"wasi_ephemeral_nn_{name.replace('-', '_')}") for name in ("2023-08", "2022-10")
}
"""Every revision by name, the default first."""


class UnknownRevision(UsageError, KeyError):
    """A revision the suite does not know was asked for; the message names the known ones.

    A :class:`KeyError` too, as a lookup of :data:`REVISIONS` by name would raise.
    """


@cache
def revision(name: str = DEFAULT_REVISION) -> Revision:
    """The revision called ``name`` (``current`` means the default); :class:`UnknownRevision` names the known ones."""
    key = DEFAULT_REVISION if name == "current" else name
    if key not in REVISIONS:
        raise UnknownRevision(f"unknown WITX revision {name!r}; known: current, {', '.join(REVISIONS)}")
    return REVISIONS[key]

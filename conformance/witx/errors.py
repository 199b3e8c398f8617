"""Positions in WITX source and the one error every WITX problem is reported as."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.errors import ConformanceError


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a WITX file: 1-based line and column, as editors count them."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class WitxError(ConformanceError):
    """A WITX file that cannot be read, parsed or lowered.

    Its text is always ``FILE:LINE:COL: message``, the form compilers use, so editors and CI
    logs link straight to the place.
    """

    def __init__(self, position: Position, message: str) -> None:
        super().__init__(f"{position}: {message}")
        self.position = position
        self.message = message

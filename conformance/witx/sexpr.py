"""The s-expression layer of WITX: tokens, lists and the doc comments attached to them.

WITX is WebAssembly-text-style s-expressions. ``;;`` starts a line comment, ``(; ... ;)`` a
block comment, and ``;;;`` a doc comment, which belongs to the next expression (the WASI
repositories document enum cases, fields and functions this way).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from conformance.witx.errors import Position, WitxError

AtomKind = Literal["word", "id", "string", "annotation"]


@dataclass(frozen=True, slots=True)
class Atom:
    """A single token: a keyword (``word``), ``$id``, ``"string"`` or ``@annotation``."""

    kind: AtomKind
    text: str
    position: Position
    docs: str = ""

    def describe(self) -> str:
        """Say what this token is, for error messages."""
        if self.kind == "string":
            return f'string "{self.text}"'
        return f"'{self.text}'"


@dataclass(frozen=True, slots=True)
class SList:
    """A parenthesised list of expressions."""

    items: tuple[SExpr, ...]
    position: Position
    end: Position
    docs: str = ""

    @property
    def head(self) -> str | None:
        """The text of the first item when it is a keyword or annotation, which names the form."""
        if (
            self.items
            and isinstance(self.items[0], Atom)
            and self.items[0].kind
            in (
                "word",
                "annotation",
            )
        ):
            return self.items[0].text
        return None

    def describe(self) -> str:
        """Say what this list is, for error messages."""
        return f"'({self.head} ...)'" if self.head else "a list"


SExpr = Atom | SList

_DELIMITERS = frozenset(' \t\r\n();"')


def read(text: str, path: str) -> tuple[SExpr, ...]:
    """Read every top-level expression of ``text``; ``path`` only names the file in errors."""
    return _Reader(text, path).read_all()


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.offset = 0
        self.line = 1
        self.column = 1
        self.pending_docs: list[str] = []

    def position(self) -> Position:
        return Position(self.path, self.line, self.column)

    def advance(self, count: int = 1) -> None:
        for char in self.text[self.offset : self.offset + count]:
            if char == "\n":
                self.line += 1
                self.column = 1
            else:
                self.column += 1
        self.offset += count

    def take_docs(self) -> str:
        docs = "\n".join(self.pending_docs)
        self.pending_docs = []
        return docs

    def skip_blank(self) -> None:
        text = self.text
        while self.offset < len(text):
            char = text[self.offset]
            if char in " \t\r\n":
                self.advance()
            elif text.startswith(";;;", self.offset):
                end = text.find("\n", self.offset)
                end = len(text) if end < 0 else end
                line = text[self.offset + 3 : end]
                self.pending_docs.append(line[1:] if line.startswith(" ") else line)
                self.advance(end - self.offset)
            elif text.startswith(";;", self.offset):
                end = text.find("\n", self.offset)
                self.advance((len(text) if end < 0 else end) - self.offset)
            elif text.startswith("(;", self.offset):
                start = self.position()
                end = text.find(";)", self.offset + 2)
                if end < 0:
                    raise WitxError(start, "expected ';)' to close this block comment, found end of file")
                self.advance(end + 2 - self.offset)
            else:
                return

    def read_all(self) -> tuple[SExpr, ...]:
        expressions: list[SExpr] = []
        while True:
            self.skip_blank()
            if self.offset >= len(self.text):
                return tuple(expressions)
            if self.text[self.offset] == ")":
                raise WitxError(self.position(), "expected '(' or end of file, found ')' with no '(' to close")
            expressions.append(self.read_expression())

    def read_expression(self) -> SExpr:
        docs = self.take_docs()
        start = self.position()
        char = self.text[self.offset]
        if char == "(":
            self.advance()
            items: list[SExpr] = []
            while True:
                self.skip_blank()
                if self.offset >= len(self.text):
                    raise WitxError(
                        self.position(),
                        f"expected ')' to close the '(' opened at {start.line}:{start.column}, found end of file",
                    )
                if self.text[self.offset] == ")":
                    end = self.position()
                    self.advance()
                    # Doc comments just before ')' document nothing; drop them.
                    self.pending_docs = []
                    return SList(tuple(items), start, end, docs)
                items.append(self.read_expression())
        if char == '"':
            return self.read_string(start, docs)
        begin = self.offset
        while self.offset < len(self.text) and self.text[self.offset] not in _DELIMITERS:
            self.advance()
        token = self.text[begin : self.offset]
        kind: AtomKind
        if token.startswith("$") and len(token) > 1:
            kind = "id"
        elif token.startswith("@") and len(token) > 1:
            kind = "annotation"
        else:
            kind = "word"
        return Atom(kind, token, start, docs)

    def read_string(self, start: Position, docs: str) -> Atom:
        self.advance()
        begin = self.offset
        while self.offset < len(self.text):
            char = self.text[self.offset]
            if char == '"':
                value = self.text[begin : self.offset]
                self.advance()
                return Atom("string", value, start, docs)
            if char == "\n":
                break
            self.advance(2 if char == "\\" else 1)
        raise WitxError(start, "expected '\"' to close this string, found end of line")

"""The oracles share nothing with the reference host but the generated bindings.

The spec model, the catalog and the output oracle must never reach ``conformance.host``,
however indirectly: a mistake in the host would then be copied into the judge of the host,
and show as quiet agreement instead of a failing test. The imports are read from the source
(every ``import`` statement, at any depth of the module, and ``importlib.import_module`` of a
constant or a constant prefix), so the test needs nothing imported to run.
"""

from __future__ import annotations

import ast
import os
from collections import deque
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
ORACLES = ["conformance.model", "conformance.catalog", "conformance.oracle"]
HOST = "conformance.host"


def module_file(name: str) -> Path | None:
    """The source of module ``name`` of the package, if it is one."""
    parts = name.split(".")
    if parts[0] != "conformance":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def every_module() -> list[str]:
    names = []
    # conformance/generated is a link to the top-level generated/: follow it.
    for folder, _, files in os.walk(PACKAGE, followlinks=True):
        for file in files:
            if file.endswith(".py"):
                parts = (Path(folder) / file).relative_to(PACKAGE).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                names.append(".".join(("conformance", *parts)))
    return names


def with_packages(name: str) -> list[str]:
    """``name`` and the packages importing it runs first (``a.b.c`` runs ``a`` and ``a.b``)."""
    parts = name.split(".")
    return [".".join(parts[: length + 1]) for length in range(len(parts))]


def imports_of(name: str) -> set[str]:
    """The modules of the package that module ``name`` imports."""
    path = module_file(name)
    assert path is not None, name
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            # `from package import module` imports the module too.
            found.update(f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}"))
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            found.update(_dynamic_targets(node.args[0]))
    return {module for name in found for module in with_packages(name) if module_file(module)}


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )


def _dynamic_targets(argument: ast.expr) -> list[str]:
    """The package modules an ``import_module`` argument can name: a constant, or every module under a prefix."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return [argument.value]
    if isinstance(argument, ast.JoinedStr) and argument.values:
        first = argument.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [module for module in every_module() if module.startswith(first.value)]
    return []


def import_chain(root: str, forbidden: str) -> list[str] | None:
    """The shortest chain of imports from ``root`` to ``forbidden`` or a module inside it, if any."""
    parents: dict[str, str | None] = {module: None for module in with_packages(root)}
    queue = deque(parents)
    while queue:
        module = queue.popleft()
        if module == forbidden or module.startswith(forbidden + "."):
            chain = [module]
            while (parent := parents[chain[-1]]) is not None:
                chain.append(parent)
            return chain[::-1]
        for imported in sorted(imports_of(module)):
            if imported not in parents:
                parents[imported] = module
                queue.append(imported)
    return None


@pytest.mark.parametrize("root", ORACLES)
def test_the_oracles_never_reach_the_reference_host(root: str) -> None:
    chain = import_chain(root, HOST)
    assert chain is None, f"{root} reaches the reference host: {' -> '.join(chain)}"


def test_the_import_reader_finds_a_chain_that_exists() -> None:
    # The in-process adapter runs the reference host, so the reader must find that.
    assert import_chain("conformance.adapters.inprocess", HOST) == [
        "conformance.adapters.inprocess",
        "conformance.host",
    ]
    # The catalog reaches the bindings only through revisions' import_module.
    assert import_chain("conformance.catalog", "conformance.generated") == [
        "conformance.catalog",
        "conformance.revisions",
        "conformance.generated",
    ]


def test_the_import_reader_follows_relative_and_dynamic_imports() -> None:
    assert "conformance.generated.wasi_ephemeral_nn_2022_10" in imports_of("conformance.revisions")
    assert "conformance.witx.abi" in imports_of("conformance.witx")

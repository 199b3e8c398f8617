"""The package's imports: the oracles share nothing with the reference host, and no module imports in a circle.

The spec model, the catalog and the output oracle must never reach ``conformance.host``,
however indirectly: a mistake in the host would then be copied into the judge of the host,
and show as quiet agreement instead of a failing test.

The modules import in one direction, so that each can be read knowing only those below it
(catalog, expectations, results, reproducers, then reports and replay, then the plugin and
the command line): no module imports, however indirectly, one that imports it back. An
import inside a function counts, since that is where a circle hides; a package's
``__init__`` importing its own modules does not, since Python runs it before any of them
anyway.

The imports are read from the source (every ``import`` statement, at any depth of the
module, ``if TYPE_CHECKING:`` included, and ``importlib.import_module`` of a constant or a
constant prefix), so the tests need nothing imported to run.
"""

from __future__ import annotations

import ast
import os
from collections import deque
from collections.abc import Mapping, Set
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"
ORACLES = ["conformance.spec", "conformance.catalog", "conformance.oracle"]
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


def named_imports(name: str) -> set[str]:
    """The modules of the package that module ``name`` names in an import, at any depth of it.

    ``from package import module`` names the module, not the package; the packages a module
    runs on its way (``a.b`` for ``a.b.c``) are not named, see :func:`imports_of`.
    """
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
            modules = {f"{base}.{alias.name}" for alias in node.names if module_file(f"{base}.{alias.name}")}
            # `from package import module` names the module; any other name comes from the package.
            found.update(modules)
            if len(modules) < len(node.names):
                found.add(base)
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            found.update(_dynamic_targets(node.args[0]))
    return {module for module in found if module_file(module) and module != name}


def imports_of(name: str) -> set[str]:
    """The modules of the package that importing module ``name`` runs: those it names, and their packages."""
    return {module for named in named_imports(name) for module in with_packages(named) if module_file(module)}


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


def import_graph() -> dict[str, set[str]]:
    """Every module of the package with the modules it names in its imports."""
    return {module: named_imports(module) for module in sorted(set(every_module()))}


def cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """One circle of imports for each group of modules that import each other, as ``[a, b, ..., a]``.

    The groups are the strongly connected components of ``graph`` (Tarjan's algorithm); the
    circle shown is a shortest one through the group's first module.
    """
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = lowest[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.get(module, ())):
            if imported not in graph:
                continue
            if imported not in index:
                visit(imported)
                lowest[module] = min(lowest[module], lowest[imported])
            elif imported in stack:
                lowest[module] = min(lowest[module], index[imported])
        if lowest[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_circle(graph, min(group), group) for group in sorted(groups, key=min)]


def _circle(graph: Mapping[str, Set[str]], start: str, group: Set[str]) -> list[str]:
    """A shortest way from ``start`` back to itself through the modules of ``group``."""
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(graph[module]):
            if imported == start:
                path = [module]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*path[::-1], start]
            if imported in group and imported not in parents:
                parents[imported] = module
                queue.append(imported)
    raise AssertionError(f"{start} is in no circle")


def test_no_module_of_the_package_imports_in_a_circle() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other:\n" + "\n".join(" -> ".join(circle) for circle in found)


def test_the_circle_finder_names_a_circle_through_lazy_imports() -> None:
    # The circle the ledger, the expectations file and the reports once made, a lazy import closing it.
    graph = {
        "expectations": {"catalog"},
        "results": {"expectations", "catalog"},
        "reports.cases": {"replay", "results"},
        "replay": {"expectations"},
        "catalog": set(),
    }
    assert cycles(graph) == []
    graph["expectations"] |= {"reports.cases"}
    assert cycles(graph) == [["expectations", "reports.cases", "replay", "expectations"]]


def test_the_import_reader_counts_imports_inside_functions_and_type_checking() -> None:
    # The plugin imports the adapters' selection only inside its fixtures and hooks.
    assert "conformance.adapters.select" in named_imports("conformance.plugin")

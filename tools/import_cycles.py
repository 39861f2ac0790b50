"""`python -m tools.import_cycles`: the house rules for imports, checked in CI.

1. No import circles among the application's modules. Built from the code's own imports by
   grimp (the graph library behind import-linter), counting imports inside functions too: an
   import moved into a function to dodge a circle at start-up still ties the two modules
   together. Imports under `if TYPE_CHECKING:` are left out: they name a type for the checker
   and run nothing. Each circle (a strongly connected component) is printed with one shortest
   loop through it.
2. The developer tools (`devtools`: demo, simulators, embedded Redis, fake carriers) stay out
   of the production import graph: only the `hotline` commands that run them load them, inside
   the command.
3. An import inside a function says why, in a comment on its line or just above it (the first
   import of a block covers the block): anything else belongs at the top of the module.
Exit status 1 when any rule is broken.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp

PRODUCTION = ("hotline", "notifications", "models", "ivr_flows")
PACKAGES = (*PRODUCTION, "devtools")
ROOT = Path(__file__).resolve().parent.parent
# The commands that run a developer tool (`hotline demo`, `hotline simulate`, the fake servers).
MAY_LOAD_DEVTOOLS = ("hotline.cli.",)


def module_graph(packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Each application module and the application modules it imports (anywhere in it)."""
    graph = grimp.build_graph(*packages, exclude_type_checking_imports=True)
    modules = set(graph.modules)
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in sorted(modules)}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def shortest_loop(graph: dict[str, set[str]], start: str, members: set[str]) -> list[str]:
    """A shortest import loop from `start` back to itself inside one circle (breadth first)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt: list[str] = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if target not in parents:
                    parents[target] = node
                    nxt.append(target)
        frontier = nxt
    return [start]


def function_imports(packages: Iterable[str] = PRODUCTION) -> list[tuple[str, int, str, bool]]:
    """Every import inside a function: (file, line, statement, has a reason comment)."""
    found: list[tuple[str, int, str, bool]] = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").split("\n")
            tree = ast.parse("\n".join(lines))
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    if isinstance(node, (ast.Import, ast.ImportFrom)):
                        found.append((str(path.relative_to(ROOT)), node.lineno,
                                      lines[node.lineno - 1].strip(),
                                      _explained(lines, node)))
    return sorted(set(found))


def _explained(lines: list[str], node: ast.Import | ast.ImportFrom) -> bool:
    """A comment on the statement's lines, or above it (over a block of imports)."""
    if any("#" in lines[n - 1] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)):
        return True
    above = node.lineno - 2
    while above >= 0:
        text = lines[above].strip()
        if text.startswith("#"):
            return True
        if not (text.startswith(("from ", "import ")) or text.endswith(",") or text == ")"
                or text.isidentifier()):
            return False
        above -= 1
    return False


def devtools_leaks(graph: dict[str, set[str]]) -> list[str]:
    """Production modules importing a developer tool, other than the commands that run one."""
    return sorted(f"{importer} -> {imported}" for importer, targets in graph.items()
                  if importer.split(".")[0] in PRODUCTION
                  and not importer.startswith(MAY_LOAD_DEVTOOLS)
                  for imported in targets if imported.split(".")[0] == "devtools")


def main() -> int:
    """Print every broken rule; 1 when there is one."""
    graph = module_graph()
    found = circles(graph)
    for component in found:
        loop = shortest_loop(graph, component[0], set(component))
        print(f"{len(component)} modules in a circle: {', '.join(component)}")
        print(f"  e.g. {' -> '.join(loop)}")
    if not found:
        print("no import circles")
    leaks = devtools_leaks(graph)
    for leak in leaks:
        print(f"developer tool in the production graph: {leak}")
    inside = function_imports()
    unexplained = [f"{path}:{line}: {text}" for path, line, text, why in inside if not why]
    print(f"{len(inside)} imports inside functions, {len(unexplained)} without a reason")
    for item in unexplained:
        print(f"  {item}")
    return 1 if found or leaks or unexplained else 0


if __name__ == "__main__":
    sys.exit(main())

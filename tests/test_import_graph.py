"""The house rules for imports (tools/import_cycles.py): no circles, developer tools outside the
production graph, and an import inside a function only with its reason."""

from __future__ import annotations

from tools.import_cycles import (
    circles,
    devtools_leaks,
    function_imports,
    module_graph,
    shortest_loop,
)


def test_no_import_circles() -> None:
    """Any module importing its way into a circle fails the suite, with one loop shown."""
    graph = module_graph()
    found = circles(graph)
    loops = [" -> ".join(shortest_loop(graph, c[0], set(c))) for c in found]
    assert not found, "import circles:\n" + "\n".join(loops)


def test_developer_tools_stay_out_of_the_production_graph() -> None:
    """Only the commands that run the demo, the simulators or a fake carrier load devtools."""
    assert devtools_leaks(module_graph()) == []
    assert devtools_leaks({"hotline.intake": {"devtools.demo"}}) == [
        "hotline.intake -> devtools.demo"]
    assert devtools_leaks({"hotline.cli.main": {"devtools.demo"}}) == []


def test_an_import_inside_a_function_says_why() -> None:
    """Everything else is imported at the top of its module."""
    unexplained = [f"{path}:{line}: {text}" for path, line, text, why in function_imports()
                   if not why]
    assert not unexplained, "imports inside functions without a reason:\n" + "\n".join(
        unexplained)


def test_the_circle_finder_finds_circles_and_only_circles() -> None:
    """Tarjan over a small graph: two circles, a chain and a self-contained module."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}, "g": set()}
    assert circles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert shortest_loop(graph, "a", {"a", "b", "c"}) == ["a", "b", "c", "a"]

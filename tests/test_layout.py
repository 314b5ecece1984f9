"""The house rules a newcomer relies on: no import cycles among coopchain modules, no module
past 400 lines, and an OpenAPI document that names every API route (DESIGN.md §2, §5)."""

import ast
from pathlib import Path

import pytest

import coopchain
from coopchain.web.api import OPENAPI_PATHS, api_operations, openapi_path

PACKAGE = Path(coopchain.__file__).parent
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The coopchain modules `path` imports, anywhere in the file (a function-level import is
    still a dependency)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found |= {
                f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names
            }
    return {m for m in found if m in modules and m != name}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_coopchain_modules_import_no_cycle():
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: imports_of(path, set(files)) for name, path in files.items()}
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("rule", "path"),
    [("/api/v1/lots/<code>", "/api/v1/lots/{code}"), ("/x/<int:id>/y", "/x/{id}/y")],
)
def test_flask_rules_become_openapi_paths(rule, path):
    assert openapi_path(rule) == path


def test_every_api_route_is_described_and_every_description_is_a_route(app_without_database):
    app = app_without_database
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(path, method) for path, ops in OPENAPI_PATHS.items() for method in ops}
    assert routes - described == set(), "describe these routes with document()"
    assert described - routes == set(), "these descriptions name no route"
    with app.test_request_context():
        assert {(p, m) for p, ops in api_operations().items() for m in ops} == routes


def test_no_module_passes_400_lines():
    """Split a module before it passes ~400 lines (DESIGN.md §2): past that, nobody reads it
    whole before changing it."""
    long = {
        module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_queries_are_scoped_to_an_organisation_through_the_one_helper():
    """db.owned()/db.in_organization() are the one place a query is scoped (DESIGN.md §4): a
    hand-written `organization_id ==` elsewhere is a scope nobody reviews as such."""
    hand_written = [
        f"{module_name(p)}:{n}"
        for p in PACKAGE.rglob("*.py")
        if p != PACKAGE / "db.py"
        for n, line in enumerate(p.read_text().splitlines(), start=1)
        if ".organization_id ==" in line
    ]
    assert hand_written == []

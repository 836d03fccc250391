"""The house keeps its shape: no import circle among kolrules' modules, no import from a
lower floor to a higher one, no private module at the top of the package, and every
documented import path still works.

The import graph counts every module-level import, those under ``if TYPE_CHECKING:``
included (they are what a reader follows); imports inside functions are not edges (they
are how a command stays fast to start). A submodule's implicit import of its parent
package is not an edge either.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import kolrules

REPO = Path(__file__).resolve().parents[1]
#: The source tree (the tests may run against an installed wheel: its modules are the same).
ROOT = REPO / "kolrules"

#: The floors of the house, lowest first. A module may import from its own floor (without
#: a circle) or from a lower one, never from a higher one. A name is a top-level module or
#: a wing (every module in the folder). CONTRIBUTING.md shows the same map.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("errors", "types"),  # value objects and errors: the ground floor
    ("expression", "hookspecs"),  # the expression language; the plugin contract
    ("read", "ruleset", "findings"),  # input files; ruleset files; solving a rule's needs
    ("normalise",),
    ("compile",),
    ("evaluate",),
    ("formats",),  # the output formats' text, built for the report step
    ("report",),
    ("plugins",),  # the plugin machinery the engine wires in
    ("engine",),
    # features built on the engine
    ("checks", "diff", "ruletest", "dask", "serve", "measure", "planner"),
    ("testing", "cli"),  # the faces for plugin authors and for people
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if "_bundled" in path.parts:
            continue
        parts = ["kolrules", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports at module level, including those under ``if`` (``TYPE_CHECKING``) and
    ``try``; not those inside functions or classes."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for part in (node.body, node.orelse, node.finalbody):
                yield from _module_level(part)
            for handler in node.handlers:
                yield from _module_level(handler.body)


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package.pop()
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        # ``from kolrules.ruleset import model`` imports the submodule ``model``.
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != module:
            yield name


def import_graph() -> dict[str, set[str]]:
    """Each kolrules module -> the kolrules modules it imports at module level."""
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {t for node in _module_level(tree.body) for t in _targets(module, node)}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def floor_of(module: str) -> int:
    """The floor of a module: that of its top-level name below ``kolrules``; the face
    ``kolrules`` itself is above every floor."""
    if module == "kolrules":
        return len(FLOORS)
    top = module.split(".")[1]
    for n, names in enumerate(FLOORS):
        if top in names:
            return n
    raise AssertionError(f"{module} is on no floor: add it to FLOORS and CONTRIBUTING.md")


# -- the checks on the real package -------------------------------------------------------


def test_no_import_circle() -> None:
    assert circles(import_graph()) == []


def test_no_import_from_a_lower_floor_to_a_higher_one() -> None:
    upward = [
        f"{a} (floor {floor_of(a)}) imports {b} (floor {floor_of(b)})"
        for a, targets in sorted(import_graph().items())
        for b in sorted(targets)
        if floor_of(b) > floor_of(a)
    ]
    assert upward == []


def test_every_module_is_on_a_floor() -> None:
    tops = {m.split(".")[1] for m in MODULES if m != "kolrules"}
    on_floors = {name for names in FLOORS for name in names}
    assert tops == on_floors


def test_no_private_module_at_the_top() -> None:
    private = sorted(
        p.name for p in ROOT.glob("_*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert private == []


def test_a_wing_face_only_hands_names_on() -> None:
    """A wing's ``__init__.py`` holds a docstring, imports and ``__all__``: no logic."""
    for init in sorted(ROOT.glob("*/__init__.py")):
        if "_bundled" in init.parts:
            continue
        tree = ast.parse(init.read_text(encoding="utf-8"))
        body = tree.body[1:] if isinstance(tree.body[0], ast.Expr) else tree.body
        for node in body:
            is_all = isinstance(node, ast.Assign) and [
                getattr(t, "id", None) for t in node.targets
            ] == ["__all__"]
            assert isinstance(node, ast.ImportFrom) or is_all, (
                f"{init.relative_to(REPO)}:{node.lineno} is not an import or __all__"
            )


def test_a_wing_face_exports_what_it_lists() -> None:
    for module in sorted(m for m, p in MODULES.items() if p.name == "__init__.py"):
        if module == "kolrules":
            continue
        face = importlib.import_module(module)
        missing = [name for name in face.__all__ if not hasattr(face, name)]
        assert missing == [], module


# -- the checks can fail ------------------------------------------------------------------


def test_circles_finds_a_circle_and_only_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_type_checking_imports_are_edges_and_function_imports_are_not() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from kolrules.engine import Engine\n"
        "def f():\n"
        "    from kolrules.cli import main\n"
    )
    found = {t for node in _module_level(tree.body) for t in _targets("kolrules.types", node)}
    assert found == {"kolrules.engine"}


def test_floor_of_places_wings_and_steps() -> None:
    assert floor_of("kolrules.types") == 0
    assert floor_of("kolrules.ruleset.overlay") == floor_of("kolrules.read")
    assert floor_of("kolrules.findings.solve") < floor_of("kolrules.compile")
    assert floor_of("kolrules.plugins.phases") > floor_of("kolrules.normalise")
    assert floor_of("kolrules.cli.main") > floor_of("kolrules.engine")
    assert floor_of("kolrules") == len(FLOORS)


# -- documented import paths ------------------------------------------------------------

#: Import paths that were public before the house was built in wings: each still works.
STABLE_PATHS = {
    "kolrules.cli": ["main", "EXIT_OK", "EXIT_USAGE", "EXIT_RULESET", "EXIT_INPUT"],
    "kolrules.diff": ["impact", "DiffResult", "IncompatibleRulesetsError", "VERDICT_LABELS"],
    "kolrules.engine": ["Engine", "RowInputError", "DEFAULT_RULESET"],
    "kolrules.hookspecs": ["hookimpl", "kolrules_platforms_register"],
    "kolrules.plugins": [
        "PluginsDir",
        "PluginManager",
        "make_plugin_manager",
        "describe_plugins",
        "check_blocks",
        "ESSENTIAL_PLUGINS",
        "DEFAULT_PLUGINS",
    ],
    "kolrules.report": ["Report", "Summary", "render_csv", "frame_of", "jsonable"],
    "kolrules.ruleset": [
        "Rule",
        "Ruleset",
        "load_ruleset",
        "parse_ruleset",
        "resolve_ruleset",
        "find_rulesets",
        "bundled_rulesets_dir",
    ],
    "kolrules.ruletest": ["run_tests", "run_case", "discover", "CaseResult", "TestRun"],
    "kolrules.testing": [
        "make_engine",
        "make_profile",
        "check_plugin",
        "PluginCheck",
        "pytest_configure",
        "pytest_collect_file",
    ],
    "kolrules.types": ["Decision", "Platform", "Reader", "Reporter", "Report", "Summary"],
}

_DOC_IMPORT = re.compile(r"^\s*from (kolrules[\w.]*) import \(?([\w, ]+)\)?\s*$", re.M)


def _documented_imports() -> list[tuple[str, str, str]]:
    """``(file, module, name)`` for each ``from kolrules... import name`` in the docs."""
    found = []
    for doc in sorted([REPO / "README.md", REPO / "CONTRIBUTING.md", *REPO.glob("docs/**/*.md")]):
        for m in _DOC_IMPORT.finditer(doc.read_text(encoding="utf-8")):
            for name in filter(None, (n.strip() for n in m.group(2).split(","))):
                found.append((str(doc.relative_to(REPO)), m.group(1), name))
    return found


@pytest.mark.parametrize(("module", "names"), sorted(STABLE_PATHS.items()))
def test_stable_import_paths_work(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    assert [n for n in names if not hasattr(imported, n)] == []


def test_every_import_in_the_docs_works() -> None:
    documented = _documented_imports()
    assert len(documented) > 10  # the docs do show imports: the pattern still finds them
    broken = [
        f"{doc}: from {module} import {name}"
        for doc, module, name in documented
        if not hasattr(importlib.import_module(module), name)
    ]
    assert broken == []


def test_every_public_name_of_the_package_imports() -> None:
    assert [n for n in kolrules.__all__ if getattr(kolrules, n, None) is None] == []

"""The shape of the code: small modules, no import cycle, tasks/ never imports prefect, and each
DVC stage depends on exactly the modules it runs, in the pipeline's one step order."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from flows.pipeline import STEP_NAMES, STEPS

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("tasks", "flows")
MAX_LINES = 300
CLI = "flows.cli"
# Modules a stage runs without importing them: register logs the pyfunc's file for MLflow.
RUN_BY_PATH = {"register": ("tasks.copilot.model",)}


def module_files() -> dict[str, Path]:
    """Every module of our packages by dotted name (a package by its __init__)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = module_files()


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(tree: ast.AST, top_level_only: bool, typing: bool) -> Iterator[str]:
    """Dotted names a module imports: everywhere, or at module level only; with or without the
    `if TYPE_CHECKING:` blocks (which never run)."""
    nodes: list[ast.AST] = [tree]
    while nodes:
        node = nodes.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and is_type_checking(child) and not typing:
                continue
            if top_level_only and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                yield child.module
                yield from (f"{child.module}.{alias.name}" for alias in child.names)
            nodes.append(child)


def with_parents(name: str) -> list[str]:
    """Importing a.b.c runs a, a.b and a.b.c."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@cache
def imports_of(name: str, top_level_only: bool = False, typing: bool = False) -> frozenset[str]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found = {
        module
        for imported in imported_names(tree, top_level_only, typing)
        for module in with_parents(imported)
        if module in MODULES
    }
    return frozenset(found - {name})


def closure(start: set[str]) -> set[str]:
    """Every module of ours that importing `start` runs (function-level imports included)."""
    seen: set[str] = set()
    todo = [m for name in start for m in with_parents(name) if m in MODULES]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imports_of(name))
    return seen


def load_closure(name: str) -> set[str]:
    """Every module of ours that loading `name` runs: top-level imports only, transitively."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(imports_of(module, top_level_only=True))
    return seen


def stage_modules(step: str) -> set[str]:
    """What `tandem <step>` runs: the CLI with what it imports at load (other commands'
    function-level imports do not run), and the step's module with everything it imports."""
    run = dict(STEPS)[step]
    cli = load_closure(CLI)
    return cli | closure({run.__module__, *RUN_BY_PATH.get(step.replace("-", "_"), ())})


@cache
def dvc_stages() -> dict[str, dict[str, object]]:
    return yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def code_deps(stage: dict[str, object]) -> set[str]:
    """The stage's deps inside tasks/ and flows/, as module files (a folder: all it holds)."""
    files: set[str] = set()
    for dep in stage.get("deps", []):  # type: ignore[attr-defined]
        path = REPO / str(dep)
        if not str(dep).startswith(PACKAGES):
            continue
        assert path.exists(), f"dvc.yaml names {dep}, which does not exist"
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        files.update(p.relative_to(REPO).as_posix() for p in found)
    return files


def test_no_module_is_over_the_size_of_one_sitting() -> None:
    lines = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lines.items() if n > MAX_LINES} == {}


def test_every_module_opens_with_a_line_on_what_it_is() -> None:
    missing = [
        name
        for name, path in MODULES.items()
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert missing == []


def test_there_is_no_import_cycle() -> None:
    """Including imports inside functions and under TYPE_CHECKING: the graph is a DAG."""
    graph = {name: imports_of(name, typing=True) for name in MODULES}
    # a package's own __init__ is imported by its children; that edge is not a dependency
    graph = {n: {m for m in deps if not n.startswith(f"{m}.")} for n, deps in graph.items()}
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for dep in sorted(graph[name]):
            if state.get(dep) == "open":
                cycles.append([*path[path.index(dep) :], dep] if dep in path else [name, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_tasks_never_import_prefect() -> None:
    offenders = [
        name
        for name, path in MODULES.items()
        if name.startswith("tasks")
        for imported in imported_names(ast.parse(path.read_text()), False, True)
        if imported.split(".")[0] == "prefect"
    ]
    assert offenders == []


def test_dvc_stages_follow_the_pipeline_order() -> None:
    """promote is no stage: moving `champion` is a release decision, not a reproducible output."""
    assert list(dvc_stages()) == [n.replace("-", "_") for n in STEP_NAMES if n != "promote"]


@pytest.mark.parametrize("step", [n for n in STEP_NAMES if n != "promote"])
def test_dvc_deps_are_exactly_the_modules_the_stage_runs(step: str) -> None:
    """Changing any module a stage runs marks that stage changed, and no other module does."""
    wanted = {MODULES[name].relative_to(REPO).as_posix() for name in stage_modules(step)}
    declared = code_deps(dvc_stages()[step.replace("-", "_")])
    assert sorted(wanted - declared) == [], "missing from the stage's deps"
    assert sorted(declared - wanted) == [], "in the stage's deps but never run by it"


def test_every_stage_tracks_the_source_folder_params() -> None:
    """The source folder's params.yaml is layered over params.yaml: a stage that did not track
    it would reuse outputs made with another prompt or abstention text."""
    overlay = "${paths.source_dir}/params.yaml"
    for name, stage in dvc_stages().items():
        tracked = [next(iter(p)) if isinstance(p, dict) else p for p in stage["params"]]  # type: ignore[attr-defined]
        assert overlay in tracked, name

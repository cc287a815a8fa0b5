"""The package's shape: layers whose imports only go down, no import cycle, small modules.

The layer map below is the one place the layers are written down (docs/architecture.rst
includes it). Every module of ``taskmanager`` belongs to exactly one layer; a module may
import from its own layer and the layers below it, never from one above.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "taskmanager"

# -- the layer map: bottom first ----------------------------------------------------------
LAYERS: list[tuple[str, list[str]]] = [
    (
        "data",
        [
            "taskmanager",
            "taskmanager.conf",
            "taskmanager.results",
            "taskmanager.text",
            "taskmanager.lazy",
            "taskmanager.arguments",
            "taskmanager.scheduling",
            "taskmanager.extra",
            "taskmanager.logfiles",
            "taskmanager.statements",
            "taskmanager.notification_state",
            "taskmanager.deliveries",
            "taskmanager.execution_state",
            "taskmanager.previous_report",
            "taskmanager.models",
            "taskmanager.migrations",
            "taskmanager.migrations.*",
        ],
    ),
    ("runs", ["taskmanager.runs", "taskmanager.runs.*"]),
    ("notifications", ["taskmanager.notifications", "taskmanager.notifications.*"]),
    ("channels", ["taskmanager.notifications.channels", "taskmanager.notifications.channels.*"]),
    ("execution", ["taskmanager.execution", "taskmanager.execution.*"]),
    (
        "entry points",
        [
            "taskmanager.admin",
            "taskmanager.admin.*",
            "taskmanager.views",
            "taskmanager.urls",
            "taskmanager.apps",
            "taskmanager.checks",
            "taskmanager.spooler",
            "taskmanager.tasks",
            "taskmanager.testing",
            "taskmanager.management",
            "taskmanager.management.*",
        ],
    ),
]

#: The one place a lower layer names a higher one: the public names of
#: ``taskmanager.notifications`` include the built-in channels' classes, resolved on
#: first use (3.0's settings name them there; a process pays only for the channels it uses).
FACADES = {"taskmanager.notifications": "taskmanager.notifications.channels"}

#: Imports inside a function, each with the reason it cannot be at the top. None of them
#: may be there to dodge an import cycle.
LATE_IMPORTS = {
    "taskmanager.apps": "ready(): the layers above the models load once the models have",
    "taskmanager.spooler": "uWSGI imports it before Django is set up; jobs need the models",
}
# -- end of the layer map -----------------------------------------------------------------

#: A module past this many lines is usually doing two jobs.
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    late: bool


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The index of the module's layer: the most specific pattern that matches wins."""
    best: tuple[int, int] | None = None  # (specificity, layer)
    for index, (_name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if fnmatch.fnmatchcase(module, pattern):
                specificity = len(pattern.rstrip("*"))
                if best is None or specificity > best[0]:
                    best = (specificity, index)
    if best is None:
        raise LookupError(module)
    return best[1]


def resolve(name: str, root: Path = PACKAGE) -> str | None:
    """The module ``name`` refers to: itself, or the module holding the attribute it names."""
    known = modules(root)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _absolute(importer: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports(root: Path = PACKAGE) -> list[Import]:
    found: list[Import] = []
    for importer, path in modules(root).items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        logger_names = {
            id(argument)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("getLogger")
            for argument in node.args
        }
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(importer, node, path.name == "__init__.py")
                targets = [f"{module}.{alias.name}" for alias in node.names]
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("taskmanager.")
                and " " not in node.value
                and id(node) not in logger_names
            ):
                # A dotted path in a string (import_module, import_string) is an import too.
                targets = [node.value]
            for target in targets:
                if not target.startswith("taskmanager"):
                    continue
                resolved = resolve(target, root)
                if resolved is None or resolved == importer:
                    continue
                late = isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top_level
                if late and _under_type_checking(tree, node):
                    late = False
                found.append(Import(importer, resolved, getattr(node, "lineno", 0), late))
    return found


def _under_type_checking(tree: ast.Module, target: ast.AST) -> bool:
    for node in tree.body:
        if (
            isinstance(node, ast.If)
            and ast.unparse(node.test) == "TYPE_CHECKING"
            and any(child is target for child in ast.walk(node))
        ):
            return True
    return False


def _channel(module: str) -> str | None:
    parts = module.split(".")
    if parts[:3] == ["taskmanager", "notifications", "channels"] and len(parts) > 3:
        return parts[3]
    return None


def _is_facade_reference(item: Import) -> bool:
    allowed = FACADES.get(item.importer)
    return allowed is not None and (item.imported == allowed or item.imported.startswith(allowed + "."))


# -- the tests --------------------------------------------------------------------------------


def test_every_module_belongs_to_exactly_one_layer() -> None:
    unmapped = []
    for module in modules():
        try:
            layer_of(module)
        except LookupError:
            unmapped.append(module)
    assert unmapped == [], "add these modules to LAYERS in tests/test_architecture.py"


def upward_imports(root: Path = PACKAGE) -> list[str]:
    return [
        f"{item.importer}:{item.line} ({LAYERS[layer_of(item.importer)][0]}) imports "
        f"{item.imported} ({LAYERS[layer_of(item.imported)][0]})"
        for item in imports(root)
        if layer_of(item.imported) > layer_of(item.importer) and not _is_facade_reference(item)
    ]


def import_cycles(root: Path = PACKAGE) -> list[list[str]]:
    graph: dict[str, set[str]] = {module: set() for module in modules(root)}
    for item in imports(root):
        if not _is_facade_reference(item):
            graph[item.importer].add(item.imported)
    return [sorted(component) for component in _strongly_connected(graph) if len(component) > 1]


def test_imports_only_go_down_the_layers() -> None:
    assert upward_imports() == []


def test_a_package_init_is_not_above_its_own_modules() -> None:
    # Importing a module runs its packages' __init__ first: one above would be an upward import.
    above = [
        f"{package} ({LAYERS[layer_of(package)][0]}) holds {module} ({LAYERS[layer_of(module)][0]})"
        for module in modules()
        for package in _packages_of(module)
        if layer_of(package) > layer_of(module)
    ]
    assert above == []


def _packages_of(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def test_channels_do_not_import_each_other() -> None:
    crossing = [
        f"{item.importer}:{item.line} imports {item.imported}"
        for item in imports()
        if _channel(item.importer)
        and _channel(item.imported)
        and _channel(item.importer) != _channel(item.imported)
    ]
    assert crossing == []


def test_there_is_no_import_cycle() -> None:
    assert import_cycles() == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_late_imports_are_only_where_they_must_be() -> None:
    late = sorted({item.importer for item in imports() if item.late} - set(LATE_IMPORTS))
    assert late == [], "import at the top of the module, or move the code to the right layer"


def test_no_comment_says_an_import_dodges_a_cycle() -> None:
    offending = [
        f"{module}:{number}"
        for module, path in modules().items()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "#" in line and any(word in line.split("#", 1)[1].lower() for word in ("circular", "cycle"))
    ]
    assert offending == []


@pytest.mark.parametrize("module", sorted(m for m in modules() if "migrations" not in m))
def test_no_module_is_over_the_size_limit(module: str) -> None:
    lines = len(modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by what it does"


def test_the_checker_finds_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    root = tmp_path / "taskmanager"
    (root / "runs").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "runs" / "__init__.py").write_text("")
    (root / "models.py").write_text("def f():\n    from taskmanager.runs.runner import run\n")
    (root / "runs" / "runner.py").write_text("from taskmanager.models import Report\nrun = 1\n")
    (root / "admin.py").write_text("from taskmanager import models\n")
    assert upward_imports(root) == ["taskmanager.models:2 (data) imports taskmanager.runs.runner (runs)"]
    assert import_cycles(root) == [["taskmanager.models", "taskmanager.runs.runner"]]
    assert [item.importer for item in imports(root) if item.late] == ["taskmanager.models"]

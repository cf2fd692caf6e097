"""The package's shape, as docs/package-layout.rst describes it.

Imports are read from the source (every ``import`` statement, also those inside
functions; not those under ``if TYPE_CHECKING:``, which never run).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = "django_customer_contacts"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE


def module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(path): path for path in sorted(ROOT.rglob("*.py")) if "migrations" not in path.relative_to(ROOT).parts
}


def is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def runtime_imports(tree: ast.AST):
    """Every import statement that can run: type-checking blocks are skipped."""
    for node in ast.iter_child_nodes(tree):
        if is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from runtime_imports(node)


def resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _level in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(module: str):
    """(imported module, names) for every import of another module of the package."""
    tree = ast.parse(MODULES[module].read_text())
    for node in runtime_imports(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, []
            continue
        target = resolve(module, node)
        if target not in MODULES:
            continue
        names = [alias.name for alias in node.names]
        submodules = [f"{target}.{name}" for name in names if f"{target}.{name}" in MODULES]
        yield from ((submodule, []) for submodule in submodules)
        # Importing a submodule of one's own package doesn't run anything new.
        if not submodules or not module.startswith(target + "."):
            yield target, [name for name in names if f"{target}.{name}" not in MODULES]


GRAPH = {module: {target for target, _names in imports_of(module) if target != module} for module in MODULES}


def find_cycle():
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[module] = "done"
        stack.pop()
        return None

    for module in sorted(GRAPH):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_package_has_modules_to_check():
    assert {f"{PACKAGE}.models", f"{PACKAGE}.merging.planner", f"{PACKAGE}.admin.contacts"} <= set(MODULES)
    assert f"{PACKAGE}.locking" in GRAPH[f"{PACKAGE}.models"]


def test_the_import_graph_has_no_cycles():
    assert find_cycle() is None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_another_modules_private_names(module):
    private = [
        f"{target}.{name}"
        for target, names in imports_of(module)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert private == []


# The layers, bottom up: a module imports only from its own layer or lower ones.
LAYERS = [
    [
        "",
        "conf",
        "exceptions",
        "signals",
        "nicknames",
        "normalize",
        "matching",
        "validators",
        "fields",
        "locking",
        "history",
        "unused",
    ],
    ["querysets"],
    ["models"],
    [
        "receivers",
        "checks",
        "permissions",
        "primary",
        "merging",
        "duplicate_store",
        "duplicates",
        "communication",
        "accounts",
        "bulk",
    ],
    ["erasure", "export", "subject_access"],
    ["services"],
    ["forms", "templatetags", "duplicate_review"],
    # apps.py is where the app is put together: it registers the checks, receivers and admin.
    # The customer pages (views, urls) and the filters they and hosts use, beside the admin.
    ["admin", "management", "apps", "filters", "views", "urls"],
]


def layer_of(module: str) -> int:
    top = module.removeprefix(PACKAGE).lstrip(".").split(".")[0]
    return next(index for index, names in enumerate(LAYERS) if top in names)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_from_the_data_layer_up(module):
    upward = [target for target in GRAPH[module] if layer_of(target) > layer_of(module)]
    assert upward == []

"""Every module of batchscope_runtime imports, and the package's internal import graph has no cycle.

The graph is read from the source with `ast`, so imports inside functions count as much as those
at the top: a cycle that only works because one of its imports is deferred into a function
(hooks → session → instrument → hooks once did) is still a cycle here.
"""

import ast
import importlib

import pytest

from conftest import RUNTIME

PACKAGE = "batchscope_runtime"
# Constants a package's __init__ defines before it imports anything: taking one from an enclosing
# package (`from .. import __version__`) needs nothing of that package but its first lines.
PACKAGE_CONSTANTS = {"__version__"}


def package_modules(root=RUNTIME, package=PACKAGE):
    """{dotted name: path} of every module and package under root/package, from the files."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _prefixes(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _imports_of(name, path, modules):
    """The package modules that importing or running `name` can import, wherever the import sits.

    Python runs a package's __init__ before any module in it, so importing X.y also imports X;
    the importer's own enclosing packages are excluded from that (they are already importing),
    unless it takes a name from one that is not a submodule: `from .. import stage` needs that
    package's __init__ to have run, and counts (PACKAGE_CONSTANTS aside).
    """
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    enclosing = set(_prefixes(package))
    targets = set()

    def add_module(mod, implicit_only=False):
        for p in _prefixes(mod):
            if p in modules and p not in enclosing:
                targets.add(p)
        if not implicit_only and mod in modules:
            targets.add(mod)

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    by_name = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add_module(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod not in modules:
                continue
            attributes = False
            for alias in node.names:
                sub = mod + "." + alias.name
                if sub in modules:
                    targets.add(sub)
                elif not (mod in enclosing and alias.name in PACKAGE_CONSTANTS):
                    attributes = True  # a name defined by `mod` itself: `mod` must have run
            add_module(mod, implicit_only=not attributes)
        elif isinstance(node, ast.Attribute) and node.attr == "import_module":
            by_name = True
    if by_name:
        # importlib.import_module("…"): a module that imports by name depends on every package
        # module it names in a string (cli.py's command table).
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
                add_module(node.value)
    targets.discard(name)
    return targets


def import_graph(root=RUNTIME, package=PACKAGE):
    modules = package_modules(root, package)
    return {name: _imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph):
    """One cycle as [a, b, …, a], or None."""
    state = {}  # name -> 1 while on the DFS stack, 2 when done
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_the_cycle_finder_sees_function_level_and_package_edges(tmp_path):
    # The shape of the cycle this test exists for, with its imports deferred into functions.
    pkg = tmp_path / "p"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "hooks.py").write_text("def f():\n    from . import session\n")
    (pkg / "session.py").write_text("def g():\n    from .sub import instrument\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "instrument.py").write_text("def h():\n    from .. import hooks\n")
    graph = import_graph(tmp_path, "p")
    assert graph["p.sub.instrument"] == {"p.hooks"}
    assert find_cycle(graph) == ["p.hooks", "p.session", "p.sub.instrument", "p.hooks"]
    # Through a package's __init__: hooks takes a name the package defines, the package imports session.
    (pkg / "__init__.py").write_text("def start():\n    from . import session\n")
    (pkg / "hooks.py").write_text("def f():\n    from . import start\n")
    assert find_cycle(import_graph(tmp_path, "p")) == ["p", "p.session", "p.sub.instrument", "p.hooks", "p"]
    (pkg / "hooks.py").write_text("from . import __version__\n")
    assert find_cycle(import_graph(tmp_path, "p")) is None


def test_the_package_import_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 40 and "batchscope_runtime.debug.hooks" in graph
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph))


def test_hooks_imports_nothing_from_the_package():
    assert import_graph()["batchscope_runtime.debug.hooks"] == set()


@pytest.mark.parametrize("name", sorted(package_modules()))
def test_every_module_imports(name):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and not e.name.startswith(PACKAGE):
            pytest.skip("optional dependency missing: %s" % e.name)
        raise

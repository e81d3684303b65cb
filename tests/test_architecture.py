"""The library's structure, checked from its source: imports, layers, file I/O, sizes.

These tests read the code (``ast``), they do not run it. See
``docs/CONTRIBUTING.md`` for the layout they protect.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "coverage" / "phusong"
APP = Path(__file__).resolve().parents[1] / "app"

#: Longest function allowed in the library [code lines: no docstring, blanks or comments].
MAX_FUNCTION_LINES = 150
#: Numerical kernels allowed above that, each with a comment saying why.
MAX_LONG_KERNELS = 3
KERNEL_MARK = "numerical kernel"

#: Calls that open, read or write files (``name`` or ``.attribute``).
FILE_CALLS = {
    "open",
    "read_file",
    "to_file",
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "read_csv",
    "read_excel",
    "read_parquet",
    "to_parquet",
    "read_dataframe",
    "write_dataframe",
    "unlink",
    "mkstemp",
    "NamedTemporaryFile",
    "mkdir",
}
#: Module-level functions that touch files (``os.replace``, ``shutil.copy`` …).
FILE_MODULE_CALLS = {"os": {"replace", "rename", "remove", "makedirs"}, "shutil": None}
#: Files outside ``io/`` that may touch files, and why.
FILE_IO_ALLOWED: dict[str, str] = {}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"


def _modules() -> dict[str, Module]:
    out = {}
    for path in sorted(LIB.rglob("*.py")):
        rel = path.relative_to(LIB.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        out[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return out


MODULES = _modules()


def _imports(mod: Module) -> Iterator[tuple[ast.AST, str, str | None]]:
    """(node, imported module, imported name or None) for every phusong import, lazy ones too."""
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "phusong":
                    yield node, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.name.split(".")
                if not mod.is_package:
                    base = base[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "phusong":
                continue
            for alias in node.names:
                yield node, target, alias.name


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod in MODULES.values():
        for _, target, name in _imports(mod):
            dep = f"{target}.{name}" if name and f"{target}.{name}" in MODULES else target
            if dep in MODULES and dep != mod.name and dep != "phusong":
                graph[mod.name].add(dep)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_module_list_is_read():
    assert {"phusong.audit", "phusong.options", "phusong.io.files"} <= set(MODULES)
    assert not (LIB.parent / "__init__.py").exists(), "coverage/ must stay a source folder"


def test_no_import_cycles():
    assert _cycles(_edges()) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _private_uses(mod: Module) -> Iterator[str]:
    aliases: dict[str, str] = {}
    for node, target, name in _imports(mod):
        full = f"{target}.{name}" if name else target
        if name and name.startswith("_") and not name.startswith("__") and target != mod.name:
            yield f"{mod.name}:{node.lineno} imports {name} from {target}"
        if full in MODULES:
            for alias in node.names:  # type: ignore[attr-defined]
                if (alias.name == name or alias.name == full) and alias.asname:
                    aliases[alias.asname] = full
                elif alias.name == name:
                    aliases[name] = full
    for node in ast.walk(mod.tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            yield f"{mod.name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}"


def test_no_private_name_is_used_across_modules():
    found = [u for mod in MODULES.values() for u in _private_uses(mod)]
    assert found == []


def test_the_app_uses_no_private_library_name():
    found = []
    for path in APP.rglob("*.py"):
        mod = Module(f"app.{path.stem}", path, ast.parse(path.read_text(encoding="utf-8")))
        found += list(_private_uses(mod))
    assert found == []


def test_the_library_never_imports_streamlit():
    for mod in MODULES.values():
        for node in ast.walk(mod.tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] in ("streamlit", "streamlit_folium") for n in names), (
                mod.name
            )


def _file_calls(mod: Module) -> Iterator[str]:
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        module_calls = FILE_MODULE_CALLS.get(owner, set())
        if name in FILE_CALLS or (
            owner in FILE_MODULE_CALLS and (module_calls is None or name in module_calls)
        ):
            yield f"{mod.name}:{node.lineno} calls {name}()"


def test_files_are_touched_only_in_io():
    found = [
        c
        for mod in MODULES.values()
        if not mod.name.startswith("phusong.io") and mod.name not in FILE_IO_ALLOWED
        for c in _file_calls(mod)
    ]
    assert found == []


def test_the_file_io_check_sees_a_read():
    tree = ast.parse("import pandas as pd\ndef f(p):\n    return pd.read_csv(p)\n")
    assert list(_file_calls(Module("phusong.x", Path("x.py"), tree))) == [
        "phusong.x:3 calls read_csv()"
    ]


def code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, source: list[str]) -> int:
    """Lines of a function that hold code: no docstring, blank lines or comments."""
    doc: set[int] = set()
    first = node.body[0] if node.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        doc = set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
    return sum(
        1
        for i in lines
        if i not in doc and source[i - 1].strip() and not source[i - 1].strip().startswith("#")
    )


def _long_functions() -> list[tuple[str, int, bool]]:
    out = []
    for mod in MODULES.values():
        source = mod.path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(mod.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = code_lines(node, source)
                if n > MAX_FUNCTION_LINES:
                    body = "\n".join(source[node.lineno - 1 : node.end_lineno])
                    out.append((f"{mod.name}.{node.name}", n, KERNEL_MARK in body.lower()))
    return out


def test_functions_are_short_except_a_few_explained_kernels():
    long = _long_functions()
    unexplained = [(name, n) for name, n, kernel in long if not kernel]
    assert unexplained == []
    assert len(long) <= MAX_LONG_KERNELS, long


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('def f():\n    """Doc.\n\n    More."""\n    # note\n\n    return 1\n', 2),
        ("def f(): return 1\n", 1),
    ],
)
def test_code_lines_counts_code_only(source, expected):
    tree = ast.parse(source)
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    assert code_lines(fn, source.splitlines()) == expected

"""The layering of docs/architecture.md, checked on the source: what may import what."""

import ast
import subprocess
import sys
from pathlib import Path

import securecomp

PACKAGE = Path(securecomp.__file__).parent
MODULES = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
           for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every import statement, at module level or inside functions, except under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _import_nodes(node)


def _imported_modules(module: str) -> set[str]:
    """The securecomp modules ``module`` imports (a name imported from a package counts as the
    submodule when there is one, else as the package)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
        for alias in node.names:
            found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {name for name in found if name in MODULES}


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack, on_path, done = [(start, iter(sorted(graph[start])))], [start], set()
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.pop()
            done.add(node)
        elif child in on_path:
            return on_path[on_path.index(child):] + [child]
        elif child not in done:
            stack.append((child, iter(sorted(graph[child]))))
            on_path.append(child)
    return None


def test_hazmat_imports_nothing_of_securecomp_outside_itself():
    for module in sorted(name for name in MODULES if name.startswith("securecomp.hazmat")):
        outside = {name for name in _imported_modules(module) if not name.startswith("securecomp.hazmat")}
        assert not outside, f"{module} imports {sorted(outside)}"


def test_library_packages_import_no_argparse_and_no_cli_module():
    for module in sorted(MODULES):
        if module.split(".")[1:2] in (["analysis"], ["codec"], ["hazmat"]):
            path = MODULES[module]
            names = set()
            for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.partition(".")[0] for alias in node.names)
                elif node.level == 0 and node.module:
                    names.add(node.module.partition(".")[0])        # from argparse import ...
            assert "argparse" not in names, f"{module} imports argparse"
            assert not {name for name in _imported_modules(module) if name.startswith("securecomp.cli")}, module


def test_the_package_has_no_import_cycles():
    graph = {module: _imported_modules(module) for module in MODULES}
    cycles = [cycle for module in sorted(graph) if (cycle := _cycle_from(module, graph))]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles[:5])


def test_parsing_a_container_loads_no_codec_machinery(tmp_path):
    blob = securecomp.encrypt(__import__("numpy").zeros((4, 4), "uint8"), key=bytes(32), codec="png")
    (tmp_path / "blob").write_bytes(blob)
    script = (
        "import sys\n"
        "import securecomp.container as container\n"
        f"container.parse(open({str(tmp_path / 'blob')!r}, 'rb').read())\n"
        "heavy = ['torch', 'scipy', 'matplotlib', 'securecomp.codec.learned', 'securecomp.codec.classical',\n"
        "         'PIL.AvifImagePlugin', 'PIL.Jpeg2KImagePlugin', 'PIL.WebPImagePlugin']\n"
        "print(' '.join(name for name in heavy if name in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.split() == []

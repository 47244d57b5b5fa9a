"""The layering of docs/architecture.md, checked on the source: what may import what."""

import ast
from pathlib import Path

import securecomp

PACKAGE = Path(securecomp.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports, at module level or inside functions."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_hazmat_imports_nothing_of_securecomp_outside_itself():
    for path in sorted((PACKAGE / "hazmat").rglob("*.py")):
        outside = {name for name in _imported_modules(path)
                   if name.split(".")[0] == "securecomp" and not name.startswith("securecomp.hazmat")}
        assert not outside, f"{path.name} imports {sorted(outside)}"

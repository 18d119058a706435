"""scripts/ is laid out by the user each part serves: a shared core, then one package per path (docs/how-it-is-built.md,
"How the release is built"). Packages import each other only through the names their __init__ exports,
core imports no package, and the packages form no cycle."""
import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "build", "annotate", "evaluate", "release", "scale")


def imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append(node.module)
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return [m for m in out if m.split(".")[0] == "scripts"]


def modules() -> list[tuple[str, Path]]:
    """Every module below scripts/, in sub-packages too (scripts/core/formats/...), with its top package."""
    paths = sorted(p.relative_to(ROOT / "scripts") for p in (ROOT / "scripts").rglob("*.py"))
    return [(p.parts[0], ROOT / "scripts" / p) for p in paths if len(p.parts) > 1]


def test_every_module_lives_in_a_package_of_the_layout():
    assert sorted({pkg for pkg, _ in modules()}) == sorted(PACKAGES)
    assert any(len(path.relative_to(ROOT / "scripts").parts) > 2 for _, path in modules())  # sub-packages are checked too
    for _, path in modules():  # a sub-package is a package: its folder has an __init__.py
        assert (path.parent / "__init__.py").exists(), path
    assert sorted(p.name for p in (ROOT / "scripts").glob("*.py")) == ["__init__.py", "__main__.py"]


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_reaches_another_only_through_its_exports(package):
    wrong = []
    for pkg, path in modules():
        if pkg != package:
            continue
        for module in imports(path):
            parts = module.split(".")
            other = parts[1] if len(parts) > 1 else None
            if other in (package, "core"):
                continue
            if package == "core" or len(parts) != 2:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_the_packages_form_no_cycle():
    graph = {p: set() for p in PACKAGES}
    for pkg, path in modules():
        for module in imports(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[1] != pkg and parts[1] in graph:
                graph[pkg].add(parts[1])
    done, path = set(), []

    def visit(node):
        assert node not in path, f"import cycle: {' -> '.join([*path, node])}"
        if node in done:
            return
        path.append(node)
        for nxt in sorted(graph[node]):
            visit(nxt)
        path.pop()
        done.add(node)

    for node in PACKAGES:
        visit(node)
    assert graph["core"] == set()


@pytest.mark.parametrize("package", [p for p in PACKAGES if p != "core"])
def test_every_export_resolves_and_no_export_is_shadowed_by_a_module(package):
    module = importlib.import_module(f"scripts.{package}")
    names = dir(module)
    assert names, f"scripts.{package} exports nothing"
    submodules = {p.stem for p in (ROOT / "scripts" / package).glob("*.py")}
    submodules |= {p.parent.name for p in (ROOT / "scripts" / package).glob("*/__init__.py")}
    assert sorted(set(names) & submodules) == []  # `from scripts.x import y` would give the module once it is loaded
    for name in names:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError, match="no attribute"):
        getattr(module, "not_an_export")

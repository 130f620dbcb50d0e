"""The layers of docs/ARCHITECTURE.md, enforced: the import-linter contracts of pyproject.toml hold,
they fail on a deliberately added back-edge (an import inside a function included), every module
of the core is under the bridge contract, and imports made by name (``importlib.import_module``,
``__import__``), which no import graph sees, respect the same layers."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("itmn", "baselines", "bench")
LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))

pytestmark = pytest.mark.skipif(not Path(LINT).exists(), reason="import-linter is not installed (dev extra)")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT, "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_tree(dst: Path) -> Path:
    """The three packages (Python files only) and pyproject.toml, in ``dst``."""
    for pkg in PACKAGES:
        shutil.copytree(REPO / pkg, dst / pkg, ignore=lambda d, names: [n for n in names if n == "__pycache__" or (
            not n.endswith(".py") and not (Path(d) / n).is_dir())])  # fmt: skip
    shutil.copy(REPO / "pyproject.toml", dst / "pyproject.toml")
    return dst


def test_the_layer_contracts_hold() -> None:
    res = _lint(REPO)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "0 broken" in res.stdout


@pytest.mark.parametrize(
    ("module", "edge", "reported"),
    [
        ("itmn/colour.py", "import bench.cli", "itmn.colour -> bench.cli"),
        ("itmn/infer.py", "from baselines import wrapper", "itmn.infer -> baselines"),
        ("itmn/train/trainer.py", "from itmn.originals import engine_for", "itmn.train.trainer -> itmn.originals"),
        ("baselines/huo.py", "import bench.metrics.registry", "baselines.huo -> bench.metrics.registry"),
        ("bench/metrics/pu21.py", "from bench import reproduce", "bench.metrics.pu21 -> bench.reproduce"),
    ],
)
def test_a_back_edge_inside_a_function_breaks_the_contract(
    tmp_path: Path, module: str, edge: str, reported: str
) -> None:
    root = _copy_tree(tmp_path / "tree")
    path = root / module
    path.write_text(path.read_text() + f"\n\ndef _back_edge() -> None:\n    {edge}  # noqa\n")
    res = _lint(root)
    assert res.returncode != 0, res.stdout[-3000:]
    assert "BROKEN" in res.stdout and reported in res.stdout, res.stdout[-3000:]


def test_the_bridge_contract_lists_every_module_of_the_core() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    bridge = next(c for c in config["contracts"] if c["id"] == "bridge")
    core = {
        f"itmn.{p.stem if p.is_file() else p.name}"
        for p in (REPO / "itmn").iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p.is_dir() and (p / "__init__.py").is_file())
    }
    assert set(bridge["source_modules"]) == core - {"itmn.originals"}


# --------------------------------------------------------------------------- imports made by name
#: (layer of the importing module) -> layers it may import; bottom to top as in docs/ARCHITECTURE.md
_ALLOWED = {
    "core": {"core"},
    "bridge": {"core", "bridge"},
    "baselines": {"core", "bridge", "baselines"},
    "metrics": {"core", "bridge", "metrics"},
    "top": {"core", "bridge", "baselines", "metrics", "top"},
    "cli": {"core", "bridge", "baselines", "metrics", "top", "cli"},
}


def _layer(module: str) -> str:
    if module.startswith("itmn.originals"):
        return "bridge"
    if module.split(".")[0] == "itmn":
        return "core"
    if module.split(".")[0] == "baselines":
        return "baselines"
    if module.startswith("bench.metrics"):
        return "metrics"
    if module.startswith("bench.cli") or module.endswith("__main__"):
        return "cli"
    return "top"


def _dynamic_imports() -> list[tuple[str, str, int]]:
    """(importing module, imported module, line) for import_module("...") / __import__("...") calls
    with a literal name, and for the values of ``_LAZY`` tables of lazy package attributes."""
    found = []
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                    name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                    if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                        found.append((module, node.args[0].value, node.lineno))
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "_LAZY" for t in node.targets):
                    for value in getattr(node.value, "values", []):
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            found.append((module, value.value, node.lineno))
    return found


def test_imports_made_by_name_respect_the_layers() -> None:
    found = _dynamic_imports()
    assert found, "expected some imports by name (the lazy tables of bench.metrics and baselines.drtm)"
    bad = [
        f"{src}:{line} imports {dst} by name ({_layer(src)} may not import {_layer(dst)})"
        for src, dst, line in found
        if dst.split(".")[0] in PACKAGES and _layer(dst) not in _ALLOWED[_layer(src)]
    ]
    assert not bad, "\n".join(bad)


def test_the_check_of_imports_by_name_can_fail() -> None:
    assert _layer("itmn.colour") == "core" and "cli" not in _ALLOWED[_layer("itmn.colour")]
    assert "baselines" not in _ALLOWED[_layer("bench.metrics.pu21")]

"""The rating engine and the financial calendar must run without Django."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_MODULES = ["pmf.rag", "pmf.periods"]


def imported_module_names(path: Path) -> set[str]:
    """Return the top-level names of every module that a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("<relative import>")
            elif node.module:
                names.add(node.module.split(".")[0])
    return names


def module_path(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


@pytest.mark.parametrize("module", PURE_MODULES)
def test_source_has_no_django_import(module):
    names = imported_module_names(module_path(module))

    assert "django" not in names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_source_imports_only_standard_library(module):
    names = imported_module_names(module_path(module))

    assert names <= set(sys.stdlib_module_names)


def test_import_check_finds_django(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom django.db import models\n", encoding="utf-8")

    assert imported_module_names(sample) == {"os", "django"}


@pytest.mark.parametrize("module", PURE_MODULES)
def test_import_loads_no_django(module):
    script = f"import sys, {module}; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

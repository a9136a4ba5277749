"""The pure modules import only the standard library and each other (DESIGN.md, "[pure]")."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "screening"
PURE = ("conditions", "questionnaire", "triggers", "rules", "scoring", "medications", "journey", "staff_display",
        "summary", "opening_hours", "act_now")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path.name}: use absolute imports")
            base = node.module or ""
            names.add(base)
            if base == "screening":
                names.update(f"screening.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_module_imports_only_the_standard_library_and_pure_modules(module: str) -> None:
    allowed_local = {"screening"} | {f"screening.{name}" for name in PURE}
    for name in imported_modules(PACKAGE / f"{module}.py"):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name in allowed_local or top == "__future__", (
            f"screening/{module}.py imports {name}")


@pytest.mark.parametrize("module", ["screening", "screening.rules", "screening.questionnaire", "screening.act_now",
                                    "screening.opening_hours", "screening.summary"])
def test_importing_the_package_or_a_pure_module_loads_no_web_or_database_library(module: str) -> None:
    """``screening/__init__.py`` exposes ``create_app`` lazily, so the clinical core imports fast and alone."""
    import subprocess
    import sys

    code = (f"import sys, {module}; print(sorted({{name.split('.')[0] for name in sys.modules}} & "
            "{'flask', 'sqlalchemy', 'wtforms', 'flask_wtf', 'jinja2', 'werkzeug', 'flask_sqlalchemy'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_create_app_is_still_reachable_from_the_package() -> None:
    import screening
    from screening.app import create_app

    assert screening.create_app is create_app
    with pytest.raises(AttributeError):
        screening.no_such_name  # noqa: B018

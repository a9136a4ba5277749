"""The layout's import rules (DESIGN.md, "Layout"), checked by folder on the source:

- the clinical core (``screening/clinical/`` and ``screening/rules.py``) imports only the standard library and itself;
- the staff side's pure modules (display, summary, opening hours) import only the standard library and the core;
- ``screening/patient/`` and ``screening/staff/`` never import each other;
- importing the package or a pure module loads no web or database library (checked in a fresh interpreter).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "screening"
CLINICAL = sorted(PACKAGE.glob("clinical/*.py")) + [PACKAGE / "rules.py"]
STAFF_PURE = [
    PACKAGE / "staff" / f"{name}.py"
    for name in ("display", "summary", "opening_hours", "reports", "audit_words", "contact")
]
CORE = ("screening.clinical", "screening.rules")


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
            names.update(f"{base}.{alias.name}" for alias in node.names if base.startswith("screening"))
    return names


def local(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def under(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("path", CLINICAL, ids=local)
def test_the_clinical_core_imports_only_the_standard_library_and_itself(path: Path) -> None:
    for name in imported_modules(path):
        assert is_stdlib(name) or under(name, *CORE) or name == "screening", f"{local(path)} imports {name}"


@pytest.mark.parametrize("path", STAFF_PURE, ids=local)
def test_the_staff_sides_pure_modules_import_only_the_standard_library_and_the_core(path: Path) -> None:
    allowed = (*CORE, *(f"screening.staff.{p.stem}" for p in STAFF_PURE))
    for name in imported_modules(path):
        assert is_stdlib(name) or under(name, *allowed) or name in {"screening", "screening.staff"}, (
            f"{local(path)} imports {name}"
        )


@pytest.mark.parametrize(("side", "other"), [("patient", "staff"), ("staff", "patient")])
def test_the_patient_and_staff_sides_do_not_import_each_other(side: str, other: str) -> None:
    offending = sorted(
        (local(path), name)
        for path in PACKAGE.glob(f"{side}/*.py")
        for name in imported_modules(path)
        if under(name, f"screening.{other}")
    )
    assert offending == []


def test_every_module_sits_in_the_layout() -> None:
    """The top level holds only the shared modules; everything else is in one of the three parts."""
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert top == {
        "__init__",
        "app",
        "config",
        "setting_values",
        "extensions",
        "models",
        "audit",
        "access",
        "notifications",
        "security",
        "logs",
        "clock",
        "rules",
        "forms",
        "cli",
        "demo",
        "brand",
        "brand_views",
        "intake",
        "printing",
        "search_keys",
        # the request pipeline's guards (issue 15): body framing, input edges, rate limits, faults, a last resort
        "body_limits",
        "input_edges",
        "limits",
        "db_faults",
        "safety_net",
        # operations: backups and checking them
        "backup",
        "restore_check",
        "private_files",
        # issue 16: events for an integration engine, beside the alerts' outbox they share
        "submission_events",
        # issue 17: the kept status counts, the large demo loader, the templates' import hoisting, fingerprinted assets
        "status_counts",
        "bulk_seed",
        "macro_imports",
        "static_assets",
    }
    assert {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"} == {
        "clinical",
        "patient",
        "staff",
    }


PURE_MODULES = [
    "screening",
    "screening.rules",
    *(f"screening.clinical.{p.stem}" for p in CLINICAL if p.parent.name == "clinical" and p.stem != "__init__"),
    *(f"screening.staff.{p.stem}" for p in STAFF_PURE),
    "screening.search_keys",
    "screening.status_counts",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_importing_the_package_or_a_pure_module_loads_no_web_or_database_library(module: str) -> None:
    """``screening/__init__.py`` exposes ``create_app`` lazily, so the clinical core imports fast and alone."""
    code = (
        f"import sys, {module}; print(sorted({{name.split('.')[0] for name in sys.modules}} & "
        "{'flask', 'sqlalchemy', 'wtforms', 'flask_wtf', 'jinja2', 'werkzeug', 'flask_sqlalchemy', 'babel'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_create_app_is_still_reachable_from_the_package() -> None:
    import screening
    from screening.app import create_app

    assert screening.create_app is create_app
    with pytest.raises(AttributeError):
        screening.no_such_name  # noqa: B018

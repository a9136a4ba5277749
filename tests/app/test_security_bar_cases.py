"""Every bad-input and fault case of the security bar (/work/shared/security-bar.md §4, cases 1-37) has at least one
test named after it under tests/app: ``def test_case_NN_<what>`` (NN two digits). The test functions are found by
parsing the files (ast), so a case counts only when a real test function carries its number."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CASES = range(1, 38)
TESTS = Path(__file__).resolve().parent
_NAME = re.compile(r"^test_case_(\d{2})_\w+$")


def case_tests(folder: Path = TESTS) -> dict[int, list[str]]:
    """Case number -> the test functions (``file::name``) named after it, from every test module in ``folder``."""
    found: dict[int, list[str]] = {}
    for path in sorted(folder.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (match := _NAME.match(node.name)):
                found.setdefault(int(match.group(1)), []).append(f"{path.relative_to(folder)}::{node.name}")
    return found


def test_case_names_are_found_by_number(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(
        "def test_case_03_many_fields():\n    pass\n\n"
        "def test_case_3_one_digit_is_not_a_case():\n    pass\n\n"
        "def helper_case_04_not_a_test():\n    pass\n\n"
        "class TestGroup:\n    def test_case_05_in_a_class(self):\n        pass\n",
        encoding="utf-8",
    )
    assert case_tests(tmp_path) == {
        3: ["test_example.py::test_case_03_many_fields"],
        5: ["test_example.py::test_case_05_in_a_class"],
    }


def test_every_security_bar_case_has_a_test() -> None:
    found = case_tests()
    missing = [number for number in CASES if number not in found]
    unknown = sorted(set(found) - set(CASES))
    assert not unknown, f"test_case_NN names a case the security bar does not have: {unknown}"
    assert not missing, "security-bar §4 cases without a test_case_NN_... test under tests/app: " + ", ".join(
        f"{number:02d}" for number in missing
    )

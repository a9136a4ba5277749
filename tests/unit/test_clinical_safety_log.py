"""docs/clinical-safety.md, the hazard log, stays true to the code: every test it names exists, every urgent rule
and every act-now entry has a hazard, and the change log reaches the current rule set and questionnaire."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from screening.clinical.act_now import ACT_NOW
from screening.clinical.questionnaire import QUESTIONNAIRE_VERSION
from screening.rules import RETIRED_RULE_IDS, RULES, RULESET_VERSION, Severity

ROOT = Path(__file__).resolve().parents[2]
LOG = (ROOT / "docs" / "clinical-safety.md").read_text(encoding="utf-8")
NAMED = sorted(set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", LOG)))
REQUIRED_HAZARDS = (
    "H1 Patient at risk not contacted promptly",
    "H2 Suspected acute coronary syndrome",
    "H3 Alert not delivered",
    "H4 Alert sent twice",
    "H5 Patient misled about the reply time",
    "H6 Disclosure seen on a shared device",
)
FIELDS = ("Hazard", "Cause", "Effect", "Existing controls", "Initial risk", "New controls", "Residual risk", "Tests")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_log_names_tests() -> None:
    assert len(NAMED) >= 20


@pytest.mark.parametrize(("path", "name"), NAMED, ids=[f"{path}::{name}" for path, name in NAMED])
def test_every_test_the_log_names_exists(path: str, name: str) -> None:
    file = ROOT / path
    assert file.is_file(), f"{path} does not exist"
    assert name in functions_in(file), f"{path} has no test {name}"


def hazard_sections() -> dict[str, str]:
    parts = re.split(r"^### ", LOG, flags=re.MULTILINE)[1:]
    return {part.splitlines()[0]: part for part in parts}


def test_the_log_starts_with_the_six_hazards_of_issue_10_in_order() -> None:
    titles = list(hazard_sections())
    assert [title for title in titles if title.startswith(REQUIRED_HAZARDS)] == titles[:6]
    assert all(any(title.startswith(required) for title in titles) for required in REQUIRED_HAZARDS)


@pytest.mark.parametrize("title", list(hazard_sections()))
def test_every_hazard_has_every_field_and_rated_risks(title: str) -> None:
    section = hazard_sections()[title]
    rows = dict(re.findall(r"^\| ([A-Z][\w ]+?) \| (.+) \|$", section, flags=re.MULTILINE))
    assert [field for field in FIELDS if field not in rows] == []
    for field in ("Initial risk", "Residual risk"):
        assert re.search(r"\*\*[1-5]\*\*", rows[field]), f"{title}: {field} has no rating"
    assert re.search(r"`tests/", rows["Tests"]), f"{title}: no test named"
    assert "TODO" not in section, f"{title}: a control without its test"


def test_every_urgent_rule_act_now_entry_and_retired_id_is_in_the_log() -> None:
    urgent = [rule.id for rule in RULES if rule.severity is Severity.URGENT]
    missing = [
        name for name in [*urgent, *RETIRED_RULE_IDS, *(entry.id for entry in ACT_NOW)] if f"`{name}`" not in LOG
    ]
    assert missing == []


def test_the_change_log_reaches_the_current_versions() -> None:
    change_log = LOG.split("## Change log", 1)[1]
    rows = [line for line in change_log.splitlines() if re.match(r"\| \d{4}-\d{2}-\d{2} ", line)]
    assert rows
    last = [cell.strip() for cell in rows[-1].strip("|").split("|")]
    assert (last[1], last[2]) == (RULESET_VERSION, QUESTIONNAIRE_VERSION)

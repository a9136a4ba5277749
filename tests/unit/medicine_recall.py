"""Recall of the medicine matcher on tests/unit/data/medicine_lines.csv (patient-typed lines, each with the result
a clinician expects, written from the labels before the matcher was changed for issue 11).

Used by bench/bench_medicine_recall.py (prints the numbers) and tests/unit/test_medication_classes.py (requires at
least the recall reached, so a regression fails). What is measured:

- **lines fully right**: the ingredients named, the classes the rules see, the confidence ("yes", "possibly",
  "no") and the med_unrecognised evidence are all as expected;
- **unknown words reported**: each expected unrecognised word appears in the med_unrecognised evidence;
- **classes found**: each expected (line, class) pair reaches the rules (a missing one is a silent miss).

The evidence is taken from ``rules.evaluate`` itself, so the numbers are what a clinician would see.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from screening import rules
from screening.clinical import medications

LINES_CSV = Path(__file__).parent / "data" / "medicine_lines.csv"
_TODAY = date(2026, 11, 24)


@dataclass(frozen=True)
class Expected:
    line: str
    generics: frozenset[str]
    classes: frozenset[str]
    unrecognised: tuple[str, ...]
    confident: str  # "yes", "possibly" or "no"
    note: str


@dataclass
class Outcome:
    expected: Expected
    generics: frozenset[str]
    classes: frozenset[str]
    confident: str
    evidence: tuple[str, ...]
    problems: list[str] = field(default_factory=list)


@dataclass
class Recall:
    outcomes: list[Outcome]
    words_expected: int = 0
    words_reported: int = 0
    classes_expected: int = 0
    classes_found: int = 0

    @property
    def lines(self) -> int:
        return len(self.outcomes)

    @property
    def lines_right(self) -> int:
        return sum(not o.problems for o in self.outcomes)

    @property
    def silent_misses(self) -> list[Outcome]:
        """Lines where an expected class did not reach the rules."""
        return [o for o in self.outcomes if not o.expected.classes <= o.classes]


def load(path: Path = LINES_CSV) -> list[Expected]:
    rows = [line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(rows)
    expected = []
    for row in reader:
        generics = {g.strip() for g in row["expected_generics"].replace("|", ";").replace("+", ";").split(";")}
        expected.append(
            Expected(
                line=row["line"],
                generics=frozenset(g for g in generics if g),
                classes=frozenset(row["expected_classes"].split()),
                unrecognised=tuple(w.strip() for w in row["expected_unrecognised"].split(";") if w.strip()),
                confident=row["confident"].strip(),
                note=row["note"],
            )
        )
    return expected


def check(expected: Expected) -> Outcome:
    [(_, matches)] = medications.match_list(expected.line)
    generics = frozenset(g for m in matches for g in m.generics)
    classes = frozenset[str]().union(*(m.classes for m in matches))
    confident = "no" if not matches else "yes" if all(m.confident for m in matches) else "possibly"
    flags = rules.evaluate({"current_medications": expected.line}, today=_TODAY)
    evidence = tuple(f.evidence for f in flags if f.rule_id == "med_unrecognised")
    outcome = Outcome(expected, generics, classes, confident, evidence)
    problems = outcome.problems
    if confident != expected.confident:
        problems.append(f"confident {confident!r}, expected {expected.confident!r}")
    if not expected.generics <= generics:
        problems.append(f"missing ingredients {sorted(expected.generics - generics)}")
    if expected.confident == "yes" and generics - expected.generics:
        problems.append(f"extra ingredients {sorted(generics - expected.generics)}")
    if not expected.classes <= classes:
        problems.append(f"missing classes {sorted(expected.classes - classes)}")
    if expected.confident != "possibly" and classes - expected.classes:
        problems.append(f"extra classes {sorted(classes - expected.classes)}")
    joined = " ".join(evidence).lower()
    if missed := [w for w in expected.unrecognised if w.lower() not in joined]:
        problems.append(f"not reported as unrecognised: {missed}")
    if not expected.unrecognised and evidence:
        problems.append(f"unexpected med_unrecognised evidence {list(evidence)}")
    return outcome


def measure(path: Path = LINES_CSV) -> Recall:
    result = Recall([check(e) for e in load(path)])
    for o in result.outcomes:
        joined = " ".join(o.evidence).lower()
        result.words_expected += len(o.expected.unrecognised)
        result.words_reported += sum(w.lower() in joined for w in o.expected.unrecognised)
        result.classes_expected += len(o.expected.classes)
        result.classes_found += len(o.expected.classes & o.classes)
    return result

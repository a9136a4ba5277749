"""Recall of the medicine matcher on patient-typed lines (tests/unit/data/medicine_lines.csv).

Prints: lines fully right; expected unknown words reported as unrecognised; expected classes found (a missing one is
a silent miss). ``-v`` lists every line that is not fully right with what went wrong. Not a test: it prints numbers,
it asserts nothing (tests/unit/test_medication_classes.py holds the floor).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening.clinical import medications
from tests.unit.medicine_recall import measure


def main() -> None:
    result = measure()
    print(f"Medicine recall on {result.lines} patient-typed lines ({medications.vocabulary_size()} medicine names)")
    print(
        f"  lines fully right        {result.lines_right:4d} / {result.lines:<4d} "
        f"{result.lines_right / result.lines:6.1%}"
    )
    print(
        f"  unknown words reported   {result.words_reported:4d} / {result.words_expected:<4d} "
        f"{result.words_reported / result.words_expected:6.1%}"
    )
    print(
        f"  classes found            {result.classes_found:4d} / {result.classes_expected:<4d} "
        f"{result.classes_found / result.classes_expected:6.1%}"
    )
    print(f"  lines with a silent miss {len(result.silent_misses):4d}")
    if "-v" in sys.argv[1:]:
        for outcome in result.outcomes:
            if outcome.problems:
                print(f"  - {outcome.expected.line!r}: {'; '.join(outcome.problems)}")


if __name__ == "__main__":
    main()

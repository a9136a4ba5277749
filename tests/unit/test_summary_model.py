"""summary.build on plain objects shaped like a stored submission (no database, no Flask): clipping, which answers
are printed, the limits on medicines and notes, and the rule-difference line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from screening import rules, summary
from tests.answer_sets import answers

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def stored(values: dict[str, Any], *, flags: list[Any] | None = None, events: list[Any] | None = None,
           medicines: list[Any] | None = None) -> SimpleNamespace:
    fired = rules.evaluate(values, today=date(2026, 11, 24))
    if flags is None:
        flags = [SimpleNamespace(rule_id=f.rule_id, severity=f.severity.value, title=f.title, evidence=f.evidence,
                                 rationale=f.rationale, source=f.source, acknowledgement=None,
                                 acknowledged_by=None, acknowledged_at=None, acknowledgement_note=None)
                 for f in fired]
    return SimpleNamespace(reference="KT-AAAA-BBBB", full_name=values["full_name"], date_of_birth=date(1985, 3, 14),
                           submitted_at=AT, status="new", questionnaire_version="1", ruleset_version="2026.1",
                           article_version="a1", answers=values, scores={}, medicines=medicines or [], flags=flags,
                           events=events or [])


def build(submission: Any) -> summary.Summary:
    return summary.build(submission, clinic_name="Clinic", generated_by="Dr A", generated_at=AT, zone=UTC,
                         today=date(2026, 11, 24))


@pytest.mark.parametrize(("text", "room", "expected"), [
    ("short", 10, summary.Clipped("short", False)),
    ("  padded  ", 6, summary.Clipped("padded", False)),
    ("one two three four five", 15, summary.Clipped("one two three…", True)),
    ("x" * 30, 10, summary.Clipped("x" * 10 + "…", True)),
])
def test_clip(text: str, room: int, expected: summary.Clipped) -> None:
    assert summary.clip(text, room) == expected


def test_hidden_questions_and_empty_optional_text_are_left_out() -> None:
    printed = build(stored(answers(sex_at_birth="male")))
    labels = [answer.label for section in printed.sections for answer in section.answers]
    assert "Pregnancy" not in labels  # not asked of someone male at birth
    assert "Pain description" not in labels and "Previous ketamine: effect" not in labels
    assert "Previous ketamine treatment" in labels
    assert [section.title for section in printed.sections][0] == "Pain"


def test_contact_and_versions() -> None:
    printed = build(stored(answers(phone="01632 960 001")))
    assert [(item.label, item.answer.text) for item in printed.contact][:2] == [("Email", "alex@example.org"),
                                                                               ("Phone", "01632 960 001")]
    assert (printed.questionnaire_version, printed.ruleset_version, printed.article_version) == ("1", "2026.1", "a1")
    assert printed.generated_at == "24 Nov 2026, 09:30" and printed.age == 41


def test_medicines_and_notes_beyond_the_page_are_counted() -> None:
    lines = [[f"line {n}", []] for n in range(25)]
    staff = SimpleNamespace(name="Rae")
    events = [SimpleNamespace(at=AT.replace(minute=n), staff=staff, note=f"note {n}", flag_id=None) for n in range(6)]
    events.append(SimpleNamespace(at=AT, staff=staff, note="an acknowledgement note", flag_id=3))
    printed = build(stored(answers(), medicines=lines, events=events))
    assert len(printed.medicines) == summary.MEDICINES_SHOWN and printed.medicines_not_shown == 5
    assert not printed.medicines[0].recognised
    assert [note.text.text for note in printed.notes] == ["note 5", "note 4", "note 3", "note 2"]
    assert printed.notes_not_shown == 2


def test_the_rule_difference_line() -> None:
    values = answers(has_escort="no")
    assert build(stored(values)).rule_difference_line is None
    printed = build(stored(values, flags=[]))
    assert printed.rule_difference_line == ("Flags are as submitted (rule set 2026.1). Today's rule set "
                                            f"{rules.RULESET_VERSION} would add No escort home.")

"""The audit log in English (``staff.audit_words``): every action code the application writes has a sentence, details
read as labelled fields in words, and consecutive identical views within 5 minutes group into one line."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from screening.staff import audit_words

SOURCE = Path(__file__).resolve().parents[2] / "screening"
_CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
#: The functions an action code is passed to (``audit`` writes; the others pass it on).
_WRITERS = {"audit", "record_access", "_record"}
NAMES = {1: "Dr Cleo Clinician", 2: "Ada Admin"}


def _codes_in(node: ast.AST) -> set[str]:
    return {
        child.value
        for child in ast.walk(node)
        if isinstance(child, ast.Constant) and isinstance(child.value, str) and _CODE.match(child.value)
    }


def written_action_codes() -> set[str]:
    """Every action code in the source: string codes in the positional arguments of a call to an audit writer, and
    codes assigned to a variable named ``action`` (then passed to one)."""
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in _WRITERS:
                    for argument in node.args:
                        codes |= _codes_in(argument)
            elif isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "action" for target in node.targets):
                codes |= _codes_in(node.value)
    return codes


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = written_action_codes()
    # direct, conditional, assigned to ``action`` and passed through the admin views' ``_record``
    assert {"submission.viewed", "summary.printed", "summary.downloaded", "intake.paused", "audit.viewed"} <= codes
    assert {"audit.exported", "export.downloaded", "staff.deactivated", "staff.reactivated"} <= codes
    assert len(codes) >= 40


def test_every_action_code_the_application_writes_has_words() -> None:
    missing = written_action_codes() - set(audit_words.ACTION_WORDS)
    assert not missing, f"add these to audit_words.ACTION_WORDS: {sorted(missing)}"


def test_every_action_belongs_to_a_named_family() -> None:
    assert {audit_words.family(action) for action in audit_words.ACTION_WORDS} <= set(audit_words.ACTION_FAMILIES)


@dataclass
class Event:
    action: str
    staff_id: int | None = 1
    reference: str | None = "KT-7Q83-FKVK"
    at: datetime = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)
    details: dict[str, Any] = field(default_factory=dict)


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (Event("submission.viewed"), "Dr Cleo Clinician viewed KT-7Q83-FKVK"),
        (
            Event("submission.status_changed", details={"from_status": "new", "to_status": "in_review"}),
            "Dr Cleo Clinician changed the status of KT-7Q83-FKVK from New to In review",
        ),
        (Event("submission.copy_downloaded", staff_id=None), "A patient downloaded their copy of KT-7Q83-FKVK"),
        (Event("draft.resume_failed", staff_id=None, reference=None), "Someone tried a wrong resume code"),
        (
            Event("flag.acknowledged", details={"acknowledgement": "needs_follow_up"}),
            "Dr Cleo Clinician marked a flag on KT-7Q83-FKVK as Needs follow-up",
        ),
        (
            Event("staff.created", staff_id=2, reference=None, details={"account": 1}),
            "Ada Admin created an account for Dr Cleo Clinician",
        ),
        (Event("staff.logged_in", staff_id=9, reference=None), "Staff account 9 signed in"),
        (Event("no.such_thing", reference=None), "Dr Cleo Clinician: no such thing"),
        (
            Event("submission.status_changed", details={}),
            "Dr Cleo Clinician changed the status of KT-7Q83-FKVK from (not recorded) to (not recorded)",
        ),
    ],
)
def test_sentences(event: Event, words: str) -> None:
    assert audit_words.sentence(event, NAMES) == words


def test_every_sentence_formats_without_details() -> None:
    for action in audit_words.ACTION_WORDS:
        text = audit_words.sentence(Event(action), NAMES)
        assert "{" not in text and "_" not in text.replace("KT-7Q83-FKVK", ""), action


def test_details_are_labelled_fields_in_words() -> None:
    details = {
        "from_status": "awaiting_patient",
        "with_note": False,
        "role": "admin",
        "priority": 3,
        "references": ["KT-1", "KT-2"],
        "filter_staff": "2",
        "filter_action": "submission.viewed",
        "older_than_days": 30,
    }
    assert audit_words.detail_fields(details, NAMES) == [
        ("From", "Awaiting patient"),
        ("With a note", "No"),
        ("Role", "Administrator"),
        ("Highest severity", audit_words.SEVERITY_LABELS[audit_words.SEVERITY_BY_RANK[3]]),
        ("References shown", "2: KT-1, KT-2"),
        ("Filter: staff", "Ada Admin"),
        ("Filter: action", "Viewed a submission"),
        ("Older than (days)", "30"),
    ]


def _views(*minutes: int, **changes: Any) -> list[Event]:
    start = datetime(2026, 1, 5, 10, 2, tzinfo=UTC)
    return [Event("submission.viewed", at=start + timedelta(minutes=minute), **changes) for minute in minutes]


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def test_consecutive_identical_views_within_five_minutes_are_one_line() -> None:
    events = list(reversed(_views(0, 1, 2, 3)))  # newest first, as the log lists them
    [line] = audit_words.lines(events, NAMES)
    assert line.count == 4
    assert (
        audit_words.line_words(line, _clock) == "Dr Cleo Clinician viewed KT-7Q83-FKVK 4 times between 10:02 and 10:05"
    )


@pytest.mark.parametrize(
    "events",
    [
        list(reversed(_views(0, 6))),  # more than 5 minutes apart
        [*_views(1), *_views(0, staff_id=2)],  # another person
        [*_views(1), *_views(0, reference="KT-2222-2222")],  # another reference
        [Event("submission.note_added"), Event("submission.note_added")],  # not a view
        [*_views(1, staff_id=None), *_views(0, staff_id=None)],  # nobody signed in
    ],
)
def test_views_that_differ_are_not_grouped(events: list[Event]) -> None:
    assert [line.count for line in audit_words.lines(events, NAMES)] == [1] * len(events)


def test_a_run_is_broken_by_another_event_between() -> None:
    first, second = _views(0), _views(2)
    lines = audit_words.lines([*second, Event("submission.note_added"), *first], NAMES)
    assert [line.count for line in lines] == [1, 1, 1]

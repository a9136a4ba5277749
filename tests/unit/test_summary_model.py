"""summary.build on plain objects shaped like a stored submission (no database, no Flask): clipping, which answers
are printed, every medicine kept (a long list compact) and the limit on notes, and the rule-difference line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from screening import rules
from screening.clinical.questionnaire import QUESTIONS, Topic
from screening.staff import display as staff_display
from screening.staff import summary
from tests.answer_sets import answers

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def stored(
    values: dict[str, Any],
    *,
    flags: list[Any] | None = None,
    events: list[Any] | None = None,
    medicines: list[Any] | None = None,
) -> SimpleNamespace:
    fired = rules.evaluate(values, today=date(2026, 11, 24))
    if flags is None:
        flags = [
            SimpleNamespace(
                rule_id=f.rule_id,
                severity=f.severity.value,
                title=f.title,
                evidence=f.evidence,
                rationale=f.rationale,
                source=f.source,
                acknowledgement=None,
                acknowledged_by=None,
                acknowledged_at=None,
                acknowledgement_note=None,
            )
            for f in fired
        ]
    return SimpleNamespace(
        reference="KT-AAAA-BBBB",
        full_name=values["full_name"],
        date_of_birth=date(1985, 3, 14),
        submitted_at=AT,
        status="new",
        questionnaire_version="1",
        ruleset_version="2026.1",
        article_version="a1",
        answers=values,
        scores={},
        medicines=medicines or [],
        flags=flags,
        events=events or [],
    )


def build(submission: Any) -> summary.Summary:
    return summary.build(
        submission, clinic_name="Clinic", generated_by="Dr A", generated_at=AT, zone=UTC, today=date(2026, 11, 24)
    )


@pytest.mark.parametrize(
    ("text", "room", "expected"),
    [
        ("short", 10, summary.Clipped("short", False)),
        ("  padded  ", 6, summary.Clipped("padded", False)),
        ("one two three four five", 15, summary.Clipped("one two three…", True)),
        ("x" * 30, 10, summary.Clipped("x" * 10 + "…", True)),
    ],
)
def test_clip(text: str, room: int, expected: summary.Clipped) -> None:
    assert summary.clip(text, room) == expected


def test_hidden_questions_and_empty_optional_text_are_left_out() -> None:
    printed = build(stored(answers(sex_at_birth="male")))
    labels = [answer.label for section in printed.sections for answer in section.answers]
    assert "Pregnancy" not in labels  # not asked of someone male at birth
    assert "Pain description" not in labels and "Previous ketamine: effect" not in labels
    assert "Previous ketamine treatment" in labels
    assert [section.title for section in printed.sections][0] == "Pain"


def test_every_question_is_a_key_answer_or_deliberately_left_out() -> None:
    """A new question must take a side: a ``topic`` on its definition puts it on the page, or ``summary.LEFT_OUT``
    says why the doctor does without it."""
    key = {question.id for question in QUESTIONS.values() if question.topic is not None}
    assert not key & set(summary.LEFT_OUT), "a question with a topic is printed: take it off summary.LEFT_OUT"
    unclassified = set(QUESTIONS) - key - set(summary.LEFT_OUT)
    assert not unclassified, f"give {sorted(unclassified)} a topic, or say in summary.LEFT_OUT why it is left out"
    assert set(summary.LEFT_OUT) <= set(QUESTIONS), "summary.LEFT_OUT names a question the definition lacks"
    assert all(reason.strip() for reason in summary.LEFT_OUT.values())


def test_key_answers_are_grouped_by_topic_in_the_doctors_order() -> None:
    values = answers(
        previous_ketamine="unsure",
        previous_ketamine_unsure_reaction="yes",
        heart_conditions=["heart_attack", "heart_failure"],
        heart_attack_recent="no",
        chest_pain_since_mi="no",
        heart_failure_breathless="unsure",
        drugs_past_year=["ketamine"],
        ketamine_use_bad_reaction="yes",
        phq9_9=1,
        self_harm_intent="no",
        self_harm_recent_attempt="no",
    )
    printed = build(stored(values))
    titles = [section.title for section in printed.sections]
    assert titles == [topic.value for topic in Topic if topic is not Topic.CONTACT and topic.value in titles]
    assert titles[0] == "Pain" and "Mental health" in titles
    by_label = {item.label: item.answer.text for section in printed.sections for item in section.answers}
    for question_id in (  # the follow-ups the hand-written list of key answers had missed
        "previous_ketamine_unsure_reaction",
        "chest_pain_since_mi",
        "heart_failure_breathless",
        "ketamine_use_bad_reaction",
    ):
        assert QUESTIONS[question_id].short in by_label, question_id
    assert by_label[QUESTIONS["heart_failure_breathless"].short] == "I'm not sure"
    mental = next(section for section in printed.sections if section.title == Topic.MENTAL_HEALTH.value)
    assert [item.label for item in mental.answers][-2:] == [
        QUESTIONS["self_harm_intent"].short,
        QUESTIONS["self_harm_recent_attempt"].short,
    ]  # the support page's answers sit with the mood answers, after them


def test_contact_and_versions() -> None:
    printed = build(stored(answers(phone="01632 960 001")))
    assert [(item.label, item.answer.text) for item in printed.contact][:2] == [
        ("Email", "alex@example.org"),
        ("Phone", "01632 960 001"),
    ]
    assert (printed.questionnaire_version, printed.ruleset_version, printed.article_version) == ("1", "2026.1", "a1")
    assert printed.generated_at == "24 Nov 2026, 09:30" and printed.age == 41


def test_every_medicine_line_is_kept_and_notes_beyond_the_page_are_counted() -> None:
    lines = [[f"line {n}", []] for n in range(60)]  # issue 14 (H47): no cap on medicines; a long list is compact
    staff = SimpleNamespace(name="Rae")
    events = [SimpleNamespace(at=AT.replace(minute=n), staff=staff, note=f"note {n}", flag_id=None) for n in range(6)]
    events.append(SimpleNamespace(at=AT, staff=staff, note="an acknowledgement note", flag_id=3))
    printed = build(stored(answers(), medicines=lines, events=events))
    assert [medicine.line.text for medicine in printed.medicines] == [f"line {n}" for n in range(60)]
    assert not printed.medicines[0].recognised and printed.medicines_compact
    assert not build(stored(answers(), medicines=lines[: summary.MEDICINES_COMPACT_OVER])).medicines_compact
    assert build(stored(answers(), medicines=lines[: summary.MEDICINES_COMPACT_OVER + 1])).medicines_compact
    assert printed.medicines_in_columns
    assert not build(stored(answers(), medicines=lines[: summary.MEDICINES_COLUMNS_OVER])).medicines_in_columns
    assert [note.text.text for note in printed.notes] == ["note 5", "note 4", "note 3", "note 2"]
    assert printed.notes_not_shown == 2


def test_the_rule_difference_line() -> None:
    values = answers(has_escort="no")
    assert build(stored(values)).rule_difference_line is None
    printed = build(stored(values, flags=[]))
    assert printed.rule_difference_line == (
        f"Flags are as submitted (rule set 2026.1). Today's rule set {rules.RULESET_VERSION} would add No escort home."
    )


# --- the legend of source keys (issue 11, item 12; hazard log H41) ----------------------------------------------------
def flag(source: str | None, *, rule_id: str = "prac_no_escort_home", severity: str = "discuss") -> SimpleNamespace:
    """A stored flag with the given comma-separated ``source``, as the submit path stores it."""
    return SimpleNamespace(
        rule_id=rule_id,
        severity=severity,
        title="A flag",
        evidence="evidence",
        rationale="why",
        source=source,
        acknowledgement=None,
        acknowledged_by=None,
        acknowledged_at=None,
        acknowledgement_note=None,
    )


def staff_view(submission: SimpleNamespace) -> staff_display.SubmissionView:
    submission.priority = 2
    return staff_display.submission_view(submission, zone=UTC, today=date(2026, 11, 24))


def keys_of(flags: list[Any]) -> set[str]:
    return {key.strip() for f in flags for key in (f.source or "").split(",") if key.strip()}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, ()),
        ("", ()),
        ("ASRA2018", ("ASRA2018",)),
        ("ASRA2018, KETALAR", ("ASRA2018", "KETALAR")),
        (" KETALAR ,ASRA2018,, KETALAR , ", ("KETALAR", "ASRA2018")),  # order kept, blanks and repeats dropped
    ],
)
def test_source_keys_of_a_stored_flag(source: str | None, expected: tuple[str, ...]) -> None:
    assert staff_display.source_keys(source) == expected


def test_the_legend_lists_each_key_of_the_flags_once_alphabetically_with_its_full_citation() -> None:
    flags = [
        flag("SPRAVATO, KETALAR"),
        flag("KETALAR, ASRA2018", rule_id="cv_hypertension", severity="caution"),
        flag(None, rule_id="med_unrecognised", severity="info"),
    ]
    printed = build(stored(answers(), flags=flags))
    assert [entry.key for entry in printed.sources] == ["ASRA2018", "KETALAR", "SPRAVATO"]
    for entry in printed.sources:
        assert entry.citation == rules.SOURCES[entry.key] and not entry.retired


def test_the_legend_of_a_real_submission_is_exactly_the_keys_its_flags_cite() -> None:
    values = answers(
        has_escort="no",
        heart_conditions=["high_blood_pressure"],
        bp_controlled="yes",
        bp_crisis_recent="no",
        bp_systolic=150,
        bp_diastolic=95,
        pain_conditions=["crps"],
    )
    submission = stored(values)
    assert submission.flags, "the vignette should raise flags"
    printed = build(submission)
    assert {entry.key for entry in printed.sources} == keys_of(submission.flags)
    assert len(printed.sources) == len({entry.key for entry in printed.sources})
    summary_keys = {
        key.strip() for group in printed.flag_groups for f in group.flags for key in f.source.split(",") if key.strip()
    }
    assert {entry.key for entry in printed.sources} == summary_keys  # every key printed beside a flag is resolved


def test_no_flags_or_no_sources_means_no_legend() -> None:
    assert build(stored(answers(), flags=[])).sources == ()
    assert build(stored(answers(), flags=[flag(None), flag("  ")])).sources == ()


def test_a_retired_key_is_kept_and_says_it_is_retired() -> None:
    printed = build(stored(answers(), flags=[flag("ASRA2018, KETAMIN-OLD")]))
    retired = {entry.key: entry for entry in printed.sources}["KETAMIN-OLD"]
    assert retired.retired and retired.citation == staff_display.RETIRED_SOURCE
    assert "retired source key" in retired.citation
    assert staff_display.expand_sources("KETAMIN-OLD") == (("KETAMIN-OLD", staff_display.RETIRED_SOURCE),)
    assert not {entry.key: entry for entry in printed.sources}["ASRA2018"].retired


def test_the_legend_reads_the_sources_when_it_is_made_not_when_the_flag_was_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A colleague may rename or split a key in rules.SOURCES: a stored flag keeps its old key, which then reads
    as retired, and a reworded citation shows at once (nothing is copied at submission or import)."""
    submission = stored(answers(), flags=[flag("KETAMIN-CH, ASRA2018")])
    renamed = {key: text for key, text in rules.SOURCES.items() if key != "KETAMIN-CH"}
    renamed["KETAMIN-CH-SWISS"] = "Swiss ketamine product information (a new key)"
    renamed["ASRA2018"] = "Cohen SP et al. 2018 (reworded)"
    monkeypatch.setattr(rules, "SOURCES", renamed)
    legend = {entry.key: entry for entry in build(submission).sources}
    assert set(legend) == {"ASRA2018", "KETAMIN-CH"}  # never the new key no flag cites
    assert legend["KETAMIN-CH"].retired and legend["ASRA2018"].citation == "Cohen SP et al. 2018 (reworded)"
    assert staff_view(submission).sources == build(submission).sources  # the staff page and the summary agree


def test_the_staff_view_model_has_the_same_legend_as_the_summary() -> None:
    values = answers(has_escort="no", pain_conditions=["fibromyalgia"])
    submission = stored(values)
    view = staff_view(submission)
    assert view.sources == build(submission).sources
    assert {entry.key for entry in view.sources} == keys_of(submission.flags)

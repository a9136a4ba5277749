"""The answer presenter (``clinical.presenter``): the words of every question type, "Not answered" against a
deliberate answer, dates in the locale's order, the rows of a step in the definition's order; and, for every question
of the questionnaire, that a representative answer reads the same on check your answers, the staff submission page,
the doctor's summary and the CSV export (the functions that build each surface's rows, driven without a server)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from screening.clinical import dates, presenter, questionnaire
from screening.clinical.conditions import Condition
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID, QType, Question, Topic
from screening.staff import display as staff_display
from screening.staff import exports, summary
from tests.answer_sets import answers

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)


def words(question_id: str, value: Any, **options: Any) -> str:
    return presenter.answer_words(QUESTIONS[question_id], value, **options)


# --- words by question type ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question_id", "value", "expected"),
    [
        ("sex_at_birth", "not_say", "I'd rather not say"),  # choice: the label, never the code
        ("pain_conditions", ["crps", "arthritis"], "Complex regional pain syndrome (CRPS); Arthritis"),
        ("heart_conditions", ["none"], "None of these"),  # the exclusive "none" tick is an answer like any other
        ("has_escort", "no", "No"),
        ("previous_ketamine", "unsure", "I'm not sure"),
        ("peg_pain", 7, "7"),  # a 0-10 scale reads as its number
        ("phq9_9", 2, "More than half the days"),  # a likert item reads as its label
        ("bp_systolic", 142, "142 mmHg"),  # numbers with their unit
        ("height_cm", 178, "178 cm (5 feet 10.1 inches)"),  # metric, with the everyday imperial of the locale
        ("height_cm", 170.2, "170.2 cm (5 feet 7 inches)"),  # 5 ft 7 in = 67 x 2.54 = 170.18 cm, stored as 170.2
        ("weight_kg", 96, "96 kg (15 stone 1.5 pounds)"),
        ("weight_kg", 77.6, "77.6 kg (12 stone 3 pounds)"),  # 171 lb = 77.564 kg, stored as 77.6
        ("date_of_birth", "1985-03-14", "14 March 1985"),
        ("full_name", "Sam Typical", "Sam Typical"),
        ("pain_description", "Burning\nat night", "Burning\nat night"),
        ("consent_store", True, "Yes"),
        ("no_medications", True, "I don't take any medicines"),  # a statement box reads as a sentence
        ("no_medications", None, "I take medicines"),  # unticked on a page the patient answered: a deliberate "no"
        ("other_allergies", None, "Not answered"),
        ("bp_controlled", None, "Not answered"),
    ],
)
def test_words_of_each_type(question_id: str, value: Any, expected: str) -> None:
    assert words(question_id, value) == expected


def test_dates_follow_the_locales_order() -> None:
    assert presenter.date_words(date(1985, 3, 14)) == "14 March 1985"
    assert presenter.date_words(date(1985, 3, 14), "mdy") == "March 14, 1985"
    assert words("date_of_birth", "2001-12-01", date_order="mdy") == "December 1, 2001"


def test_every_date_in_words_comes_from_the_one_formatter() -> None:
    day = date(1985, 3, 14)
    for order in dates.DATE_ORDERS:
        assert presenter.answer_words(QUESTIONS["date_of_birth"], "1985-03-14", date_order=order) == dates.date_words(
            day, order
        )


def test_an_unticked_checkbox_is_no_on_an_answered_page_and_not_answered_on_a_skipped_one() -> None:
    question = QUESTIONS["no_medications"]
    assert presenter.present(question, None).text == "I take medicines" and presenter.present(question, None).answered
    skipped = presenter.present(question, None, page_answered=False)
    assert (skipped.text, skipped.answered) == ("Not answered", False)
    rows = presenter.answer_rows(answers(medicines=["Lyrica"]), skipped=("medications",))
    assert rows["no_medications"].text == "Not answered"


def test_a_multiple_choice_answer_keeps_its_items_and_free_text_its_lines() -> None:
    row = presenter.present(QUESTIONS["pain_conditions"], ["crps", "other"])
    assert row.items == ("Complex regional pain syndrome (CRPS)", "Something else") and not row.multiline
    assert presenter.present(QUESTIONS["pain_description"], "a\nb").multiline
    assert not presenter.present(QUESTIONS["full_name"], "a").multiline


def test_words_are_in_the_locale_the_patient_was_asked_in_and_translated_when_asked() -> None:
    assert words("auditc_2", "0", locale="en-GB") == "0 to 2"
    assert words("auditc_2", "0", locale="en-US") == "1 or 2"
    shout = str.upper
    assert words("pain_conditions", ["arthritis"], translate=shout) == "ARTHRITIS"
    assert words("other_allergies", None, translate=shout) == "NOT ANSWERED"
    assert words("date_of_birth", "1985-03-14", translate=shout) == "14 MARCH 1985"
    assert words("full_name", "Sam", translate=shout) == "Sam"  # what the patient typed is never translated


def test_free_text_stored_but_not_valid_is_shown_as_it_is() -> None:
    long = "x" * 5000
    rows = presenter.answer_rows(answers(pain_description=long))
    assert rows["pain_description"].text == long and rows["pain_description"].answered


def test_rows_are_only_the_shown_questions_in_the_order_of_the_definition() -> None:
    values = answers(
        heart_conditions=["high_blood_pressure", "heart_attack", "coronary_disease"],
        bp_controlled="yes",
        bp_crisis_recent="no",
        bp_systolic=150,
        bp_diastolic=95,
        heart_attack_recent="no",
        chest_pain_since_mi="no",
        angina_unstable="no",
        referrer_name="Dr Hidden",  # hidden: the patient found the clinic themselves
    )
    sections = presenter.answer_sections(values)
    health = next(section for section in sections if section.step.id == "health")
    ids = [row.question.id for row in health.rows]
    definition = [question.id for question in STEP_BY_ID["health"]]
    assert ids == [question_id for question_id in definition if question_id in ids]
    assert ids.index("bp_systolic") < ids.index("heart_attack_recent")  # not the page's nesting order
    assert "valve_breathless" not in ids and "neck_43cm" not in ids  # not asked
    assert "referrer_name" not in presenter.answer_rows(values)
    assert [section.step.id for section in sections] == [
        step.id for step in questionnaire.STEPS if step.id not in ("start", "support", "experiences", "alcohol")
    ]


def test_check_your_answers_leaves_out_the_pages_skipped_and_the_staff_page_keeps_them() -> None:
    values = answers(phq9_9=1, self_harm_intent="no", self_harm_recent_attempt="no")
    for question_id in ("auditc_1", "drugs_past_year", "prescribed_misuse", "substance_treatment_ever"):
        values.pop(question_id)
    skipped = ("substances",)
    staff = presenter.answer_sections(values, skipped=skipped)
    check = presenter.answer_sections(values, skipped=skipped, include_skipped=False)
    assert [section.step.id for section in staff][-2:] == ["substances", "practicalities"]
    assert "substances" not in [section.step.id for section in check]


# --- every question reads the same on every surface -----------------------------------------------------------------
def _sample(question: Question) -> Any:
    """A representative answer of ``question``: two ticks, the last option, a middle number, text with a line."""
    qtype = question.type
    if qtype is QType.MULTI:
        codes = [code for code in question.codes if code != questionnaire.EXCLUSIVE_CODE]
        return codes[-2:]
    if qtype in (QType.SCALE, QType.LIKERT4):
        return question.max_value
    if question.options:
        return question.codes[-1]
    if qtype in (QType.INT, QType.MEASURE):
        assert question.min_value is not None and question.max_value is not None
        return (question.min_value + question.max_value) // 2
    samples = {
        QType.DATE: "1985-03-14",
        QType.EMAIL: "sam@example.org",
        QType.TEL: "01632 960 123",
        QType.TEXT: "Some words",
        QType.TEXTAREA: "First line\nsecond line",
    }
    return samples.get(qtype, True)  # a consent or a checkbox is only ever ticked


def _satisfy(condition: Condition, values: dict[str, Any]) -> None:
    """Change ``values`` so that ``condition`` holds (and the question it names is shown)."""
    parent = QUESTIONS[condition.question]
    _show(parent, values)
    if condition.operator == "exists":
        if condition.value:
            values.setdefault(parent.id, _sample(parent))
        else:
            values.pop(parent.id, None)
    elif condition.operator == "has":
        ticked = {code for code in values.get(parent.id) or () if code != questionnaire.EXCLUSIVE_CODE}
        values[parent.id] = [code for code in parent.codes if code in ticked | {condition.value}]
    elif condition.operator == "!=":
        values[parent.id] = next(code for code in parent.codes if code != condition.value)
    else:  # "=", ">="
        values[parent.id] = condition.value


def _show(question: Question, values: dict[str, Any]) -> None:
    step = questionnaire.STEP_OF[question.id]
    for shown_when in (step.enable_when, question.enable_when):
        if shown_when is not None and not shown_when.holds(values):
            _satisfy(shown_when.conditions[0], values)  # all of one, or the first of any


def representative(question: Question) -> dict[str, Any]:
    """The healthy baseline changed so that ``question`` is shown and answered with ``_sample``."""
    values = answers()
    _show(question, values)
    values[question.id] = _sample(question)
    assert questionnaire.question_is_shown(question, questionnaire.clean_answers(values).values), question.id
    return values


def stored(values: dict[str, Any], locale: str = "en-GB") -> SimpleNamespace:
    """An object shaped like a stored ``Submission`` of ``values`` (no flags, scores or medicines: only answers)."""
    return SimpleNamespace(
        reference="KT-AAAA-BBBB",
        full_name=values.get("full_name", "Alex Example"),
        date_of_birth=date(1985, 3, 14),
        submitted_at=AT,
        status="new",
        priority=-1,
        questionnaire_version=questionnaire.QUESTIONNAIRE_VERSION,
        ruleset_version="2026.3",
        article_version="a1",
        answers=values,
        scores={},
        medicines=[],
        flags=[],
        events=[],
        rule_config={"locale": locale},
        skipped_steps=[],
    )


def surfaces(values: dict[str, Any], question_id: str, *, locale: str = "en-GB", date_order: str = "dmy") -> dict:
    """The words of ``question_id`` on each surface (None where the surface does not show it)."""
    check = presenter.answer_sections(values, locale=locale, date_order=date_order, include_skipped=False)
    submission = stored(values, locale)
    staff = staff_display.submission_view(submission, zone=UTC, today=TODAY, date_order=date_order).answers
    printed = summary.build(
        submission,
        clinic_name="Clinic",
        generated_by="Dr A",
        generated_at=AT,
        zone=UTC,
        today=TODAY,
        date_order=date_order,
    )
    label = QUESTIONS[question_id].short
    on_summary = [item.answer.text for item in printed.contact if item.label == label] + [
        item.answer.text for section in printed.sections for item in section.answers if item.label == label
    ]
    csv = exports.answer_cells(submission, date_order=date_order)[exports.ANSWER_COLUMNS.index(question_id)]
    return {
        "check": [row.text for section in check for row in section.rows if row.question.id == question_id],
        "staff": [row.text for section in staff for row in section.rows if row.question.id == question_id],
        "summary": on_summary,
        "csv": csv,
    }


@pytest.mark.parametrize("question", list(QUESTIONS.values()), ids=lambda question: question.id)
def test_every_question_reads_the_same_on_every_surface(question: Question) -> None:
    values = representative(question)
    expected = presenter.answer_words(question, _sample(question))
    assert expected and expected != presenter.NOT_ANSWERED
    shown = surfaces(values, question.id)
    assert shown["csv"] == exports.neutralise(expected)
    if question.id == "consent_store":  # asked on the start page, before the questionnaire's steps
        assert shown["check"] == shown["staff"] == []
    else:
        assert shown["check"] == shown["staff"] == [expected]
    if question.topic is None:
        assert shown["summary"] == [], f"{question.id} is left out of the summary"
    else:
        assert shown["summary"] == [summary.clip(expected, summary.ANSWER_ROOM).text]


@pytest.mark.parametrize(
    ("question_id", "locale", "date_order", "expected"),
    [
        ("auditc_2", "en-US", "dmy", "1 or 2"),
        ("auditc_2", "en-GB", "dmy", "0 to 2"),
        ("date_of_birth", "en-US", "mdy", "March 14, 1985"),
    ],
)
def test_the_locale_and_date_order_reach_every_surface(
    question_id: str, locale: str, date_order: str, expected: str
) -> None:
    values = answers(auditc_1="2", auditc_2="0", auditc_3="0")
    shown = surfaces(values, question_id, locale=locale, date_order=date_order)
    assert shown["check"] == shown["staff"] == [expected] and shown["csv"] == expected


def test_an_unticked_no_medicines_box_reads_as_a_sentence_on_every_surface_that_lists_it() -> None:
    values = answers(medicines=["Lyrica 150mg twice a day"])
    shown = surfaces(values, "no_medications")
    assert shown["check"] == shown["staff"] == ["I take medicines"] and shown["csv"] == "I take medicines"
    assert shown["summary"] == []  # the Medicines section prints the list instead
    ticked = surfaces(answers(), "no_medications")
    assert ticked["check"] == ticked["staff"] == ["I don't take any medicines"]
    assert ticked["csv"] == "I don't take any medicines"


def test_a_statement_box_is_asked_as_a_question_on_every_surface_and_never_reads_yes_or_no() -> None:
    for question_id, statement in presenter.STATEMENTS.items():
        question = QUESTIONS[question_id]
        assert question.type is QType.CHECKBOX
        rows = [presenter.present(question, value) for value in (True, None)]
        assert [row.text for row in rows] == [statement.ticked, statement.unticked]
        assert {row.label for row in rows} == {statement.question}
        assert not {row.text for row in rows} & {presenter.YES, presenter.NO}
    view = staff_display.submission_view(stored(answers()), zone=UTC, today=TODAY)
    labels = [row.label for section in view.answers for row in section.rows if row.question.id == "no_medications"]
    assert labels == ["Do you take any medicines?"]


def test_every_surface_lists_the_shown_questions_in_the_same_order() -> None:
    values = representative(QUESTIONS["valve_breathless"])
    values.update(bp_systolic=150, bp_diastolic=95, heart_conditions=["high_blood_pressure", "valve_disease"])
    check = [row.question.id for section in presenter.answer_sections(values) for row in section.rows]
    view = staff_display.submission_view(stored(values), zone=UTC, today=TODAY)
    staff = [row.question.id for section in view.answers for row in section.rows]
    csv = [
        question_id
        for question_id, cell in zip(exports.ANSWER_COLUMNS, exports.answer_cells(stored(values)), strict=True)
        if cell is not None and question_id != "consent_store"
    ]
    assert check == staff == csv
    printed = build_summary(values)
    health = next(section for section in printed.sections if section.title == Topic.HEALTH.value)
    labels = [item.label for item in health.answers]
    assert labels == [row.short for row in presenter.answer_rows(values).values() if row.short in labels]


def build_summary(values: dict[str, Any]) -> summary.Summary:
    return summary.build(
        stored(values), clinic_name="Clinic", generated_by="Dr A", generated_at=AT, zone=UTC, today=TODAY
    )

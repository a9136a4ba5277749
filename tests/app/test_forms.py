"""The step forms generated from questionnaire.py: fields, every validation message, stored answer types,
hidden follow-ups, bad input that must never raise, the re-check of stored answers, and the page layout; and that
the forms, submit and the staff forms apply the rules of ``clinical.validation`` (the email rule, the one
control-character rule)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import pytest
from flask import Flask
from govuk_frontend_wtf.main import wtforms_errors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict

from screening import create_app, forms
from screening.clinical import validation
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID, STEPS, clean_answers, localise, question_is_shown
from screening.patient import fields
from screening.staff import forms as staff_forms
from tests.answer_sets import TODAY, answers, born
from tests.app.form_posts import form_data

#: Every follow-up of the questionnaire shown (and answered), including the support page.
EVERY_FOLLOW_UP = answers(
    referral_source="primary_care",
    referrer_name="Dr Example",
    pain_conditions=["crps", "other"],
    pain_conditions_other="endometriosis",
    pain_description="Burning at night",
    previous_ketamine="yes",
    previous_ketamine_effect="helped_a_little",
    previous_ketamine_bad_reaction="no",
    previous_ketamine_notes="Three infusions in 2023",
    medicines=["Lyrica 150mg twice a day", "co-codamol 30/500"],
    medication_checklist=["gabapentinoid", "opioid"],
    opioid_daily="yes",
    other_allergies="Penicillin: a rash",
    heart_conditions=["high_blood_pressure", "heart_attack", "coronary_disease", "heart_failure", "valve_disease"],
    bp_controlled="yes",
    bp_crisis_recent="no",
    heart_attack_recent="no",
    chest_pain_since_mi="no",
    angina_unstable="no",
    heart_failure_breathless="no",
    valve_breathless="unsure",
    bp_systolic=150,
    bp_diastolic=95,
    other_conditions=["liver_disease", "overactive_thyroid", "sleep_apnoea", "lung_disease", "porphyria"],
    liver_severity="moderate",
    thyroid_controlled="yes",
    uses_cpap="yes",
    height_cm=170,
    weight_kg=80,
    neck_large="yes",
    neck_43cm="no",
    mental_health_history=["ptsd", "schizophrenia_psychosis"],
    dissociation_frequent="no",
    psychosis_ever="yes",
    psychosis_current="no",
    phq9_9=1,
    self_harm_intent="no",
    self_harm_recent_attempt="no",
    contact_phone_today="01632 960 002",
    auditc_1="2",
    auditc_2="1",
    auditc_3="0",
    drugs_past_year=["ketamine"],
    ketamine_use_bad_reaction="no",
    substance_treatment_ever="yes",
    substance_treatment_for=["alcohol"],
    contact_times=["mornings", "evenings"],
)
#: The follow-ups EVERY_FOLLOW_UP cannot show, because they sit under another option of the same question
#: ("I'm not sure" to previous ketamine, where EVERY_FOLLOW_UP answers "Yes").
OTHER_BRANCH = answers(previous_ketamine="unsure", previous_ketamine_unsure_reaction="no")
OTHER_BRANCH_ONLY = ("previous_ketamine_unsure_reaction",)
STEP_IDS = [step.id for step in STEPS]
CSRF_OFF = {"csrf": False}


@pytest.fixture(scope="module")
def form_app() -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


@pytest.fixture
def ctx(form_app: Flask) -> Iterator[None]:
    with form_app.test_request_context("/", method="POST"):
        yield


def post(
    step_id: str,
    data: Mapping[str, Any] | MultiDict[str, Any],
    *,
    earlier: Mapping[str, Any] = EVERY_FOLLOW_UP,
    min_age: int = 18,
    today: date = TODAY,
) -> tuple[forms.StepForm, bool]:
    """Post ``data`` (field name -> value or list of values) to a step form and validate it."""
    formdata = (
        data
        if isinstance(data, MultiDict)
        else MultiDict(
            [(key, item) for key, value in data.items() for item in (value if isinstance(value, list) else [value])]
        )
    )
    form = forms.step_form_class(step_id)(formdata=formdata, meta=CSRF_OFF)
    return form, form.validate_step(earlier, today=today, min_age=min_age)


def posted(step_id: str, given: Mapping[str, Any] = EVERY_FOLLOW_UP, **raw: Any) -> dict[str, Any]:
    """What a browser posts for ``given`` with ``raw`` form values replaced (None removes one)."""
    data = {**form_data(step_id, given), **raw}
    return {key: value for key, value in data.items() if value is not None}


def step_answers(step_id: str, given: Mapping[str, Any]) -> dict[str, Any]:
    return {q.id: given[q.id] for q in STEP_BY_ID[step_id] if q.id in given}


# --- the generated classes ----------------------------------------------------------------------
@pytest.mark.parametrize("step_id", STEP_IDS)
def test_step_form_class_every_step_has_exactly_its_question_ids(ctx: None, step_id: str) -> None:
    form = forms.step_form_class(step_id)()
    assert [f.name for f in form if f.name != "csrf_token"] == [q.id for q in STEP_BY_ID[step_id]]
    assert {f.name for f in form} - {q.id for q in STEP_BY_ID[step_id]} == {"csrf_token"}


@pytest.mark.parametrize(
    "step_id, name", [("about_you", "AboutYouForm"), ("start", "StartForm"), ("practicalities", "PracticalitiesForm")]
)
def test_step_form_class_name_is_camel_case_and_cached(step_id: str, name: str) -> None:
    assert forms.step_form_class(step_id).__name__ == name
    assert forms.step_form_class(step_id) is forms.step_form_class(step_id)


@pytest.mark.parametrize("question", [q for q in QUESTIONS.values() if q.options], ids=lambda q: q.id)
def test_step_form_class_choices_equal_codes_and_labels(ctx: None, question: Any) -> None:
    field = _field(question.id)
    assert [choice.value for choice in field.choices] == list(question.codes)
    assert [str(choice.label) for choice in field.choices] == [option.label for option in question.options]
    assert field.label_text() == localise(question.label, "en-GB")  # the AUDIT-C's words by locale (en-GB default)


def _field(question_id: str) -> Any:
    step = next(step for step in STEPS if question_id in {q.id for q in step})
    return forms.form_for(step.id, {})[question_id]


def test_step_form_validate_is_refused_in_favour_of_validate_step(ctx: None) -> None:
    with pytest.raises(TypeError, match="validate_step"):
        forms.step_form_class("about_you")(meta=CSRF_OFF).validate()


def test_step_form_answers_before_validation_raises(ctx: None) -> None:
    with pytest.raises(RuntimeError):
        forms.step_form_class("about_you")(meta=CSRF_OFF).answers()


# --- valid answers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "step_id, given",
    [
        *((step_id, EVERY_FOLLOW_UP) for step_id in STEP_IDS),
        ("treatments", OTHER_BRANCH),
        *((step_id, answers()) for step_id in STEP_IDS if step_id != "support"),
    ],
)
def test_validate_step_healthy_answers_valid_and_stored_unchanged(
    ctx: None, step_id: str, given: dict[str, Any]
) -> None:
    form, valid = post(step_id, form_data(step_id, given), earlier=given)
    assert valid, form.errors
    assert form.answers() == step_answers(step_id, given)


def test_every_follow_up_set_shows_every_question() -> None:
    values = clean_answers(EVERY_FOLLOW_UP).values
    assert [q.id for q in QUESTIONS.values() if not question_is_shown(q, values)] == list(OTHER_BRANCH_ONLY)
    other = clean_answers(OTHER_BRANCH).values
    assert all(question_is_shown(QUESTIONS[qid], other) for qid in OTHER_BRANCH_ONLY)


def test_answers_stored_types_follow_questionnaire_md(ctx: None) -> None:
    form, valid = post(
        "health",
        posted(
            "health", heart_conditions=["coronary_disease", "heart_attack", "high_blood_pressure"], bp_systolic=" 150 "
        ),
    )
    assert valid, form.errors
    stored = form.answers()
    assert stored["heart_conditions"] == ["high_blood_pressure", "heart_attack", "coronary_disease"]
    assert stored["bp_systolic"] == 150 and isinstance(stored["height_cm"], int)  # 170 cm: a whole number
    form, valid = post("mood", posted("mood"))
    assert valid and form.answers()["phq9_9"] == 1 and form.answers()["gad7_1"] == 0
    form, valid = post("about_you", posted("about_you", full_name="  Alex  Example \n"))
    assert valid and form.answers()["full_name"] == "Alex  Example"
    form, valid = post("practicalities", posted("practicalities", referrer_name="   "))
    assert valid and "referrer_name" not in form.answers()
    form, valid = post(
        "about_you",
        posted("about_you", **{"date_of_birth-day": "4", "date_of_birth-month": "Mar", "date_of_birth-year": " 1985 "}),
    )
    assert valid and form.answers()["date_of_birth"] == "1985-03-04"
    form, valid = post("medications", posted("medications", current_medications=None, no_medications="y"))
    assert valid and form.answers()["no_medications"] is True and "current_medications" not in form.answers()


def test_answers_textarea_new_lines_stored_as_lf_within_max_length(ctx: None) -> None:
    text = "\r\n".join(["a"] * 1000)  # 1999 characters once CRLF is LF, 2998 as posted
    form, valid = post("pain", posted("pain", pain_description=f"\tline one\r\n{text}"[: 2000 + 999]))
    assert valid, form.errors
    assert "\r" not in form.answers()["pain_description"]
    assert form.answers()["pain_description"].startswith("line one\na\na")


@pytest.mark.parametrize(
    "text",
    [
        "Zoë O'Brien-Łukasz",
        "名前 😀👩‍👩‍👧",
        "\u202eevil\u202c name",
        "e\u0301\u0301\u0301",
        "<script>alert(1)</script>",
        "{{7*7}}",
        "' OR 1=1--",
        '=HYPERLINK("x")',
        "%00%FF",
    ],
)
def test_answers_unusual_printable_text_stored_byte_exact(ctx: None, text: str) -> None:
    form, valid = post("about_you", posted("about_you", full_name=text))
    assert valid, form.errors
    assert form.answers()["full_name"] == text


# --- hidden follow-ups ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "step_id, earlier, raw, dropped",
    [
        (
            "health",
            answers(),
            {"bp_controlled": "yes", "bp_crisis_recent": "bogus"},
            ["bp_controlled", "bp_crisis_recent"],
        ),
        ("practicalities", answers(), {"referrer_name": "Dr Example"}, ["referrer_name"]),
        (
            "treatments",
            answers(),
            {"previous_ketamine_effect": "helped_a_lot", "previous_ketamine_notes": "\x00"},
            ["previous_ketamine_effect", "previous_ketamine_notes"],
        ),
        ("health", answers(sex_at_birth="male"), {"pregnancy_status": "pregnant"}, ["pregnancy_status"]),
        (
            "support",
            answers(phq9_9=1, phone="01632 960 001"),
            {"contact_phone_today": "not a phone"},
            ["contact_phone_today"],
        ),
        ("alcohol", answers(), {"auditc_2": "4", "auditc_3": "9"}, ["auditc_2", "auditc_3"]),
    ],
    ids=[
        "bp without high blood pressure",
        "referrer when self",
        "ketamine follow-ups when no",
        "pregnancy for male (earlier step)",
        "phone for today when phone given",
        "drinks when never",
    ],
)
def test_answers_hidden_follow_up_posted_is_dropped_without_error(
    ctx: None, step_id: str, earlier: dict[str, Any], raw: dict[str, Any], dropped: list[str]
) -> None:
    given = {**earlier, "self_harm_intent": "no", "self_harm_recent_attempt": "no"}
    form, valid = post(step_id, posted(step_id, given, **raw), earlier=earlier)
    assert valid, form.errors
    assert not set(dropped) & set(form.answers())
    assert all(form[qid].errors == [] for qid in dropped)


def test_validate_step_earlier_holding_this_steps_old_answers_uses_the_posted_ones(ctx: None) -> None:
    draft = {**EVERY_FOLLOW_UP, "previous_ketamine": "yes"}
    form, valid = post("treatments", posted("treatments", answers()), earlier=draft)
    assert valid, form.errors
    assert form.answers() == step_answers("treatments", answers())


def test_validate_step_newly_shown_follow_up_is_required(ctx: None) -> None:
    form, valid = post("treatments", posted("treatments", answers(), previous_ketamine="yes"), earlier=answers())
    assert not valid
    assert form.previous_ketamine_effect.errors == [QUESTIONS["previous_ketamine_effect"].error]


# --- every validation message ---------------------------------------------------------------------
REQUIRED = [q for q in QUESTIONS.values() if q.required]


@pytest.mark.parametrize("question", REQUIRED, ids=lambda q: q.id)
def test_validate_step_required_missing_shows_question_error(ctx: None, question: Any) -> None:
    step_id = next(step.id for step in STEPS if question in step.questions)
    given = OTHER_BRANCH if question.id in OTHER_BRANCH_ONLY else EVERY_FOLLOW_UP
    data = {
        key: value
        for key, value in form_data(step_id, given).items()
        if key != question.id and not key.startswith(f"{question.id}-")
    }
    form, valid = post(step_id, data, earlier=given)
    assert not valid
    assert form[question.id].errors == [localise(question.error, "en-GB")]


def _check(step_id: str, kind: str, first: str) -> str:
    return next(c.message for c in STEP_BY_ID[step_id].checks if c.kind == kind and c.questions[0] == first)


DOB = "date_of_birth"
MESSAGES = [
    # (step, raw post values, field, message)
    ("health", {"bp_systolic": "12a"}, "bp_systolic", "The top number must be a whole number"),
    ("health", {"bp_systolic": "130.5"}, "bp_systolic", "The top number must be a whole number"),
    ("health", {"height_cm": "251"}, "height_cm", "Your height must be between 100 cm and 250 cm"),
    ("health", {"weight_kg": "29"}, "weight_kg", "Your weight must be between 30 kg and 350 kg"),
    ("health", {"bp_diastolic": "-5"}, "bp_diastolic", "The bottom number must be between 30 and 160"),
    ("health", {"height_cm": "9" * 40}, "height_cm", "Your height must be between 100 cm and 250 cm"),
    ("health", {"bp_diastolic": None}, "bp_diastolic", _check("health", "both_or_neither", "bp_systolic")),
    ("health", {"bp_systolic": None}, "bp_systolic", _check("health", "both_or_neither", "bp_systolic")),
    ("health", {"bp_diastolic": "150"}, "bp_diastolic", _check("health", "less_than", "bp_diastolic")),
    (
        "health",
        {"bp_diastolic": "160", "bp_systolic": "120"},
        "bp_diastolic",
        _check("health", "less_than", "bp_diastolic"),
    ),
    (
        "health",
        {"heart_conditions": ["high_blood_pressure", "none"]},
        "heart_conditions",
        "Select 'None of these' on its own, or untick it and select the answers that apply",
    ),
    (
        "substances",
        {"drugs_past_year": ["none", "cannabis"]},
        "drugs_past_year",
        "Select 'None of these' on its own, or untick it and select the answers that apply",
    ),
    (
        "medications",
        {"no_medications": "y"},
        "current_medications",
        _check("medications", "not_both", "current_medications"),
    ),
    ("about_you", {"email": None}, "email", _check("about_you", "one_of_required", "email")),
    ("about_you", {"preferred_contact": "phone"}, "phone", _check("about_you", "required_when", "phone")),
    ("about_you", {"preferred_contact": "text"}, "phone", _check("about_you", "required_when", "phone")),
    ("about_you", {"email": None, "phone": "01632 960 001"}, "email", _check("about_you", "required_when", "email")),
    (
        "about_you",
        {"full_name": "Alex\x00Example"},
        "full_name",
        "Your full name must not include hidden characters, which can come from copying and pasting. Type it in again",
    ),
    (
        "about_you",
        {"full_name": "Alex\tExample"},
        "full_name",
        "Your full name must not include hidden characters, which can come from copying and pasting. Type it in again",
    ),
    (
        "practicalities",
        {"referrer_name": "Dr\u0085Who"},
        "referrer_name",
        "The name of who suggested us must not include hidden characters, which can come from copying and pasting. "
        "Type it in again",
    ),
    (
        "pain",
        {"pain_description": "ok\n\tline\x1b[31m"},
        "pain_description",
        "What you wrote about your pain must not include hidden characters, which can come from copying and "
        "pasting. Type it in again",
    ),
    ("about_you", {"full_name": "x" * 201}, "full_name", "Your full name must be 200 characters or less"),
    (
        "pain",
        {"pain_description": "y" * 2001},
        "pain_description",
        "What you wrote about your pain must be 2000 characters or less",
    ),
    ("about_you", {"email": "alex@"}, "email", "Enter an email address in the correct format, like name@example.com"),
    (
        "about_you",
        {"email": "alex example.org"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
    ),
    (
        "about_you",
        {"email": "alex@localhost"},
        "email",
        "Enter an email address in the correct format, like name@example.com",
    ),
    ("about_you", {"phone": "call me"}, "phone", "Enter a phone number, like 01632 960 001 or +44 808 157 0192"),
    ("about_you", {"phone": "12345"}, "phone", "Enter a phone number, like 01632 960 001 or +44 808 157 0192"),
    ("about_you", {"phone": "1" * 21}, "phone", "Enter a phone number, like 01632 960 001 or +44 808 157 0192"),
    (
        "support",
        {"contact_phone_today": "0800 FLOWERS"},
        "contact_phone_today",
        "Enter a phone number, like 01632 960 001 or +44 808 157 0192",
    ),
    ("about_you", {f"{DOB}-month": ""}, DOB, "Date of birth must include a month"),
    ("about_you", {f"{DOB}-day": " ", f"{DOB}-year": ""}, DOB, "Date of birth must include a day and year"),
    ("about_you", {f"{DOB}-day": "", f"{DOB}-month": "", f"{DOB}-year": ""}, DOB, "Enter your date of birth"),
    ("about_you", {f"{DOB}-day": "30", f"{DOB}-month": "2"}, DOB, "Date of birth must be a real date"),
    ("about_you", {f"{DOB}-month": "13"}, DOB, "Date of birth must be a real date"),
    ("about_you", {f"{DOB}-day": "first"}, DOB, "Date of birth must be a real date"),
    ("about_you", {f"{DOB}-year": "85"}, DOB, "Date of birth year must include 4 numbers"),
    ("about_you", {f"{DOB}-year": "2027"}, DOB, "Date of birth must be in the past"),
    ("about_you", {f"{DOB}-year": "1900"}, DOB, "Date of birth must be 110 years ago or less"),
    ("about_you", {f"{DOB}-year": "2010"}, DOB, "You must be 18 or older to use this service"),
    ("about_you", {"sex_at_birth": "robot"}, "sex_at_birth", QUESTIONS["sex_at_birth"].error),
    ("pain", {"pain_locations": ["legs", "tail"]}, "pain_locations", QUESTIONS["pain_locations"].error),
    ("practicalities", {"contact_times": ["midnight"]}, "contact_times", "Select an answer from the list"),
    ("pain", {"peg_pain": "11"}, "peg_pain", QUESTIONS["peg_pain"].error),
]


@pytest.mark.parametrize("step_id, raw, field, message", MESSAGES, ids=[f"{row[2]}: {row[3][:40]}" for row in MESSAGES])
def test_validate_step_bad_answer_shows_message_on_field(
    ctx: None, step_id: str, raw: dict[str, Any], field: str, message: str
) -> None:
    form, valid = post(step_id, posted(step_id, **raw))
    assert not valid
    assert form[field].errors == [message]
    assert [error["text"] for error in wtforms_errors(form)["errorList"]] == [message]


@pytest.mark.parametrize(
    "raw, href",
    [
        ({f"{DOB}-month": ""}, "#date_of_birth-month"),
        ({f"{DOB}-day": "", f"{DOB}-year": ""}, "#date_of_birth-day"),
        ({f"{DOB}-year": "85"}, "#date_of_birth-year"),
        ({f"{DOB}-day": "30", f"{DOB}-month": "2"}, "#date_of_birth-day"),
        ({f"{DOB}-month": "14"}, "#date_of_birth-month"),
        ({f"{DOB}-year": "2010"}, "#date_of_birth-day"),
        ({"sex_at_birth": None}, "#sex_at_birth"),
        ({"full_name": ""}, "#full_name"),
        ({"email": "alex@"}, "#email"),
    ],
    ids=lambda value: str(value),
)
def test_wtforms_errors_links_to_the_input_to_fix(ctx: None, raw: dict[str, Any], href: str) -> None:
    form, _ = post("about_you", posted("about_you", **raw))
    assert [error["href"] for error in wtforms_errors(form)["errorList"]] == [href]


@pytest.mark.parametrize(
    "dob, min_age, valid",
    [
        (born(18), 18, True),
        (born(17, birthday_passed=False), 18, False),
        (born(17), 18, False),
        (born(17), 16, True),
        (born(110, birthday_passed=False), 18, True),
        (born(111), 18, False),
        (TODAY.isoformat(), 0, True),
    ],
)
def test_validate_step_date_of_birth_age_limits(ctx: None, dob: str, min_age: int, valid: bool) -> None:
    form, ok = post("about_you", form_data("about_you", answers(date_of_birth=dob)), min_age=min_age)
    assert ok is valid, form.errors
    assert form.under_age is (not valid and min_age == 18 and dob > born(18))


def test_validate_step_two_problems_one_message_per_field(ctx: None) -> None:
    form, valid = post("about_you", posted("about_you", email="alex@", preferred_contact="phone"))
    assert not valid
    assert form.email.errors == ["Enter an email address in the correct format, like name@example.com"]
    assert form.phone.errors == [_check("about_you", "required_when", "phone")]


# --- posted values that must never raise ----------------------------------------------------------
def test_validate_step_field_posted_twice_takes_first_value(ctx: None) -> None:
    data = MultiDict(
        [
            *form_data("about_you", answers()).items(),
            ("full_name", "Second Name"),
            ("sex_at_birth", "male"),
            (f"{DOB}-year", "1990"),
        ]
    )
    data.setlist("full_name", ["First Name", "Second Name"])
    form, valid = post("about_you", data, earlier={})
    assert valid, form.errors
    assert form.answers()["full_name"] == "First Name"
    assert form.answers()["sex_at_birth"] == "female"
    assert form.answers()["date_of_birth"] == "1985-03-14"


def test_validate_step_unknown_keys_and_files_are_ignored(ctx: None) -> None:
    data = MultiDict({**posted("about_you", answers()), "status": "approved", "is_admin": "1", "id": "7"})
    data.setlist("full_name", [FileStorage(filename="x.txt")])
    form, valid = post("about_you", data, earlier={})
    assert not valid
    assert form.full_name.errors == [QUESTIONS["full_name"].error]
    assert set(form.errors) == {"full_name"}


@pytest.mark.parametrize("step_id", STEP_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validate_step_any_posted_text_never_raises(form_app: Flask, step_id: str, data: st.DataObject) -> None:
    names = [q.id for q in STEP_BY_ID[step_id]] + [f"{DOB}-{part}" for part in ("day", "month", "year")]
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(names), st.text(max_size=300)), max_size=30))
    with form_app.test_request_context("/", method="POST"):
        form, valid = post(step_id, MultiDict(pairs))
        assert isinstance(valid, bool)
        assert valid is (not form.errors)


def test_validate_step_huge_value_rejected_with_length_message(ctx: None) -> None:
    form, valid = post("medications", posted("medications", current_medications="x" * 300_000))
    assert not valid
    assert form.current_medications.errors == ["Your list of medicines must be 3000 characters or less"]


def test_validate_step_csrf_on_and_token_missing_is_invalid(ctx: None) -> None:
    form = forms.step_form_class("about_you")(formdata=MultiDict(form_data("about_you", answers())))
    assert not form.validate_step({}, today=TODAY, min_age=18)
    assert set(form.errors) == {"csrf_token"}


# --- form_for: the GET form ----------------------------------------------------------------------
def test_form_for_prefills_every_type_from_stored_answers(ctx: None) -> None:
    health = forms.form_for("health", EVERY_FOLLOW_UP)
    assert health.bp_systolic.text() == "150" and health.bp_systolic.data == 150
    assert health.heart_conditions.is_checked("heart_attack") and not health.heart_conditions.is_checked("none")
    assert health.bp_controlled.is_checked("yes")
    assert forms.form_for("pain", EVERY_FOLLOW_UP).peg_pain.is_checked("6")
    assert forms.form_for("mood", EVERY_FOLLOW_UP).phq9_9.is_checked("1")
    assert forms.form_for("about_you", EVERY_FOLLOW_UP).date_of_birth.parts() == ("14", "3", "1985")
    assert forms.form_for("start", EVERY_FOLLOW_UP).consent_store.data is True
    assert forms.form_for("medications", EVERY_FOLLOW_UP).current_medications.text().startswith("Lyrica")


def test_form_for_ignores_posted_form_data(form_app: Flask) -> None:
    with form_app.test_request_context("/", method="POST", data={"full_name": "Posted"}):
        assert forms.form_for("about_you", answers()).full_name.text() == "Alex Example"


# --- first_invalid_step ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given",
    [
        answers(),
        EVERY_FOLLOW_UP,
        answers(sex_at_birth="male"),
        answers(bp_controlled="yes", referrer_name="stale hidden answers"),
        OTHER_BRANCH,
    ],
    ids=["baseline", "every follow-up", "male", "hidden answers kept", "other branch"],
)
def test_first_invalid_step_complete_answers_none(ctx: None, given: dict[str, Any]) -> None:
    assert forms.first_invalid_step(given, today=TODAY, min_age=18) is None


@pytest.mark.parametrize(
    "changes, step_id",
    [
        ({"consent_store": None}, "start"),
        ({"full_name": None}, "about_you"),
        ({"date_of_birth": born(17)}, "about_you"),
        ({"date_of_birth": "1985-02-30"}, "about_you"),
        ({"date_of_birth": 1985}, "about_you"),
        ({"email": "not an email"}, "about_you"),
        ({"full_name": "Alex\x00"}, "about_you"),
        ({"peg_pain": 11}, "pain"),
        ({"peg_pain": "6"}, "pain"),
        ({"pain_locations": "legs"}, "pain"),
        ({"pain_conditions": ["other"]}, "pain"),
        ({"previous_ketamine": "yes"}, "treatments"),
        ({"medicines": ["Tramadol 50mg"], "no_medications": True}, "medications"),
        ({"bp_systolic": 150}, "health"),
        ({"bp_systolic": 120, "bp_diastolic": 130}, "health"),
        ({"heart_conditions": ["none", "heart_failure"]}, "health"),
        ({"pregnancy_status": None}, "health"),
        ({"phq9_9": 1}, "support"),
        ({"auditc_1": "2"}, "alcohol"),
        ({"consent_not_decision": "yes"}, "practicalities"),
        ({"consent_not_decision": None}, "practicalities"),
    ],
    ids=lambda value: str(value),
)
def test_first_invalid_step_broken_answers_names_the_step(ctx: None, changes: dict[str, Any], step_id: str) -> None:
    assert forms.first_invalid_step(answers(**changes), today=TODAY, min_age=18) == step_id


def test_first_invalid_step_min_age_is_the_callers(ctx: None) -> None:
    assert forms.first_invalid_step(answers(date_of_birth=born(17)), today=TODAY, min_age=16) is None


@pytest.mark.parametrize("given", [{}, [], "answers", None], ids=repr)
def test_first_invalid_step_not_answers_at_all_start(ctx: None, given: Any) -> None:
    assert forms.first_invalid_step(given, today=TODAY, min_age=18) == "start"


# --- layout -------------------------------------------------------------------------------------------
def _children(nodes: tuple[forms.Node, ...]) -> dict[str, dict[str, list[str]]]:
    return {
        node.question.id: {code: [child.question.id for child in kids] for code, kids in node.children.items()}
        for node in nodes
        if node.children
    }


def _flat(nodes: tuple[forms.Node, ...]) -> list[str]:
    return [
        qid
        for node in nodes
        for qid in [node.field_name, *(_flat(tuple(k for kids in node.children.values() for k in kids)))]
    ]


@pytest.mark.parametrize(
    "step_id, nested",
    [
        ("pain", {"pain_conditions": {"other": ["pain_conditions_other"]}}),
        (
            "treatments",
            {
                "previous_ketamine": {
                    "yes": ["previous_ketamine_effect", "previous_ketamine_bad_reaction", "previous_ketamine_notes"],
                    "unsure": ["previous_ketamine_unsure_reaction"],
                }
            },
        ),
        ("medications", {"medication_checklist": {"opioid": ["opioid_daily"]}}),
        (
            "health",
            {
                "heart_conditions": {
                    "high_blood_pressure": ["bp_controlled", "bp_crisis_recent"],
                    "heart_attack": ["heart_attack_recent", "chest_pain_since_mi"],
                    "coronary_disease": ["angina_unstable"],
                    "heart_failure": ["heart_failure_breathless"],
                    "valve_disease": ["valve_breathless"],
                },
                "other_conditions": {
                    "liver_disease": ["liver_severity"],
                    "overactive_thyroid": ["thyroid_controlled"],
                    "sleep_apnoea": ["uses_cpap"],
                },
                "neck_large": {"yes": ["neck_43cm"]},
            },
        ),
        ("mood", {"mental_health_history": {"ptsd": ["dissociation_frequent"]}}),
        (
            "substances",
            {
                "drugs_past_year": {"ketamine": ["ketamine_use_bad_reaction"]},
                "substance_treatment_ever": {"yes": ["substance_treatment_for"]},
            },
        ),
        ("about_you", {}),
        ("support", {}),
        ("practicalities", {}),
        ("start", {}),
    ],
)
def test_layout_single_option_follow_ups_nested_under_option(step_id: str, nested: dict[str, Any]) -> None:
    assert _children(forms.layout(step_id, EVERY_FOLLOW_UP)) == nested


# Issue 13: the other follow-ups of several options (referrer_name, psychosis_current, auditc_2 and 3) are asked on a
# later page; only the "or" pair of the medicines page is shown beside its tick (tests/unit/test_visible_conditions.py).
@pytest.mark.parametrize("step_id, parent, follow_up", [("medications", "no_medications", "current_medications")])
def test_layout_other_same_page_follow_ups_shown_after_parent(step_id: str, parent: str, follow_up: str) -> None:
    top = [node.field_name for node in forms.layout(step_id, answers())]
    assert top.index(follow_up) > top.index(parent)


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_layout_every_question_once_when_all_shown(step_id: str) -> None:
    assert sorted(_flat(forms.layout(step_id, EVERY_FOLLOW_UP))) == sorted(q.id for q in STEP_BY_ID[step_id])


@pytest.mark.parametrize(
    "step_id, earlier, question, shown",
    [
        ("health", answers(sex_at_birth="male"), "pregnancy_status", False),
        ("health", answers(sex_at_birth="intersex"), "pregnancy_status", True),
        ("support", answers(phq9_9=1, phone="01632 960 001"), "contact_phone_today", False),
        ("support", answers(phq9_9=1), "contact_phone_today", True),
        ("support", answers(), "self_harm_intent", False),
        ("health", {**answers(sex_at_birth="male"), "heart_conditions": ["none"]}, "bp_controlled", True),
    ],
)
def test_layout_questions_hidden_by_earlier_steps_omitted(
    step_id: str, earlier: dict[str, Any], question: str, shown: bool
) -> None:
    assert (question in _flat(forms.layout(step_id, earlier))) is shown


def test_first_invalid_step_outside_a_request_works_in_app_context(form_app: Flask) -> None:
    with form_app.app_context():
        assert forms.first_invalid_step(answers(phq9_9=2), today=TODAY, min_age=18) == "support"
        assert forms.first_invalid_step(EVERY_FOLLOW_UP, today=TODAY, min_age=18) is None


# --- the rules of clinical.validation, the same on every form and at submit --------------------------------------
def test_first_invalid_step_is_the_cores_check_with_the_email_rule_of_the_forms(ctx: None) -> None:
    shaped_but_not_an_address = answers(email="alex@xn--zz.com")  # the shape of one; not a valid IDNA domain
    assert validation.first_invalid_step(shaped_but_not_an_address, today=TODAY, min_age=18) is None
    assert forms.first_invalid_step(shaped_but_not_an_address, today=TODAY, min_age=18) == "about_you"
    form, valid = post("about_you", posted("about_you", email="alex@xn--zz.com"))
    assert not valid and form.email.errors == ["Enter an email address in the correct format, like name@example.com"]


@pytest.mark.parametrize(
    "address",
    [
        "name@example.com",
        "first.last+tag@mail.example.co.uk",
        "o'brien@example.ie",
        "zoë@exämple.de",
        "user@例え.jp",
        "alex@",
        "alex example.org",
        "alex@localhost",
        "alex@example.local",
        "alex@example..org",
        "alex@-example.org",
        "alex@example.123",
        "al..ex@example.org",
        "a@b@example.org",
        '"quoted"@example.org',
        "alex@[127.0.0.1]",
        "ale\u200bx@example.org",
        "\u00a0alex@example.org",
    ],
)
def test_email_valid_and_the_cores_default_agree_on_common_addresses(address: str) -> None:
    """The core's stand-alone rule (``looks_like_email``) is close to email_validator's, which the forms and
    submit use; it is looser only on the fine points of international domain names."""
    assert validation.looks_like_email(address) is fields.email_valid(address)


def test_problem_text_translates_the_message_and_its_values_in_the_locales_words(ctx: None) -> None:
    required = validation.check_answer(QUESTIONS["auditc_2"], None, today=TODAY, min_age=18)
    assert required is not None
    assert fields.problem_text(required, "en-US") == localise(QUESTIONS["auditc_2"].error, "en-US")
    out_of_range = validation.check_answer(QUESTIONS["height_cm"], 20, today=TODAY, min_age=18)
    assert out_of_range is not None
    assert fields.problem_text(out_of_range) == out_of_range.text() == "Your height must be between 100 cm and 250 cm"


CHARACTERS = ["\x00", "\t", "\n", "\r", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\u00a0", "\u200b", "\u202e", "😀"]


@pytest.mark.parametrize("character", CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_characters_one_rule_for_patient_and_staff_forms(ctx: None, character: str) -> None:
    one_line = validation.has_control_characters(f"a{character}b")
    several_lines = validation.has_control_characters(f"a{character}b", multiline=True)
    form, _ = post("about_you", posted("about_you", full_name=f"Alex{character}Example"))
    assert bool(form.full_name.errors) is one_line
    form, _ = post("pain", posted("pain", pain_description=f"It aches{character}at night"))
    assert bool(form.pain_description.errors) is several_lines
    login = staff_forms.LoginForm(
        formdata=MultiDict({"email": f"alex{character}@example.org", "password": "x"}), meta=CSRF_OFF
    )
    login.validate()
    assert (staff_forms.HIDDEN_CHARACTERS in login.email.errors) is one_line
    code = staff_forms.CodeForm(formdata=MultiDict({"code": f"123{character}456"}), meta=CSRF_OFF)
    code.validate()
    assert (staff_forms.HIDDEN_CHARACTERS in code.code.errors) is one_line
    pattern = re.compile(staff_forms.NO_CONTROL_CHARACTERS)
    assert (pattern.match(f"Alex{character}Example") is None) is one_line

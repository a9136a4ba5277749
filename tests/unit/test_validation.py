"""``clinical.validation``, checked against the rules of the definition (questionnaire.md, questionnaire.py): a shown
question is required or not as defined; codes must be options, numbers in range, text free of control characters
and within its length, dates real and the date of birth within the age limits; "None of these" stands alone; each
step's checks between answers; the control-character rule; and the first step a stored draft must fix."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from screening.clinical import validation
from screening.clinical.questionnaire import (
    EXCLUSIVE_CODE,
    MAX_AGE_YEARS,
    QUESTIONS,
    STEP_BY_ID,
    STEPS,
    QType,
    Question,
    localise,
)
from screening.clinical.validation import Message, Problem, check_answer, check_step, first_invalid_step
from tests.answer_sets import TODAY, answers, born

CODED = (QType.CHOICE, QType.YESNO, QType.YESNOUNSURE)
NUMBERED = (QType.SCALE, QType.LIKERT4)


def check(question_id: str, value: object, *, min_age: int = 18, today: date = TODAY) -> Problem | None:
    return check_answer(QUESTIONS[question_id], value, today=today, min_age=min_age)


def name(question: Question) -> str:
    return question.name or question.short


def of_type(*types: QType) -> list[Question]:
    return [question for question in QUESTIONS.values() if question.type in types]


def a_valid_answer(question: Question) -> Any:
    """A value the definition allows for ``question``."""
    examples: dict[QType, Any] = {
        QType.TEXT: "Some words",
        QType.TEXTAREA: "Some words\non two lines",
        QType.EMAIL: "name@example.com",
        QType.TEL: "01632 960 001",
        QType.INT: question.min_value,
        QType.MEASURE: question.min_value,
        QType.DATE: born(40),
        QType.CONSENT: True,
        QType.CHECKBOX: True,
    }
    if question.type in NUMBERED:
        return int(question.codes[0])
    if question.type is QType.MULTI:
        return [question.codes[0]]
    return question.codes[0] if question.type in CODED else examples[question.type]


# --- required when shown ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", QUESTIONS.values(), ids=lambda q: q.id)
def test_check_answer_missing_is_the_questions_error_when_required_else_fine(question: Question) -> None:
    blanks: list[object] = [None, [], "", "  \n"]
    for blank in blanks:
        problem = check_answer(question, blank, today=TODAY, min_age=18)
        if question.required:
            assert problem == Problem(question.id, "required", question.error), blank
        else:
            assert problem is None, blank


def test_check_answer_required_message_takes_the_locales_words() -> None:
    question = QUESTIONS["auditc_2"]
    problem = check_answer(question, None, today=TODAY, min_age=18)
    assert problem is not None and "{" in problem.message
    assert problem.text("en-US") == localise(question.error, "en-US") != problem.text("en-GB")


@pytest.mark.parametrize("question", QUESTIONS.values(), ids=lambda q: q.id)
def test_check_answer_a_value_the_definition_allows_is_fine(question: Question) -> None:
    assert check_answer(question, a_valid_answer(question), today=TODAY, min_age=18) is None


# --- options ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", of_type(*CODED, *NUMBERED, QType.MULTI), ids=lambda q: q.id)
def test_check_answer_every_option_is_allowed(question: Question) -> None:
    for code in question.codes:
        value: object = int(code) if question.type in NUMBERED else [code] if question.type is QType.MULTI else code
        assert check_answer(question, value, today=TODAY, min_age=18) is None, code


@pytest.mark.parametrize("question", of_type(*CODED, *NUMBERED, QType.MULTI), ids=lambda q: q.id)
def test_check_answer_a_code_that_is_not_an_option_asks_again_in_the_questions_words(question: Question) -> None:
    unknown: list[object] = ["not_an_option", True]
    if question.type in NUMBERED:
        unknown += [question.codes[0], (question.max_value or 0) + 1, (question.min_value or 0) - 1, 1.0]
    if question.type is QType.MULTI:
        unknown = [["not_an_option"], [question.codes[0], "not_an_option"], question.codes[0], [1], {"a": 1}]
    for value in unknown:
        assert check_answer(question, value, today=TODAY, min_age=18) == Problem(
            question.id, "unknown_code", question.error or Message.CHOOSE
        ), value


def test_check_answer_optional_multi_without_error_asks_to_select_from_the_list() -> None:
    problem = check("contact_times", ["midnight"])
    assert problem is not None and problem.text() == "Select an answer from the list"


@pytest.mark.parametrize("question", [q for q in of_type(QType.MULTI) if EXCLUSIVE_CODE in q.codes], ids=lambda q: q.id)
def test_check_answer_none_of_these_must_stand_alone(question: Question) -> None:
    assert check_answer(question, [EXCLUSIVE_CODE], today=TODAY, min_age=18) is None
    for other in question.codes[:-1]:
        problem = check_answer(question, [other, EXCLUSIVE_CODE], today=TODAY, min_age=18)
        assert problem is not None and problem.code == "exclusive"
        assert problem.text() == "Select 'None of these' on its own, or untick it and select the answers that apply"


def test_check_answer_multi_without_none_takes_any_options_together() -> None:
    question = QUESTIONS["pain_locations"]
    assert EXCLUSIVE_CODE not in question.codes
    assert check_answer(question, list(question.codes), today=TODAY, min_age=18) is None


# --- whole numbers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", of_type(QType.INT), ids=lambda q: q.id)
def test_check_answer_whole_numbers_must_be_in_the_questions_range(question: Question) -> None:
    low, high = question.min_value, question.max_value
    assert low is not None and high is not None, "every whole-number question has a range"
    assert check_answer(question, low, today=TODAY, min_age=18) is None
    assert check_answer(question, high, today=TODAY, min_age=18) is None
    for value in (low - 1, high + 1, -(10**18), 10**18):
        problem = check_answer(question, value, today=TODAY, min_age=18)
        assert problem is not None and problem.code == "range"
        assert problem.text() == f"{name(question)} must be between {low} and {high}"


@pytest.mark.parametrize("value", ["150", 150.0, True, [150]], ids=repr)
def test_check_answer_a_whole_number_stored_as_anything_else_is_refused(value: object) -> None:
    problem = check("bp_systolic", value)
    assert problem is not None and problem.text() == "The top number must be a whole number"


def test_check_answer_range_message_names_the_question() -> None:
    problem = check("height_cm", 251)
    assert problem is not None and problem.text() == "Your height must be between 100 cm and 250 cm"
    assert problem.values == {"short": "Your height", "min": "100 cm", "max": "250 cm"}


# --- text ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question", [q for q in of_type(QType.TEXT, QType.TEXTAREA) if q.max_length], ids=lambda q: q.id
)
def test_check_answer_text_at_most_max_length_after_trimming(question: Question) -> None:
    maximum = question.max_length or 0
    assert check_answer(question, "x" * maximum, today=TODAY, min_age=18) is None
    assert check_answer(question, f"  {'x' * maximum}\n", today=TODAY, min_age=18) is None
    problem = check_answer(question, "x" * (maximum + 1), today=TODAY, min_age=18)
    assert problem is not None and problem.text() == f"{name(question)} must be {maximum} characters or less"


@pytest.mark.parametrize("question", of_type(QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL), ids=lambda q: q.id)
def test_check_answer_text_with_a_control_character_is_refused(question: Question) -> None:
    for character in ("\x00", "\x1b", "\x7f", "\x85", "\ud800"):
        problem = check_answer(question, f"01632{character}960 001", today=TODAY, min_age=18)
        assert problem is not None and problem.code == "hidden_characters", repr(character)
        assert problem.text() == (
            f"{name(question)} must not include hidden characters, which can come from copying and pasting. "
            "Type it in again"
        )


def test_check_answer_new_lines_and_tabs_only_in_text_of_several_lines() -> None:
    assert check("pain_description", "line one\n\tline two\r\nline three") is None
    for character in ("\n", "\t", "\r"):
        problem = check("full_name", f"Alex{character}Example")
        assert problem is not None and problem.code == "hidden_characters"
    assert check("full_name", "Alex Example\n") is None, "a new line at the end is trimmed when stored"


@pytest.mark.parametrize("question", of_type(QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL), ids=lambda q: q.id)
def test_check_answer_text_stored_as_anything_else_is_refused(question: Question) -> None:
    for value in (5, ["words"], True):
        problem = check_answer(question, value, today=TODAY, min_age=18)
        assert problem is not None and problem.code == "not_text"


@pytest.mark.parametrize(
    "address, valid",
    [
        ("name@example.com", True),
        ("first.last+tag@mail.example.co.uk", True),
        ("zoë@exämple.de", True),
        ("alex@", False),
        ("@example.org", False),
        ("alex example.org", False),
        ("alex at example", False),
        ("alex@localhost", False),
        ("alex@example.local", False),
        ("alex@example", False),
        ("alex@example..org", False),
        ("alex@-example.org", False),
        ("alex@example.123", False),
        (".alex@example.org", False),
        ("al..ex@example.org", False),
        ("al ex@example.org", False),
        ("a@b@example.org", False),
        (f"{'a' * 65}@example.org", False),
        (f"a@{'b' * 250}.org", False),
    ],
)
def test_looks_like_email_is_the_structure_of_an_address(address: str, valid: bool) -> None:
    assert validation.looks_like_email(address) is valid
    assert (check("email", address) is None) is valid


def test_check_answer_email_rule_is_the_callers() -> None:
    question = QUESTIONS["email"]
    refuse_all = check_answer(question, "name@example.com", today=TODAY, min_age=18, email_valid=lambda text: False)
    assert refuse_all == Problem("email", "email", Message.EMAIL)
    assert refuse_all.text() == "Enter an email address in the correct format, like name@example.com"
    assert check_answer(question, "anything", today=TODAY, min_age=18, email_valid=lambda text: True) is None


@pytest.mark.parametrize(
    "number, valid",
    [
        ("01632 960 001", True),
        ("+44 808 157 0192", True),
        ("(01632) 960-001", True),
        ("1234567", True),
        ("1" * 20, True),
        ("123456", False),
        ("1" * 21, False),
        ("call me", False),
        ("0800 FLOWERS", False),
        ("01632 960 001 ext. 2", False),
        ("٠١٦٣٢٩٦٠٠٠١", False),
    ],
)
def test_check_answer_phone_numbers_digits_and_separators_with_7_to_20_digits(number: str, valid: bool) -> None:
    for question_id in ("phone", "contact_phone_today"):
        problem = check(question_id, number)
        assert (problem is None) is valid
        if not valid:
            assert problem is not None and problem.text() == Message.PHONE


# --- dates --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1985-02-30", "1985-13-01", "14/03/1985", "1985-3-14", 1985, "", "0000-01-01"])
def test_check_answer_date_of_birth_must_be_a_real_date(value: object) -> None:
    problem = check("date_of_birth", value)
    if value == "":
        assert problem is not None and problem.code == "required"
    else:
        assert problem is not None and problem.text() == "Date of birth must be a real date"


@pytest.mark.parametrize(
    "dob, min_age, text",
    [
        (born(18), 18, None),
        (born(17, birthday_passed=False), 18, "You must be 18 or older to use this service"),
        (born(17), 18, "You must be 18 or older to use this service"),
        (born(17), 16, None),
        (born(MAX_AGE_YEARS, birthday_passed=False), 18, None),
        (born(MAX_AGE_YEARS + 1), 18, f"Date of birth must be {MAX_AGE_YEARS} years ago or less"),
        (TODAY.isoformat(), 0, None),
        ((TODAY + timedelta(days=1)).isoformat(), 0, "Date of birth must be in the past"),
        ("2999-01-01", 18, "Date of birth must be in the past"),
    ],
)
def test_check_answer_date_of_birth_age_limits(dob: str, min_age: int, text: str | None) -> None:
    problem = check("date_of_birth", dob, min_age=min_age)
    assert (problem.text() if problem else None) == text


def test_check_answer_under_age_is_its_own_code_for_the_page_that_explains() -> None:
    problem = check("date_of_birth", born(16))
    assert problem == Problem("date_of_birth", "under_age", Message.UNDER_AGE, {"min_age": 18})


# --- ticks --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question", of_type(QType.CONSENT, QType.CHECKBOX), ids=lambda q: q.id)
def test_check_answer_a_tick_is_only_ever_true(question: Question) -> None:
    assert check_answer(question, True, today=TODAY, min_age=18) is None
    for value in ("yes", "y", 1, False):
        problem = check_answer(question, value, today=TODAY, min_age=18)
        assert problem is not None and problem.code == "unknown_code", value


# --- checks between the answers of a step -------------------------------------------------------------------------
def stub_phone_kind(text: str) -> validation.PhoneKind | None:
    """A stand-in for the web layer's phonenumbers rule (tests/unit/test_phones.py): a number starting "07" is a
    mobile, any other number a landline."""
    if validation.looks_like_phone(text) is None:
        return None
    return "mobile" if text.strip().startswith("07") else "landline"


def step_problems(step_id: str, given: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    """{question id: problem code} for ``given`` (a whole answer set) on ``step_id``."""
    kwargs.setdefault("phone_kind", stub_phone_kind)
    result = check_step(STEP_BY_ID[step_id], given, given, today=TODAY, min_age=18, **kwargs)
    return {qid: problem.code for qid, problem in result.problems.items()}


CHECK_CASES: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
    # (case, step, the answers, the problems expected)
    ("neither email nor phone", "about_you", answers(email=None), {"email": "one_of_required"}),
    (
        "email preferred, only a phone",
        "about_you",
        answers(email=None, phone="01632 960 001"),
        {"email": "required_when"},
    ),
    ("phone call preferred, no phone", "about_you", answers(preferred_contact="phone"), {"phone": "required_when"}),
    ("texts preferred, no phone", "about_you", answers(preferred_contact="text"), {"phone": "required_when"}),
    (
        "texts preferred, a landline",
        "about_you",
        answers(preferred_contact="text", phone="01632 960 001"),
        {"phone": "mobile_when"},
    ),
    ("only the top number", "health", answers(bp_systolic=150), {"bp_diastolic": "both_or_neither"}),
    ("only the bottom number", "health", answers(bp_diastolic=90), {"bp_systolic": "both_or_neither"}),
    ("bottom number above the top", "health", answers(bp_systolic=80, bp_diastolic=120), {"bp_diastolic": "less_than"}),
    ("the numbers equal", "health", answers(bp_systolic=120, bp_diastolic=120), {"bp_diastolic": "less_than"}),
    (
        "medicines typed and no medicines ticked",
        "medications",
        answers(current_medications="Tramadol 50mg"),
        {"current_medications": "not_both"},
    ),
    # a question's own problem is the one shown, and a check does not pile on another
    ("malformed email and no phone", "about_you", answers(email="alex@"), {"email": "email"}),
    ("an out-of-range number", "health", answers(bp_systolic=500), {"bp_systolic": "range"}),
    (
        "both out of order, one out of range",
        "health",
        answers(bp_systolic=80, bp_diastolic=20),
        {"bp_diastolic": "range"},
    ),
    # and the answers that pass
    ("a phone and no email", "about_you", answers(email=None, phone="01632 960 001", preferred_contact="phone"), {}),
    ("texts preferred, a mobile", "about_you", answers(preferred_contact="text", phone="07700 900 123"), {}),
    ("a landline, email preferred", "about_you", answers(phone="01632 960 001", preferred_contact="email"), {}),
    ("both numbers in order", "health", answers(bp_systolic=130, bp_diastolic=85), {}),
    ("neither number", "health", answers(), {}),
    ("medicines typed", "medications", answers(medicines=["Tramadol 50mg"]), {}),
]


@pytest.mark.parametrize(
    ("step_id", "given", "expected"), [case[1:] for case in CHECK_CASES], ids=[case[0] for case in CHECK_CASES]
)
def test_check_step_checks_between_answers(step_id: str, given: dict[str, Any], expected: dict[str, str]) -> None:
    assert step_problems(step_id, given) == expected


def test_check_step_every_check_of_the_definition_has_a_failing_case_here() -> None:
    failing = {(case[1], code) for case in CHECK_CASES for code in case[3].values()}
    defined = {(step.id, check.kind) for step in STEPS for check in step.checks}
    assert defined <= failing


def test_check_step_a_failed_check_shows_its_message_from_the_definition() -> None:
    for case, step_id, given, expected in CHECK_CASES:
        result = check_step(STEP_BY_ID[step_id], given, given, today=TODAY, min_age=18, phone_kind=stub_phone_kind)
        for qid, code in expected.items():
            checks = STEP_BY_ID[step_id].checks
            messages = [check.message for check in checks if check.kind == code and qid in check.questions]
            if messages:
                assert result.problems[qid].text() in messages, case


def test_check_step_an_unread_answer_counts_as_in_error_and_is_not_checked_again() -> None:
    given = answers(bp_diastolic=90)
    assert step_problems("health", given) == {"bp_systolic": "both_or_neither"}
    assert step_problems("health", given, unread={"bp_systolic"}) == {}


def test_check_step_not_both_sees_the_answer_its_tick_hides() -> None:
    given = answers(current_medications="Tramadol 50mg")  # beside the baseline's "I don't take any medicines"
    result = check_step(STEP_BY_ID["medications"], given, given, today=TODAY, min_age=18)
    assert "current_medications" not in result.shown
    assert "current_medications" in result.problems


# --- which questions a step checks and stores ---------------------------------------------------------------------
def test_check_step_hidden_follow_ups_are_neither_checked_nor_stored() -> None:
    given = answers(bp_controlled="bogus", referrer_name="\x00")
    health = check_step(STEP_BY_ID["health"], given, given, today=TODAY, min_age=18)
    assert health.problems == {} and "bp_controlled" not in health.answers and "bp_controlled" not in health.shown
    about_you = check_step(STEP_BY_ID["about_you"], given, given, today=TODAY, min_age=18)
    assert about_you.problems == {} and "referrer_name" not in about_you.answers


def test_check_step_the_best_reading_of_an_answer_with_a_problem_shows_its_follow_ups() -> None:
    given = answers(heart_conditions=["none", "heart_attack"])
    assert step_problems("health", given) == {
        "heart_conditions": "exclusive",
        "heart_attack_recent": "required",
        "chest_pain_since_mi": "required",
    }


def test_check_step_answers_are_the_shown_answers_without_a_problem() -> None:
    given = answers(bp_systolic=150, height_cm=20)
    result = check_step(STEP_BY_ID["health"], given, given, today=TODAY, min_age=18)
    assert set(result.problems) == {"bp_diastolic", "height_cm"}
    assert result.answers["bp_systolic"] == 150 and "height_cm" not in result.answers
    assert set(result.answers) <= set(result.shown)


def test_check_step_this_steps_own_answers_in_earlier_do_not_decide_what_it_shows() -> None:
    draft = answers(previous_ketamine="yes")  # the stored answer, to be replaced by the one given now
    result = check_step(STEP_BY_ID["treatments"], answers(), draft, today=TODAY, min_age=18)
    assert result.problems == {} and "previous_ketamine_effect" not in result.shown


def test_check_step_problems_come_in_page_order() -> None:
    given = answers(email="alex@", full_name=None, referral_source="robot")
    assert list(step_problems("about_you", given)) == ["full_name", "email", "referral_source"]


# --- the first step to fix ----------------------------------------------------------------------------------------
def test_first_invalid_step_complete_answers_none() -> None:
    assert first_invalid_step(answers(), today=TODAY, min_age=18) is None
    assert first_invalid_step(answers(bp_controlled="yes", referrer_name="stale"), today=TODAY, min_age=18) is None


@pytest.mark.parametrize(
    "changes, step_id",
    [
        ({"consent_store": None}, "start"),
        ({"full_name": None}, "about_you"),
        ({"date_of_birth": born(17)}, "about_you"),
        ({"date_of_birth": "1985-02-30"}, "about_you"),
        ({"full_name": "Alex\x00"}, "about_you"),
        ({"email": None, "phone": None}, "about_you"),
        ({"peg_pain": "6"}, "pain"),
        ({"pain_locations": "legs"}, "pain"),
        ({"pain_conditions": ["other"]}, "pain"),
        ({"previous_ketamine": "yes"}, "treatments"),
        ({"current_medications": "Tramadol 50mg"}, "medications"),
        ({"bp_systolic": 120, "bp_diastolic": 130}, "health"),
        ({"heart_conditions": ["none", "heart_failure"]}, "health"),
        ({"phq9_9": 1}, "support"),
        ({"auditc_1": "2"}, "alcohol"),  # AUDIT-C items 2 and 3 have a page of their own (issue 13)
        ({"consent_not_decision": "yes"}, "practicalities"),
    ],
    ids=repr,
)
def test_first_invalid_step_names_the_first_step_with_a_problem(changes: dict[str, Any], step_id: str) -> None:
    assert first_invalid_step(answers(**changes), today=TODAY, min_age=18) == step_id


def test_first_invalid_step_skips_the_steps_it_is_told_to() -> None:
    broken = answers(auditc_1="2", consent_not_decision=None)
    assert first_invalid_step(broken, today=TODAY, min_age=18) == "alcohol"
    assert first_invalid_step(broken, today=TODAY, min_age=18, skip={"alcohol"}) == "practicalities"
    assert first_invalid_step(broken, today=TODAY, min_age=18, skip={"alcohol", "practicalities"}) is None


def test_first_invalid_step_minimum_age_and_email_rule_are_the_callers() -> None:
    assert first_invalid_step(answers(date_of_birth=born(17)), today=TODAY, min_age=16) is None
    assert first_invalid_step(answers(), today=TODAY, min_age=18, email_valid=lambda text: False) == "about_you"


@pytest.mark.parametrize("given", [{}, [], "answers", None], ids=repr)
def test_first_invalid_step_not_answers_at_all_start(given: object) -> None:
    assert first_invalid_step(given, today=TODAY, min_age=18) == "start"


# --- the control-character rule -----------------------------------------------------------------------------------
REFUSED = [chr(code) for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0xD800, 0xDBFF, 0xDC00, 0xDFFF)]
KEPT = [" ", "~", "\u00a0", "\u00ad", "é", "e\u0301", "\u200b", "\u200d", "\u202e", "\u2028", "名", "😀", "\U0010fffd"]


@pytest.mark.parametrize("character", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_has_control_characters_refuses_c0_del_c1_and_lone_surrogates(character: str) -> None:
    assert validation.has_control_characters(f"a{character}b")
    assert validation.has_control_characters(f"a{character}b", multiline=True) is (character not in "\t\n\r")


@pytest.mark.parametrize("character", KEPT, ids=lambda c: "+".join(f"U+{ord(x):04X}" for x in c))
def test_has_control_characters_keeps_printable_and_format_characters(character: str) -> None:
    assert not validation.has_control_characters(f"a{character}b")
    assert not validation.has_control_characters(f"a{character}b", multiline=True)


def test_one_line_text_pattern_is_the_same_rule_for_a_whole_text() -> None:
    pattern = re.compile(validation.ONE_LINE_TEXT)
    for code in [*range(0x3000), *range(0xD7F0, 0xE010), 0xFFFD, 0x1F600, 0x10FFFF]:
        text = f"ab{chr(code)}cd"
        assert (pattern.match(text) is None) is validation.has_control_characters(text), f"U+{code:04X}"
    assert pattern.match("Alex Example\n") is None, "a final new line is refused too (\\Z, not $)"
    assert pattern.match("") is not None

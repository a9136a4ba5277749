"""Which answers may be stored and submitted: the checks of each question and the ``Check``s between the answers
of a step, as ``questionnaire.py`` defines them, with one ``Problem`` per question in the words the patient sees
(the English message is the gettext message id). The web forms (``screening.forms``) and submit ask here, so a
step is checked one way. Also the one rule for control characters in any typed text, patients' and staff's.
Pure: imports only the standard library and the clinical core.

Values are in stored form (questionnaire.md, "How answers are stored"). Reading what a browser posts into that form
is the web fields' job, and so are the messages about text that cannot be read (a typed "12a", a date without its
month): such questions are passed as ``unread``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from screening.clinical.dates import parse_date
from screening.clinical.questionnaire import (
    DEFAULT_LOCALE,
    EXCLUSIVE_CODE,
    MAX_AGE_YEARS,
    QUESTIONS,
    STEP_BY_ID,
    STEPS,
    Check,
    QType,
    Question,
    Step,
    clean_answers,
    localise,
    question_is_shown,
    valid_value,
)
from screening.clinical.scoring import age_on

# --- control characters: one rule for every text a person types ------------------------------------
#: Refused in any typed text: the C0 controls (NUL among them, which PostgreSQL refuses in text), DEL, the C1
#: controls (invisible; U+0085 is a line break to some readers, so it could forge a log line or a CSV row) and
#: unpaired surrogates (not UTF-8: the JSON encoder and the database refuse them). Every other character, printable
#: or a format character (accents, emoji, right-to-left marks, zero-width joiners), is kept byte-exact.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: The same rule for text of several lines (a textarea, a staff note), which may also hold tab, LF and CR.
CONTROL_CHARACTERS_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
#: A one-line text that passes the rule, whole (``\A`` and ``\Z``: ``$`` would let a final new line through), as a
#: pattern for ``wtforms.validators.Regexp``.
ONE_LINE_TEXT = r"\A[^\x00-\x1f\x7f-\x9f\ud800-\udfff]*\Z"


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character that no typed text may hold (``CONTROL_CHARACTERS``); with ``multiline``,
    tab, line feed and carriage return are allowed."""
    return (CONTROL_CHARACTERS_MULTILINE if multiline else CONTROL_CHARACTERS).search(text) is not None


# --- messages ----------------------------------------------------------------------------------------
class Message:
    """The English messages of the checks here (gettext message ids, in the GOV.UK pattern's words). ``%(short)s``
    is the question's name (``Question.name``, else ``short``). A missing answer's message is ``Question.error``, a
    failed ``Check``'s its ``message``."""

    NOT_TEXT = "%(short)s must be text"
    HIDDEN_CHARACTERS = (
        "%(short)s must not include hidden characters, which can come from copying and pasting. Type it in again"
    )
    TOO_LONG = "%(short)s must be %(max)s characters or less"
    EMAIL = "Enter an email address in the correct format, like name@example.com"
    PHONE = "Enter a phone number, like 01632 960 001 or +44 808 157 0192"
    WHOLE_NUMBER = "%(short)s must be a whole number"
    NUMBER = "%(short)s must be a number"
    RANGE = "%(short)s must be between %(min)s and %(max)s"
    CHOOSE = "Select an answer from the list"  # a code that is not an option, for a question without ``error``
    EXCLUSIVE = "Select '%(none)s' on its own, or untick it and select the answers that apply"
    REAL_DATE = "%(short)s must be a real date"
    PAST = "%(short)s must be in the past"
    TOO_LONG_AGO = "%(short)s must be %(years)s years ago or less"
    UNDER_AGE = "You must be %(min_age)s or older to use this service"


ProblemCode = Literal[
    "required",
    "not_text",
    "hidden_characters",
    "too_long",
    "email",
    "phone",
    "whole_number",
    "number",
    "range",
    "unknown_code",
    "exclusive",
    "real_date",
    "past",
    "too_long_ago",
    "under_age",
    "one_of_required",
    "required_when",
    "both_or_neither",
    "less_than",
    "not_both",
    "mobile_when",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong, shown beside ``question``. ``message`` is English and the gettext message id; its
    ``%(name)s`` placeholders take ``values`` (a text value is English words to translate as well, such as the
    question's name; a number is a number), and a ``{name}`` placeholder takes the locale's words
    (``questionnaire.localise``). ``code`` names the check ("required", "range", "under_age", a ``Check`` kind)."""

    question: str
    code: ProblemCode
    message: str
    values: Mapping[str, str | int] = field(default_factory=dict)

    def text(self, locale: str = DEFAULT_LOCALE) -> str:
        """The message in English, filled in (the web layer translates each piece instead)."""
        return localise(self.message % dict(self.values) if self.values else self.message, locale)


EmailCheck = Callable[[str], bool]
#: What a phone number is, as a ``PhoneCheck`` reads it: "unknown" when it cannot tell (``looks_like_phone``).
PhoneKind = Literal["mobile", "mobile_or_landline", "landline", "other", "unknown"]
#: The kind of a typed phone number, or None when it is not one we can call.
PhoneCheck = Callable[[str], PhoneKind | None]
#: The kinds that can get a text message ("mobile_or_landline": US and Canadian numbers, which cannot be told apart).
TEXTABLE: frozenset[PhoneKind] = frozenset({"mobile", "mobile_or_landline", "unknown"})
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u00a0-\U0010ffff]+"
_LOCAL_PART = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9\-\u00a0-\U0010ffff]{1,63}(?<!-)")
_SPECIAL_USE_DOMAINS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})
_PHONE = re.compile(r"[0-9 +()\-]+")


def looks_like_email(text: str) -> bool:
    """The structure of an email address: a dot-atom local part of at most 64 characters, one "@", a domain of
    two or more labels that is not a special-use one (RFC 6761), at most 254 characters in all, and no space or
    invisible character. It is the default of ``email_valid`` below; the web forms and submit pass email_validator's
    fuller syntax check instead (``screening.patient.fields.email_valid``), which a pure module cannot import."""
    local, at, domain = text.rpartition("@")
    if not at or len(text) > 254 or len(local) > 64 or not _LOCAL_PART.fullmatch(local):
        return False
    if not all(character.isprintable() and not character.isspace() for character in text):
        return False
    labels = domain.split(".")
    tld = labels[-1].lower()
    return (
        len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        and not tld.isdigit()
        and tld not in _SPECIAL_USE_DOMAINS
    )


def phone_number_valid(text: str) -> bool:
    """Digits, spaces, "+", "-" and brackets only, with 7 to 20 digits."""
    return _PHONE.fullmatch(text) is not None and 7 <= sum(character.isdigit() for character in text) <= 20


def looks_like_phone(text: str) -> PhoneKind | None:
    """``phone_number_valid`` as a ``PhoneCheck`` ("unknown" kind): the default of ``phone_kind`` below; the web
    forms and submit pass the ``phonenumbers`` rule for the clinic's region instead
    (``screening.patient.phones.phone_kind``), which a pure module cannot import."""
    return "unknown" if phone_number_valid(text) else None


# --- one question ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Context:
    today: date
    min_age: int
    email_valid: EmailCheck
    phone_kind: PhoneCheck = looks_like_phone


#: The date whose age limits are checked (questionnaire.md: under the minimum age cannot continue; over 110 is an
#: error); any other date need only be real.
BIRTH_DATE = "date_of_birth"


def _name(question: Question) -> str:
    return question.name or question.short


def _problem(question: Question, code: ProblemCode, message: str, **values: str | int) -> Problem:
    return Problem(question.id, code, message, {"short": _name(question), **values})


def _choose(question: Question) -> Problem:
    """A value that is not one of the options (a tampered form): ask again, in the question's own words."""
    return Problem(question.id, "unknown_code", question.error or Message.CHOOSE)


def _text(question: Question, value: object, context: _Context) -> Problem | None:
    if not isinstance(value, str):
        return _problem(question, "not_text", Message.NOT_TEXT)
    text = value.strip()  # a stray tab or new line at either end is stripped when stored
    if has_control_characters(text, multiline=question.type is QType.TEXTAREA):
        return _problem(question, "hidden_characters", Message.HIDDEN_CHARACTERS)
    if question.max_length is not None and len(text) > question.max_length:
        return _problem(question, "too_long", Message.TOO_LONG, max=question.max_length)
    if question.type is QType.EMAIL and not context.email_valid(text):
        return Problem(question.id, "email", Message.EMAIL)
    if question.type is QType.TEL and context.phone_kind(text) is None:
        return Problem(question.id, "phone", Message.PHONE)
    return None


def _whole_number(question: Question, value: object, context: _Context) -> Problem | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return _problem(question, "whole_number", Message.WHOLE_NUMBER)
    if valid_value(question, value) is None:  # out of range (every whole-number question has one: see below)
        return _problem(question, "range", Message.RANGE, min=question.min_value or 0, max=question.max_value or 0)
    return None


def _measure(question: Question, value: object, context: _Context) -> Problem | None:
    """A height or weight, stored in its metric unit (a number; the web field converts what was typed): in range.
    The range is in the metric unit here; the field words it in the unit the patient used."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return _problem(question, "number", Message.NUMBER)
    if valid_value(question, value) is None:
        low, high = question.min_value or 0, question.max_value or 0
        return _problem(question, "range", Message.RANGE, min=f"{low} {question.unit}", max=f"{high} {question.unit}")
    return None


def _code(question: Question, value: object, context: _Context) -> Problem | None:
    """choice, yesno, yesnounsure (a code) and scale, likert4 (the code's number)."""
    return _choose(question) if valid_value(question, value) is None else None


def _codes(question: Question, value: object, context: _Context) -> Problem | None:
    ticked: list[object] = list(value) if isinstance(value, list | tuple) else [None]
    if not all(isinstance(code, str) and code in question.codes for code in ticked):
        return _choose(question)
    if EXCLUSIVE_CODE in ticked and len(set(ticked)) > 1:
        return Problem(question.id, "exclusive", Message.EXCLUSIVE, {"none": question.option_label(EXCLUSIVE_CODE)})
    return None


def _date(question: Question, value: object, context: _Context) -> Problem | None:
    day = parse_date(value)
    if day is None:
        return _problem(question, "real_date", Message.REAL_DATE)
    if question.id != BIRTH_DATE:
        return None
    if day > context.today:
        return _problem(question, "past", Message.PAST)
    age = age_on(day, context.today)
    if age > MAX_AGE_YEARS:
        return _problem(question, "too_long_ago", Message.TOO_LONG_AGO, years=MAX_AGE_YEARS)
    if age < context.min_age:
        return Problem(question.id, "under_age", Message.UNDER_AGE, {"min_age": context.min_age})
    return None


def _tick(question: Question, value: object, context: _Context) -> Problem | None:
    return None if value is True else _choose(question)


_BY_TYPE: Mapping[QType, Callable[[Question, object, _Context], Problem | None]] = {
    **dict.fromkeys((QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL), _text),
    QType.INT: _whole_number,
    QType.MEASURE: _measure,
    **dict.fromkeys((QType.CHOICE, QType.YESNO, QType.YESNOUNSURE, QType.SCALE, QType.LIKERT4), _code),
    QType.MULTI: _codes,
    QType.DATE: _date,
    **dict.fromkeys((QType.CONSENT, QType.CHECKBOX), _tick),
}


def is_missing(value: object) -> bool:
    """Unanswered: nothing, blank text, or no option ticked."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple) and not value)


def check_answer(
    question: Question,
    value: object,
    *,
    today: date,
    min_age: int,
    email_valid: EmailCheck = looks_like_email,
    phone_kind: PhoneCheck = looks_like_phone,
) -> Problem | None:
    """The problem with one answer to a question that is shown, or None. In order: a required question must be
    answered (``Question.error``) and an optional one may be left empty; then, by type, text: no control
    characters, at most ``max_length``, an email address (``email_valid``) or a phone number (``phone_kind``); a
    whole number or a height or weight: in range; options: known codes, and "None of these" on its own; a date:
    real, and for the date of birth in the past, ``MAX_AGE_YEARS`` ago or less and at least ``min_age`` years on
    ``today``; a tick: ticked. A value of the wrong type (a string where a number is stored) is a problem too."""
    if is_missing(value):
        return Problem(question.id, "required", question.error) if question.required else None
    return _BY_TYPE[question.type](question, value, _Context(today, min_age, email_valid, phone_kind))


# --- one step --------------------------------------------------------------------------------------------
_BEFORE: Mapping[str, frozenset[str]] = {
    step.id: frozenset(question.id for earlier in STEPS[:index] for question in earlier)
    for index, step in enumerate(STEPS)
}


def earlier_values(earlier: object, step: Step) -> dict[str, Any]:
    """The cleaned answers of the steps before ``step`` in ``earlier`` (which may be the whole draft: this step's
    own stored answers must not decide what this step shows)."""
    if not isinstance(earlier, Mapping):
        return {}
    before = _BEFORE[step.id]
    return dict(clean_answers({key: value for key, value in earlier.items() if key in before}).values)


@dataclass(frozen=True, slots=True)
class StepCheck:
    """The outcome of ``check_step``: ``problems`` by question id, in page order (none means the step passes);
    ``answers``, what to store (the shown questions answered without a problem, as ``valid_value`` keeps them);
    ``shown``, the ids of the questions asked, in order."""

    problems: Mapping[str, Problem]
    answers: Mapping[str, Any]
    shown: tuple[str, ...]


_Rule = Callable[[Check, Mapping[str, Any], tuple[str, ...], set[str], Mapping[str, Any]], str | None]


def _one_of_required(
    check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
) -> str | None:
    asked = [qid for qid in check.questions if qid in shown]
    if not asked or any(qid in context or qid in in_error for qid in asked):
        return None
    return asked[0]


def _required_when(
    check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
) -> str | None:
    qid = check.questions[0]
    applies = check.condition is None or check.condition.holds(context)
    return qid if applies and qid in shown and qid not in context else None


def _both_or_neither(
    check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
) -> str | None:
    if in_error.intersection(check.questions):
        return None  # e.g. "must be a whole number" already says what to fix
    empty = [qid for qid in check.questions if qid not in context]
    return empty[0] if 0 < len(empty) < len(check.questions) else None


def _less_than(
    check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
) -> str | None:
    low, high = check.questions
    if low in context and high in context and not context[low] < context[high]:
        return low
    return None


def _not_both(
    check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
) -> str | None:
    # On what was given, hidden or not: ticking "I don't take any medicines" hides the medicines box, and what was
    # typed in it must never be dropped silently.
    both = all(not is_missing(given.get(qid)) for qid in check.questions)
    return check.questions[0] if both else None


def _mobile_when(phone_kind: PhoneCheck) -> _Rule:
    """mobile_when: when ``condition`` holds, ``questions[0]`` (answered, without a problem) must be a number that
    can get text messages (``TEXTABLE``)."""

    def rule(
        check: Check, context: Mapping[str, Any], shown: tuple[str, ...], in_error: set[str], given: Mapping[str, Any]
    ) -> str | None:
        qid = check.questions[0]
        applies = check.condition is None or check.condition.holds(context)
        number = context.get(qid)
        if not applies or qid not in shown or not isinstance(number, str):
            return None
        return None if phone_kind(number) in TEXTABLE else qid

    return rule


_RULES: Mapping[str, _Rule] = {
    "one_of_required": _one_of_required,
    "required_when": _required_when,
    "both_or_neither": _both_or_neither,
    "less_than": _less_than,
    "not_both": _not_both,
}


def check_step(
    step: Step,
    given: Mapping[str, Any],
    earlier: object = None,
    *,
    today: date,
    min_age: int,
    email_valid: EmailCheck = looks_like_email,
    phone_kind: PhoneCheck = looks_like_phone,
    unread: Collection[str] = (),
) -> StepCheck:
    """Check the answers ``given`` to ``step`` (the step's question ids are read from it; it may be the whole
    draft), after the answers ``earlier`` to the steps before it (see ``earlier_values``).

    A question is checked when it is shown, given the earlier answers and this step's own: the best reading of an
    answer (``valid_value``) decides which follow-ups are shown, even when that answer has a problem; a hidden
    follow-up is neither checked nor stored. Each shown question gets ``check_answer``, then the step's ``Check``s
    run in order on the answers without a problem, each putting its message on a question that has none yet.
    ``unread``: questions whose input could not be read (the caller explains them); they count as in error."""
    before = earlier_values(earlier, step)
    values = dict(before)
    shown: list[str] = []
    problems: dict[str, Problem] = {}
    for question in step:
        if not question_is_shown(question, values):
            continue
        shown.append(question.id)
        if question.id in unread:
            continue
        value = given.get(question.id)
        problem = check_answer(
            question, value, today=today, min_age=min_age, email_valid=email_valid, phone_kind=phone_kind
        )
        if problem is not None:
            problems[question.id] = problem
        reading = None if value is None else valid_value(question, value)
        if reading is not None:
            values[question.id] = reading
    unread_shown = {qid for qid in shown if qid in unread}
    answers = {qid: values[qid] for qid in shown if qid in values and qid not in problems}
    context = {**before, **answers}
    rules = {**_RULES, "mobile_when": _mobile_when(phone_kind)}
    for check in step.checks:
        in_error = set(problems) | unread_shown
        target = rules[check.kind](check, context, tuple(shown), in_error, given)
        if target is not None and target not in in_error and target not in unread:
            problems[target] = Problem(target, check.kind, check.message)
    ordered = {question.id: problems[question.id] for question in step if question.id in problems}
    return StepCheck(ordered, answers, tuple(shown))


def first_invalid_step(
    answers: object,
    *,
    today: date,
    min_age: int,
    skip: Collection[str] = (),
    email_valid: EmailCheck = looks_like_email,
    phone_kind: PhoneCheck = looks_like_phone,
) -> str | None:
    """The id of the first shown step whose stored ``answers`` have a problem (``check_step``), or None when every
    step passes: what submit checks again, and where a patient is sent when an answer became invalid (a required
    follow-up newly shown, the minimum age raised). Each step is shown, and checked, given the answers of the steps
    before it that passed. ``skip``: ids of steps not checked (the pages a patient who sends early has not
    answered). Anything that is not a mapping is no answers at all."""
    stored = answers if isinstance(answers, Mapping) else {}
    earlier: dict[str, Any] = {}
    for step in STEPS:
        if step.id in skip or (step.enable_when is not None and not step.enable_when.holds(earlier)):
            continue
        result = check_step(
            step, stored, earlier, today=today, min_age=min_age, email_valid=email_valid, phone_kind=phone_kind
        )
        if result.problems:
            return step.id
        earlier.update(result.answers)
    return None


# --- checks on the definition, run at import ---------------------------------------------------------------
def _check_definition() -> None:
    """Every whole-number question has a range (so a number too long to read is out of it), every check kind has
    a rule, and a step's checks name questions of that step."""
    for question in QUESTIONS.values():
        if question.type in (QType.INT, QType.MEASURE) and (question.min_value is None or question.max_value is None):
            raise ValueError(f"{question.id}: a whole-number question needs min_value and max_value")
    for step_id, step in STEP_BY_ID.items():
        for check in step.checks:
            if check.kind not in _RULES and check.kind != "mobile_when":
                raise ValueError(f"{step_id}: no rule for the check kind {check.kind!r}")


_check_definition()

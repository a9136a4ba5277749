"""What fires a rule: small typed predicates over one submission's facts (answers, scores, medicines).

Each trigger answers three questions: does it fire for these facts (``evidence``: the words naming the
answers that fired it, empty when it does not fire), what does it say in words for the clinicians'
catalogue (``describe``), and which questions and codes does it name (``conditions``, checked against
``questionnaire`` at import). Pure: standard library and the other pure modules only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from screening.clinical import medications, scoring
from screening.clinical.conditions import Condition, When
from screening.clinical.questionnaire import LOCALES, QUESTIONS, Answers, answer_text

MedicineLines = list[tuple[str, list[medications.Match]]]


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Thresholds with no single authoritative value (clinical-rules.md, *cfg*); stored with each
    submission and shown in the evidence of the flags they decide."""

    bp_severe_systolic: int = 180
    bp_severe_diastolic: int = 100
    bp_raised_systolic: int = 140
    bp_raised_diastolic: int = 90
    #: The clinic's SCREENING_LOCALE ("en-GB" by default, as in config.py): it worded the questionnaire and picks
    #: the AUDIT-C version that scores it (``scoring.auditc_version``: UK in en-GB, US in en-US).
    locale: str = "en-GB"

    def __post_init__(self) -> None:
        if self.locale not in LOCALES:
            raise ValueError(f"locale must be one of {', '.join(LOCALES)}, not {self.locale!r}")


#: The locale of a submission whose stored rule config has none (rule sets before 2026.3): those scored the
#: AUDIT-C the US way (standard drinks; cut-offs 4 for men, 3 otherwise) whatever the clinic's locale, so they are
#: read, worded and re-evaluated as en-US, as they were scored.
LEGACY_LOCALE = "en-US"


def stored_locale(rule_config: object) -> str:
    """The locale a stored submission was scored with: its rule config's ``locale`` (``asdict(RuleConfig)``, stored
    at submit), or ``LEGACY_LOCALE`` when it has none (or one this version does not know)."""
    locale = rule_config.get("locale") if isinstance(rule_config, Mapping) else None
    return locale if isinstance(locale, str) and locale in LOCALES else LEGACY_LOCALE


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the triggers read for one submission, each computed once."""

    answers: Answers
    scores: Mapping[str, scoring.Score]
    medicines: MedicineLines
    config: RuleConfig
    today: date
    # every medicine found, once: (its classes, "'line as typed' - what it matched")
    medicine_hits: tuple[tuple[frozenset[str], str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hits = tuple(
            (match.classes, f"'{line}' - {match.describe()}")
            for line, matches in self.medicines
            for match in matches
            if match.classes
        )
        object.__setattr__(self, "medicine_hits", hits)


class Trigger(Protocol):
    def evidence(self, facts: Facts) -> list[str]: ...

    def describe(self) -> str: ...

    def conditions(self) -> Iterator[Condition]: ...


def _state(facts: Facts, question_id: str) -> str:
    return "answer not valid" if question_id in facts.answers.invalid else "not answered"


def _describe_condition(condition: Condition) -> str:
    question = QUESTIONS[condition.question]
    op, value = condition.operator, condition.value
    if op == "exists":
        return f"{question.short} {'answered' if value else 'not answered'}"
    if op == "has":
        return f"{question.short} includes '{question.option_label(value)}'"
    shown = question.option_label(str(value)) if question.options else str(value)
    if op in ("=", "!="):
        return f"{question.short} {'is' if op == '=' else 'is not'} '{shown}'"
    return f"{question.short} {op} {value}"


def _answer_evidence(condition: Condition, answers: Answers) -> list[str]:
    """The answer a holding condition looked at, in words: "Heart and circulation: A heart attack"."""
    question = QUESTIONS[condition.question]
    if condition.operator == "has":
        return [f"{question.short}: {question.option_label(condition.value)}"]
    return [f"{question.short}: {answer_text(question, answers.get(condition.question))}"]


@dataclass(frozen=True, slots=True)
class Answered:
    """A condition on one answer, e.g. ``Answered("heart_conditions", "has", "stroke_tia")``."""

    question: str
    operator: Literal["=", "!=", ">=", "has"]
    value: Any
    condition: Condition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "condition", Condition(self.question, self.operator, self.value))

    def evidence(self, facts: Facts) -> list[str]:
        condition = self.condition
        return _answer_evidence(condition, facts.answers) if condition.holds(facts.answers.values) else []

    def describe(self) -> str:
        return _describe_condition(self.condition)

    def conditions(self) -> Iterator[Condition]:
        yield self.condition


@dataclass(frozen=True, slots=True)
class Unanswered:
    """The fail-safe: the parent answer holds but the follow-up that decides between a higher and a
    lower severity was not answered (or not validly), so the higher-severity rule fires."""

    parent: When
    follow_up: str

    def evidence(self, facts: Facts) -> list[str]:
        if not self.parent.holds(facts.answers.values) or facts.answers.get(self.follow_up) is not None:
            return []
        held = [
            text for c in self.parent if c.holds(facts.answers.values) for text in _answer_evidence(c, facts.answers)
        ]
        return [*held, f"{QUESTIONS[self.follow_up].short}: {_state(facts, self.follow_up)}"]

    def describe(self) -> str:
        joiner = " and " if self.parent.behavior == "all" else " or "
        parent = joiner.join(_describe_condition(c) for c in self.parent)
        return f"{parent}, with {QUESTIONS[self.follow_up].short} not answered (fail-safe)"

    def conditions(self) -> Iterator[Condition]:
        yield from self.parent
        yield Condition(self.follow_up, "exists", False)


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Fires when any part fires; the evidence names every part that fired."""

    parts: tuple[Trigger, ...]

    def evidence(self, facts: Facts) -> list[str]:
        return [text for part in self.parts for text in part.evidence(facts)]

    def describe(self) -> str:
        return " OR ".join(part.describe() for part in self.parts)

    def conditions(self) -> Iterator[Condition]:
        for part in self.parts:
            yield from part.conditions()


@dataclass(frozen=True, slots=True)
class AllOf:
    """Fires when every part fires."""

    parts: tuple[Trigger, ...]

    def evidence(self, facts: Facts) -> list[str]:
        found = [part.evidence(facts) for part in self.parts]
        return [text for texts in found for text in texts] if all(found) else []

    def describe(self) -> str:
        # an OR inside an AND keeps its own brackets, so the catalogue reads unambiguously
        return (
            "("
            + " AND ".join(
                f"({part.describe()})" if isinstance(part, AnyOf) else part.describe() for part in self.parts
            )
            + ")"
        )

    def conditions(self) -> Iterator[Condition]:
        for part in self.parts:
            yield from part.conditions()


@dataclass(frozen=True, slots=True)
class BloodPressure:
    """The last known reading at or above a configured systolic OR diastolic threshold."""

    level: Literal["severe", "raised"]

    def _limits(self, config: RuleConfig) -> tuple[int, int]:
        if self.level == "severe":
            return config.bp_severe_systolic, config.bp_severe_diastolic
        return config.bp_raised_systolic, config.bp_raised_diastolic

    def evidence(self, facts: Facts) -> list[str]:
        systolic, diastolic = facts.answers.get("bp_systolic"), facts.answers.get("bp_diastolic")
        top, bottom = self._limits(facts.config)
        if not ((systolic is not None and systolic >= top) or (diastolic is not None and diastolic >= bottom)):
            return []
        reading = f"{systolic if systolic is not None else '?'}/{diastolic if diastolic is not None else '?'}"
        return [f"blood pressure {reading} (threshold {top}/{bottom})"]

    def describe(self) -> str:
        top, bottom = self._limits(RuleConfig())
        return f"last BP systolic >= {top} or diastolic >= {bottom} (configurable)"

    def conditions(self) -> Iterator[Condition]:
        yield Condition("bp_systolic", "exists", True)
        yield Condition("bp_diastolic", "exists", True)


@dataclass(frozen=True, slots=True)
class ScoreAtLeast:
    """A score at or above a cut-off. An incomplete sum is a minimum, and fires once the minimum
    already reaches the cut-off. ``cutoff`` None means the instrument's own: AUDIT-C's positive cut-off in the
    version the clinic's locale scores (``scoring.auditc_threshold``: UK 5; US 4 for men, 3 otherwise), as
    recorded in the score. The evidence prints the cut-off once."""

    key: Literal["phq9", "gad7", "auditc", "stopbang"]
    cutoff: int | None = None

    def _cutoff(self, facts: Facts) -> int:
        if self.cutoff is not None:
            return self.cutoff
        recorded = facts.scores[self.key].cutoff
        return recorded if recorded is not None else scoring.auditc_threshold(facts.answers, facts.config.locale)

    def evidence(self, facts: Facts) -> list[str]:
        score = facts.scores[self.key]
        cutoff = self._cutoff(facts)
        if score.value is None or score.value < cutoff:
            return []
        text = scoring.describe(self.key, score)  # names the score's own cut-off, when it has one
        return [text if score.cutoff == cutoff else f"{text} (cut-off {cutoff})"]

    def describe(self) -> str:
        name = scoring.INSTRUMENTS[self.key]
        if self.cutoff is None:
            return (
                f"{name} at or above the positive cut-off of the version the clinic's locale asks: UK AUDIT-C "
                f"(en-GB) >= {scoring.AUDITC_CUTOFF_UK}; US AUDIT-C (en-US) >= {scoring.AUDITC_CUTOFF_MALE} "
                f"if sex at birth is male, >= {scoring.AUDITC_CUTOFF_OTHER} otherwise (or not answered) (an "
                "incomplete score counts its minimum)"
            )
        return f"{name} >= {self.cutoff} (an incomplete score counts its minimum)"

    def conditions(self) -> Iterator[Condition]:
        return iter(())


@dataclass(frozen=True, slots=True)
class StopBangHigh:
    """STOP-Bang high risk by any of its criteria (``scoring.stopbang``: 5-8 items, or 2 or more STOP items plus
    male sex, BMI > 35 or a large neck); an incomplete score fires once the items known already meet one. The
    evidence names the criteria met."""

    def evidence(self, facts: Facts) -> list[str]:
        score = facts.scores["stopbang"]
        return [scoring.describe("stopbang", score)] if score.routes else []

    def describe(self) -> str:
        return (
            "STOP-Bang high risk: 5 or more of the 8 items, or 2 or more of the 4 STOP items (loud snoring, "
            "daytime tiredness, observed apnoea, high blood pressure) with male sex, with BMI over 35, or with a "
            "large neck (collar 43 cm or more for men, 41 cm or more otherwise) (an incomplete score counts its "
            "minimum)"
        )

    def conditions(self) -> Iterator[Condition]:
        yield Condition("neck_large", "exists", True)
        yield Condition("neck_43cm", "exists", True)


@dataclass(frozen=True, slots=True)
class Age:
    """Age in whole years on the day of evaluation, below or at least a limit."""

    operator: Literal["<", ">="]
    years: int

    def evidence(self, facts: Facts) -> list[str]:
        years = facts.scores["age"].value
        if years is None or not (years < self.years if self.operator == "<" else years >= self.years):
            return []
        return [f"age {years} on {facts.today.isoformat()}"]

    def describe(self) -> str:
        return f"age {self.operator} {self.years} (from date of birth, on the day of submission)"

    def conditions(self) -> Iterator[Condition]:
        yield Condition("date_of_birth", "exists", True)


@dataclass(frozen=True, slots=True)
class MedicineClass:
    """A line of current_medications matched a medicine of one of ``classes`` (possibly unconfirmed:
    a missed interaction is worse than a question)."""

    classes: frozenset[str]

    def __post_init__(self) -> None:
        if unknown := self.classes - medications.CLASSES:
            raise ValueError(f"unknown medicine classes {sorted(unknown)}")

    def evidence(self, facts: Facts) -> list[str]:
        wanted = self.classes
        return [text for classes, text in facts.medicine_hits if not wanted.isdisjoint(classes)]

    def describe(self) -> str:
        labels = ", ".join(medications.CLASS_LABELS[c] for c in sorted(self.classes))
        return f"a listed medicine is a {labels}"

    def conditions(self) -> Iterator[Condition]:
        yield Condition("current_medications", "exists", True)


@dataclass(frozen=True, slots=True)
class UnrecognisedMedicine:
    """A current_medications line that matched no medicine, listed verbatim."""

    def evidence(self, facts: Facts) -> list[str]:
        found = []
        for line, matches in facts.medicines:
            if not matches:
                found.append(f"not recognised: '{line}'")
            else:
                found.extend(
                    f"not recognised: '{piece}' (in '{line}')" for piece in medications.unrecognised_pieces(line)
                )
        return found

    def describe(self) -> str:
        return "a listed medicine (a line, or a piece of a line) matched no known medicine"

    def conditions(self) -> Iterator[Condition]:
        yield Condition("current_medications", "exists", True)


@dataclass(frozen=True, slots=True)
class GradedCodes:
    """A multi-choice answer that includes any of ``grades``' codes; the evidence names each code
    with its grade (used for the strength of evidence by pain condition). ``locale_notes`` adds a
    note to a code's evidence for clinics of one locale only: (locale, code, note)."""

    question: str
    grades: tuple[tuple[str, str], ...]
    locale_notes: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        if stray := {code for _where, code, _note in self.locale_notes} - {code for code, _grade in self.grades}:
            raise ValueError(f"locale notes for codes without a grade: {sorted(stray)}")

    def evidence(self, facts: Facts) -> list[str]:
        ticked = facts.answers.get(self.question) or []
        label = QUESTIONS[self.question].option_label
        notes = {code: note for where, code, note in self.locale_notes if where == facts.config.locale}
        return [
            f"{label(code)}: {grade}" + (f" ({notes[code]})" if code in notes else "")
            for code, grade in self.grades
            if code in ticked
        ]

    def describe(self) -> str:
        label = QUESTIONS[self.question].option_label
        names = "; ".join(f"'{label(code)}' ({grade})" for code, grade in self.grades)
        notes = "".join(f"; in {where} clinics '{label(code)}' also: {note}" for where, code, note in self.locale_notes)
        return f"{QUESTIONS[self.question].short} includes any of: {names}{notes}"

    def conditions(self) -> Iterator[Condition]:
        for code, _grade in self.grades:
            yield Condition(self.question, "has", code)

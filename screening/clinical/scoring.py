"""Owns the scores derived from cleaned answers: PEG, PHQ-9, GAD-7, AUDIT-C, STOP-Bang, age and BMI, and the
clinician wording of each (``describe``). Pure: imports only the standard library and ``questionnaire``.

A missing item is never filled with 0: a score is complete, a minimum (``lower_bound``) or None
(clinical-rules.md, "Instruments").
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from screening.clinical.dates import parse_date
from screening.clinical.questionnaire import DEFAULT_LOCALE, QUESTIONS, Answers, clean_answers


@dataclass(frozen=True, slots=True)
class Score:
    """One derived score.

    ``value`` is the score (int, or a float with one decimal for PEG and BMI) or None when it cannot be
    computed; ``band`` the published band, or None when there is none or the score is incomplete (an
    incomplete STOP-Bang reads "at least <band>"); ``complete`` whether
    every item was known; ``lower_bound`` whether ``value`` is a minimum because some items were unknown
    (never true when ``complete``). ``unknown`` names the question ids whose missing or undetermined
    answers made the score incomplete, in item order; ``cutoff`` is the AUDIT-C cut-off that was applied
    (None for the other scores); ``version`` names the instrument version that scored it when there are
    several ("AUDIT-C (UK)" or "AUDIT-C (US)"; None for the others, and in scores stored before rule set
    2026.3); ``routes`` are the STOP-Bang high-risk criteria the known items meet (``STOPBANG_ROUTES`` keys;
    empty unless the band is "high" or "at least high").
    """

    value: int | float | None
    band: str | None
    complete: bool
    lower_bound: bool
    unknown: tuple[str, ...] = ()
    cutoff: int | None = None
    version: str | None = None
    routes: tuple[str, ...] = ()


#: Instrument key -> display name (the keys of ``score_all`` that are questionnaire instruments).
INSTRUMENTS: Mapping[str, str] = MappingProxyType(
    {
        "peg": "PEG",
        "phq9": "PHQ-9",
        "gad7": "GAD-7",
        "auditc": "AUDIT-C",
        "stopbang": "STOP-Bang",
    }
)
#: Every key of ``score_all`` -> display name.
SCORE_NAMES: Mapping[str, str] = MappingProxyType({**INSTRUMENTS, "age": "Age", "bmi": "BMI"})

PEG_ITEMS = ("peg_pain", "peg_enjoyment", "peg_activity")
PHQ9_ITEMS = tuple(f"phq9_{n}" for n in range(1, 10))
GAD7_ITEMS = tuple(f"gad7_{n}" for n in range(1, 8))
AUDITC_ITEMS = ("auditc_1", "auditc_2", "auditc_3")

# (lowest value of the band, band) in ascending order.
Bands = tuple[tuple[int, str], ...]
PHQ9_BANDS: Bands = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe"))
GAD7_BANDS: Bands = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
STOPBANG_BANDS: Bands = ((0, "low"), (3, "intermediate"), (5, "high"))
#: AUDIT-C version by locale (``SCREENING_LOCALE``): the UK version (OHID) in en-GB, the US version otherwise.
AUDITC_VERSIONS: Mapping[str, str] = MappingProxyType({"en-GB": "AUDIT-C (UK)", "en-US": "AUDIT-C (US)"})
AUDITC_CUTOFF_UK = 5  # OHID: "An overall total score of 5 or above is AUDIT-C positive", whatever the sex
AUDITC_CUTOFF_MALE = 4  # US (Bush 1998; Bradley 2003 for women): >= 4 men, >= 3 women
AUDITC_CUTOFF_OTHER = 3
STOPBANG_BMI_OVER = 35
STOPBANG_AGE_OVER = 50
STOPBANG_STOP_ITEMS_FOR_ROUTE = 2
#: STOP-Bang's high-risk criteria (Chung 2012, 2014, 2016; stopbang.ca "for general population"): 5-8 items,
#: or 2 or more of the 4 STOP items plus male sex, plus BMI > 35, or plus a large neck. Key -> words.
STOPBANG_ROUTES: Mapping[str, str] = MappingProxyType(
    {
        "items_5_8": "5 or more of the 8 items",
        "stop_male": "2 or more STOP items with male sex",
        "stop_bmi": "2 or more STOP items with BMI over 35",
        "stop_neck": "2 or more STOP items with a large neck",
    }
)


def _bounds(question_id: str) -> tuple[int, int]:
    question = QUESTIONS[question_id]
    if question.min_value is None or question.max_value is None:
        raise ValueError(f"{question_id} has no range")
    return question.min_value, question.max_value


# Bounds and codes re-checked when reading items (``clean_answers`` already enforces them), so that a
# hand-built ``Answers`` cannot take a score out of its range or divide by zero. Taken from the
# questionnaire, its single source, and checked at import.
_LIKERT_MAX = _bounds("phq9_1")[1]
_SCALE_MAX = _bounds("peg_pain")[1]
_HEIGHT_CM = _bounds("height_cm")
_WEIGHT_KG = _bounds("weight_kg")
_AUDITC_CODES = frozenset(QUESTIONS["auditc_1"].codes)
_YES_NO = MappingProxyType({"yes": True, "no": False})
# sex_at_birth for STOP-Bang's "male" item. "intersex" is an answer that settles the item (not registered
# male: 0); "not_say" withholds it, so the item is unknown, like an unanswered question.
_MALE = MappingProxyType({"male": True, "female": False, "intersex": False})


def _int_item(answers: Answers, question_id: str, maximum: int) -> int | None:
    value = answers.get(question_id)
    # type() rather than isinstance(): True is an int but is not a valid item answer.
    if type(value) is int and 0 <= value <= maximum:
        return value
    return None


def _code(answers: Answers, question_id: str) -> str | None:
    value = answers.get(question_id)
    return value if isinstance(value, str) else None


def _band(value: int, bands: Bands) -> str:
    name = bands[0][1]
    for lowest, band in bands:
        if value >= lowest:
            name = band
    return name


def _sum_score(answers: Answers, items: tuple[str, ...], bands: Bands) -> Score:
    known = {qid: _int_item(answers, qid, _LIKERT_MAX) for qid in items}
    unknown = tuple(qid for qid, value in known.items() if value is None)
    total = sum(value for value in known.values() if value is not None)
    if not unknown:
        return Score(total, _band(total, bands), complete=True, lower_bound=False)
    if len(unknown) == len(items):
        return Score(None, None, complete=False, lower_bound=False, unknown=unknown)
    return Score(total, None, complete=False, lower_bound=True, unknown=unknown)


def peg(answers: Answers) -> Score:
    """PEG (Krebs 2009): the mean of peg_pain, peg_enjoyment and peg_activity (each 0-10), to one decimal.

    The exact mean is rounded half up (computed in integers, so no float or banker's rounding: 6/5/5 has
    mean 5.333... -> 5.3). None (complete False, lower_bound False) unless all three items are answered:
    a mean of fewer items is not the PEG. No band: none is validated.
    """
    items = [_int_item(answers, qid, _SCALE_MAX) for qid in PEG_ITEMS]
    unknown = tuple(qid for qid, value in zip(PEG_ITEMS, items, strict=True) if value is None)
    if unknown:
        return Score(None, None, complete=False, lower_bound=False, unknown=unknown)
    total = sum(value for value in items if value is not None)
    # tenths = floor(10 * total / 3 + 1/2), exactly.
    tenths = (20 * total + len(PEG_ITEMS)) // (2 * len(PEG_ITEMS))
    return Score(tenths / 10, None, complete=True, lower_bound=False)


def phq9(answers: Answers) -> Score:
    """PHQ-9: the sum of phq9_1..phq9_9 (each 0-3), 0-27, banded 0-4 minimal, 5-9 mild, 10-14 moderate,
    15-19 moderately severe, 20-27 severe.

    With some items unanswered the value is the sum of the answered ones, a minimum (complete False,
    lower_bound True, band None); with none answered it is None.
    """
    return _sum_score(answers, PHQ9_ITEMS, PHQ9_BANDS)


def gad7(answers: Answers) -> Score:
    """GAD-7: the sum of gad7_1..gad7_7 (each 0-3), 0-21, banded 0-4 minimal, 5-9 mild, 10-14 moderate,
    15-21 severe. Unanswered items as for ``phq9``: a minimum with band None, or None if none answered.
    """
    return _sum_score(answers, GAD7_ITEMS, GAD7_BANDS)


def auditc_version(locale: str) -> str:
    """The AUDIT-C version a locale's questionnaire asks and is scored by: "AUDIT-C (UK)" for en-GB, "AUDIT-C
    (US)" for en-US (and any other locale: the US cut-offs are the lower ones)."""
    return AUDITC_VERSIONS.get(locale, AUDITC_VERSIONS["en-US"])


def auditc_threshold(answers: Answers, locale: str = DEFAULT_LOCALE) -> int:
    """The AUDIT-C cut-off for a positive screen in ``locale``'s version. UK (en-GB, OHID): 5 whatever the sex.
    US (en-US): 4 when sex_at_birth is "male"; 3 otherwise (female, intersex, not_say, or unanswered), the lower
    and so safer cut-off when sex does not settle it."""
    if auditc_version(locale) == AUDITC_VERSIONS["en-GB"]:
        return AUDITC_CUTOFF_UK
    return AUDITC_CUTOFF_MALE if _code(answers, "sex_at_birth") == "male" else AUDITC_CUTOFF_OTHER


def auditc(answers: Answers, locale: str = DEFAULT_LOCALE) -> Score:
    """AUDIT-C: the sum of auditc_1..auditc_3, stored as the codes "0"-"4", 0-12, scored by code in the
    version of ``locale`` (``auditc_version``, recorded in ``version``): the UK and US versions word items 2
    and 3 differently (units or standard drinks) but score their options 0-4 alike.

    When auditc_1 is "0" (never drinks) items 2 and 3 are not asked and count 0: the score is complete.
    Band "positive" when the sum reaches ``auditc_threshold`` (recorded in ``cutoff``), else "negative".
    If auditc_1 is not "0" and item 2 or 3 is unanswered, the value is the sum so far, a minimum (band
    None). With auditc_1 unanswered items 2-3 are hidden by ``clean_answers``, so the value is None.
    """
    cutoff, version = auditc_threshold(answers, locale), auditc_version(locale)
    codes = [_code(answers, qid) for qid in AUDITC_ITEMS]
    if codes[0] == "0":
        return Score(0, "negative", complete=True, lower_bound=False, cutoff=cutoff, version=version)
    known = {qid: int(code) for qid, code in zip(AUDITC_ITEMS, codes, strict=True) if code in _AUDITC_CODES}
    unknown = tuple(qid for qid in AUDITC_ITEMS if qid not in known)
    total = sum(known.values())
    if not unknown:
        band = "positive" if total >= cutoff else "negative"
        return Score(total, band, complete=True, lower_bound=False, cutoff=cutoff, version=version)
    if not known:
        return Score(None, None, complete=False, lower_bound=False, unknown=unknown, cutoff=cutoff, version=version)
    return Score(total, None, complete=False, lower_bound=True, unknown=unknown, cutoff=cutoff, version=version)


def age_on(date_of_birth: date, today: date) -> int:
    """Age in whole years on ``today``. A birthday counts from the day itself; someone born on 29 February
    becomes a year older on 1 March in a year without 29 February. Raises ValueError if ``today`` is
    before ``date_of_birth``."""
    if today < date_of_birth:
        raise ValueError(f"{today} is before the date of birth {date_of_birth}")
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def _as_date(day: date) -> date:
    # A datetime is a date, but comparing one with a date raises TypeError.
    return day.date() if isinstance(day, datetime) else day


def age(answers: Answers, *, today: date) -> Score:
    """Age in whole years on ``today`` (see ``age_on``) from date_of_birth. None (complete False) when
    there is no valid date of birth or it is after ``today``. No band."""
    born = parse_date(answers.get("date_of_birth"))
    today = _as_date(today)
    if born is None or born > today:
        return Score(None, None, complete=False, lower_bound=False, unknown=("date_of_birth",))
    return Score(age_on(born, today), None, complete=True, lower_bound=False)


_MEASURES = (("height_cm", _HEIGHT_CM), ("weight_kg", _WEIGHT_KG))


def _measure(answers: Answers, question_id: str, bounds: tuple[int, int]) -> Fraction | None:
    """A height or weight (an int, or a float to one decimal: read as the decimal it was written as) in range."""
    value = answers.get(question_id)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return None
    exact = Fraction(value) if isinstance(value, int) else Fraction(Decimal(repr(value)))
    return exact if bounds[0] <= exact <= bounds[1] else None


def _height_weight(answers: Answers) -> tuple[Fraction, Fraction] | None:
    height, weight = (_measure(answers, qid, bounds) for qid, bounds in _MEASURES)
    return None if height is None or weight is None else (height, weight)


def _bmi_unknown(answers: Answers) -> tuple[str, ...]:
    return tuple(qid for qid, bounds in _MEASURES if _measure(answers, qid, bounds) is None)


def bmi_exact(answers: Answers) -> float | None:
    """BMI, weight_kg / (height_cm / 100)^2, unrounded; None unless both are given."""
    measures = _height_weight(answers)
    if measures is None:
        return None
    height, weight = measures
    return float(weight * 10_000 / (height * height))


def bmi(answers: Answers) -> Score:
    """BMI rounded half up to one decimal (from the exact ratio), or None unless height_cm and weight_kg
    are both given. No band."""
    measures = _height_weight(answers)
    if measures is None:
        return Score(None, None, complete=False, lower_bound=False, unknown=_bmi_unknown(answers))
    height, weight = measures
    tenths = math.floor(100_000 * weight / (height * height) + Fraction(1, 2))  # floor(10 * BMI + 1/2), exactly
    return Score(tenths / 10, None, complete=True, lower_bound=False)


# One STOP-Bang item: its name, True (a point), False (no point) or None (unknown), and the question ids to
# name when it is unknown.
_Item = tuple[str, bool | None, tuple[str, ...]]
_STOP = ("snoring", "tired", "observed", "pressure")


def _neck(answers: Answers) -> tuple[bool | None, tuple[str, ...]]:
    """STOP-Bang's N: a collar of 43 cm (17 in) or more for a man, 41 cm (16 in) or more for a woman (the
    current scoring sheet, stopbang.ca). neck_large asks everyone about 41 cm and neck_43cm (its follow-up) about
    43 cm. Anyone not registered male (female, intersex, not_say, unanswered) is held to 41 cm, the lower and so
    more sensitive size: with sex withheld, a 41-42 cm collar gives a point either to N (if female) or to G (if
    male), so counting N keeps the total a true minimum and the "large neck" route the same as the "male" one."""
    size = _code(answers, "neck_large")
    if size == "no":
        return False, ("neck_large",)
    if size != "yes":  # "unsure" about the collar size is unknown, like no answer
        return None, ("neck_large",)
    if _code(answers, "sex_at_birth") != "male":
        return True, ("neck_large",)
    return _YES_NO.get(_code(answers, "neck_43cm") or ""), ("neck_43cm",)


def _stopbang_items(answers: Answers, today: date) -> Iterator[_Item]:
    for name, qid in zip(_STOP[:3], ("snoring_loud", "daytime_tiredness", "observed_apnoea"), strict=True):
        yield name, _YES_NO.get(_code(answers, qid) or ""), (qid,)
    # P is the high blood pressure diagnosis box, not a reading.
    conditions = answers.get("heart_conditions")
    pressure = "high_blood_pressure" in conditions if isinstance(conditions, list | tuple) else None
    yield "pressure", pressure, ("heart_conditions",)
    measures = _height_weight(answers)
    # Compared exactly (weight * 10000 > 35 * height^2): a BMI shown as 35.0 may still be above 35.
    over = None if measures is None else measures[1] * 10_000 > STOPBANG_BMI_OVER * measures[0] ** 2
    yield "bmi", over, _bmi_unknown(answers)
    years = age(answers, today=today).value
    yield "age", (None if years is None else years > STOPBANG_AGE_OVER), ("date_of_birth",)
    yield "neck", *_neck(answers)
    yield "male", _MALE.get(_code(answers, "sex_at_birth") or ""), ("sex_at_birth",)


def _stopbang_routes(points: int, known: Mapping[str, bool | None]) -> tuple[str, ...]:
    """The high-risk criteria that the items known to score a point already meet (``STOPBANG_ROUTES`` order)."""
    stop = sum(1 for name in _STOP if known[name])
    routes = ["items_5_8"] if points >= 5 else []
    if stop >= STOPBANG_STOP_ITEMS_FOR_ROUTE:
        routes += [f"stop_{name}" for name in ("male", "bmi", "neck") if known[name]]
    return tuple(routes)


def stopbang(answers: Answers, *, today: date) -> Score:
    """STOP-Bang: one point each for snoring_loud, daytime_tiredness and observed_apnoea = yes, the
    high_blood_pressure box in heart_conditions (the 4 STOP items), BMI > 35 (unrounded), age > 50 on ``today``,
    a large neck (``_neck``: 43 cm for men, 41 cm otherwise) and sex_at_birth = male; 0-8, banded 0-2 low, 3-4
    intermediate, and high at 5-8 OR with 2 or more STOP items plus male sex, plus BMI > 35 or plus a large neck
    (the alternative criteria of Chung 2012/2014/2016 and stopbang.ca); the criteria met are in ``routes``.

    Every item that is not known counts 0 and makes the value a minimum (complete False, lower_bound
    True, its question ids in ``unknown``): an unanswered question, BMI without both height and weight,
    age without a valid past date of birth, neck_large (or, for a man, neck_43cm) "unsure" or unanswered, and
    sex_at_birth "not_say" (withheld). sex_at_birth "intersex" is an answer: not male, 0, and known. While some
    items are unknown the band reads "at least <band of what is known>" (clinical-rules.md): "at least high"
    once the known items meet a high-risk criterion. With no item known at all the value is None.
    """
    items = list(_stopbang_items(answers, _as_date(today)))
    points = sum(1 for _, point, _ in items if point)
    unknown = tuple(qid for _, point, question_ids in items if point is None for qid in question_ids)
    unknown_items = sum(1 for _, point, _ in items if point is None)
    routes = _stopbang_routes(points, {name: point for name, point, _ in items})
    band = "high" if routes else _band(points, STOPBANG_BANDS)
    if not unknown_items:
        return Score(points, band, complete=True, lower_bound=False, routes=routes)
    if unknown_items == len(items):
        return Score(None, None, complete=False, lower_bound=False, unknown=unknown)
    return Score(points, f"at least {band}", complete=False, lower_bound=True, unknown=unknown, routes=routes)


def score_all(
    answers: Mapping[str, Any] | Answers, *, today: date | None = None, locale: str = DEFAULT_LOCALE
) -> dict[str, Score]:
    """Every score, keyed peg, phq9, gad7, auditc, stopbang, age, bmi (in that order).

    ``answers`` is either raw stored answers, cleaned here with ``questionnaire.clean_answers`` (wrong
    types, unknown codes, out-of-range numbers and hidden questions count as unanswered), or an ``Answers``
    that is used as it is, without a second cleaning. ``today`` (for age and STOP-Bang) defaults to
    ``date.today()``; ``locale`` (the clinic's ``SCREENING_LOCALE``, which worded the questionnaire) picks the
    AUDIT-C version (``auditc``). Never raises, whatever ``answers`` holds.
    """
    if isinstance(answers, Answers):
        cleaned = answers if isinstance(answers.values, Mapping) else Answers({})
    else:
        cleaned = clean_answers(answers)
    day = date.today() if today is None else _as_date(today)
    return {
        "peg": peg(cleaned),
        "phq9": phq9(cleaned),
        "gad7": gad7(cleaned),
        "auditc": auditc(cleaned, locale),
        "stopbang": stopbang(cleaned, today=day),
        "age": age(cleaned, today=day),
        "bmi": bmi(cleaned),
    }


# --- clinician wording --------------------------------------------------------------------------------
_NOT_SCORED: Mapping[str, str] = MappingProxyType(
    {
        "peg": "not scored (incomplete)",
        "age": "unknown (no valid date of birth)",
        "bmi": "not calculated (height or weight not given)",
    }
)
_STOPBANG_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "snoring_loud": "snoring",
        "daytime_tiredness": "tiredness",
        "observed_apnoea": "observed apnoea",
        "heart_conditions": "high blood pressure",
        "height_cm": "BMI",
        "weight_kg": "BMI",
        "date_of_birth": "age",
        "neck_large": "neck size",
        "neck_43cm": "neck size",
        "sex_at_birth": "sex at birth",
    }
)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _unknown_words(key: str, score: Score) -> str:
    if key == "stopbang":
        words = list(dict.fromkeys(_STOPBANG_WORDS.get(qid, qid) for qid in score.unknown))
        return f"{_and(words)} unknown" if words else "some items unknown"
    count = len(score.unknown)
    if not count:
        return "some items unanswered"
    return f"{count} item{'s' if count > 1 else ''} unanswered"


def score_name(key: str, score: Score) -> str:
    """The name a score is shown by: its ``version`` when it has one ("AUDIT-C (UK)"), else the instrument's
    (``SCORE_NAMES``). Raises ValueError for an unknown ``key``."""
    name = SCORE_NAMES.get(key)
    if name is None:
        raise ValueError(f"no score {key!r}")
    return score.version or name


def _band_words(score: Score) -> str | None:
    """The band, with the STOP-Bang high-risk criteria met: "high: 2 or more STOP items with male sex"."""
    if not score.band or not score.routes:
        return score.band
    return f"{score.band}: " + ", or ".join(STOPBANG_ROUTES.get(route, route) for route in score.routes)


def describe(key: str, score: Score) -> str:
    """Short clinician wording of ``score`` (the ``score_all`` entry ``key``), for flag evidence and
    summaries: "PHQ-9 12 (moderate)", "PHQ-9 at least 11 (2 items unanswered)", "AUDIT-C (UK) 5 (positive,
    cut-off 5)", "STOP-Bang 4 (high: 2 or more STOP items with male sex)", "STOP-Bang at least 3 (at least
    intermediate; BMI and neck size unknown)", "PEG 5.3", "PEG not scored (incomplete)", "Age 52", "BMI 31.2".
    The cut-off is printed once. Raises ValueError for an unknown ``key``."""
    name = score_name(key, score)
    if score.value is None:
        return f"{name} {_NOT_SCORED.get(key, 'not scored (not answered)')}"
    number = f"{score.value:.1f}" if isinstance(score.value, float) else str(score.value)
    band = _band_words(score)
    details = [band] if band else []
    if score.cutoff is not None:
        details.append(f"cut-off {score.cutoff}")
    if not score.lower_bound:
        return f"{name} {number} ({', '.join(details)})" if details else f"{name} {number}"
    return f"{name} at least {number} ({'; '.join([*details, _unknown_words(key, score)])})"


def describe_all(scores: Mapping[str, Score]) -> dict[str, str]:
    """``describe`` of each entry of a ``score_all`` result, with the same keys."""
    return {key: describe(key, score) for key, score in scores.items()}

"""Heights and weights in other units (``screening.clinical.units``), checked against the definitions, not the code:
1 inch = 2.54 cm exactly, 1 foot = 12 inches, 1 pound = 0.45359237 kg exactly, 1 stone = 14 pounds (UK Weights and
Measures Act 1985, Schedule 1, Part VI; NIST Special Publication 811 (2008), Appendix B.8). Expected values are
worked out by hand from those numbers in the comments; the stored value is rounded half up to one decimal. Also the
stored form of a height or weight (``questionnaire.valid_value``) and its range after conversion (hazard H45)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from screening.clinical import units
from screening.clinical.questionnaire import QUESTIONS, valid_value
from screening.clinical.units import CM, FEET_INCHES, KG, POUNDS, STONES_POUNDS, Unit
from screening.clinical.validation import check_answer
from tests.answer_sets import TODAY

F = Fraction


def test_the_factors_are_the_legal_definitions() -> None:
    assert units.CM_PER_INCH == F("2.54")
    assert units.KG_PER_POUND == F("0.45359237")
    assert units.INCHES_PER_FOOT == 12 and units.POUNDS_PER_STONE == 14


@pytest.mark.parametrize(
    ("unit", "amounts", "metric"),
    [
        (FEET_INCHES, (5, 7), "170.2"),  # 67 in x 2.54 = 170.18
        (FEET_INCHES, (6, 0), "182.9"),  # 72 x 2.54 = 182.88
        (FEET_INCHES, (0, 1), "2.5"),  # 2.54 -> 2.5
        (FEET_INCHES, (1, 0), "30.5"),  # 30.48 -> 30.5
        (FEET_INCHES, ("5.5", None), "167.6"),  # 66 x 2.54 = 167.64: a decimal foot, inches left empty
        (FEET_INCHES, (None, "66.5"), "168.9"),  # 168.91
        (FEET_INCHES, (3, "3.4"), "100.1"),  # 39.4 x 2.54 = 100.076
        (STONES_POUNDS, (12, 3), "77.6"),  # 171 lb x 0.45359237 = 77.56429527
        (STONES_POUNDS, (1, 0), "6.4"),  # 14 x 0.45359237 = 6.35029318
        (STONES_POUNDS, ("11.5", None), "73"),  # 161 lb = 73.02837157
        (STONES_POUNDS, (0, "0.5"), "0.2"),  # 0.226796185
        (POUNDS, (171,), "77.6"),
        (POUNDS, (1,), "0.5"),  # 0.45359237 -> 0.5
        (POUNDS, (100,), "45.4"),  # 45.359237
        (CM, ("170.25",), "170.3"),  # half up, never to even
        (CM, ("170.35",), "170.4"),  # 170.35 is exact as a Fraction (a float would read 170.34999...)
        (KG, ("92.3",), "92.3"),
    ],
)
def test_to_metric_from_the_definitions(unit: Unit, amounts: tuple[object, ...], metric: str) -> None:
    given = [None if amount is None else F(str(amount)) for amount in amounts]
    assert units.to_metric(unit, given) == F(metric)


@pytest.mark.parametrize(
    ("inches", "cm"),
    [
        # exact at whole multiples of 5 inches (5 x 2.54 = 12.7): no rounding can hide an error in the factor
        (50, "127"),
        (100, "254"),
        # half-way cases of the rounding: 0.25 in = 0.635 cm -> 0.6; 0.75 in = 1.905 -> 1.9 (floor(19.05 + 0.5) = 19)
        ("0.25", "0.6"),
        ("0.75", "1.9"),
    ],
)
def test_inches_convert_at_exactly_2_54_cm(inches: object, cm: str) -> None:
    assert units.to_metric(FEET_INCHES, [None, F(str(inches))]) == F(cm)


def test_pounds_convert_at_exactly_0_45359237_kg() -> None:
    # 100,000,000 lb is 45,359,237 kg exactly: any other factor shows at this size
    assert units.to_metric(POUNDS, [F(100_000_000)]) == F(45_359_237)
    # a stone is 14 pounds: 1,000,000 st = 14,000,000 lb = 6,350,293.18 kg -> 6,350,293.2
    assert units.to_metric(STONES_POUNDS, [F(1_000_000), None]) == F("6350293.2")


@pytest.mark.parametrize(
    ("unit", "metric", "shown", "words"),
    [
        (FEET_INCHES, "170.2", (5, 7), "5 feet 7 inches"),
        (FEET_INCHES, "182.9", (6, 0), "6 feet"),
        (FEET_INCHES, "152.4", (5, 0), "5 feet"),  # 60 in exactly
        (FEET_INCHES, "30.5", (1, 0), "1 foot"),  # 12.0079 in -> 12.0
        (FEET_INCHES, "182.8", (6, 0), "6 feet"),  # 71.968 in -> 72.0: the rounding carries into the feet
        (STONES_POUNDS, "77.6", (12, 3), "12 stone 3 pounds"),  # 171.08 lb -> nearest half pound 171
        (STONES_POUNDS, "63.5", (10, 0), "10 stone"),  # 139.99 lb -> 140
        (STONES_POUNDS, "6.8", (1, 1), "1 stone 1 pound"),  # 14.99 lb -> 15
        (POUNDS, "77.6", (171,), "171 pounds"),
        (POUNDS, "0.5", (1,), "1 pound"),  # 1.102 lb -> 1
        (CM, "170.2", ("170.2",), "170.2 cm"),
        (KG, "92", (92,), "92 kg"),
    ],
)
def test_from_metric_and_its_words(unit: Unit, metric: str, shown: tuple[object, ...], words: str) -> None:
    assert units.from_metric(unit, F(metric)) == tuple(F(str(amount)) for amount in shown)
    assert units.metric_words(unit, F(metric)) == words


@pytest.mark.parametrize("feet", range(3, 9))
@pytest.mark.parametrize("tenths", [0, 1, 5, 9, 35, 47, 115])
def test_a_height_typed_to_a_tenth_of_an_inch_comes_back_as_typed(feet: int, tenths: int) -> None:
    typed = (F(feet), F(tenths, 10))
    assert units.from_metric(FEET_INCHES, units.to_metric(FEET_INCHES, typed)) == typed


@pytest.mark.parametrize("stones", range(5, 56, 5))
@pytest.mark.parametrize("halves", range(0, 28))
def test_a_weight_typed_to_half_a_pound_comes_back_as_typed(stones: int, halves: int) -> None:
    typed = (F(stones), F(halves, 2))
    assert units.from_metric(STONES_POUNDS, units.to_metric(STONES_POUNDS, typed)) == typed
    pounds = (F(stones * 14) + F(halves, 2),)
    assert units.from_metric(POUNDS, units.to_metric(POUNDS, pounds)) == pounds


@pytest.mark.parametrize(
    ("unit", "low", "high"),
    [
        # 100 cm = 39.37 in -> up to 40 in; 250 cm = 98.43 in -> down to 98 in
        (FEET_INCHES, "3 feet 4 inches", "8 feet 2 inches"),
        (CM, "100 cm", "250 cm"),
    ],
)
def test_the_height_range_in_each_unit_is_rounded_inwards(unit: Unit, low: str, high: str) -> None:
    assert units.range_words(unit, F(100), F(250)) == (low, high)


@pytest.mark.parametrize(
    ("unit", "low", "high"),
    [
        # 30 kg = 66.14 lb -> 67 lb = 4 st 11 lb; 350 kg = 771.62 lb -> 771 lb = 55 st 1 lb
        (STONES_POUNDS, "4 stone 11 pounds", "55 stone 1 pound"),
        (POUNDS, "67 pounds", "771 pounds"),
        (KG, "30 kg", "350 kg"),
    ],
)
def test_the_weight_range_in_each_unit_is_rounded_inwards(unit: Unit, low: str, high: str) -> None:
    assert units.range_words(unit, F(30), F(350)) == (low, high)


@pytest.mark.parametrize(
    ("question_id", "unit", "inside", "outside"),
    [
        # what the range words allow is accepted after converting, and the step beyond them is refused
        ("height_cm", FEET_INCHES, [(3, 4), (8, 2)], [(3, 3), (8, 3)]),  # 99.06 cm; 251.46 cm
        ("weight_kg", STONES_POUNDS, [(4, 11), (55, 1)], [(4, 9), (55, 2)]),  # 29.48 kg; 350.17 kg
        ("weight_kg", POUNDS, [(67,), (771,)], [(66,), (772,)]),  # 29.94 kg; 350.17 kg
    ],
)
def test_the_range_applies_after_converting(
    question_id: str, unit: Unit, inside: list[tuple[int, ...]], outside: list[tuple[int, ...]]
) -> None:
    question = QUESTIONS[question_id]
    for amounts in inside:
        metric = units.to_metric(unit, [F(a) for a in amounts])
        assert valid_value(question, float(metric)) is not None, amounts
    for amounts in outside:
        metric = units.to_metric(unit, [F(a) for a in amounts])
        assert valid_value(question, float(metric)) is None, amounts
        problem = check_answer(question, float(metric), today=TODAY, min_age=18)
        assert problem is not None and problem.code == "range"


@pytest.mark.parametrize(
    ("question_id", "value", "stored"),
    [
        ("height_cm", 170, 170),  # a whole number stays an int (as stored before decimals)
        ("height_cm", 170.0, 170),
        ("height_cm", 170.2, 170.2),
        ("height_cm", 170.25, 170.3),  # rounded half up to one decimal
        ("height_cm", 100, 100),
        ("height_cm", 250, 250),
        ("height_cm", 99.94, None),  # 99.9: out of range
        ("height_cm", 99.95, 100),  # rounds to 100.0: in range
        ("height_cm", 250.04, 250),
        ("height_cm", 250.05, None),
        ("weight_kg", 92.3, 92.3),
        ("weight_kg", 29.9, None),
        ("weight_kg", True, None),
        ("weight_kg", "92.3", None),
        ("weight_kg", float("nan"), None),
        ("weight_kg", float("inf"), None),
    ],
)
def test_the_stored_form_of_a_height_or_weight(question_id: str, value: object, stored: object) -> None:
    assert valid_value(QUESTIONS[question_id], value) == stored
    if stored is not None:
        assert type(valid_value(QUESTIONS[question_id], value)) is type(stored)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("92.3", "92.3"),
        ("92,3", "92.3"),
        (" 170 ", "170"),
        (".5", "0.5"),
        ("5.", "5"),
        ("007", "7"),
        ("-5", None),
        ("+5", None),
        ("1,000.5", None),
        ("1.2.3", None),
        ("5'7", None),
        ("1.70m", None),
        ("", None),
        ("٥", None),  # Arabic-Indic five: not ASCII
        ("1e3", None),
        ("9" * 40, str(10**18)),  # too many digits to be a height or weight: out of every range
    ],
)
def test_read_number(text: str, number: str | None) -> None:
    assert units.read_number(text) == (None if number is None else F(number))


@pytest.mark.parametrize(("locale", "height", "weight"), [("en-GB", "cm", "kg"), ("en-US", "ft_in", "lb")])
def test_the_units_offered_by_locale_default_first(locale: str, height: str, weight: str) -> None:
    assert units.units_for("cm", locale)[0].code == height
    assert units.units_for("kg", locale)[0].code == weight
    assert "st_lb" not in [unit.code for unit in units.units_for("kg", "en-US")]  # the US does not use stones
    assert {unit.code for unit in units.units_for("cm", locale)} == {"cm", "ft_in"}

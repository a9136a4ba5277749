"""Units of height and weight: reading a number as typed, the units a patient may give a height or weight in (by
locale), their exact conversion to the metric unit stored (``cm``, ``kg``), and their words ("5 feet 7 inches").

The definitions are exact (UK Weights and Measures Act 1985, Schedule 1; NIST SP 811, Appendix B): 1 inch = 2.54 cm,
1 foot = 12 inches, 1 pound = 0.45359237 kg, 1 stone = 14 pounds. Arithmetic is in ``Fraction`` so a conversion is
exact until the one rounding, half up to one decimal of the metric unit (``to_metric``). Showing a stored metric value
in another unit (``from_metric``) rounds inches to a tenth and pounds to a half: a height or weight typed to those
steps comes back as typed (1 decimal of a cm is within 0.02 inch; of a kg, within 0.12 pound).

Pure: the standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil, floor

CM_PER_INCH = Fraction(254, 100)
INCHES_PER_FOOT = 12
KG_PER_POUND = Fraction(45359237, 100_000_000)
POUNDS_PER_STONE = 14
#: A typed number: digits with at most one decimal point or comma ("92.3", "92,3", ".5"). Digits are ASCII only.
_NUMBER = re.compile(r"(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
#: More digits than this read as a number too big for any range (never parsed: a pasted 1 MB of digits is cheap).
_LONGEST = 18
TOO_BIG = Fraction(10**18)


@dataclass(frozen=True, slots=True)
class Part:
    """One box of a unit: its name (``<question id>-<name>`` in the form), its label, its word (singular, plural)
    and how much of the metric unit one of it is."""

    name: str
    label: str
    singular: str
    plural: str
    metric_per_one: Fraction
    step: Fraction  # what a value shown in this box is rounded to (``from_metric``)

    def words(self, amount: Fraction) -> str:
        return f"{number_text(amount)} {self.singular if amount == 1 else self.plural}"


@dataclass(frozen=True, slots=True)
class Unit:
    """A way to give a height or weight: a code (posted as the choice), its label, and its boxes, largest first."""

    code: str
    label: str
    parts: tuple[Part, ...]

    @property
    def metric(self) -> bool:
        return len(self.parts) == 1 and self.parts[0].metric_per_one == 1


_TENTH = Fraction(1, 10)
CM = Unit("cm", "Centimetres", (Part("cm", "Centimetres", "cm", "cm", Fraction(1), _TENTH),))
FEET_INCHES = Unit(
    "ft_in",
    "Feet and inches",
    (
        Part("feet", "Feet", "foot", "feet", CM_PER_INCH * INCHES_PER_FOOT, Fraction(1)),
        Part("inches", "Inches", "inch", "inches", CM_PER_INCH, _TENTH),
    ),
)
KG = Unit("kg", "Kilograms", (Part("kg", "Kilograms", "kg", "kg", Fraction(1), _TENTH),))
STONES_POUNDS = Unit(
    "st_lb",
    "Stones and pounds",
    (
        Part("stones", "Stone", "stone", "stone", KG_PER_POUND * POUNDS_PER_STONE, Fraction(1)),
        Part("pounds", "Pounds", "pound", "pounds", KG_PER_POUND, Fraction(1, 2)),
    ),
)
POUNDS = Unit("lb", "Pounds", (Part("lb", "Pounds", "pound", "pounds", KG_PER_POUND, Fraction(1, 2)),))
UNITS: Mapping[str, Unit] = {unit.code: unit for unit in (CM, FEET_INCHES, KG, STONES_POUNDS, POUNDS)}
#: Every unit a question stored in ``cm`` or ``kg`` can be read in, whatever the locale offers.
READABLE: Mapping[str, tuple[Unit, ...]] = {"cm": (CM, FEET_INCHES), "kg": (KG, STONES_POUNDS, POUNDS)}

#: The units offered for a question stored in ``cm`` or ``kg``, by locale, the first one the default: the UK measures
#: people in feet and inches and in stones and pounds as often as in metric (the questions used to be asked in metric,
#: with the imperial as a hint); the US in feet and inches and in pounds, never stones.
LOCALE_UNITS: Mapping[str, Mapping[str, tuple[Unit, ...]]] = {
    "en-GB": {"cm": (CM, FEET_INCHES), "kg": (KG, STONES_POUNDS)},
    "en-US": {"cm": (FEET_INCHES, CM), "kg": (POUNDS, KG)},
}
#: How a stored metric value is shown in brackets after it (presenter): the locale's everyday imperial unit.
IMPERIAL: Mapping[str, Mapping[str, Unit]] = {
    "en-GB": {"cm": FEET_INCHES, "kg": STONES_POUNDS},
    "en-US": {"cm": FEET_INCHES, "kg": POUNDS},
}


def units_for(metric: str, locale: str) -> tuple[Unit, ...]:
    """The units a question stored in ``metric`` ("cm" or "kg") may be answered in, the default first; an unknown
    locale reads as en-GB."""
    return LOCALE_UNITS.get(locale, LOCALE_UNITS["en-GB"])[metric]


def read_number(text: str) -> Fraction | None:
    """A typed number, exactly: "92.3", "92,3" (a decimal comma), " 5 ", ".5", "5." are numbers; anything else
    (a sign, letters, "1,000.5", two points, other scripts' digits) is None. A number with more than 18 digits is
    ``TOO_BIG`` (out of every range)."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        return None
    if len(stripped) > _LONGEST:
        return TOO_BIG
    return Fraction(Decimal(stripped.replace(",", ".")))


def round_tenth(value: Fraction) -> Fraction:
    """``value`` rounded half up to one decimal."""
    return Fraction(floor(value * 10 + Fraction(1, 2)), 10)


def to_metric(unit: Unit, amounts: Sequence[Fraction | None]) -> Fraction:
    """The metric value of ``amounts`` (one per box of ``unit``; an empty box is 0), rounded half up to one decimal:
    5 feet 7 inches = 67 x 2.54 = 170.18 -> 170.2 cm; 12 stone 3 pounds = 171 x 0.45359237 = 77.564... -> 77.6 kg."""
    exact = sum(
        ((amount or Fraction(0)) * part.metric_per_one for part, amount in zip(unit.parts, amounts, strict=True)),
        Fraction(0),
    )
    return round_tenth(exact)


def _round_to(value: Fraction, step: Fraction) -> Fraction:
    return floor(value / step + Fraction(1, 2)) * step


def from_metric(unit: Unit, metric: Fraction) -> tuple[Fraction, ...]:
    """A metric value in ``unit``'s boxes, the last box rounded to its step (a tenth of an inch, half a pound, a
    tenth of a cm or kg), a whole number in the boxes before it: 170.2 cm -> (5, 7), 77.6 kg -> (12, 3)."""
    if len(unit.parts) == 1:
        part = unit.parts[0]
        return (_round_to(metric / part.metric_per_one, part.step),)
    big, small = unit.parts
    per_big = big.metric_per_one / small.metric_per_one
    total = _round_to(metric / small.metric_per_one, small.step)
    whole = floor(total / per_big)
    return Fraction(whole), total - whole * per_big


def number_text(value: Fraction) -> str:
    """A number as the page shows it: "170", "170.2", "3.5" (no trailing ".0"; at most 2 decimals)."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    rounded = Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(rounded.normalize(), "f") if rounded != rounded.to_integral() else str(int(rounded))


def words(unit: Unit, amounts: Sequence[Fraction]) -> str:
    """The amounts of ``unit`` in words: "170.2 cm", "5 feet 7 inches", "12 stone", "171 pounds". A leading box
    that is 0 is left out ("11 inches"), as is a trailing 0 after a non-zero box ("6 feet")."""
    shown = [(part, amount) for part, amount in zip(unit.parts, amounts, strict=True) if amount]
    if not shown:
        return unit.parts[-1].words(Fraction(0))
    return " ".join(part.words(amount) for part, amount in shown)


def metric_words(unit: Unit, metric: Fraction) -> str:
    """A metric value in ``unit``'s words (``from_metric`` then ``words``)."""
    return words(unit, from_metric(unit, metric))


def range_words(unit: Unit, low: Fraction, high: Fraction) -> tuple[str, str]:
    """The range ``low``-``high`` (metric) in ``unit``'s words, rounded inwards to whole inches or pounds (a tenth
    for a metric unit), so every value the words allow is accepted: 100-250 cm is "3 feet 4 inches" to "8 feet 2
    inches"; 30-350 kg is "4 stone 11 pounds" to "55 stone 1 pound"."""
    step = unit.parts[-1].metric_per_one if not unit.metric else _TENTH
    low_steps, high_steps = ceil(low / step), floor(high / step)
    low_metric, high_metric = low_steps * step, high_steps * step
    if unit.metric:
        return words(unit, (low_metric,)), words(unit, (high_metric,))
    return _whole_words(unit, low_steps), _whole_words(unit, high_steps)


def _whole_words(unit: Unit, smallest: int) -> str:
    if len(unit.parts) == 1:
        return words(unit, (Fraction(smallest),))
    big, small = unit.parts
    per_big = int(big.metric_per_one / small.metric_per_one)
    return words(unit, (Fraction(smallest // per_big), Fraction(smallest % per_big)))

"""The web field of a height or weight (``QType.MEASURE``): a choice of unit (``units.units_for`` the locale: cm or
feet and inches; kg or stones and pounds, or pounds in en-US) with the unit's boxes in the choice's conditional
reveal. It reads what was typed in the chosen unit (decimals allowed, "92.3" or "92,3"), converts it to the metric
value stored (``units.to_metric``, one decimal), keeps every box as typed when something is wrong, and words a range
problem in the unit the patient used ("Your height must be between 3 feet 4 inches and 8 feet 2 inches").

Form names: ``<id>-unit`` (the choice), ``<id>`` (the metric box, so a post of ``height_cm=170`` alone still reads as
170 cm), ``<id>-<part>`` (``height_cm-feet``, ``height_cm-inches``, ``weight_kg-stones``, ``weight_kg-pounds``,
``weight_kg-lb``). Without JavaScript every box shows; the chosen unit decides which are read; with no unit chosen,
the one unit whose boxes were filled is read (two filled: the patient is asked which). Ids: the first choice has the
question id; the boxes ``<id>-<part>``; ``id`` follows the box to fix when there is one, for the error summary.

Imports WTForms, Flask-Babel and the pure modules; never the database.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flask_babel import gettext
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import Field
from wtforms.utils import unset_value
from wtforms.validators import StopValidation

from screening.clinical import units
from screening.clinical.units import Unit
from screening.clinical.validation import Message, Problem
from screening.patient.fields import DEFAULT_LOCALE, QuestionField, first_text, problem_text, short_name

#: Messages about what was typed (gettext message ids); ``%(what)s`` is the question's name in lower case.
TWO_UNITS = "Select the unit you used for %(what)s"
OTHER_UNIT = "Enter %(what)s in %(unit)s, or select the unit you used"
_WIDTHS = {"cm": 4, "kg": 4, "lb": 4, "feet": 2, "inches": 3, "stones": 2, "pounds": 3}


class MeasureField(QuestionField, Field):
    """measure: a height or weight given in a unit of the patient's choice, stored in the question's metric unit."""

    widget = GovTextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.posted = False
        self.chosen = ""
        self.typed: dict[str, str] = {}
        self.used: Unit | None = None  # the unit read (or the chosen one when its boxes are wrong)
        self.reading_error = ""

    # --- reading -------------------------------------------------------------------------------------
    @property
    def id(self) -> str:
        if self.errors and self.used is not None:
            return f"{self.base_id}-{self.used.parts[0].name}"
        return self.base_id

    @id.setter
    def id(self, value: str) -> None:
        self.base_id = value

    def input_name(self, unit: Unit, part: units.Part) -> str:
        return self.name if unit.metric else f"{self.name}-{part.name}"

    def readable(self) -> tuple[Unit, ...]:
        return units.READABLE[self.question.unit]

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[str] = []
        self.object_data = None if data is unset_value else data
        self.process_data(self.object_data)
        self.posted, self.chosen, self.typed, self.used, self.reading_error = False, "", {}, None, ""
        if formdata is None:
            return
        self.posted = True
        self.chosen = first_text(formdata.getlist(f"{self.name}-unit")) or ""
        for unit in self.readable():
            for part in unit.parts:
                name = self.input_name(unit, part)
                self.typed[name] = first_text(formdata.getlist(name)) or ""
        self.data = self._read()

    def process_data(self, value: Any) -> None:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        self.data = value if ok else None

    def _filled(self, unit: Unit) -> bool:
        return any(self.typed[self.input_name(unit, part)].strip() for part in unit.parts)

    def _read(self) -> int | float | None:
        chosen = next((unit for unit in self.readable() if unit.code == self.chosen), None)
        filled = [unit for unit in self.readable() if self._filled(unit)]
        if chosen is not None and chosen not in filled:
            if filled:
                self.used = chosen
                self.reading_error = OTHER_UNIT
            return None
        if chosen is None and len(filled) > 1:
            self.reading_error = TWO_UNITS
            return None
        unit = chosen or (filled[0] if filled else None)
        if unit is None:
            return None
        self.used = unit
        amounts = [units.read_number(self.typed[self.input_name(unit, part)]) for part in unit.parts]
        typed = [self.typed[self.input_name(unit, part)].strip() for part in unit.parts]
        if any(amount is None and text for amount, text in zip(amounts, typed, strict=True)):
            self.reading_error = Message.NUMBER
            return None
        metric = units.to_metric(unit, amounts)
        return int(metric) if metric.denominator == 1 else float(metric)

    def is_empty(self) -> bool:
        return self.data is None and not self.reading_error

    def _value(self) -> str:
        """The metric box as typed, else the stored value (what ``widget``, a plain metric input, shows)."""
        if self.posted:
            return self.typed.get(self.name, "")
        value = self.stored()
        return "" if value is None else str(value)

    def stored(self) -> int | float | None:
        return self.data if isinstance(self.data, int | float) and not isinstance(self.data, bool) else None

    def pre_validate(self, form: Any) -> None:
        """What was typed cannot be read: the message, in the patient's words (the field is then "unread")."""
        if self.reading_error:
            what = short_name(self)
            unit = gettext(self.used.label).lower() if self.used else ""
            raise StopValidation(gettext(self.reading_error, short=what, what=what[:1].lower() + what[1:], unit=unit))

    def problem_message(self, problem: Problem, locale: str = DEFAULT_LOCALE) -> str:
        """A range problem in the unit the patient used; any other in ``problem_text``'s words."""
        if problem.code != "range" or self.used is None or self.used.metric:
            return problem_text(problem, locale)
        low, high = Fraction(self.question.min_value or 0), Fraction(self.question.max_value or 0)
        low_words, high_words = units.range_words(self.used, low, high)
        return str(gettext(Message.RANGE, short=short_name(self), min=low_words, max=high_words))

    # --- the page --------------------------------------------------------------------------------------
    def _selected(self, locale: str) -> Unit | None:
        if self.posted:
            return self.used or next((unit for unit in self.readable() if unit.code == self.chosen), None)
        return units.units_for(self.question.unit, locale)[0] if self.stored() is not None else None

    def _box_value(self, unit: Unit, index: int, selected: Unit | None) -> str:
        part = unit.parts[index]
        if self.posted:
            return self.typed.get(self.input_name(unit, part), "")
        value = self.stored()
        if value is None or unit is not selected:
            return ""
        exact = Fraction(value) if isinstance(value, int) else Fraction(repr(value))
        return units.number_text(units.from_metric(unit, exact)[index])

    def unit_items(self, locale: str = DEFAULT_LOCALE) -> list[dict[str, Any]]:
        """The units offered, in order: code, translated label, whether chosen, and the boxes (govukDateInput items:
        id, name, label, value, classes) to show in its reveal."""
        selected = self._selected(locale)
        marked = self.used if self.errors else None
        return [
            {
                "code": unit.code,
                "label": gettext(unit.label),
                "checked": unit is selected,
                "boxes": [
                    {
                        "id": f"{self.base_id}-{part.name}",
                        "name": self.input_name(unit, part),
                        "label": gettext(part.label),
                        "value": self._box_value(unit, index, selected),
                        "inputmode": "decimal",
                        "classes": f"govuk-input--width-{_WIDTHS[part.name]}"
                        + (" govuk-input--error" if unit is marked else ""),
                    }
                    for index, part in enumerate(unit.parts)
                ],
            }
            for unit in units.units_for(self.question.unit, locale)
        ]

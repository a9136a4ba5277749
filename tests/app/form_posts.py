"""Turn stored answers into what a browser posts for one step (field name = question id; dates as
day / month / year inputs; ticks as "y")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from screening.clinical.dates import parse_date
from screening.clinical.questionnaire import STEP_BY_ID, QType


def form_data(step_id: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The POST body for ``step_id`` that would store ``answers`` (questions absent from it are left empty)."""
    data: dict[str, Any] = {}
    for question in STEP_BY_ID[step_id]:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type is QType.DATE:
            day = parse_date(value)
            assert day is not None
            data.update(
                {
                    f"{question.id}-day": str(day.day),
                    f"{question.id}-month": str(day.month),
                    f"{question.id}-year": str(day.year),
                }
            )
        elif question.type is QType.MULTI:
            data[question.id] = list(value)
        elif question.type in (QType.CONSENT, QType.CHECKBOX):
            data[question.id] = "y"
        elif question.type is QType.MEASURE:  # a height or weight, given in its metric unit (cm, kg)
            data.update({f"{question.id}-unit": question.unit, question.id: str(value)})
        else:
            data[question.id] = str(value)
    return data

"""The mood page (issue 13 item 7): each instrument's stem (PHQ-9, GAD-7: the published "Over the last 2 weeks, ..."
wording of questionnaire.py) is shown once, as the heading of one group holding that instrument's items, and
describes each item's fieldset instead of being repeated under every item. Each item keeps its own legend (the
published wording), its own radios and, on an empty post, its own error message and error-summary link."""

from __future__ import annotations

from flask import Flask

from screening.clinical.questionnaire import GAD_STEM, PHQ_STEM, STEP_BY_ID, QType, Question
from tests.app.test_drafts import EVERY_FOLLOW_UP, seed
from tests.app.test_pages_structure import Element, Html, error_text
from tests.app.test_validation_pages import assert_error_page
from tests.conftest import Browser

MOOD = "/questionnaire/mood"
INSTRUMENTS = {"phq9": PHQ_STEM, "gad7": GAD_STEM}


def _items(instrument: str) -> list[Question]:
    return [
        question
        for question in STEP_BY_ID["mood"]
        if question.type is QType.LIKERT4 and question.id.startswith(f"{instrument}_")
    ]


def _mood_page(app: Flask, browser: Browser, data: dict[str, str] | None = None) -> Html:
    seed(app, browser, EVERY_FOLLOW_UP, before="mood")
    browser.get(MOOD)
    if data is not None:
        browser.post(MOOD, data)
    assert browser.status == 200
    return Html(browser.page)


def _within(element: Element, container: Element) -> bool:
    return any(ancestor is container for ancestor in element.ancestors)


def _legend(fieldset: Element) -> str:
    return next(child.clean_text() for child in fieldset.children if child.tag == "legend")


def _check_instrument_groups(page: Html) -> None:
    for instrument, stem in INSTRUMENTS.items():
        assert page.source.count(stem) == 1, f"the {instrument} stem is not shown exactly once"
        heading = page.by_id(f"{instrument}-stem")
        assert heading is not None and heading.tag == "h2"
        assert heading.clean_text() == stem
        groups = page.find(role="group", aria_labelledby=f"{instrument}-stem")
        assert len(groups) == 1, f"{instrument}: one group labelled by the stem"
        group = groups[0]
        assert _within(heading, group)
        items = _items(instrument)
        fieldsets = [element for element in page.find("fieldset") if _within(element, group)]
        assert [_legend(fieldset) for fieldset in fieldsets] == [question.label for question in items]
        for question, fieldset in zip(items, fieldsets, strict=True):
            assert f"{instrument}-stem" in fieldset.attrs.get("aria-describedby", "").split(), question.id
            radios = page.find("input", name=question.id)
            assert len(radios) == len(question.options), question.id
            assert all(_within(radio, fieldset) for radio in radios)
            assert page.by_id(f"{question.id}-hint") is None, f"{question.id}: the stem repeated as its hint"


def test_mood_page_shows_each_stem_once_over_its_items(app: Flask, browser: Browser) -> None:
    page = _mood_page(app, browser)
    _check_instrument_groups(page)
    assert len(page.source.split("Over the last 2 weeks")) - 1 == len(INSTRUMENTS)


def test_mood_page_errors_link_to_each_item_in_its_group(app: Flask, browser: Browser) -> None:
    page = _mood_page(app, browser, {})
    links = dict(assert_error_page(page))
    _check_instrument_groups(page)
    for instrument in INSTRUMENTS:
        for question in _items(instrument):
            assert links.get(question.id) == question.error, f"no error-summary link to #{question.id}"
            message = page.by_id(f"{question.id}-error")
            assert message is not None and error_text(message) == question.error
            fieldset = message.inside(lambda ancestor: ancestor.tag == "fieldset")
            assert fieldset is not None
            assert fieldset.attrs["aria-describedby"].split() == [f"{instrument}-stem", f"{question.id}-error"]

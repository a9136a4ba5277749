"""Issue 13, item 6 ("Units and numbers"), through the pages: a height or weight in decimals and in the unit the
patient chooses (cm or feet and inches; kg or stones and pounds, or pounds in en-US), converted on the server and
stored in metric; phone numbers read for the clinic's region, with extensions; "Text message" only with a mobile.
The conversions' own boundaries are in tests/unit/test_units.py, the phone rules' in tests/unit/test_phones.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.app.form_posts import form_data
from tests.app.test_drafts import EVERY_FOLLOW_UP, seed, the_draft
from tests.app.test_pages_structure import Html
from tests.conftest import Browser

MOBILE_TEXT = "Enter a mobile number to get text messages, or choose another way for us to contact you"
PHONE = "Enter a phone number, like 01632 960 001 or +44 808 157 0192"


def health_post(**changes: Any) -> dict[str, Any]:
    """The health page's post for every follow-up, without a height or weight, with ``changes``."""
    data = {k: v for k, v in form_data("health", EVERY_FOLLOW_UP).items() if not k.startswith(("height", "weight"))}
    return {**data, **changes}


def about_you_post(**changes: Any) -> dict[str, Any]:
    return {**form_data("about_you", EVERY_FOLLOW_UP), **changes}


def post_step(
    app: Flask, browser: Browser, step_id: str, data: dict[str, Any], given: dict[str, Any] = EVERY_FOLLOW_UP
) -> str:
    seed(app, browser, given, before=step_id)
    browser.get(f"/questionnaire/{step_id}")
    return browser.post(f"/questionnaire/{step_id}", data)


def error_of(page: str, field: str) -> str:
    """The message beside ``field`` (its error message element), without the hidden "Error:" prefix."""
    found = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', page, re.S)
    assert found is not None, f"no error beside {field}"
    return re.sub(r"<[^>]+>.*?</[^>]+>", "", found[1], flags=re.S).strip()


def value_of(html: Html, element_id: str) -> str | None:
    element = html.by_id(element_id)
    assert element is not None, element_id
    return element.attrs.get("value")


#: A phone number valid in each locale (a UK national number is not one in the US).
LOCAL_PHONE = {"en-GB": "01632 960 001", "en-US": "(201) 555-0123"}


@pytest.fixture(params=["en-GB", "en-US"])
def locale(request: pytest.FixtureRequest, app: Flask) -> str:
    app.config["SCREENING"]["LOCALE"] = request.param
    return str(request.param)


# --- heights and weights ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "height", "weight"),
    [
        # 5 ft 7 in = 67 in x 2.54 = 170.18 cm -> 170.2; 12 st 3 lb = 171 lb x 0.45359237 = 77.564 kg -> 77.6
        (
            {"height_cm-unit": "ft_in", "height_cm-feet": "5", "height_cm-inches": "7"},
            170.2,
            None,
        ),
        ({"weight_kg-unit": "st_lb", "weight_kg-stones": "12", "weight_kg-pounds": "3"}, None, 77.6),
        ({"height_cm-unit": "cm", "height_cm": "170.5", "weight_kg-unit": "kg", "weight_kg": "92.3"}, 170.5, 92.3),
        ({"height_cm-unit": "cm", "height_cm": "170,5", "weight_kg-unit": "kg", "weight_kg": "92,3"}, 170.5, 92.3),
        # 5.5 feet = 66 in = 167.64 cm -> 167.6; 11.5 stone = 161 lb = 73.028 kg -> 73.0, stored as 73
        (
            {"height_cm-unit": "ft_in", "height_cm-feet": "5.5", "weight_kg-unit": "st_lb", "weight_kg-stones": "11.5"},
            167.6,
            73,
        ),
        # no unit chosen (no JavaScript): the one unit whose boxes were filled is read
        ({"height_cm-feet": "6", "weight_kg-pounds": "154"}, 182.9, 69.9),
        # the chosen unit decides, whatever is typed in the other boxes
        ({"height_cm-unit": "cm", "height_cm": "180", "height_cm-feet": "5", "height_cm-inches": "2"}, 180, None),
    ],
)
def test_a_height_or_weight_in_any_offered_unit_is_stored_in_metric(
    app: Flask, browser: Browser, typed: dict[str, str], height: float | None, weight: float | None
) -> None:
    post_step(app, browser, "health", health_post(**typed))
    assert browser.status == 302, browser.page
    stored = the_draft(app).answers
    assert (stored.get("height_cm"), stored.get("weight_kg")) == (height, weight)


def test_pounds_alone_are_read_in_the_us(app: Flask, browser: Browser) -> None:
    app.config["SCREENING"]["LOCALE"] = "en-US"
    post_step(app, browser, "health", health_post(**{"weight_kg-unit": "lb", "weight_kg-lb": "171"}))
    assert browser.status == 302
    assert the_draft(app).answers["weight_kg"] == 77.6  # 171 x 0.45359237 = 77.564


def test_the_units_offered_and_the_default_follow_the_locale(app: Flask, browser: Browser, locale: str) -> None:
    seed(app, browser, {**EVERY_FOLLOW_UP, "height_cm": 170.2, "weight_kg": 77.6}, before="mood")
    page = browser.get("/questionnaire/health")
    units = re.findall(r'name="weight_kg-unit" type="radio" value="([a-z_]+)"', page)
    assert units == (["kg", "st_lb"] if locale == "en-GB" else ["lb", "kg"])
    assert re.findall(r'name="height_cm-unit" type="radio" value="([a-z_]+)"', page) == (
        ["cm", "ft_in"] if locale == "en-GB" else ["ft_in", "cm"]
    )
    html = Html(page)
    if locale == "en-GB":  # the stored value in the default unit, that unit chosen
        assert value_of(html, "height_cm-cm") == "170.2"
        assert value_of(html, "weight_kg-kg") == "77.6"
    else:
        assert value_of(html, "height_cm-feet") == "5"
        assert value_of(html, "height_cm-inches") == "7"
        assert value_of(html, "weight_kg-lb") == "171"
    default = {"en-GB": ("cm", "kg"), "en-US": ("ft_in", "lb")}[locale]
    for question, unit in zip(("height_cm", "weight_kg"), default, strict=True):
        checked = re.findall(rf'<input[^>]*name="{question}-unit"[^>]*value="([a-z_]+)"[^>]*checked', page)
        assert checked == [unit], question
    assert re.search(r'<input[^>]*id="height_cm"[^>]*name="height_cm-unit"', page), "the first choice has the id"


@pytest.mark.parametrize(
    ("typed", "target", "message"),
    [
        (
            {"height_cm-unit": "ft_in", "height_cm-feet": "8", "height_cm-inches": "3"},
            "height_cm-feet",
            "Your height must be between 3 feet 4 inches and 8 feet 2 inches",
        ),
        (
            {"weight_kg-unit": "st_lb", "weight_kg-stones": "4", "weight_kg-pounds": "10"},
            "weight_kg-stones",
            "Your weight must be between 4 stone 11 pounds and 55 stone 1 pound",
        ),
        (
            {"height_cm-unit": "cm", "height_cm": "99.9"},
            "height_cm-cm",
            "Your height must be between 100 cm and 250 cm",
        ),
        (
            {"weight_kg-unit": "kg", "weight_kg": "350.1"},
            "weight_kg-kg",
            "Your weight must be between 30 kg and 350 kg",
        ),
        ({"height_cm-unit": "cm", "height_cm": "1.70m"}, "height_cm-cm", "Your height must be a number"),
        ({"height_cm-unit": "ft_in", "height_cm-feet": "5'7"}, "height_cm-feet", "Your height must be a number"),
        ({"weight_kg-unit": "kg", "weight_kg": "-70"}, "weight_kg-kg", "Your weight must be a number"),
        (
            {"height_cm-unit": "cm", "height_cm-feet": "5", "height_cm-inches": "7"},
            "height_cm-cm",
            "Enter your height in centimetres, or select the unit you used",
        ),
        ({"height_cm": "170", "height_cm-feet": "5"}, "height_cm", "Select the unit you used for your height"),
    ],
)
def test_a_height_or_weight_that_cannot_be_stored_says_why_in_the_unit_used_and_keeps_what_was_typed(
    app: Flask, browser: Browser, typed: dict[str, str], target: str, message: str
) -> None:
    page = post_step(app, browser, "health", health_post(**typed))
    assert browser.status == 200
    question = target.split("-")[0]
    assert error_of(page, question) == message
    assert f'href="#{target}"' in page and f'id="{target}"' in page  # the summary links to the box to fix
    html = Html(page)
    for name, value in typed.items():
        if not name.endswith("-unit"):
            assert value_of(html, name if "-" in name else f"{name}-{name.split('_')[1]}") == value, name
    assert question not in the_draft(app).answers


def test_the_check_page_shows_metric_with_the_locales_imperial(app: Flask, browser: Browser, locale: str) -> None:
    seed(app, browser, {**EVERY_FOLLOW_UP, "height_cm": 170.2, "weight_kg": 77.6, "phone": LOCAL_PHONE[locale]})
    page = browser.get("/questionnaire/check")
    assert browser.status == 200, browser.location
    assert "170.2 cm (5 feet 7 inches)" in page
    assert ("77.6 kg (12 stone 3 pounds)" if locale == "en-GB" else "77.6 kg (171 pounds)") in page


# --- phone numbers ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "number",
    [
        "01632 960000 ext. 123",
        "020 7946 0000 x123",
        "020 7946 0000 extension 12",
        "+44 20 7946 0000 #9",
        "(020) 7946-0000",
        "+1 201 555 0123",  # an international number, valid where it is
        "0808 157 0192",
    ],
)
def test_a_phone_number_national_or_international_with_an_extension_is_stored_as_typed(
    app: Flask, browser: Browser, number: str
) -> None:
    post_step(app, browser, "about_you", about_you_post(phone=f" {number} ", preferred_contact="phone"))
    assert browser.status == 302, browser.page
    assert the_draft(app).answers["phone"] == number


@pytest.mark.parametrize("number", ["12345", "0800 FLOWERS", "+44 20 7946", "+1 555 555 5555", "020 7946 0000 x"])
def test_a_number_that_is_not_one_we_can_call_is_refused(app: Flask, browser: Browser, number: str) -> None:
    page = post_step(app, browser, "about_you", about_you_post(phone=number, preferred_contact="phone"))
    assert browser.status == 200
    assert error_of(page, "phone") == PHONE
    assert f'value="{number}"' in page


@pytest.mark.parametrize(
    ("number", "accepted"),
    [("07700 900123", True), ("07400 123456 ext 4", True), ("020 7946 0000", False), ("0808 157 0192", False)],
)
def test_text_messages_need_a_mobile_number(app: Flask, browser: Browser, number: str, accepted: bool) -> None:
    page = post_step(app, browser, "about_you", about_you_post(phone=number, preferred_contact="text"))
    if accepted:
        assert browser.status == 302, page
        return
    assert browser.status == 200
    assert error_of(page, "phone") == MOBILE_TEXT
    assert f'value="{number}"' in page
    assert the_draft(app).answers.get("phone") != number


def test_a_us_number_can_get_texts_in_the_us(app: Flask, browser: Browser) -> None:
    """US numbers do not say whether they are mobiles (FIXED_LINE_OR_MOBILE): texts are allowed."""
    app.config["SCREENING"]["LOCALE"] = "en-US"
    post_step(app, browser, "about_you", about_you_post(phone="(201) 555-0123", preferred_contact="text"))
    assert browser.status == 302, browser.page


@pytest.mark.parametrize(("number", "accepted"), [("020 7946 0000 ext. 12", True), ("12345", False)])
def test_the_urgent_call_back_number_may_be_a_landline_with_an_extension(
    app: Flask, browser: Browser, number: str, accepted: bool
) -> None:
    given = {key: value for key, value in EVERY_FOLLOW_UP.items() if key != "phone"}  # asked when no phone was given
    page = post_step(app, browser, "support", {**form_data("support", given), "contact_phone_today": number}, given)
    assert browser.status == (302 if accepted else 200), page
    if accepted:
        assert the_draft(app).answers["contact_phone_today"] == number
    else:
        assert error_of(page, "contact_phone_today") == PHONE


def test_submit_checks_the_phone_as_the_page_does(app: Flask, browser: Browser) -> None:
    """A draft whose stored number is a landline with texts preferred (a number stored before this rule) is sent
    back to the page at submit, as the page itself would refuse it."""
    seed(app, browser, {**EVERY_FOLLOW_UP, "phone": "020 7946 0000", "preferred_contact": "text"})
    from screening import forms
    from tests.answer_sets import TODAY

    with app.app_context():
        assert forms.first_invalid_step(the_draft(app).answers, today=TODAY, min_age=18) == "about_you"
        answers = {**the_draft(app).answers, "phone": "07700 900123"}
        assert forms.first_invalid_step(answers, today=TODAY, min_age=18) != "about_you"

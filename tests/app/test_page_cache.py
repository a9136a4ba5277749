"""screening/patient/page_cache.py: the start page and every step page are byte for byte the same with the
rendered-question cache on (warmed by other states of the same page first) as with it off, for drafts empty,
filled, with every follow-up, and posted with errors; nothing typed is kept in it; a setting changed at runtime
shows at once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from screening import create_app, forms
from screening.clinical.questionnaire import STANDARD_DRINK, STEPS
from screening.models import Draft
from screening.patient import page_cache, views
from tests.answer_sets import TODAY, answers
from tests.app.form_posts import form_data
from tests.app.test_forms import EVERY_FOLLOW_UP, OTHER_BRANCH

_CSRF = re.compile(r'(name="csrf_token" type="hidden" value=")[^"]+"')
DRAFTS: dict[str, Mapping[str, Any]] = {
    "empty": {"consent_store": True},
    "filled": answers(),
    "every follow-up": EVERY_FOLLOW_UP,
    "other branch": OTHER_BRANCH,
    "high scores": answers(phq9_1=3, phq9_9=2, gad7_3=1, sex_at_birth="male"),
}
DRINKS = answers(auditc_1="2")
POSTS = ("nothing", "every follow-up")


@pytest.fixture(scope="module")
def page_app() -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


@pytest.fixture(scope="module")
def plain_app() -> Flask:
    """The same app with the cache off and GOV.UK Frontend's templates as published (screening/macro_imports.py)."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "PATIENT_PAGE_CACHE": False})


def _form(step_id: str, earlier: Mapping[str, Any], posted: str | None) -> forms.StepForm:
    if posted is None:
        return forms.form_for(step_id, earlier)
    data = {} if posted == "nothing" else form_data(step_id, EVERY_FOLLOW_UP)
    formdata = MultiDict(
        [(key, item) for key, value in data.items() for item in (value if isinstance(value, list) else [value])]
    )
    form = forms.step_form_class(step_id)(formdata=formdata, meta={"csrf": False})
    form.validate_step(earlier, today=TODAY, min_age=18)
    return form


def step_page(app: Flask, step_id: str, earlier: Mapping[str, Any], posted: str | None = None) -> str:
    """The step page as the view renders it (CSRF token masked: it is signed with the time)."""
    with app.test_request_context(f"/questionnaire/{step_id}", method="POST" if posted else "GET"):
        draft = Draft(answers=dict(earlier), completed_steps=["start"])
        html = views.render_step(step_id, draft, _form(step_id, earlier, posted), return_to_check=False)
    return _CSRF.sub(r"\1MASKED", html)


def start_page(app: Flask, posted: bool) -> str:
    with app.test_request_context("/", method="POST" if posted else "GET"):
        form = forms.step_form_class("start")(formdata=MultiDict() if posted else None, meta={"csrf": False})
        if posted:
            form.validate_step({}, today=TODAY, min_age=18)
        html = views.page(
            "patient/start.html", form=form, nodes=forms.layout("start", {}), has_errors=bool(form.errors)
        )
    return _CSRF.sub(r"\1MASKED", html)


CASES = [
    *((step.id, name, None) for step in STEPS[1:] for name in DRAFTS),
    *((step.id, "every follow-up", posted) for step in STEPS[1:] for posted in POSTS),
]


def test_page_cache_every_step_page_same_html_as_uncached(page_app: Flask, plain_app: Flask) -> None:
    cached = {case: step_page(page_app, case[0], DRAFTS[case[1]], case[2]) for case in CASES}  # warms every state
    again = {case: step_page(page_app, case[0], DRAFTS[case[1]], case[2]) for case in reversed(CASES)}
    assert len(page_app.extensions[page_cache.EXTENSION]) > 0
    for case in CASES:
        fresh = step_page(plain_app, case[0], DRAFTS[case[1]], case[2])
        assert cached[case] == fresh, case
        assert again[case] == fresh, case


@pytest.mark.parametrize("posted", [False, True])
def test_page_cache_start_page_same_html_as_uncached(page_app: Flask, plain_app: Flask, posted: bool) -> None:
    start_page(page_app, not posted)
    assert start_page(page_app, posted) == start_page(plain_app, posted)


def test_page_cache_reuses_a_question_rendered_before(page_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    step_page(page_app, "mood", DRAFTS["filled"])
    calls = []
    real = page_cache.FragmentCache.get_or_render

    def counting(self: page_cache.FragmentCache, key: Any, render: Any) -> Any:
        calls.append(key)
        return real(self, key, lambda: pytest.fail(f"rendered again: {key}"))

    monkeypatch.setattr(page_cache.FragmentCache, "get_or_render", counting)
    step_page(page_app, "mood", DRAFTS["filled"])
    assert len(calls) >= 16  # the nine PHQ-9 and seven GAD-7 items, each from the cache


def test_page_cache_keeps_nothing_typed(page_app: Flask) -> None:
    typed = answers(
        pain_description="Burning at night under the left knee",
        referrer_name="Dr Zebedee Example",
        height_cm=173.4,
        weight_kg=81.7,
    )
    for step in STEPS[1:]:
        step_page(page_app, step.id, typed)
        step_page(page_app, step.id, typed, posted="every follow-up")
    kept = "".join(str(html) for html in page_app.extensions[page_cache.EXTENSION]._html.values())
    assert "Burning at night" not in kept
    assert "Zebedee" not in kept
    assert "Lyrica" not in kept  # EVERY_FOLLOW_UP's medicines, posted
    assert "173" not in kept and "81.7" not in kept and 'value="81' not in kept


def test_page_cache_keeps_an_empty_height_and_weight(page_app: Flask) -> None:
    assert 'id="height_cm"' in step_page(page_app, "health", DRAFTS["empty"])
    keys = list(page_app.extensions[page_cache.EXTENSION]._html)
    assert any("height_cm" in key and "weight_kg" not in key for key in keys)


RADIOS = "govuk_frontend_jinja/components/radios/macro.html"


def template_source(app: Flask, name: str) -> str:
    loader = app.jinja_env.loader
    assert loader is not None
    return loader.get_source(app.jinja_env, name)[0]


def test_page_cache_off_by_setting(plain_app: Flask) -> None:
    assert 'id="phq9_1"' in step_page(plain_app, "mood", DRAFTS["filled"])
    assert page_cache.EXTENSION not in plain_app.extensions
    assert template_source(plain_app, RADIOS).startswith(
        "{% macro govukRadios(params) %}"
    )  # as published: its imports inside the macro


def test_macro_imports_hoisted_to_the_top_line_numbers_kept(page_app: Flask, plain_app: Flask) -> None:
    hoisted, published = template_source(page_app, RADIOS), template_source(plain_app, RADIOS)
    first = hoisted.splitlines()[0]
    assert first.startswith('{% from "govuk_frontend_jinja/macros/attributes.html" import govukAttributes %}')
    assert first.endswith("{% macro govukRadios(params) %}")
    assert len(hoisted.splitlines()) == len(published.splitlines())
    assert hoisted.count("{% from ") == published.count("{% from ") == 5


def test_page_cache_locale_changed_at_runtime_shows_at_once(page_app: Flask) -> None:
    settings = page_app.config["SCREENING"]
    before = settings["LOCALE"]
    try:
        settings["LOCALE"] = "en-GB"
        assert "half a pint" in step_page(page_app, "alcohol", DRINKS)
        settings["LOCALE"] = "en-US"
        html = step_page(page_app, "alcohol", DRINKS)
        assert STANDARD_DRINK["en-US"].split(",")[0] in html
        assert "half a pint" not in html
    finally:
        settings["LOCALE"] = before


def test_page_cache_clinic_name_changed_at_runtime_shows_at_once(page_app: Flask) -> None:
    settings = page_app.config["SCREENING"]
    before = settings["CLINIC_NAME"]
    try:
        step_page(page_app, "mood", DRAFTS["filled"])
        settings["CLINIC_NAME"] = "Riverside Pain Service"
        assert "Riverside Pain Service" in step_page(page_app, "mood", DRAFTS["filled"])
    finally:
        settings["CLINIC_NAME"] = before


def test_fragment_cache_forgets_the_oldest_past_its_cap() -> None:
    cache = page_cache.FragmentCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_render(key, key.upper)
    assert len(cache) == 2
    assert cache.get_or_render("a", lambda: "rendered again") == "rendered again"
    assert cache.get_or_render("c", lambda: "never") == "C"
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("setting", "value", "shown"),
    [
        ("CLINIC_NAME", "Riverside Pain Service", "tell Riverside Pain Service about your pain"),
        ("EMERGENCY_NUMBER", "112", 'href="tel:112">112</a>'),
    ],
)
def test_page_cache_start_page_setting_changed_at_runtime_shows_at_once(
    page_app: Flask, setting: str, value: str, shown: str
) -> None:
    settings = page_app.config["SCREENING"]
    before = settings[setting]
    try:
        assert shown not in start_page(page_app, posted=False)  # the introduction is now in the cache
        settings[setting] = value
        assert shown in start_page(page_app, posted=False)
    finally:
        settings[setting] = before
    assert shown not in start_page(page_app, posted=False)

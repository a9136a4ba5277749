"""templates/macros/questions.html: every step renders accessible GOV.UK markup from its form and layout —
one legend per question group, a label for every input, unique ids, follow-ups inside their option's
conditional reveal, error summary links that land on an input, and what was typed kept after an error."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, render_template_string
from govuk_frontend_wtf.main import wtforms_errors
from werkzeug.datastructures import MultiDict

from screening import create_app, forms
from screening.clinical.questionnaire import STANDARD_DRINK, STEP_BY_ID, STEPS, QType
from tests.answer_sets import TODAY, answers
from tests.app.form_posts import form_data
from tests.app.test_forms import EVERY_FOLLOW_UP

STEP_IDS = [step.id for step in STEPS]
GROUPED = {
    QType.CHOICE,
    QType.YESNO,
    QType.YESNOUNSURE,
    QType.SCALE,
    QType.LIKERT4,
    QType.MULTI,
    QType.DATE,
    QType.MEASURE,
}
_VOID = {"input", "br", "img", "hr", "meta", "link"}
_TEMPLATE = '{% from "macros/questions.html" import render_questions %}{{ render_questions(form, nodes, locale) }}'


@pytest.fixture(scope="module")
def form_app() -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})


@pytest.fixture
def ctx(form_app: Flask) -> Iterator[None]:
    with form_app.test_request_context("/", method="POST"):
        yield


class Page(HTMLParser):
    """What the tests look at in rendered HTML: ids, inputs (with the conditional reveals around them),
    labels, legends, and the text of each textarea."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.inputs: list[dict[str, Any]] = []
        self.labels: list[str] = []
        self.legends: list[str] = []
        self.classes: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.append(attributes["id"])
            self.classes[attributes["id"]] = attributes.get("class", "")
        if tag in ("input", "textarea"):
            within = [element_id for _, element_id in self._open if element_id.startswith("conditional-")]
            self.inputs.append({**attributes, "tag": tag, "within": within, "text": ""})
        self.labels += [attributes["for"]] if tag == "label" else []
        self.legends += [""] if tag == "legend" else []
        if tag not in _VOID:
            self._open.append((tag, attributes.get("id", "")))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][0] == "textarea":
            self.inputs[-1]["text"] += data
        elif any(tag == "legend" for tag, _ in self._open):
            self.legends[-1] += data.strip()

    def named(self, name: str) -> list[dict[str, Any]]:
        return [element for element in self.inputs if element.get("name") == name]

    def named_like(self, prefix: str) -> list[dict[str, Any]]:
        return [element for element in self.inputs if element.get("name", "").startswith(prefix)]


def render(form: forms.StepForm, step_id: str, earlier: Mapping[str, Any], locale: str = "en-GB") -> str:
    return render_template_string(_TEMPLATE, form=form, nodes=forms.layout(step_id, earlier), locale=locale)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def posted_form(step_id: str, data: Mapping[str, Any], earlier: Mapping[str, Any] = EVERY_FOLLOW_UP) -> forms.StepForm:
    formdata = MultiDict(
        [(key, item) for key, value in data.items() for item in (value if isinstance(value, list) else [value])]
    )
    form = forms.step_form_class(step_id)(formdata=formdata, meta={"csrf": False})
    form.validate_step(earlier, today=TODAY, min_age=18)
    return form


def _flat(nodes: tuple[forms.Node, ...]) -> list[forms.Node]:
    return [
        each for node in nodes for each in [node, *_flat(tuple(kid for kids in node.children.values() for kid in kids))]
    ]


CASES = [(step_id, kind) for step_id in STEP_IDS for kind in ("answered", "empty post")]


def _case(step_id: str, kind: str) -> tuple[forms.StepForm, str]:
    if kind == "answered":
        form = forms.form_for(step_id, EVERY_FOLLOW_UP)
    else:
        form = posted_form(step_id, {})
    return form, render(form, step_id, EVERY_FOLLOW_UP)


# --- structure of every step -----------------------------------------------------------------------
@pytest.mark.parametrize("step_id, kind", CASES)
def test_render_questions_every_step_ids_unique(ctx: None, step_id: str, kind: str) -> None:
    page = parse(_case(step_id, kind)[1])
    assert len(page.ids) == len(set(page.ids)), sorted({i for i in page.ids if page.ids.count(i) > 1})


@pytest.mark.parametrize("step_id, kind", CASES)
def test_render_questions_every_input_has_a_label(ctx: None, step_id: str, kind: str) -> None:
    page = parse(_case(step_id, kind)[1])
    assert page.inputs
    assert [element["id"] for element in page.inputs if element["id"] not in page.labels] == []


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_render_questions_one_legend_per_radios_checkboxes_or_date_question(ctx: None, step_id: str) -> None:
    form, html = _case(step_id, "answered")
    grouped = [node for node in _flat(forms.layout(step_id, EVERY_FOLLOW_UP)) if node.question.type in GROUPED]
    assert parse(html).legends == [node.question.label_in("en-GB") for node in grouped]


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_render_questions_every_question_rendered_with_its_name(ctx: None, step_id: str) -> None:
    page = parse(_case(step_id, "answered")[1])
    names = {element.get("name") for element in page.inputs}
    for question in STEP_BY_ID[step_id]:
        expected = {f"{question.id}-day"} if question.type is QType.DATE else {question.id}
        assert expected <= names, question.id


@pytest.mark.parametrize("step_id, kind", CASES)
def test_render_questions_no_inline_style_or_script(ctx: None, step_id: str, kind: str) -> None:
    html = _case(step_id, kind)[1]
    assert "style=" not in html and "<script" not in html and " on" + "click" not in html


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_render_questions_error_summary_links_land_on_inputs(ctx: None, step_id: str) -> None:
    form, html = _case(step_id, "empty post")
    page = parse(html)
    links = [error["href"] for error in wtforms_errors(form)["errorList"]]
    assert links
    inputs = {element["id"] for element in page.inputs}
    assert [href for href in links if href[1:] not in inputs] == []


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_render_questions_follow_up_inside_its_options_conditional(ctx: None, step_id: str) -> None:
    page = parse(_case(step_id, "answered")[1])
    for node in _flat(forms.layout(step_id, EVERY_FOLLOW_UP)):
        for code, kids in node.children.items():
            option = next(e for e in page.named(node.field_name) if e["value"] == code)
            assert option["data-aria-controls"] == f"conditional-{option['id']}"
            for kid in _flat(kids):
                elements = page.named(kid.field_name)
                assert elements, kid.field_name
                assert all(f"conditional-{option['id']}" in element["within"] for element in elements)


def test_render_questions_follow_up_of_unchosen_option_still_in_page(ctx: None) -> None:
    page = parse(render(forms.form_for("treatments", answers()), "treatments", answers()))
    assert (
        page.named("previous_ketamine_effect")
        and "govuk-radios__conditional--hidden" in page.classes["conditional-previous_ketamine"]
    )


# --- values, errors and details ---------------------------------------------------------------------
def test_render_questions_values_kept_after_an_error(ctx: None) -> None:
    data = {
        **form_data("about_you", answers()),
        "full_name": "Zoë <b>O'Brien</b>",
        "email": "alex@",
        "date_of_birth-month": "",
        "phone": "call me",
    }
    form = posted_form("about_you", data, earlier={})
    html = render(form, "about_you", {})
    page = parse(html)
    assert form.errors
    assert page.named("full_name")[0]["value"] == "Zoë <b>O'Brien</b>" and "<b>O" not in html
    assert page.named("email")[0]["value"] == "alex@" and page.named("phone")[0]["value"] == "call me"
    assert [e["value"] for e in page.named("date_of_birth-day") + page.named("date_of_birth-year")] == ["14", "1985"]
    assert [e["value"] for e in page.named("sex_at_birth") if "checked" in e] == ["female"]


def test_render_questions_number_textarea_and_ticks_kept_after_an_error(ctx: None) -> None:
    data = {**form_data("health", EVERY_FOLLOW_UP), "bp_systolic": "12a"}
    page = parse(render(posted_form("health", data), "health", EVERY_FOLLOW_UP))
    assert page.named("bp_systolic")[0]["value"] == "12a"
    assert [e["value"] for e in page.named("heart_conditions") if "checked" in e] == [
        "high_blood_pressure",
        "heart_attack",
        "coronary_disease",
        "heart_failure",
        "valve_disease",
    ]
    data = {**form_data("pain", EVERY_FOLLOW_UP), "pain_description": "line one\r\nline <two>", "peg_pain": ""}
    page = parse(render(posted_form("pain", data), "pain", EVERY_FOLLOW_UP))
    assert page.named("pain_description")[0]["text"].strip() == "line one\nline <two>"


@pytest.mark.parametrize("month, marked", [("", ["date_of_birth-month"]), ("13", ["date_of_birth-month"]), ("3", [])])
def test_render_questions_date_error_class_only_on_wrong_part(ctx: None, month: str, marked: list[str]) -> None:
    form = posted_form("about_you", {**form_data("about_you", answers()), "date_of_birth-month": month}, {})
    page = parse(render(form, "about_you", {}))
    wrong = [e["id"] for e in page.named_like("date_of_birth-") if "govuk-input--error" in e["class"]]
    assert wrong == marked


@pytest.mark.parametrize(
    "step_id, name",
    [("health", "heart_conditions"), ("medications", "medication_checklist"), ("substances", "drugs_past_year")],
)
def test_render_questions_none_option_exclusive_after_or_divider(ctx: None, step_id: str, name: str) -> None:
    html = render(forms.form_for(step_id, EVERY_FOLLOW_UP), step_id, EVERY_FOLLOW_UP)
    none = [e for e in parse(html).named(name) if e["value"] == "none"]
    assert none[0]["data-behaviour"] == "exclusive"
    assert [e for e in parse(html).named(name) if "data-behaviour" in e] == none
    assert 'class="govuk-checkboxes__divider">or</div>' in html


def test_render_questions_scale_inline_likert_stacked(ctx: None) -> None:
    html = render(forms.form_for("pain", EVERY_FOLLOW_UP), "pain", EVERY_FOLLOW_UP)
    assert html.count("govuk-radios govuk-radios--inline") == 3
    assert "0 means no pain. 10 means pain as bad as you can imagine." in html
    assert "govuk-radios--inline" not in render(forms.form_for("mood", EVERY_FOLLOW_UP), "mood", EVERY_FOLLOW_UP)


@pytest.mark.parametrize("locale", sorted(STANDARD_DRINK))
def test_render_questions_standard_drink_hint_follows_locale(ctx: None, locale: str) -> None:
    html = render(forms.form_for("alcohol", EVERY_FOLLOW_UP), "alcohol", EVERY_FOLLOW_UP, locale)  # items 2 and 3
    assert html.count(STANDARD_DRINK[locale].replace("'", "&#39;")) == 2
    assert "{standard_drink}" not in html


def test_render_questions_textarea_character_count_without_javascript(ctx: None) -> None:
    html = render(forms.form_for("pain", EVERY_FOLLOW_UP), "pain", EVERY_FOLLOW_UP)
    assert 'data-maxlength="2000"' in html and "You can enter up to 2000 characters" in html


def test_render_questions_consent_single_checkbox_with_label_no_legend(ctx: None) -> None:
    form = posted_form("start", {}, {})
    html = render(form, "start", {})
    page = parse(html)
    assert [e["id"] for e in page.named("consent_store")] == ["consent_store"]
    assert page.legends == [] and "consent_store" in page.labels
    assert "govuk-error-message" in html and 'aria-describedby="consent_store-error"' in html


@pytest.mark.parametrize("step_id", STEP_IDS)
def test_field_widgets_render_with_the_question_ids(ctx: None, step_id: str) -> None:
    form = posted_form(step_id, {})
    for question in STEP_BY_ID[step_id]:
        page = parse(str(form[question.id]()))
        first = f"{question.id}-day" if question.type is QType.DATE else question.id
        assert page.inputs[0]["id"] == first and page.inputs[0]["name"] == first

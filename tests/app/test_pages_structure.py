"""Every page a patient can reach — the start page, each step (support included), its error version, check
your answers, the confirmation and the error pages — has one <h1>, a <title>, unique ids, a label for every
control, and nothing a strict Content-Security-Policy would block. Parsed with the standard library's
``html.parser``; ``Html`` is also used by the other patient-page tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from screening.access import public
from tests.answer_sets import answers
from tests.app.form_posts import form_data
from tests.app.test_patient_flow import BRANCHES, start, submit
from tests.conftest import Browser

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
UNLABELLED_TYPES = frozenset({"hidden", "submit", "button", "image", "reset"})


@dataclass(eq=False)
class Element:
    """One element of a parsed page: its tag, attributes, open ancestors (outermost first) and text."""

    tag: str
    attrs: dict[str, str]
    ancestors: tuple[Element, ...]
    order: int
    text: str = ""
    has_legend: bool = False
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def inside(self, predicate: Callable[[Element], bool]) -> Element | None:
        """The nearest ancestor for which ``predicate`` holds."""
        return next((ancestor for ancestor in reversed(self.ancestors) if predicate(ancestor)), None)

    def clean_text(self) -> str:
        return " ".join(self.text.split())


class Html(HTMLParser):
    """A page parsed into elements (document order), with helpers for what the tests look at."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(source)
        self.close()

    # --- parsing ---
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, tuple(self._open), len(self.elements))
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag == "legend":
            fieldset = element.inside(lambda ancestor: ancestor.tag == "fieldset")
            if fieldset is not None:
                fieldset.has_legend = True
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if any(element.tag == tag for element in self._open):
            while self._open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    # --- queries ---
    def find(self, tag: str | None = None, *, cls: str | None = None, **attrs: str) -> list[Element]:
        return [
            element
            for element in self.elements
            if (tag is None or element.tag == tag)
            and (cls is None or cls in element.classes)
            and all(element.attrs.get(name.rstrip("_").replace("_", "-")) == value for name, value in attrs.items())
        ]

    def by_id(self, element_id: str) -> Element | None:
        return next((element for element in self.elements if element.attrs.get("id") == element_id), None)

    @property
    def title(self) -> str:
        titles = self.find("title")
        return titles[0].clean_text() if titles else ""

    def ids(self) -> list[str]:
        return [element.attrs["id"] for element in self.elements if "id" in element.attrs]

    def controls(self) -> list[Element]:
        """Inputs (but hidden ones and buttons), textareas and selects."""
        return [
            element
            for element in self.elements
            if element.tag in ("textarea", "select")
            or (element.tag == "input" and element.attrs.get("type", "text") not in UNLABELLED_TYPES)
        ]

    def values(self) -> dict[str, list[str]]:
        """What the page's form would post (what the patient sees filled in): name -> values."""
        posted: dict[str, list[str]] = {}
        for element in self.controls():
            name = element.attrs.get("name")
            if not name:
                continue
            if element.tag == "textarea":
                value = element.text[1:] if element.text.startswith("\n") else element.text
            elif element.attrs.get("type") in ("radio", "checkbox"):
                if "checked" not in element.attrs:
                    continue
                value = element.attrs.get("value", "on")
            else:
                value = element.attrs.get("value", "")
            if value != "":
                posted.setdefault(name, []).append(value)
        return posted

    def error_summary(self) -> list[tuple[str, str]]:
        """(target id, text) of each link in the error summary."""
        return [
            (link.attrs["href"].removeprefix("#"), link.clean_text())
            for summary in self.find(cls="govuk-error-summary")
            for link in self.elements
            if link.tag == "a" and summary in link.ancestors
        ]

    def error_messages(self) -> list[Element]:
        return self.find(cls="govuk-error-message")

    def links(self) -> list[str]:
        return [element.attrs["href"] for element in self.find("a") if "href" in element.attrs] + [
            element.attrs.get("action", "") for element in self.find("form")
        ]


def error_text(message: Element) -> str:
    return message.clean_text().removeprefix("Error:").strip()


def structure_problems(page: Html) -> list[str]:
    """Everything wrong with a page's structure, in words (empty when it is fine)."""
    problems = []
    if len(page.find("h1")) != 1:
        problems.append(f"{len(page.find('h1'))} <h1> elements")
    if not page.title:
        problems.append("an empty <title>")
    ids = page.ids()
    duplicated = sorted({found for found in ids if ids.count(found) > 1})
    if duplicated:
        problems.append(f"duplicate ids {duplicated}")
    labelled = {label.attrs.get("for") for label in page.find("label")}
    for control in page.controls():
        if control.attrs.get("type") in ("radio", "checkbox"):
            if control.attrs.get("id") not in labelled:
                problems.append(f"{control.attrs.get('type')} {control.attrs.get('name')!r} has no <label for>")
            continue
        in_label = control.inside(lambda ancestor: ancestor.tag == "label")
        in_fieldset = control.inside(lambda ancestor: ancestor.tag == "fieldset" and ancestor.has_legend)
        if control.attrs.get("id") not in labelled and in_label is None and in_fieldset is None:
            problems.append(f"<{control.tag} name={control.attrs.get('name')!r}> has no label")
    problems += [
        f"an inline <script> ({script.clean_text()[:40]!r})"
        for script in page.find("script")
        if not script.attrs.get("src")
    ]
    problems += ["a <style> element" for _ in page.find("style")]
    problems += [f"a style attribute on <{element.tag}>" for element in page.elements if "style" in element.attrs]
    problems += [
        f"an {name}= handler on <{element.tag}>"
        for element in page.elements
        for name in element.attrs
        if name.startswith("on")
    ]
    if re.search(r"<script(?![^>]*\ssrc=)", page.source):
        problems.append("an inline <script> in the raw HTML")
    return problems


# --- the pages ---------------------------------------------------------------------------------------
def journey_pages(browser: Browser, given: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(name, HTML) of every page of one patient's journey: start, each step and its error version,
    check your answers, confirmation."""
    yield "start", browser.get("/")
    start(browser)
    yield "start (resume)", browser.get("/")
    url = "/questionnaire/about_you"
    while "/questionnaire/check" not in url:
        step_id = url.rsplit("/", 1)[-1]
        yield step_id, browser.get(url)
        yield f"{step_id} (errors)", browser.post(url, {})
        assert "There is a problem" in browser.page, step_id
        browser.post(url, form_data(step_id, given))
        assert browser.status == 302, step_id
        url = browser.location
    yield "check", browser.get(url)
    submit(browser)
    yield "confirmation", browser.get("/questionnaire/confirmation")


@pytest.mark.parametrize("branch", ["healthy", "every follow-up", "male without phone, support page asks for one"])
def test_page_structure_every_journey_page_is_well_formed(app: Flask, browser: Browser, branch: str) -> None:
    seen = []
    problems = {}
    for name, source in journey_pages(browser, answers(**BRANCHES[branch])):
        seen.append(name)
        if found := structure_problems(Html(source)):
            problems[name] = found
    assert problems == {}
    assert {"start", "about_you (errors)", "check", "confirmation"} <= set(seen)
    if branch != "healthy":
        assert "support" in seen and "support (errors)" in seen


def test_page_structure_start_page_with_consent_error_is_well_formed(browser: Browser) -> None:
    browser.get("/")
    page = Html(browser.post("/", {}))
    assert page.error_summary(), "the consent error is shown"
    assert structure_problems(page) == []


def add_failing_route(app: Flask, error: BaseException | None = None) -> str:
    """Register ``GET /boom``, a public page that raises ``error`` (a bug by default); returns its URL."""

    @app.get("/boom")
    @public
    def boom() -> str:
        raise error or RuntimeError("a bug in a view")

    return "/boom"


def _error_pages(app: Flask, browser: Browser) -> Iterator[tuple[str, int, str]]:
    failing = add_failing_route(app)
    response = browser.client.get("/no-such-page")
    yield "unknown URL", response.status_code, response.get_data(as_text=True)
    start(browser)
    response = browser.client.get("/questionnaire/no_such_step")
    yield "unknown step", response.status_code, response.get_data(as_text=True)
    browser.get("/questionnaire/about_you")
    response = browser.client.post("/questionnaire/about_you", data={"full_name": "x" * 300_000})
    yield "too large", response.status_code, response.get_data(as_text=True)
    response = browser.client.post("/questionnaire/about_you", data={"csrf_token": "expired", "full_name": "Al"})
    yield "CSRF failure on a step", response.status_code, response.get_data(as_text=True)
    response = browser.client.post("/start-again", data={})
    yield "CSRF failure on start again", response.status_code, response.get_data(as_text=True)
    response = browser.client.get(failing)
    yield "server error", response.status_code, response.get_data(as_text=True)


def test_page_structure_error_pages_are_well_formed(app: Flask, browser: Browser) -> None:
    statuses = {}
    problems = {}
    for name, status, source in _error_pages(app, browser):
        statuses[name] = status
        if found := structure_problems(Html(source)):
            problems[name] = found
    assert problems == {}
    assert statuses == {
        "unknown URL": 404,
        "unknown step": 404,
        "too large": 413,
        "CSRF failure on a step": 400,
        "CSRF failure on start again": 400,
        "server error": 500,
    }


# --- the checker itself ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, problem",
    [
        ("<title>T</title><h1>A</h1><h1>B</h1>", "2 <h1> elements"),
        ("<title> </title><h1>A</h1>", "an empty <title>"),
        ("<title>T</title><h1 id='x'>A</h1><p id='x'></p>", "duplicate ids ['x']"),
        ("<title>T</title><h1>A</h1><input name='n' id='n'>", "<input name='n'> has no label"),
        ("<title>T</title><h1>A</h1><input type='radio' name='r' id='r'>", "radio 'r' has no <label for>"),
        ("<title>T</title><h1>A</h1><textarea name='t'></textarea>", "<textarea name='t'> has no label"),
        ("<title>T</title><h1>A</h1><script>alert(1)</script>", "an inline <script> ('alert(1)')"),
        ("<title>T</title><h1 style='color: red'>A</h1>", "a style attribute on <h1>"),
        ("<title>T</title><h1 onclick='x()'>A</h1>", "an onclick= handler on <h1>"),
    ],
    ids=lambda value: value if len(value) < 30 else None,
)
def test_structure_problems_finds_each_kind_of_problem(source: str, problem: str) -> None:
    assert problem in structure_problems(Html(source))


def test_structure_problems_accepts_labels_fieldsets_and_hidden_inputs() -> None:
    source = (
        "<title>T</title><h1>A</h1><label for='a'>A</label><input id='a' name='a'>"
        "<label>B <input name='b'></label><fieldset><legend>Date</legend><input name='d-day'></fieldset>"
        "<input type='hidden' name='csrf_token'><script type='module' src='/app.js'></script>"
    )
    assert structure_problems(Html(source)) == []

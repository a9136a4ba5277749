"""The page template contract: base.html, macros/layout.html, patient/_article.html and errors/*.html.

Rendered by a tiny Flask app built here (the templates, the GOV.UK Jinja macros, WTFormsHelpers, Flask-Babel and
a context processor like the real app's), so these tests do not depend on the app factory or a database. The
built assets (static/dist, from scripts/build-assets.sh) are checked when present and skipped when not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template, render_template_string, request
from flask_babel import Babel
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from wtforms import StringField
from wtforms.validators import DataRequired

from screening.patient import article as articles

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"
DIST = STATIC / "dist"
SERVICE = "Ketamine therapy pre-screening"
CLINIC = "Riverside Pain Clinic"
PHONE = "01632 960 000"

PAGE = """{% extends "base.html" %}
{% from "macros/layout.html" import error_summary, back_link, page_heading %}
{% block title %}How bad is your pain?{% endblock %}
{% block before_content %}{{ back_link("/questionnaire/about_you") }}{% endblock %}
{% block content %}
{{ page_heading("How bad is your pain?", caption="Step 2 of 8") }}
<p class="govuk-body">Answer for the last week.</p>
{% endblock %}
"""

ERROR_PAGES = {
    400: "Sorry, something went wrong with your request",
    403: "You do not have permission to view this page",
    404: "Page not found",
    413: "The file or form was too large",
    429: "Sorry, there have been too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


class NameForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(message="Enter your full name")])


class Page(HTMLParser):
    """A rendered page, parsed: every start tag with its attributes, the <title> text, the text of each <h1>."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.h1: list[str] = []
        self._open: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("title", "h1"):
            self._open.append(tag)
            if tag == "h1":
                self.h1.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title += data
        if "h1" in self._open:
            self.h1[-1] += data

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, str | None]]:
        return [
            found
            for name, found in self.tags
            if (tag is None or name == tag)
            and all(found.get(key.rstrip("_").replace("_", "-")) == value for key, value in attrs.items())
        ]

    def ids(self) -> list[str]:
        return [found["id"] for _, found in self.tags if found.get("id")]


def make_app(**context: Any) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.config.update(TESTING=True, SECRET_KEY="test-secret-key")
    # The packages keep their templates under <package>/templates/ and refer to each other as
    # "govuk_frontend_jinja/...", so they are mounted under a prefix (as govuk-frontend-flask does).
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(TEMPLATES)),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True  # as the real app does
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    Babel(app)
    values = {"clinic_name": CLINIC, "clinic_phone": PHONE, "service_name": SERVICE, "home_url": "/"} | context

    @app.context_processor
    def clinic() -> dict[str, Any]:
        return values

    @app.get("/page")
    def page() -> str:
        return render_template_string(
            PAGE,
            has_errors=request.args.get("errors") == "1",
            article=articles.load() if request.args.get("article") else None,
        )

    @app.get("/error/<int:code>")
    def error(code: int) -> tuple[str, int]:
        return render_template(
            f"errors/{code}.html",
            status=code,
            description="ignored",
            correlation_id=request.args.get("ref"),
            article=articles.load(),
        ), code

    return app


@pytest.fixture
def template_app() -> Flask:
    return make_app()


def get(app: Flask, url: str, status: int = 200) -> Page:
    response = app.test_client().get(url)
    assert response.status_code == status
    return Page(response.get_data(as_text=True))


def render(app: Flask, source: str, **context: Any) -> Page:
    with app.test_request_context("/"):
        return Page(render_template_string(source, **context))


def assert_csp_ready(page: Page) -> None:
    """No inline script, no style attribute or element, no on* event handler: nothing a strict CSP blocks."""
    assert all(attrs.get("src") for attrs in page.find("script")), "a <script> without src"
    assert not page.find("style"), "a <style> element"
    assert not [attrs for _, attrs in page.tags if "style" in attrs], "a style attribute"
    assert not [attrs for _, attrs in page.tags if any(name.startswith("on") for name in attrs)], "an on* handler"
    assert not re.search(r"\son[a-z]+\s*=", page.source), "an on*= attribute in the raw HTML"
    assert not re.search(r"<script(?![^>]*\ssrc=)", page.source), "an inline <script> in the raw HTML"


def assert_unique_ids(page: Page) -> None:
    ids = page.ids()
    assert len(ids) == len(set(ids)), sorted({found for found in ids if ids.count(found) > 1})


# --- base.html ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_article", [False, True])
def test_base_page_has_one_h1_unique_ids_and_is_csp_ready(template_app: Flask, with_article: bool) -> None:
    page = get(template_app, "/page?article=1" if with_article else "/page")

    assert len(page.h1) == 1
    assert "How bad is your pain?" in page.h1[0]
    assert "Step 2 of 8" in page.h1[0]
    assert_unique_ids(page)
    assert_csp_ready(page)


def test_base_title_has_no_error_prefix_without_errors(template_app: Flask) -> None:
    page = get(template_app, "/page")

    assert page.title == f"How bad is your pain? – {SERVICE} – {CLINIC}"


def test_base_title_starts_with_error_when_the_form_has_errors(template_app: Flask) -> None:
    page = get(template_app, "/page?errors=1")

    assert page.title == f"Error: How bad is your pain? – {SERVICE} – {CLINIC}"


def test_base_skip_link_targets_main(template_app: Flask) -> None:
    page = get(template_app, "/page")

    skip = page.find("a", class_="govuk-skip-link")
    assert len(skip) == 1 and skip[0]["href"] == "#main-content"
    assert page.find("main", id="main-content")
    assert "Skip to main content" in page.source


def test_base_back_link_is_navigation_outside_main(template_app: Flask) -> None:
    page = get(template_app, "/page")

    nav = page.source.index('<nav class="app-before-content" aria-label="Back">')
    assert nav < page.source.index('class="govuk-back-link"') < page.source.index("<main")
    assert "app-before-content" not in render(template_app, '{% extends "base.html" %}').source


def test_base_document_language_landmarks_and_assets(template_app: Flask) -> None:
    page = get(template_app, "/page")

    assert page.find("html", lang="en-GB", class_="govuk-template")
    assert page.find("body", class_="govuk-template__body")
    assert len(page.find("header")) == len(page.find("main")) == len(page.find("footer")) == 1
    assert page.find("link", rel="stylesheet", href="/static/dist/app.css")
    assert page.find("link", rel="stylesheet", href="/static/dist/print.css", media="print")
    assert page.find("script", type="module", src="/static/dist/app.js")


def test_base_header_names_the_clinic_and_service_and_links_home() -> None:
    page = get(make_app(home_url="/start"), "/page")

    home = page.find("a", class_="app-header__clinic")
    assert len(home) == 1 and home[0]["href"] == "/start"
    assert f">{CLINIC}</a>" in page.source
    assert f'<span class="app-header__service">{SERVICE}</span>' in page.source
    assert "govuk-header__logo" not in page.source and "crown" not in page.source.lower()


def test_base_home_link_defaults_to_root_without_home_url() -> None:
    page = get(make_app(home_url=None), "/page")

    assert page.find("a", class_="app-header__clinic")[0]["href"] == "/"


def test_base_footer_shows_phone_and_what_the_service_does_not_do(template_app: Flask) -> None:
    page = get(template_app, "/page")

    assert page.find("a", href="tel:01632960000")
    assert PHONE in page.source
    assert "This service does not decide your treatment: a clinician will always discuss it with you." in page.source


def test_base_footer_omits_the_phone_when_none_is_configured() -> None:
    page = get(make_app(clinic_phone=""), "/page")

    assert not [attrs for attrs in page.find("a") if (attrs.get("href") or "").startswith("tel:")]
    assert "Phone" not in page.source


def test_base_escapes_configured_names() -> None:
    page = get(make_app(clinic_name="A & B <Clinic>", clinic_phone="<b>1</b>"), "/error/500?ref=abc123", status=500)

    assert "<Clinic>" not in page.source and "<b>1</b>" not in page.source
    assert "A &amp; B &lt;Clinic&gt;" in page.source


def test_base_main_column_is_two_thirds_without_an_aside(template_app: Flask) -> None:
    page = get(template_app, "/page")

    assert page.find("div", class_="govuk-grid-column-two-thirds-from-desktop app-layout__main")
    assert not page.find("aside") and "app-layout__aside" not in page.source


def test_base_full_width_pages_use_the_whole_row(template_app: Flask) -> None:
    source = '{% extends "base.html" %}{% set full_width = true %}{% block content %}<h1>Queue</h1>{% endblock %}'

    page = render(template_app, source)

    assert page.find("div", class_="govuk-grid-column-full app-layout__main")


def test_base_aside_block_sits_beside_main_outside_it(template_app: Flask) -> None:
    source = (
        '{% extends "base.html" %}{% block content %}<h1>Help</h1>{% endblock %}'
        '{% block aside %}<aside aria-label="Help">Call us</aside>{% endblock %}'
    )

    page = render(template_app, source)

    assert page.find("div", class_="govuk-grid-column-one-third-from-desktop app-layout__aside")
    assert page.source.index("</main>") < page.source.index("<aside") < page.source.index("<footer")
    assert page.source.count("Call us") == 1


def test_base_header_actions_render_only_when_given(template_app: Flask) -> None:
    plain = render(template_app, '{% extends "base.html" %}{% block content %}<h1>A</h1>{% endblock %}')
    with_action = render(
        template_app,
        '{% extends "base.html" %}{% block header_actions %}<a class="govuk-link" href="/out">Out</a>{% endblock %}',
    )

    assert not plain.find("div", class_="app-header__actions")
    assert with_action.find("div", class_="app-header__actions")


# --- the article ----------------------------------------------------------------------------------------


def test_article_is_rendered_once_behind_a_disclosure(template_app: Flask) -> None:
    doc = articles.load()

    page = get(template_app, "/page?article=1")

    assert len(page.find("aside")) == 1
    aside = page.find("aside", class_="app-article")[0]
    assert aside["aria-labelledby"] == "app-article-heading" and "data-app-article" in aside
    assert page.find("h2", id="app-article-heading")
    assert len(page.find("details")) == 1 and "open" not in page.find("details")[0]
    assert page.source.count("Learn about ketamine therapy") == 1
    assert page.source.count(doc.html) == 1
    for anchor, _heading in doc.sections:
        assert page.ids().count(anchor) == 1
        assert page.find("a", href=f"#{anchor}")
    assert f"Article version {doc.version}" in page.source


def test_article_sits_after_main_and_the_main_column_is_two_thirds(template_app: Flask) -> None:
    page = get(template_app, "/page?article=1")

    assert page.source.index("</main>") < page.source.index('<aside class="app-article"')
    assert page.find("div", class_="govuk-grid-column-one-third-from-desktop app-layout__aside")
    assert page.find("div", class_="govuk-grid-column-two-thirds-from-desktop app-layout__main")


# --- macros/layout.html ---------------------------------------------------------------------------------


def test_error_summary_links_each_error_to_its_field(template_app: Flask) -> None:
    source = '{% from "macros/layout.html" import error_summary %}{{ error_summary(form) }}'
    with template_app.test_request_context("/", method="POST", data={}):
        form = NameForm(meta={"csrf": False})
        form.validate()
        page = Page(render_template_string(source, form=form))

    assert page.find("div", class_="govuk-error-summary")
    assert page.find("a", href="#full_name")
    assert "There is a problem" in page.source and "Enter your full name" in page.source


def test_error_summary_renders_nothing_without_errors(template_app: Flask) -> None:
    source = '{% from "macros/layout.html" import error_summary %}[{{ error_summary(form) }}]'
    with template_app.test_request_context("/"):
        form = NameForm(meta={"csrf": False})
        rendered = render_template_string(source, form=form)

    assert rendered.strip() == "[]"


def test_back_link_renders_only_with_an_address(template_app: Flask) -> None:
    source = '{% from "macros/layout.html" import back_link %}{{ back_link(href) }}'

    assert render(template_app, source, href="/previous").find("a", class_="govuk-back-link", href="/previous")
    assert not render(template_app, source, href=None).find("a")


def test_page_heading_without_caption(template_app: Flask) -> None:
    page = render(template_app, '{% from "macros/layout.html" import page_heading %}{{ page_heading("Hello") }}')

    assert page.h1 == ["Hello"]
    assert not page.find("span", class_="govuk-caption-l")


def test_summary_card_renders_a_titled_summary_list(template_app: Flask) -> None:
    source = (
        '{% from "macros/layout.html" import summary_card %}'
        '{{ summary_card("About you", [{"key": {"text": "Name"}, "value": {"text": "Ann"}}]) }}'
    )

    page = render(template_app, source)

    assert page.find("div", class_="govuk-summary-card")
    assert page.find("h2", class_="govuk-summary-card__title")
    assert "Ann" in page.source


# --- errors/*.html --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "heading"), ERROR_PAGES.items())
def test_error_page_renders_its_heading_without_the_article(template_app: Flask, code: int, heading: str) -> None:
    page = get(template_app, f"/error/{code}", status=code)

    assert page.h1 == [heading]
    assert page.title == f"{heading} – {SERVICE} – {CLINIC}"
    assert not page.find("aside") and "Learn about ketamine therapy" not in page.source
    assert "ignored" not in page.source  # Werkzeug's description is never shown
    assert_csp_ready(page)
    assert_unique_ids(page)


def test_server_error_page_shows_the_reference_and_the_phone(template_app: Flask) -> None:
    page = get(template_app, "/error/500?ref=3f9a1c2b7d4e", status=500)

    assert '<strong class="app-reference">3f9a1c2b7d4e</strong>' in page.source
    assert "quote this reference" in page.source
    assert page.find("a", href="tel:01632960000")
    assert "Traceback" not in page.source


def test_error_page_without_a_reference_does_not_mention_one(template_app: Flask) -> None:
    page = get(template_app, "/error/404", status=404)

    assert "reference" not in page.source


# --- built assets (scripts/build-assets.sh) -------------------------------------------------------------

needs_assets = pytest.mark.skipif(
    not (DIST / "app.css").is_file(),
    reason="static/dist/app.css is missing: the assets are not built (run `bash scripts/build-assets.sh`)",
)


@needs_assets
def test_built_css_is_the_clinics_theme_not_govuk() -> None:
    css = (DIST / "app.css").read_text(encoding="utf-8")

    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert "crown" not in css.lower() and "crest" not in css.lower() and "<svg" not in css
    assert "system-ui" in css and "#00625e" in css.lower()
    assert ".app-header" in css and ".app-article--panel" in css


@needs_assets
def test_built_css_urls_all_resolve() -> None:
    for name in ("app.css", "print.css"):
        css = (DIST / name).read_text(encoding="utf-8")
        for url in re.findall(r"url\(['\"]?([^'\")]+)", css):
            if not url.startswith("data:"):
                assert (DIST / url.split("?")[0].split("#")[0]).is_file(), f"{name} refers to a missing {url}"


@needs_assets
def test_built_assets_are_served(template_app: Flask) -> None:
    client = template_app.test_client()
    for name in ("app.css", "print.css", "app.js", "govuk-frontend.min.js", "favicon.svg"):
        response = client.get(f"/static/dist/{name}")
        assert response.status_code == 200, name
        response.close()
    app_js = (DIST / "app.js").read_text(encoding="utf-8")
    assert "from './govuk-frontend.min.js'" in app_js and "govuk-frontend-supported" in app_js

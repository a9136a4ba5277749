"""The privacy notice, accessibility statement and cookie page: shown with the clinic's details, linked from every
patient page's footer (not the staff side's), replaceable by the clinic's own Markdown in SCREENING_CONTENT_DIR
(a missing file falls back to the bundled one), a bad file refused at start naming it, and rendered safely."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from screening import create_app
from screening.config import CONTENT_PAGES, ConfigError
from screening.patient import content_pages
from tests.app.test_pages_structure import Html
from tests.app.test_patient_flow import start
from tests.conftest import Browser

PAGES = {"privacy": "Privacy notice", "accessibility": "Accessibility statement", "cookies": "Cookies"}
FOOTER_LINKS = ["/privacy", "/accessibility", "/cookies"]


def content_app(tmp_path: Path, **settings: object) -> Flask:
    """An app with ``settings`` (no database needed: these pages read none)."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'content.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            "CLINIC_NAME": "Riverside Pain Service",
            "CLINIC_EMAIL": "pain@riverside.example.org",
            "CLINIC_PHONE": "01632 960 123",
            **settings,
        }
    )


def footer_links(page: str) -> list[str]:
    footer = page[page.index('<footer class="app-footer">') :]
    return [link for link in Html(footer).links() if link in FOOTER_LINKS]


def h1(page: str) -> str:
    return " ".join(element.text for element in Html(page).find("h1")).strip()


# --- the bundled pages ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "heading"), PAGES.items())
def test_content_page_is_shown_with_its_heading_the_clinic_and_security_headers(
    tmp_path: Path, name: str, heading: str
) -> None:
    response = content_app(tmp_path).test_client().get(f"/{name}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert h1(page) == heading
    assert f"<title>{heading} – " in page
    assert "Riverside Pain Service" in page
    assert "pain@riverside.example.org" in page and "01632 960 123" in page
    assert "{clinic" not in page and "{draft_days}" not in page and "{retention}" not in page
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert footer_links(page) == FOOTER_LINKS


def test_privacy_notice_says_who_why_how_long_who_sees_and_the_rights(tmp_path: Path) -> None:
    page = content_app(tmp_path, DRAFT_DAYS=5, RETENTION_DAYS=2920).test_client().get("/privacy").get_data(True)
    for words in (
        "Riverside Pain Service is responsible for your information",
        '"controller"',
        "Article 6(1)(e)",
        "Article 9(2)(h)",
        "for 5 days",
        "for 2920 days",
        "does not include your answers",
        "ask for a copy of your information",
        "ask us to delete your information",
        "Information Commissioner",
    ):
        assert words in page, words
    assert "HIPAA" not in page  # en-GB
    assert "<p></p>" not in page


def test_privacy_notice_in_en_us_refers_to_the_hipaa_notice_and_without_retention_days_to_the_policy(
    tmp_path: Path,
) -> None:
    page = content_app(tmp_path, LOCALE="en-US").test_client().get("/privacy").get_data(True)
    assert "Notice of Privacy Practices under HIPAA" in page
    assert "health records policy" in page


def test_cookie_page_names_the_one_session_cookie(tmp_path: Path) -> None:
    app = content_app(tmp_path)
    page = app.test_client().get("/cookies").get_data(True)
    assert f"<strong>{app.config['SESSION_COOKIE_NAME']}</strong>" in page
    assert "does not hold your answers" in page and "cookie banner" in page


def test_content_pages_need_no_cookie(tmp_path: Path) -> None:
    response = content_app(tmp_path).test_client().get("/privacy")
    assert "Set-Cookie" not in response.headers


# --- footer links -----------------------------------------------------------------------------------------------------
def test_footer_links_on_the_start_page_a_step_page_and_an_error_page(browser: Browser) -> None:
    assert footer_links(browser.get("/")) == FOOTER_LINKS
    start(browser)
    assert footer_links(browser.get("/questionnaire/about_you")) == FOOTER_LINKS
    browser.get("/questionnaire/no-such-page")
    assert browser.status == 404
    assert footer_links(browser.page) == FOOTER_LINKS


def test_staff_sign_in_page_has_no_patient_footer_links(client: FlaskClient) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    assert footer_links(page) == []


# --- the clinic's own files -------------------------------------------------------------------------------------------
def test_clinic_file_replaces_the_page_and_a_missing_file_falls_back(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "privacy.md").write_text(
        "# How {clinic_name} uses your data\n\nWrite to {clinic_email}.\n\n## Your rights\n\nAsk us.\n", "utf-8"
    )
    client = content_app(tmp_path, CONTENT_DIR=str(content)).test_client()
    page = client.get("/privacy").get_data(as_text=True)
    assert h1(page) == "How Riverside Pain Service uses your data"
    assert "Write to pain@riverside.example.org." in page and "Your rights</h2>" in page
    assert "Article 9(2)(h)" not in page
    assert h1(client.get("/cookies").get_data(as_text=True)) == "Cookies"  # no cookies.md: the bundled page


def test_clinic_directory_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "accessibility.md").write_text("# Our accessibility promise\n\nCall us.\n", "utf-8")
    monkeypatch.setenv("SCREENING_CONTENT_DIR", str(content))
    page = content_app(tmp_path).test_client().get("/accessibility").get_data(as_text=True)
    assert h1(page) == "Our accessibility promise"


def test_markup_in_a_clinic_file_and_in_a_setting_is_never_passed_through(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "cookies.md").write_text(
        "# Cookies\n\n<script>alert(1)</script>\n\nHello <b onclick=x>there</b> "
        "[click](javascript:alert(2)) ![pic](https://tracker.example/p.gif)\n\n{clinic_name}\n",
        "utf-8",
    )
    app = content_app(tmp_path, CONTENT_DIR=str(content), CLINIC_NAME="<img src=x onerror=alert(3)>")
    page = app.test_client().get("/cookies").get_data(as_text=True)
    body = page[page.index("<main") : page.index("</main>")]
    assert "<script" not in body and "onclick" not in body and "javascript:" not in body
    assert "<img" not in body and "tracker.example" not in body
    assert "&lt;img src=x onerror=alert(3)&gt;" in body
    assert "Hello there click pic" in body


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"Privacy\n\nNo heading here.\n", "level-1 heading"),
        (b"## Privacy\n\nA level-2 heading.\n", "level-1 heading"),
        ("# Caf\u00e9\n".encode("latin-1"), "UTF-8"),
    ],
)
@pytest.mark.parametrize("name", CONTENT_PAGES)
def test_bad_clinic_file_stops_the_start_naming_the_file(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    directory = tmp_path / "content"
    directory.mkdir()
    (directory / f"{name}.md").write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        content_app(tmp_path, CONTENT_DIR=str(directory))
    assert "SCREENING_CONTENT_DIR" in str(raised.value)
    assert str(directory / f"{name}.md") in str(raised.value)
    assert problem in str(raised.value)


def test_missing_content_directory_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SCREENING_CONTENT_DIR: .*is not a directory"):
        content_app(tmp_path, CONTENT_DIR=str(tmp_path / "nowhere"))


# --- the bundled files ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CONTENT_PAGES)
def test_bundled_page_uses_only_known_placeholders(name: str) -> None:
    settings = {"CLINIC_NAME": "C", "CLINIC_EMAIL": "", "CLINIC_PHONE": "", "DRAFT_DAYS": 7, "LOCALE": "en-US"}
    page = content_pages.render(name, settings)
    assert page.title == PAGES[name]
    assert "{" not in page.html and "}" not in page.html
    assert content_pages.NOT_SET in page.html

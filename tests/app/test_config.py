"""Settings from SCREENING_* environment variables: production refuses to start without the clinic's own
secret key, name, contact details and reply time; the locale sets the crisis contacts (en-GB: 999, NHS 111,
Samaritans; en-US: 911, 988), which a clinic can override and which reach the support page and the
confirmation page; bad values stop the app with a ConfigError that says what to fix."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from screening import config, create_app
from screening.config import ConfigError, CrisisLine
from screening.extensions import db
from tests.answer_sets import answers
from tests.app.test_drafts import seed
from tests.app.test_pages_structure import Html
from tests.app.test_patient_flow import submit
from tests.conftest import TEST_DATABASE_URL, Browser, _reset_postgresql

PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret",
    "CLINIC_NAME": "Riverside Pain Clinic",
    "CLINIC_PHONE": "01632 960 123",
    "CLINIC_EMAIL": "pain.clinic@example.org",
    "REPLY_TIME": "within 2 working days",
    "URGENT_REPLY_TIME": "We aim to call you today",
    "BASE_URL": "https://screening.example.org",
    "ALERT_WEBHOOK_URL": "https://pager.example.org/hooks/screening",
    "ALERT_WEBHOOK_SECRET": "w" * 40,
}
SUPPORT = {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no", "phone": "01632 960 001"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set SCREENING_* variables for this test only, starting from none (the test database URL aside)."""
    for name in list(os.environ):
        if name.startswith("SCREENING_") and name != "SCREENING_TEST_DATABASE_URL":
            monkeypatch.delenv(name)

    def set_variables(**variables: str) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(f"SCREENING_{name}", value)

    return set_variables


@pytest.fixture
def make_app(environment: Callable[..., None], tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build the app from SCREENING_* variables (as ``flask --app screening`` does), on an empty database."""
    made: list[Flask] = []

    def make(**variables: str) -> Flask:
        environment(
            **{
                "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'config.sqlite3'}",
                "SECRET_KEY": "test-secret-key",
                **variables,
            }
        )
        app = create_app({"TESTING": True})
        with app.app_context():
            if TEST_DATABASE_URL:
                _reset_postgresql()
            db.create_all()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            if TEST_DATABASE_URL:
                _reset_postgresql()
            db.engine.dispose()


# --- production ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "CLINIC_NAME", "CLINIC_PHONE", "CLINIC_EMAIL", "REPLY_TIME", "URGENT_REPLY_TIME"]
)
def test_config_production_without_a_setting_refuses_to_start_naming_it(
    environment: Callable[..., None], missing: str
) -> None:
    environment(**{name: value for name, value in PRODUCTION.items() if name != missing})
    with pytest.raises(ConfigError) as raised:
        create_app()
    assert f"SCREENING_{missing}" in str(raised.value)
    assert [name for name in PRODUCTION if f"SCREENING_{name}" in str(raised.value)] == [missing]


def test_config_production_with_nothing_set_names_every_missing_setting(environment: Callable[..., None]) -> None:
    environment(ENV="production")
    with pytest.raises(ConfigError) as raised:
        create_app()
    for name in ("SECRET_KEY", "CLINIC_NAME", "CLINIC_PHONE", "CLINIC_EMAIL", "REPLY_TIME", "URGENT_REPLY_TIME"):
        assert f"SCREENING_{name}" in str(raised.value)


@pytest.mark.parametrize("empty", ["CLINIC_PHONE", "REPLY_TIME", "URGENT_REPLY_TIME"])
def test_config_production_with_an_empty_setting_refuses_to_start(environment: Callable[..., None], empty: str) -> None:
    environment(**{**PRODUCTION, empty: ""})
    with pytest.raises(ConfigError, match=f"SCREENING_{empty}"):
        create_app()


def test_config_production_with_every_setting_starts_hardened(environment: Callable[..., None], tmp_path: Path) -> None:
    environment(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}")
    app = create_app()
    assert app.config["SECRET_KEY"] == PRODUCTION["SECRET_KEY"]
    assert app.debug is False and app.testing is False
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["WTF_CSRF_SSL_STRICT"] is True
    with app.app_context():  # the start page reads whether new forms are paused (intake.py)
        db.create_all()
    page = app.test_client().get("/", base_url="https://screening.example.org")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Riverside Pain Clinic" in text and "01632 960 123" in text
    assert "Example Pain Clinic" not in text


def test_config_development_defaults_start_without_any_setting(tmp_path: Path) -> None:
    settings = config.build(tmp_path / "instance", {}, None)
    assert settings["ENV"] == "development"
    assert settings["SECRET_KEY"] == (tmp_path / "instance" / "secret_key").read_text(encoding="utf-8").strip()
    assert config.build(tmp_path / "instance", {}, None)["SECRET_KEY"] == settings["SECRET_KEY"], "generated once"


# --- locale and crisis contacts --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "emergency", "lines"),
    [
        ("en-GB", "999", {"NHS 111": "111", "Samaritans": "116 123"}),
        ("en-US", "911", {"988 Suicide & Crisis Lifeline": "988"}),
    ],
)
def test_config_locale_sets_the_crisis_contacts(
    tmp_path: Path, locale: str, emergency: str, lines: dict[str, str]
) -> None:
    settings = config.build(tmp_path, {"SCREENING_LOCALE": locale, "SCREENING_SECRET_KEY": "k"}, None)
    assert settings["EMERGENCY_NUMBER"] == emergency
    assert {line.name: line.number for line in settings["CRISIS_LINES"]} == lines


@pytest.mark.parametrize(
    ("locale", "shown", "not_shown"),
    [
        ("en-GB", ["999", "NHS 111", "Samaritans", "116 123"], ["911", "988"]),
        ("en-US", ["911", "988 Suicide & Crisis Lifeline"], ["999", "Samaritans", "NHS 111"]),
    ],
)
def test_config_locale_contacts_are_on_the_support_page(
    make_app: Callable[..., Flask], locale: str, shown: list[str], not_shown: list[str]
) -> None:
    app = make_app(LOCALE=locale)
    browser = Browser(app.test_client())
    seed(app, browser, answers(**SUPPORT), before="support")
    page = Html(browser.get("/questionnaire/support"))
    contacts = page.find(cls="app-support")[0]
    assert [text for text in shown if text not in contacts.clean_text()] == []
    assert not [text for text in not_shown if text in contacts.clean_text()]


def test_config_overridden_contacts_are_on_the_support_and_confirmation_pages(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        LOCALE="en-GB",
        EMERGENCY_NUMBER="112",
        CRISIS_LINES="Riverside Crisis Team|0800 000 111|24 hours a day; Shout|85258",
    )
    assert app.config["SCREENING"]["CRISIS_LINES"] == (
        CrisisLine("Riverside Crisis Team", "0800 000 111", "24 hours a day"),
        CrisisLine("Shout", "85258"),
    )
    browser = Browser(app.test_client())
    seed(app, browser, answers(**SUPPORT))
    for url in ("/questionnaire/support", "/questionnaire/confirmation"):
        if url.endswith("confirmation"):
            submit(browser)
        page = Html(browser.get(url))
        contacts = page.find(cls="app-support")[0].clean_text()
        for text in ("112", "Riverside Crisis Team", "0800 000 111", "24 hours a day", "Shout", "85258"):
            assert text in contacts, (url, text)
        for default in ("999", "Samaritans", "116 123", "NHS 111"):
            assert default not in contacts, (url, default)


def test_config_locale_defaults_fill_only_what_is_not_overridden(tmp_path: Path) -> None:
    settings = config.build(
        tmp_path, {"SCREENING_LOCALE": "en-US", "SCREENING_EMERGENCY_NUMBER": "112", "SCREENING_SECRET_KEY": "k"}, None
    )
    assert settings["EMERGENCY_NUMBER"] == "112"
    assert [line.number for line in settings["CRISIS_LINES"]] == ["988"]
    assert settings["DATE_ORDER"] == "mdy"


# --- bad values -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "lines",
    ["Samaritans", "Samaritans|", "|116 123", "Samaritans|116 123|free|extra", ";", "Samaritans|116 123; Broken"],
)
def test_config_bad_crisis_lines_raise_config_error(environment: Callable[..., None], lines: str) -> None:
    environment(SECRET_KEY="k", CRISIS_LINES=lines)
    with pytest.raises(ConfigError, match="SCREENING_CRISIS_LINES"):
        create_app()


@pytest.mark.parametrize("locale", ["fr-FR", "en_GB", "en-gb", "en", "de-DE"])
def test_config_unknown_locale_raises_config_error(environment: Callable[..., None], locale: str) -> None:
    environment(SECRET_KEY="k", LOCALE=locale)
    with pytest.raises(ConfigError, match="SCREENING_LOCALE must be one of en-GB, en-US"):
        create_app()


@pytest.mark.parametrize(("name", "value"), [("MIN_AGE", "eighteen"), ("DRAFT_DAYS", "7 days"), ("MIN_AGE", "1.5")])
def test_config_bad_number_raises_config_error(environment: Callable[..., None], name: str, value: str) -> None:
    environment(SECRET_KEY="k", **{name: value})
    with pytest.raises(ConfigError, match=f"SCREENING_{name}"):
        create_app()


def test_config_min_age_from_the_environment_is_the_under_age_stop(make_app: Callable[..., Flask]) -> None:
    app = make_app(MIN_AGE="21")
    browser = Browser(app.test_client())
    seed(app, browser, answers(), before="about_you")
    browser.get("/questionnaire/about_you")
    browser.post(
        "/questionnaire/about_you",
        {"full_name": "Alex", "date_of_birth-day": "1", "date_of_birth-month": "1", "date_of_birth-year": "2010"},
    )
    assert "You must be 21 or older to use this service" in browser.page
    assert "This service is for adults aged 21 or over" in browser.page


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TIMEZONE", "Europe/Lundon", "unknown time zone 'Europe/Lundon'"),
        ("TIMEZONE", "../../etc/passwd", "unknown time zone"),
        ("DRAFT_DAYS", "-3", "1 or more"),
        ("DRAFT_DAYS", "0", "1 or more"),
        ("MIN_AGE", "0", "from 16 to 110"),
        ("MIN_AGE", "eighteen", "SCREENING_MIN_AGE"),
    ],
)
def test_config_refuses_a_bad_value_at_start_naming_the_setting(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    """Checked when the app starts, not at the first patient POST (an unknown time zone used to start and then
    give a 500 on every page that counts an age)."""
    with pytest.raises(ConfigError) as raised:
        config.build(tmp_path, {f"SCREENING_{name}": value}, None)
    assert f"SCREENING_{name}" in str(raised.value) and expected in str(raised.value)


def test_config_accepts_a_real_time_zone_and_sensible_days_and_age(tmp_path: Path) -> None:
    settings = config.build(
        tmp_path,
        {"SCREENING_TIMEZONE": "America/Chicago", "SCREENING_DRAFT_DAYS": "14", "SCREENING_MIN_AGE": "21"},
        None,
    )
    assert (settings["TIMEZONE"], settings["DRAFT_DAYS"], settings["MIN_AGE"]) == ("America/Chicago", 14, 21)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "not a database URL: write it as postgresql+psycopg://"),
        ("DATABASE_URL", "screening.sqlite3", "not a database URL"),
        ("DATABASE_URL", "postgresql+psycopg://staff:s3cret-pw@db.example.org:port/screening", "not a database URL"),
        ("DATABASE_URL", "postgresql+psycopg://staff:s3cret-pw@db.example.org:70000/screening", "1 to 65535"),
        ("DATABASE_URL", "mysql://staff:s3cret-pw@db.example.org/screening", "unsupported database 'mysql'"),
        ("DATABASE_URL", "postgres://staff:s3cret-pw@db.example.org/screening", "unsupported database 'postgres'"),
        ("DATABASE_URL", "postgresql://staff:s3cret-pw@db.example.org/screening", "postgresql+psycopg://"),
        ("DATABASE_URL", "postgresql+asyncpg://staff:s3cret-pw@db.example.org/screening", "postgresql+psycopg://"),
        ("DATABASE_URL", "sqlite+aiosqlite:///screening.sqlite3", "sqlite:///"),
        ("SMTP_HOST", "smtp://mail.example.org", "host name or IP address"),
        ("SMTP_HOST", "mail.example.org:587", "SCREENING_SMTP_PORT"),
        ("SMTP_HOST", "mail example org", "host name"),
        ("ALERT_WEBHOOK_URL", "pager.example.org/hooks/s3cret-pw", "full URL such as https://"),
        ("ALERT_WEBHOOK_URL", "https:///hooks/s3cret-pw", "a host name"),
        ("ALERT_WEBHOOK_URL", "https://pager.example.org:99999/hooks/s3cret-pw", "full URL"),
        ("ALERT_WEBHOOK_URL", "https://pager.example.org/hooks/s3cret-pw here", "no spaces"),
        ("BASE_URL", "screening.example.org", "full URL such as https://"),
        ("BASE_URL", "https://[::1/", "full URL"),
    ],
)
def test_config_refuses_a_malformed_url_at_start_naming_the_setting(
    environment: Callable[..., None], name: str, value: str, expected: str
) -> None:
    """A database, mail server or webhook address that cannot work stops the app at start (not at the first
    submission or the first urgent alert), saying what is expected and never repeating a password or token."""
    environment(SECRET_KEY="k", **{name: value})
    with pytest.raises(ConfigError) as raised:
        create_app()
    message = str(raised.value)
    assert message.startswith(f"SCREENING_{name}: ") and expected in message
    assert "s3cret-pw" not in message
    assert raised.value.__cause__ is None or "s3cret-pw" not in str(raised.value.__cause__)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "sqlite://"),
        ("DATABASE_URL", "sqlite+pysqlite:///:memory:"),
        ("DATABASE_URL", "postgresql+psycopg://staff:pw@db.example.org:5432/screening"),
        ("DATABASE_URL", "postgresql+psycopg:///screening?host=/run/postgresql"),
        ("SMTP_HOST", "mail.example.org"),
        ("SMTP_HOST", "localhost"),
        ("SMTP_HOST", "::1"),
        ("ALERT_WEBHOOK_URL", "https://pager.example.org:8443/hooks/screening?team=pain"),
        ("ALERT_WEBHOOK_URL", "http://127.0.0.1:9000/hook"),
        ("BASE_URL", "https://screening.example.org/clinic/"),
    ],
)
def test_config_accepts_a_well_formed_url(tmp_path: Path, name: str, value: str) -> None:
    environ = {"SCREENING_SECRET_KEY": "k", f"SCREENING_{name}": value}
    if name == "ALERT_WEBHOOK_URL":
        environ["SCREENING_ALERT_WEBHOOK_SECRET"] = "w" * 40
    assert config.build(tmp_path, environ, None)[name] == value

"""Finding people (issue 14, item 2): the queue and search results show name, date of birth and phone, how long each
submission has waited and the age in years, and the list view is audited; search matches names by words in any order
(punctuation and accents ignored), phone numbers in any format, emails in any case, dates of birth and references
with or without hyphens. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL (trigram index)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select, text, update

from screening import create_app, search_keys
from screening.extensions import db
from screening.models import Submission
from screening.staff import queue as review_queue
from tests.app.auth import sign_in
from tests.app.staff_helpers import audit_events, make_submission
from tests.conftest import TEST_DATABASE_URL, Browser, _reset_postgresql

_ROW_REFERENCE = re.compile(r'<th scope="row" class="govuk-table__header"><a [^>]*href="/staff/submissions/(KT-[^"]+)"')

DEV = {
    "full_name": "Devendra 'Dev' Patel-O'Neill",
    "date_of_birth": "1980-02-03",
    "email": "Dev.Patel@Example.org",
    "phone": "020 7946 0123",
}
ZOE = {
    "full_name": "Zoë Ångström",
    "date_of_birth": "1975-06-07",
    "email": "zoe@example.org",
    "phone": "0113 496 0555",
}
SAM = {"full_name": "Sam Taylor", "date_of_birth": "1990-12-01", "email": "sam@example.org"}


@pytest.fixture
def people(app: Flask) -> dict[str, str]:
    return {
        "dev": make_submission(app, priority=1, **DEV),
        "zoe": make_submission(app, priority=0, **ZOE),
        "sam": make_submission(app, priority=-1, **SAM),
    }


@pytest.fixture
def signed_in(app: Flask, browser: Browser) -> Browser:
    sign_in(browser, app, "reception")
    return browser


def references(page: str) -> list[str]:
    return _ROW_REFERENCE.findall(page)


def search(browser: Browser, text: str) -> list[str]:
    browser.get("/staff/")
    page = browser.post("/staff/search", {"q": text})
    assert browser.status == 200, page
    return references(page)


NAME_MATRIX = [
    ("Dev Patel", "dev"),  # the example: a short name and one part of a double-barrelled one
    ("patel dev", "dev"),  # any order
    ("PATEL-O'NEILL", "dev"),  # any case, punctuation
    ("oneill", "dev"),  # the apostrophe left out
    ("o neill", "dev"),  # or typed as a space
    ("O’Neill", "dev"),  # a typographic apostrophe
    ("devendra", "dev"),
    ("dev  o'neill", "dev"),
    ("zoe angstrom", "zoe"),  # accents ignored in the search...
    ("Zoë Ångström", "zoe"),  # ...and in the name
    ("ANGSTRÖM", "zoe"),
    ("Taylor, Sam", "sam"),  # "surname, first name"
    ("tay", "sam"),  # a word's beginning
    ("aylor", None),  # not the middle of a word
    ("dev taylor", None),  # every word must match
    ("'", None),  # nothing to match
]


@pytest.mark.parametrize(("term", "who"), NAME_MATRIX)
def test_names_match_by_words_in_any_order_ignoring_punctuation_and_accents(
    signed_in: Browser, people: dict[str, str], term: str, who: str | None
) -> None:
    assert search(signed_in, term) == ([people[who]] if who else [])


PHONE_MATRIX = [
    ("020 7946 0123", "dev"),
    ("02079460123", "dev"),
    ("+44 20 7946 0123", "dev"),
    ("+442079460123", "dev"),
    ("0044 20 7946 0123", "dev"),
    ("(020) 7946-0123", "dev"),
    ("+44 (0)20 7946 0123", "dev"),
    ("0113 496 0555", "zoe"),
    ("+44 113 496 0555", "zoe"),
    ("020 7946 0124", None),
]


@pytest.mark.parametrize(("term", "who"), PHONE_MATRIX)
def test_phone_numbers_match_in_any_format(
    signed_in: Browser, people: dict[str, str], term: str, who: str | None
) -> None:
    assert search(signed_in, term) == ([people[who]] if who else [])


def test_a_phone_number_given_in_international_form_is_found_as_typed_nationally(
    app: Flask, signed_in: Browser
) -> None:
    reference = make_submission(
        app,
        priority=-1,
        full_name="Kim Lee",
        date_of_birth="1966-01-01",
        email="kim@example.org",
        phone="+442079460999",
    )
    assert search(signed_in, "020 7946 0999") == [reference]


@pytest.mark.parametrize(
    "stored", ["020 7946 0999", "+442079460999", "+44 20 7946 0999 ext. 12", "tel:+44-20-7946-0999"]
)
def test_the_phone_key_is_the_same_however_the_number_is_stored(stored: str) -> None:
    """The patient's answer may be stored as typed or normalised (E.164, an extension): one key."""
    assert search_keys.phone_key(stored, "GB") == "2079460999"


@pytest.mark.parametrize("form", ["lower", "no hyphens", "spaces", "lower no hyphens", "misread"])
def test_references_match_with_or_without_hyphens_in_any_case(
    signed_in: Browser, people: dict[str, str], form: str
) -> None:
    reference = people["zoe"]
    typed = {
        "lower": reference.lower(),
        "no hyphens": reference.replace("-", ""),
        "spaces": reference.replace("-", " "),
        "lower no hyphens": reference.replace("-", "").lower(),
        "misread": reference.replace("0", "O").replace("1", "I"),
    }[form]
    assert search(signed_in, typed) == [reference]


@pytest.mark.parametrize(
    ("term", "who"),
    [("DEV.PATEL@example.ORG", "dev"), ("  zoe@example.org ", "zoe"), ("03/02/1980", "dev"), ("1975-06-07", "zoe")],
)
def test_email_and_date_of_birth(signed_in: Browser, people: dict[str, str], term: str, who: str) -> None:
    assert search(signed_in, term) == [people[who]]


def test_parse_search_tells_the_kinds_apart() -> None:
    assert review_queue.parse_search("kt7q4m9xhd") == review_queue.Search("reference", "KT-7Q4M-9XHD")
    assert review_queue.parse_search("14/03/1985").kind == "date_of_birth"  # type: ignore[union-attr]
    assert review_queue.parse_search("+44 20 7946 0123") == review_queue.Search("phone", "2079460123")
    assert review_queue.parse_search("(415) 555-0100", region="US") == review_queue.Search("phone", "4155550100")
    assert review_queue.parse_search("Dev Patel-O'Neill") == review_queue.Search("name", ("dev", "patel", "oneill"))
    assert review_queue.parse_search("A@B.org") == review_queue.Search("email", "a@b.org")
    assert review_queue.parse_search("   ") is None


# --- the list --------------------------------------------------------------------------------------------------------
def test_queue_rows_show_name_date_of_birth_phone_waiting_and_age(
    app: Flask, signed_in: Browser, people: dict[str, str]
) -> None:
    with app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.reference == people["dev"])
            .values(submitted_at=datetime.now(UTC) - timedelta(days=3, hours=2))
        )
        db.session.commit()
    page = signed_in.get("/staff/")
    row = page[page.index(people["dev"]) :].split("</tr>")[0]
    assert "Devendra &#39;Dev&#39; Patel-O&#39;Neill" in row
    assert "3 Feb 1980" in row and "020 7946 0123" in row
    assert '<td class="govuk-table__cell app-nowrap">3 days</td>' in row
    header = page[page.index("<thead") : page.index("</thead>")]
    assert header.index("Waiting") < header.index("Age (years)")


def test_each_list_view_and_search_is_audited_with_references_never_the_term(
    app: Flask, signed_in: Browser, people: dict[str, str]
) -> None:
    signed_in.get("/staff/")
    search(signed_in, "Dev Patel")
    events = audit_events(app, "queue.viewed")[-3:]  # signing in ended on the queue, before the submissions
    assert [sorted(event["details"]["references"]) for event in events] == [
        sorted(people.values()),
        sorted(people.values()),
        [people["dev"]],
    ]
    assert events[-1]["details"]["search"] == "name" and "search" not in events[0]["details"]
    assert all(event["staff_id"] for event in events)
    assert "Patel" not in str(events)


def test_keys_are_stored_at_submit(app: Flask, people: dict[str, str]) -> None:
    with app.app_context():
        stored = db.session.scalar(select(Submission).where(Submission.reference == people["dev"]))
        assert stored is not None
        assert stored.name_key == " dev devendra neill o oneill patel "
        assert stored.phone_key == "2079460123"
        assert stored.email_key == "dev.patel@example.org"


def test_migration_0006_fills_the_keys_of_existing_submissions(tmp_path: Path) -> None:
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x"})
    with app.app_context():
        if TEST_DATABASE_URL:
            _reset_postgresql()
        flask_migrate.upgrade(revision="0005")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO submission (id, reference, submitted_at, status, priority, questionnaire_version,"
                    " ruleset_version, article_version, consent_version, consented_at, answers, scores, medicines,"
                    " rule_config, full_name, date_of_birth, email, submission_token, version_id, skipped_steps)"
                    " VALUES (1, 'KT-AAAA-BBBB', '2026-11-01 09:00:00+00', 'new', 2, '1', '1', '1', '1',"
                    " '2026-11-01 09:00:00+00', :answers, '{}', '[]', '{}', 'Zoë O''Brien', '1980-01-01',"
                    " 'Zoe@Example.org', 't', 1, '[]')"
                ),
                {"answers": '{"phone": "+44 20 7946 0123"}'},
            )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            row = connection.execute(
                text("SELECT name_key, phone_key, email_key, superseded_by_id FROM submission")
            ).one()
        assert tuple(row) == (" brien o obrien zoe ", "2079460123", "zoe@example.org", None)
        flask_migrate.downgrade(revision="base")
        db.session.remove()
        if TEST_DATABASE_URL:
            _reset_postgresql()
        db.engine.dispose()

"""The patient's copy of their answers (``/your-answers`` to print, ``/your-answers.pdf`` to download): the answers in
the sections and words check your answers showed for them (the one presenter), read back from the page and from the
PDF (pdftotext); only in the browser that sent them and only for the confirmation's 30 minutes (a frozen clock);
nothing in the address, ``no-store``, audited with the reference only, no flags or scores; and the confirmation page
offers both."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

import screening.patient.views  # noqa: F401  (first: the patient blueprint imports copy_views, not the reverse)
from screening import printing
from screening.extensions import db
from screening.models import FlagRecord, Submission
from screening.patient import copy_views
from screening.patient.views import CONFIRMATION_MINUTES
from tests.answer_sets import answers
from tests.app.staff_helpers import audit_events
from tests.app.test_confirmation import CONFIRMATION, freeze
from tests.app.test_drafts import seed
from tests.app.test_pages_structure import Html, structure_problems
from tests.app.test_patient_flow import submit
from tests.conftest import Browser
from tests.summary_cases import pdf_page_size

PAGE = "/your-answers"
PDF = "/your-answers.pdf"
MEDICINES = ["Lyrica 150mg twice a day", "Zapain 30/500 when needed"]
PAIN = "A burning ache in both knees\nthat is worse at night"
#: Answers with a medicine list, a date, a multiple choice, free text on two lines, and urgent flags (self-harm).
CHANGES: dict[str, Any] = {
    "medicines": MEDICINES,
    "date_of_birth": "1985-03-14",
    "pain_conditions": ["crps", "fibromyalgia"],
    "pain_description": PAIN,
    "phq9_9": 2,
    "self_harm_intent": "yes",
    "self_harm_recent_attempt": "no",
    "phone": "01632 960 001",
}
EXPIRED = "This copy of your answers is no longer available"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def checked_then_sent(app: Flask, browser: Browser, changes: dict[str, Any] = CHANGES) -> tuple[Html, Submission]:
    """Seed, open check your answers (returned, parsed), send; the stored submission."""
    seed(app, browser, answers(**changes))
    check = Html(browser.get("/questionnaire/check"))
    submit(browser)
    with app.app_context():
        submission = db.session.query(Submission).one()
        db.session.expunge(submission)
    return check, submission


def rows(page: Html) -> list[tuple[str, tuple[str, ...]]]:
    """(question, the answer's lines: each ticked option, or each line of free text) of every answer row on the
    page, in order."""
    found = []
    for row in page.find(cls="govuk-summary-list__row"):
        key = next(child for child in row.children if child.tag == "dt")
        value = next(child for child in row.children if "govuk-summary-list__value" in child.classes)
        items = [
            element.clean_text() for element in page.find("li") if element.inside(lambda up, value=value: up is value)
        ]
        lines = items or [" ".join(line.split()) for line in value.text.strip().splitlines()]
        found.append((key.clean_text(), tuple(line for line in lines if line)))
    return found


def pdf_text(pdf: bytes) -> str:
    """The PDF's words in the order WeasyPrint wrote them (``pdftotext -raw``, so a long question is not interleaved
    with its short answer), whitespace collapsed."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: apt-get install poppler-utils (scripts/ensure-browser.sh does)"
    done = subprocess.run([tool, "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return flat(done.stdout.decode("utf-8"))


def headings(page: Html, level: str = "h2") -> list[str]:
    """The page's headings of ``level`` in <main> (not the article beside it)."""
    main = page.find("main")[0]
    return [element.clean_text() for element in page.find(level) if element.inside(lambda up: up is main)]


# --- the same words as check your answers -----------------------------------------------------------------------------
def test_the_print_page_shows_the_answers_as_check_your_answers_did(app: Flask, browser: Browser) -> None:
    check, submission = checked_then_sent(app, browser)
    response = browser.client.get(PAGE)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = Html(response.get_data(as_text=True))
    assert structure_problems(page) == []
    checked = rows(check)
    copied = rows(page)
    assert copied[0] == ("Your reference", (submission.reference,))
    assert copied[1][0] == "Sent" and str(submission.submitted_at.year) in copied[1][1][0]
    assert copied[2:] == checked, "the same questions, answers and order as check your answers"
    section_titles = [title for title in headings(check) if title != "Now send your answers"]
    assert headings(page) == section_titles
    answers_text = dict(checked)
    assert answers_text["Date of birth"] == ("14 March 1985",)
    assert ("Complex regional pain syndrome (CRPS)", "Fibromyalgia") in answers_text.values()
    assert tuple(PAIN.splitlines()) in answers_text.values()
    main = page.find("main")[0].clean_text()
    assert "Complex regional pain syndrome" in main and "Fibromyalgia" in main
    for medicine in MEDICINES:
        assert medicine in main
    assert "Change" not in main, "a copy has no change links"
    assert page.find("a", href="/your-answers.pdf")


def test_the_print_page_shows_no_flags_scores_or_rule_words(app: Flask, browser: Browser) -> None:
    _, submission = checked_then_sent(app, browser)
    with app.app_context():
        flags = db.session.query(FlagRecord).filter_by(submission_id=submission.id).all()
        assert flags, "the answer set raises flags"
        hidden = {text for flag in flags for text in (flag.title, flag.evidence, flag.rationale)}
    source = browser.get(PAGE)
    printed = pdf_text(browser.client.get(PDF).data)
    for words in hidden:
        assert words not in source and flat(words) not in printed
    for word in ("PHQ-9", "GAD-7", "score", "Urgent", "urgent", "flag"):
        assert word not in Html(source).find("main")[0].clean_text() and word not in printed


def test_the_print_page_prints_without_javascript_and_has_a_print_button_for_it(app: Flask, browser: Browser) -> None:
    checked_then_sent(app, browser)
    page = Html(browser.get(PAGE))
    boxes = [element for element in page.find("div") if "data-app-print" in element.attrs]
    assert len(boxes) == 1 and "hidden" in boxes[0].attrs, "the button shows only where JavaScript can make it work"
    assert [child.clean_text() for child in boxes[0].children] == ["Print this page"]
    assert "<script>" not in browser.page and "onclick" not in browser.page, "no inline script (CSP)"
    assert "use your browser's Print option" in page.find("main")[0].clean_text()
    not_printed = page.find(cls="govuk-!-display-none-print")
    assert len(not_printed) == 1 and boxes[0].inside(lambda ancestor: ancestor is not_printed[0]), "not on paper"


def test_the_pdf_has_the_same_answers_read_back(app: Flask, browser: Browser) -> None:
    check, submission = checked_then_sent(app, browser)
    response = browser.client.get(PDF)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="screening-answers-{submission.reference}.pdf"'
    )
    text = pdf_text(response.data)
    assert submission.reference in text
    assert app.config["SCREENING"]["CLINIC_NAME"] in text
    for question, answer in rows(check):
        assert flat(question) in text, question
        for line in answer:
            assert line in text, (question, line)
    assert "14 March 1985" in text
    for medicine in MEDICINES:
        assert medicine in text
    assert "A burning ache in both knees" in text and "that is worse at night" in text
    assert "Complex regional pain syndrome" in text


def test_the_pdf_loads_only_its_own_stylesheet(app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    checked_then_sent(app, browser)
    asked: list[dict[str, bytes]] = []
    real = printing.render

    def watching(html: str, stylesheets: dict[str, bytes], **kwargs: Any) -> printing.Rendered:
        asked.append(stylesheets)
        rendered = real(html, stylesheets, **kwargs)
        assert rendered.refused == (), "the document asked for something it may not load"
        return rendered

    monkeypatch.setattr(printing, "render", watching)
    assert browser.client.get(PDF).status_code == 200
    assert [list(sheets) for sheets in asked] == [["https://screening.invalid/static/patient/your-answers.css"]]


def test_the_pdf_is_a4_or_us_letter_for_an_en_us_clinic(app: Flask, browser: Browser) -> None:
    checked_then_sent(app, browser)
    assert pdf_page_size(browser.client.get(PDF).data).endswith("(A4)")
    app.config["SCREENING"] = {**app.config["SCREENING"], "LOCALE": "en-US"}
    assert pdf_page_size(browser.client.get(PDF).data) == "612 x 792 pts (letter)"


def test_a_pdf_over_a_cap_is_refused_kindly_with_the_print_page_instead(
    app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked_then_sent(app, browser)
    monkeypatch.setattr(copy_views, "CAPS", printing.Caps(pages=0))
    response = browser.client.get(PDF)
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Sorry, we could not make the PDF" in page and 'href="/your-answers"' in page
    assert audit_events(app, "submission.copy_downloaded") == []


# --- who may see it, and for how long --------------------------------------------------------------------------------
def test_both_are_offered_on_the_confirmation_page(app: Flask, browser: Browser) -> None:
    checked_then_sent(app, browser)
    page = Html(browser.get(CONFIRMATION))
    main = page.find("main")[0].clean_text()
    assert "Keep a copy" in main and f"available on this device for {CONFIRMATION_MINUTES} minutes" in main
    links = {link.attrs["href"]: link.clean_text() for link in page.find("a")}
    assert links[PDF] == "Download a copy of your answers (PDF)"
    assert links[PAGE] == "Print your answers"
    assert headings(page).index("Contact us") > headings(page).index("What happens next")


def test_both_for_30_minutes_then_a_kind_page(app: Flask, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    move_to = freeze(monkeypatch)
    _, submission = checked_then_sent(app, browser)
    move_to(timedelta(minutes=29, seconds=59))
    assert submission.reference in browser.get(PAGE)
    assert browser.client.get(PDF).status_code == 200
    move_to(timedelta(minutes=31))
    for path in (PAGE, PDF):
        response = browser.client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 410, path
        assert response.headers["Content-Type"].startswith("text/html")
        assert EXPIRED in page and "For your privacy" in page and "quote your reference" in page
        assert submission.reference not in page
        for medicine in MEDICINES:
            assert medicine not in page
    move_to(timedelta(minutes=1))  # forgotten for good, not hidden for a while
    assert browser.client.get(PAGE).status_code == 410


def test_another_browser_and_finish_and_clear_get_the_kind_page(app: Flask, browser: Browser) -> None:
    _, submission = checked_then_sent(app, browser)
    other = app.test_client()
    for path in (PAGE, PDF):
        response = other.get(path)
        assert response.status_code == 410 and submission.reference not in response.get_data(as_text=True)
    browser.get(CONFIRMATION)
    browser.post("/questionnaire/finish", {})
    assert browser.client.get(PAGE).status_code == 410
    assert browser.client.get(PDF).status_code == 410
    assert audit_events(app, "submission.copy_viewed") == []


def test_nothing_in_the_address_names_the_submission(app: Flask, browser: Browser) -> None:
    _, submission = checked_then_sent(app, browser)
    page = Html(browser.get(CONFIRMATION))
    for link in page.find("a"):
        assert submission.reference not in link.attrs.get("href", "")
    assert browser.client.get(f"{PAGE}?reference={submission.reference}").status_code == 200  # ignored, not needed
    assert browser.client.get(f"/your-answers/{submission.reference}").status_code == 404


def test_each_view_and_download_is_audited_with_the_reference_only(app: Flask, browser: Browser) -> None:
    _, submission = checked_then_sent(app, browser)
    browser.get(PAGE)
    browser.client.get(PDF)
    browser.client.get(PDF)
    viewed = audit_events(app, "submission.copy_viewed")
    downloaded = audit_events(app, "submission.copy_downloaded")
    assert [event["reference"] for event in viewed] == [submission.reference]
    assert [event["reference"] for event in downloaded] == [submission.reference] * 2
    for event in viewed + downloaded:
        assert event["staff_id"] is None and event["details"] == {}

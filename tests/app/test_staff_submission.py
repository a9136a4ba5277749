"""A submission's page for staff: flags first (by severity, with evidence, rationale and sources), "would flag this
differently", scores, medicines and every shown answer by step with its label; 404s; an audit row per view;
never cached; free text escaped; well-formed pages; flag acknowledgement (clinicians only)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening import rules
from screening.clinical import questionnaire
from screening.extensions import db
from screening.models import Acknowledgement, ReviewEvent, Submission
from tests.answer_sets import phq9
from tests.app.auth import sign_in
from tests.app.staff_helpers import (
    audit_events,
    get_submission,
    make_submission,
    second_browser,
    url,
    version_on,
)
from tests.conftest import Browser

SCRIPT = "<script>alert(1)</script>"
#: Fires discuss (breastfeeding, mania), caution (bipolar, benzodiazepine) and info (lamotrigine, unrecognised).
MIXED = {
    "pregnancy_status": "breastfeeding",
    "mania_recent": "yes",
    "mental_health_history": ["bipolar"],
    "medicines": ["Lamictal 200", "Klonopin 0.5 at night", "fluffitol 2 a day"],
}


@pytest.fixture
def clinician(app: Flask, browser: Browser) -> Browser:
    sign_in(browser, app, "clinician")
    return browser


def change_stored_answers(app: Flask, reference: str, **changes: Any) -> None:
    """Edit the stored answers behind the rules' back (as if the catalogue had changed since)."""
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        answers = dict(submission.answers)
        for key, value in changes.items():
            if value is None:
                answers.pop(key, None)
            else:
                answers[key] = value
        submission.answers = answers
        db.session.commit()


def main_text(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


# --- order and contents -----------------------------------------------------------------------------------------------
def test_page_shows_flags_first_then_scores_medicines_and_answers(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=3, **MIXED)
    page = main_text(clinician.get(f"/staff/submissions/{reference}"))
    assert clinician.status == 200
    positions = [page.index(f'id="{anchor}-heading"') for anchor in ("flags", "scores", "medicines", "answers")]
    assert positions == sorted(positions)
    groups = re.findall(r'<div class="app-flag app-flag--(\w+)" id="flag-(\w+)">', page)
    severities = [severity for severity, _ in groups]
    assert severities == sorted(severities, key=["urgent", "discuss", "caution", "info"].index)
    assert {"urgent", "discuss", "caution", "info"} == set(severities)


def test_each_flag_has_its_evidence_rationale_and_expanded_sources(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=2, **MIXED)
    page = clinician.get(f"/staff/submissions/{reference}")
    with app.app_context():
        flags = db.session.scalar(select(Submission).where(Submission.reference == reference)).flags
        expected = [(f.rule_id, f.title, f.evidence, f.rationale, f.source) for f in flags]
    assert len(expected) >= 5
    for rule_id, title, evidence, rationale, source in expected:
        block = page[page.index(f'id="flag-{rule_id}"') :].split('<div class="app-flag ')[0]
        for text in (title, evidence, rationale):
            assert str(escape(text)) in block, (rule_id, text)
        for key in (source or "").split(", "):
            if key:
                assert str(escape(rules.SOURCES[key])) in block


def escape(text: str) -> str:
    from markupsafe import escape as markup_escape

    return str(markup_escape(text))


def test_no_flags_says_so(app: Flask, clinician: Browser) -> None:
    page = clinician.get(f"/staff/submissions/{make_submission(app)}")
    assert "No rule flagged these answers." in page
    assert "would flag this differently" not in page


def test_page_says_when_todays_rules_would_flag_differently(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=2, has_escort="no")
    assert "would flag this differently" not in clinician.get(f"/staff/submissions/{reference}")
    change_stored_answers(app, reference, has_escort="yes", can_avoid_driving="no")
    page = clinician.get(f"/staff/submissions/{reference}")
    notice = page[page.index("The current rule set would flag this differently") :].split("</div>")[0]
    assert "also flag" in notice and "prac_cannot_avoid_driving_24h" in notice
    assert "no longer flag" in notice and "prac_no_escort_home" in notice
    # display only: the stored flags are what the patient's submission was flagged with
    assert 'id="flag-prac_no_escort_home"' in page and 'id="flag-prac_cannot_avoid_driving_24h"' not in page


def test_scores_are_shown_with_their_bands(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=0, **phq9(2, 2, 2, 2, 2, 0, 0, 0, 0), auditc_1="0")
    page = clinician.get(f"/staff/submissions/{reference}")
    scores = page[page.index('id="scores-heading"') : page.index('id="medicines-heading"')]
    rows = dict(
        re.findall(
            r'<dt class="govuk-summary-list__key">([^<]+)</dt>\s*'
            r'<dd class="govuk-summary-list__value">([^<]+)</dd>',
            scores,
        )
    )
    assert rows["PHQ-9"] == "10 (moderate)"
    assert rows["GAD-7"] == "0 (minimal)"
    assert rows["PEG"] == "5.3"
    assert rows["AUDIT-C (UK)"] == "0 (negative, cut-off 5)"  # the version that scored it (en-GB: the UK one)
    assert set(rows) == {"PEG", "PHQ-9", "GAD-7", "AUDIT-C (UK)", "STOP-Bang", "Age", "BMI"}


def test_medicines_show_matches_with_classes_and_mark_unrecognised_lines(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=2, **MIXED)
    page = clinician.get(f"/staff/submissions/{reference}")
    table = page[page.index('id="medicines-heading"') : page.index('id="answers-heading"')]
    rows = table.split('<tr class="govuk-table__row">')[2:]
    assert "Lamictal 200" in rows[0] and "lamotrigine" in rows[0]
    assert "Klonopin 0.5 at night" in rows[1] and "clonazepam" in rows[1] and "benzodiazepine" in rows[1]
    assert "fluffitol 2 a day" in rows[2] and "Not recognised" in rows[2]
    assert "Not recognised" not in rows[0] + rows[1]


def test_every_shown_answer_is_listed_by_step_with_its_label(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app, priority=2, **MIXED)
    page = clinician.get(f"/staff/submissions/{reference}")
    answers = page[page.index('id="answers-heading"') :]
    steps = re.findall(r'<h3 class="govuk-heading-m">([^<]+)</h3>', answers)
    assert steps == [
        "About you",
        "Your pain",
        "Treatments you have tried",
        "Your medicines",
        "Your health",
        "Your mood",
        "Alcohol and drugs",
        "Practicalities and consent",
    ]
    labels = [
        questionnaire.QUESTIONS[qid].label
        for qid in ("full_name", "pain_conditions", "current_medications", "pregnancy_status", "phq9_9", "has_escort")
    ]
    for label in labels:
        assert f'<dt class="govuk-summary-list__key">{escape(label)}</dt>' in answers
    assert "<li>Bipolar disorder</li>" in answers  # option labels, never codes
    assert "I am breastfeeding" in answers and ">breastfeeding<" not in answers
    assert "14 March 1985" in answers


def test_hidden_questions_and_their_stored_answers_are_not_shown(app: Flask, clinician: Browser) -> None:
    reference = make_submission(app)
    change_stored_answers(app, reference, referrer_name="Dr Hidden Referrer", previous_ketamine_effect="worse")
    page = clinician.get(f"/staff/submissions/{reference}")
    for qid in ("referrer_name", "previous_ketamine_effect", "self_harm_intent", "bp_controlled"):
        assert escape(questionnaire.QUESTIONS[qid].label) not in page, qid
    assert "Dr Hidden Referrer" not in page and "Support for you" not in page


def test_an_optional_question_left_empty_reads_not_answered(app: Flask, clinician: Browser) -> None:
    page = clinician.get(f"/staff/submissions/{make_submission(app)}")
    label = escape(questionnaire.QUESTIONS["pain_description"].label)
    row = page[page.index(label) :].split("</div>")[0]
    assert "Not answered" in row


# --- addressing, audit, caching ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/staff/submissions/KT-0000-0000",
        "/staff/submissions/kt-0000-0000",
        "/staff/submissions/1",
        "/staff/submissions/KT-0000-000I",
    ],
)
def test_unknown_or_malformed_reference_is_404(app: Flask, clinician: Browser, path: str) -> None:
    make_submission(app)
    clinician.get(path)
    assert clinician.status == 404


@pytest.mark.parametrize("role", ["reception", "clinician", "admin"])
def test_every_role_sees_the_page_and_each_view_is_audited(app: Flask, browser: Browser, role: str) -> None:
    reference = make_submission(app, priority=1, pain_description="CANARY-PHI-7731")
    staff = sign_in(browser, app, role)
    for _ in range(2):
        browser.get(f"/staff/submissions/{reference}")
        assert browser.status == 200
    views = audit_events(app, "submission.viewed")
    assert [(row["reference"], row["staff_id"]) for row in views] == [(reference, staff.id)] * 2
    assert all(row["remote_addr"] == "127.0.0.1" for row in views)
    assert "CANARY" not in repr(views)


def test_page_is_never_cached(app: Flask, clinician: Browser) -> None:
    response = clinician.client.get(f"/staff/submissions/{make_submission(app)}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_anonymous_visitor_is_sent_to_sign_in(app: Flask, client: Any) -> None:
    response = client.get(f"/staff/submissions/{make_submission(app)}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/login")
    assert audit_events(app, "submission.viewed") == []


# --- free text is escaped ---------------------------------------------------------------------------------------------
def test_stored_script_in_free_text_is_rendered_escaped_in_queue_and_detail(app: Flask, clinician: Browser) -> None:
    reference = make_submission(
        app,
        priority=1,
        full_name=f"{SCRIPT} Patient",
        pain_description=SCRIPT,
        medicines=[SCRIPT, "Lyrica 150mg"],
        other_allergies=SCRIPT,
    )
    for page in (clinician.get("/staff/"), clinician.get(f"/staff/submissions/{reference}")):
        assert clinician.status == 200
        assert SCRIPT not in page and "<script>alert" not in page
    detail = clinician.page
    assert detail.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # name, pain, medicine (table, answer), allergy


# --- structure: one <h1>, unique ids (several forms share the page), a label for every control, CSP-ready -----------
def staff_pages(app: Flask, browser: Browser) -> list[tuple[str, str]]:
    reference = make_submission(app, priority=3, **MIXED)
    pages = [
        ("queue", browser.get("/staff/")),
        ("queue (bad filters)", browser.get("/staff/?status=x&from=x")),
        ("submission", browser.get(f"/staff/submissions/{reference}")),
    ]
    version = re.search(r'name="version" value="(\d+)"', browser.page)
    assert version
    pages.append(
        (
            "status (errors)",
            browser.post(
                f"/staff/submissions/{reference}/status", {"status": "", "note": "", "version": version.group(1)}
            ),
        )
    )
    pages.append(
        (
            "acknowledgement (errors)",
            browser.post(
                f"/staff/submissions/{reference}/flags/psych_mania_current", {"acknowledgement": "", "version": "1"}
            ),
        )
    )
    pages.append(
        ("note (conflict)", browser.post(f"/staff/submissions/{reference}/notes", {"note": "Stale", "version": "0"}))
    )
    browser.get("/staff/")
    pages.append(("search results", browser.post("/staff/search", {"q": "alex"})))
    pages.append(("search (errors)", browser.post("/staff/search", {"q": ""})))
    return pages


def test_staff_pages_are_well_formed(app: Flask, clinician: Browser) -> None:
    from tests.app.test_pages_structure import Html, structure_problems

    for name, page in staff_pages(app, clinician):
        parsed = Html(page)
        assert structure_problems(parsed) == [], name
        for target, _text in parsed.error_summary():
            assert parsed.by_id(target) is not None, (name, target)


# --- flag acknowledgement ---------------------------------------------------------------------------------------------
def flag_block(page: str, rule_id: str) -> str:
    """One flag's part of the page: its details and its acknowledgement control (up to the next flag)."""
    start = page.index(f'id="flag-{rule_id}"')
    ends = [page.find(marker, start) for marker in ('class="app-flag ', "<h3", "</section>")]
    return page[start : min(end for end in ends if end != -1)]


def ack(browser: Browser, reference: str, rule_id: str, kind: str, note: str = "") -> str:
    if f'action="{url(reference)}' not in browser.page:
        browser.get(url(reference))
    action = url(reference, f"flags/{rule_id}")
    return browser.post(
        action, {"acknowledgement": kind, "note": note, "version": str(version_on(browser.page, action))}
    )


def test_a_clinician_acknowledges_a_flag(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=2)  # prac_no_escort_home
    staff = sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    ack(browser, reference, "prac_no_escort_home", "needs_follow_up", note=f"Ask about a taxi {SCRIPT}")
    assert browser.status == 302 and browser.location.endswith("#flag-prac_no_escort_home")
    flags = get_submission(app, reference)["flags"]
    assert flags["prac_no_escort_home"] == (Acknowledgement.NEEDS_FOLLOW_UP, staff.id, f"Ask about a taxi {SCRIPT}")
    page = browser.get(url(reference))
    block = flag_block(page, "prac_no_escort_home")
    assert "Acknowledged: <strong>Needs follow-up</strong>, by Dr Cleo Clinician" in block  # the control's summary
    assert "Ask about a taxi &lt;script&gt;" in block and SCRIPT not in page
    assert "Flag acknowledged (Needs follow-up)" in page  # in the history too
    [row] = audit_events(app, "flag.acknowledged")
    assert row["reference"] == reference and row["staff_id"] == staff.id
    assert row["details"]["rule_id"] == "prac_no_escort_home"
    assert row["details"]["acknowledgement"] == "needs_follow_up" and row["details"]["previous"] is None
    assert "taxi" not in repr(row)
    # changed later (the follow-up was done): the audit trail keeps what it was
    ack(browser, reference, "prac_no_escort_home", "discussed")
    assert browser.status == 302
    assert audit_events(app, "flag.acknowledged")[-1]["details"]["previous"] == "needs_follow_up"
    assert get_submission(app, reference)["flags"]["prac_no_escort_home"][0] is Acknowledgement.DISCUSSED


def test_a_later_acknowledgement_keeps_the_earlier_one_and_its_note_in_the_history(
    app: Flask, browser: Browser
) -> None:
    reference = make_submission(app, priority=2)  # prac_no_escort_home
    sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    ack(browser, reference, "prac_no_escort_home", "needs_follow_up", note="Ask about a taxi")
    ack(browser, reference, "prac_no_escort_home", "discussed", note="Sister will drive")
    page = browser.get(url(reference))
    timeline = page[page.index('class="app-timeline"') :]
    assert timeline.index("Flag acknowledged (Discussed)") < timeline.index("Flag acknowledged (Needs follow-up)")
    assert "Sister will drive" in timeline and "Ask about a taxi" in timeline
    block = flag_block(page, "prac_no_escort_home")
    assert "Sister will drive" in block and "Ask about a taxi" not in block  # the flag shows the latest
    with app.app_context():
        events = db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id)).all()
        assert [(event.acknowledgement, event.note, event.flag.rule_id) for event in events] == [
            (Acknowledgement.NEEDS_FOLLOW_UP, "Ask about a taxi", "prac_no_escort_home"),
            (Acknowledgement.DISCUSSED, "Sister will drive", "prac_no_escort_home"),
        ]
        assert [event.to_status for event in events] == [None, None]
    ids = [row["details"]["event"] for row in audit_events(app, "flag.acknowledged")]
    assert ids == [event.id for event in events]


@pytest.mark.parametrize("role", ["reception", "admin"])
def test_only_clinicians_acknowledge_flags(app: Flask, browser: Browser, role: str) -> None:
    reference = make_submission(app, priority=2)
    staff = sign_in(browser, app, role)
    page = browser.get(url(reference))
    assert "flags/prac_no_escort_home" not in page and 'name="acknowledgement"' not in page
    browser.post(url(reference, "flags/prac_no_escort_home"), {"acknowledgement": "discussed", "version": "1"})
    assert browser.status == 403
    assert get_submission(app, reference)["flags"]["prac_no_escort_home"] == (None, None, None)
    denied = audit_events(app, "access.denied")
    assert denied[-1]["staff_id"] == staff.id and denied[-1]["details"]["endpoint"] == "staff.acknowledge_flag"


@pytest.mark.parametrize(
    ("kind", "note", "message"),
    [
        ("", "", "Choose how you acknowledged ‘No escort home’"),
        ("approved", "", "Choose how you acknowledged ‘No escort home’"),
        ("discussed", "x" * 501, "Enter a note of 500 characters or fewer on ‘No escort home’"),
    ],
)
def test_a_bad_acknowledgement_is_explained(app: Flask, browser: Browser, kind: str, note: str, message: str) -> None:
    reference = make_submission(app, priority=2)
    sign_in(browser, app, "clinician")
    page = ack(browser, reference, "prac_no_escort_home", kind, note)
    assert browser.status == 400 and message in page
    assert 'href="#ack-prac_no_escort_home-' in page
    assert get_submission(app, reference)["flags"]["prac_no_escort_home"] == (None, None, None)


def test_acknowledging_a_flag_the_submission_does_not_have_is_404(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=2)
    sign_in(browser, app, "clinician")
    browser.get(url(reference))
    browser.post(url(reference, "flags/psych_mania_current"), {"acknowledgement": "discussed", "version": "1"})
    assert browser.status == 404


def test_acknowledging_on_a_stale_page_is_a_conflict(app: Flask, browser: Browser) -> None:
    reference = make_submission(app, priority=2)
    sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    other = second_browser(app)
    sign_in(other, app, "clinician", name="Dr Sam Second")
    browser.get(url(reference))
    other.get(url(reference))
    ack(browser, reference, "prac_no_escort_home", "discussed", note="Has a friend to drive")
    page = ack(other, reference, "prac_no_escort_home", "not_relevant", note="Mine")
    assert other.status == 409 and "Dr Cleo Clinician changed this at" in page and "Your change was not saved" in page
    assert 'value="Mine"' in page
    flags = get_submission(app, reference)["flags"]
    assert flags["prac_no_escort_home"][0] is Acknowledgement.DISCUSSED

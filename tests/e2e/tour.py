"""The tour of every page: ``TOUR`` maps a page to a function that brings a browser page there and calls
``check(page, name)`` in each of its states (empty, with errors, filled, and any notice it can show). Used by
test_every_page.py (axe, layout, screenshots) and test_valid_html.py (the Nu checker).

A new page (the printable summary, say) is one more entry, usually one line, e.g.
``"admin-export": partial(visit_path, "/staff/admin/export", "admin-export", before=staff.signed_in(Role.ADMIN))``;
a page with several states gets a ``visit_...`` function like those below. Staff pages sign in through the real
login form with a new account each time and make their submissions in the live server's database (staff.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from playwright.sync_api import Page, expect

from screening.clinical import act_now, journey
from screening.clinical.questionnaire import QUESTIONS, STEP_BY_ID
from screening.models import Role, SubmissionStatus
from tests.e2e import (
    a11y,
    staff,
    tour_accounts,
    tour_api_tokens,
    tour_brand,
    tour_copy,
    tour_edges,
    tour_faults,
    tour_intake,
    tour_limits,
    tour_people,
    tour_records,
    tour_reports,
    tour_resume,
    tour_units,
    tour_unkept,
)
from tests.e2e.conftest import NARROW
from tests.e2e.keyboard import KeyboardUser
from tests.e2e.patient import ACT_NOW_ANSWERS, EVERY_FOLLOW_UP, Patient, expect_reference, seed

Check = Callable[[Page, str], object]
STEPS = [step.id for step in journey.shown_steps(EVERY_FOLLOW_UP)]


def expire_csrf_token(page: Page) -> None:
    """As after a long pause: the page's CSRF token no longer matches the session (test rigging, not a user act)."""
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(input => { input.value = 'expired' })")


def visit_start(page: Page, check: Check) -> None:
    patient = Patient(page)
    patient.open("/")
    check(page, "start")
    # narrow screens: the article is a closed disclosure after the form, opened here at 320 px (the tour visits each
    # page at 1280 px and checks each state at both widths: test_every_page.py)
    wide = page.viewport_size
    page.set_viewport_size(NARROW)
    disclosure = page.get_by_text("Learn about ketamine therapy", exact=True)
    expect(disclosure).to_be_visible()
    disclosure.click()
    expect(page.get_by_role("heading", name="Ketamine therapy for chronic pain")).to_be_visible()
    check(page, "start-article-open")
    if wide:
        page.set_viewport_size(wide)
    patient.press("Start now")
    check(page, "start-error")
    patient.give(QUESTIONS["consent_store"], True)
    check(page, "start-filled")
    expire_csrf_token(page)
    patient.press("Start now")
    check(page, "start-timed-out")
    patient.start()
    patient.open("/")
    expect(page.get_by_role("heading", name="Continue where you left off")).to_be_visible()
    check(page, "start-resume")


def visit_step(step_id: str, page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until=step_id)
    patient.open(f"/questionnaire/{step_id}")
    check(page, step_id)
    patient.press("Continue")
    assert patient.errors(), f"{step_id}: no error summary after an empty Continue"
    check(page, f"{step_id}-error")
    patient.answer(step_id, EVERY_FOLLOW_UP)
    check(page, f"{step_id}-filled")
    patient.press("Continue")
    assert patient.step_id != step_id, patient.errors()
    # Back on the page, as served with the saved answers: its HTML only (its look is the filled state above).
    patient.open(f"/questionnaire/{step_id}")
    a11y.record_html(page, f"{step_id}-answered")


def visit_about_you_notices(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", {**EVERY_FOLLOW_UP, "date_of_birth": date(date.today().year - 10, 1, 1).isoformat()})
    patient.press("Continue")
    expect(page.get_by_text("This service is for adults aged 18 or over.")).to_be_visible()
    check(page, "about_you-under-age")
    expire_csrf_token(page)
    patient.press("Continue")
    expect(page.get_by_text("Your session timed out")).to_be_visible()
    check(page, "about_you-timed-out")


def visit_check_and_confirmation(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="check")
    patient.open("/questionnaire/check")
    check(page, "check")
    patient.press("Send my answers")
    expect_reference(page)
    check(page, "confirmation")


def _act_now_heading(step_id: str) -> str:
    """The heading of the act-now page that ``ACT_NOW_ANSWERS`` shows after ``step_id``."""
    entries = act_now.for_answers(ACT_NOW_ANSWERS, questions=[question.id for question in STEP_BY_ID[step_id]])
    assert len(entries) == 1, f"{step_id}: {entries}"
    return entries[0].heading


def visit_act_now(page: Page, check: Check) -> None:
    """The act-now page after each page whose answers mean "act now" (chest pain at rest, a plan to act on thoughts
    of self-harm), reached with Continue; the second one left by keyboard alone (Tab to the link, Enter)."""
    patient = Patient(page)
    seed(page, ACT_NOW_ANSWERS, until="health")
    patient.open("/questionnaire/health")
    patient.answer("health", ACT_NOW_ANSWERS)
    patient.press("Continue")
    assert patient.step_id == "important", page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(_act_now_heading("health"))
    check(page, "act-now-chest-pain")
    patient.follow("Carry on with the form")
    assert patient.step_id == "mood"
    patient.answer("mood", ACT_NOW_ANSWERS)
    patient.press("Continue")
    patient.answer("support", ACT_NOW_ANSWERS)
    patient.press("Continue")
    expect(page.get_by_role("heading", level=1)).to_have_text(_act_now_heading("support"))
    check(page, "act-now")
    user = KeyboardUser(page)
    user.tab_to(lambda focus: focus.is_link("Carry on with the form"), "the carry-on link")
    user.press_and_load("Enter")
    assert patient.step_id == journey.next_step("support", ACT_NOW_ANSWERS)


def visit_send_early_and_urgent_confirmation(page: Page, check: Check) -> None:
    """Sending early with "Send my answers now" on the support page: the act-now page, check your answers for the
    pages answered (the others named as skipped), then the confirmation of an urgent submission (the urgent promise,
    the numbers above it), and "Finish and clear this page" back to the start page."""
    patient = Patient(page)
    seed(page, ACT_NOW_ANSWERS, until="support")
    patient.open("/questionnaire/support")
    patient.answer("support", ACT_NOW_ANSWERS)
    patient.press("Send my answers now")
    patient.follow("Carry on to check and send your answers")
    expect(page.get_by_role("heading", name="You are sending your answers early")).to_be_visible()
    check(page, "check-sent-early")
    patient.press("Send my answers")
    expect_reference(page)
    expect(
        page.get_by_text("We are not an emergency service: if you need help sooner, use the numbers above.", exact=True)
    ).to_be_visible()
    check(page, "confirmation-urgent")
    patient.press("Finish and clear this page")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ketamine therapy for long-term pain: before your consultation"
    )


def visit_path(
    path: str,
    name: str,
    page: Page,
    check: Check,
    *,
    status: int = 200,
    before: Callable[[Page], object] | None = None,
    heading: str | None = None,
) -> None:
    """A page reached by its address alone (after ``before``, such as signing in), in one state; ``heading``: its
    <h1>, when the status alone does not tell the right page was shown."""
    if before is not None:
        before(page)
    response = page.goto(path)
    assert response is not None and response.status == status, f"{path}: {response and response.status}"
    if heading is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check(page, name)


# --- staff pages -----------------------------------------------------------------------------------------------------
def visit_staff_login(page: Page, check: Check) -> None:
    account = staff.create_account(Role.RECEPTION)
    assert account.secret is not None
    page.goto("/staff/login")
    check(page, "staff-login")
    staff.enter_password(page, account, "not the password at all")
    expect(page.get_by_role("link", name="Enter a correct email address and password")).to_be_visible()
    check(page, "staff-login-error")
    staff.enter_password(page, account)
    staff.enter_code(page, staff.current_code(account.secret))
    staff.press(page, "Sign out")
    expect(page.get_by_text("You have signed out")).to_be_visible()
    check(page, "staff-login-signed-out")


def visit_staff_mfa(page: Page, check: Check) -> None:
    account = staff.create_account(Role.CLINICIAN)
    assert account.secret is not None
    page.goto("/staff/login")
    staff.enter_password(page, account)
    check(page, "staff-mfa")
    staff.enter_code(page, staff.wrong_code(account.secret))
    expect(page.get_by_role("link", name=re.compile("^That code is not right"))).to_be_visible()
    check(page, "staff-mfa-error")


def visit_staff_first_sign_in(page: Page, check: Check) -> None:
    """An account an administrator just made: set up the authenticator app, then choose a password."""
    account = staff.create_account(Role.CLINICIAN, enrolled=False, first_sign_in=True)
    page.goto("/staff/login")
    staff.enter_password(page, account)
    qr_code = page.get_by_role("img", name=re.compile("^QR code"))
    assert qr_code.evaluate("image => image.decode().then(() => image.naturalWidth > 0, () => false)"), "no QR code"
    check(page, "staff-mfa-setup")
    staff.enter_code(page, "12345")
    check(page, "staff-mfa-setup-error")
    key = page.locator("code.app-key").inner_text().replace(" ", "")
    staff.enter_code(page, staff.current_code(key))
    expect(page.get_by_role("heading", name="Choose your own password")).to_be_visible()
    check(page, "staff-password-forced")
    expect(page.get_by_label("Current password", exact=True)).to_have_count(0)  # just typed at sign-in
    for label in ("New password", "Confirm new password"):
        page.get_by_label(label, exact=True).fill("too short")
    staff.press(page, "Change password")
    check(page, "staff-password-error")
    for label in ("New password", "Confirm new password"):
        page.get_by_label(label, exact=True).fill("marmalade quietly orbits 17")
    staff.press(page, "Change password")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def visit_staff_queue(page: Page, check: Check) -> None:
    staff.ensure_queue()
    staff.sign_in(page, Role.RECEPTION)
    expect(page.locator("#urgent-waiting")).to_contain_text("not picked up: the oldest has waited")
    check(page, "staff-queue")
    search = page.get_by_label(tour_people.SEARCH_LABEL, exact=True)
    search.fill("robin")
    staff.press(page, "Search")
    expect(page.get_by_role("heading", name="Search results")).to_be_visible()
    check(page, "staff-queue-search")
    search.fill("Nobody Of That Name")
    staff.press(page, "Search")
    expect(page.get_by_text("No submissions match your search.")).to_be_visible()
    check(page, "staff-queue-search-empty")
    search.fill("")
    staff.press(page, "Search")
    expect(
        page.get_by_role("link", name="Enter a reference, name, date of birth, phone number or email address")
    ).to_be_visible()
    check(page, "staff-queue-search-error")
    page.goto("/staff/")
    page.get_by_label("Highest severity", exact=True).select_option("urgent")
    staff.press(page, "Apply filters")
    check(page, "staff-queue-filtered")


def visit_staff_submission(page: Page, check: Check) -> None:
    """A submission with flags of every severity, medicines and history, as a clinician sees it; then a form's error,
    someone else's change meanwhile (409), the urgent contact panel after "I'm calling the patient", a flag's
    acknowledgement saved without a choice (its control open, the error naming the flag), and the page after
    acknowledging it and changing the status."""
    reference = staff.submit(**staff.FLAGGED)
    colleague = staff.create_account(Role.RECEPTION)
    staff.add_note(reference, colleague, "Patient phoned to ask about parking.\nPrefers morning appointments.")
    staff.change_status(reference, colleague, SubmissionStatus.IN_REVIEW)
    staff.sign_in(page, Role.CLINICIAN)
    page.goto(f"/staff/submissions/{reference}")
    check(page, "staff-submission")
    staff.press(page, "Change status")
    check(page, "staff-submission-error")
    page.get_by_role("group", name="Change the status to").get_by_role("radio", name="Awaiting patient").check()
    staff.add_note(reference, colleague, "Left a voicemail.")  # meanwhile, in another browser
    staff.press(page, "Change status")
    expect(page.get_by_role("link", name=re.compile("changed this at .* Your change was not saved"))).to_be_visible()
    check(page, "staff-submission-conflict")
    expect(page.get_by_role("region", name="Urgent: contact the patient today")).to_contain_text("Nobody has picked")
    staff.press(page, "I'm calling the patient")
    expect(page.get_by_text(re.compile("^Picked up by"))).to_be_visible()
    check(page, "staff-submission-picked-up")
    urgent = page.locator(".app-flag").first
    urgent.locator("summary", has_text="Acknowledge this flag").click()  # each acknowledgement is folded in a details
    with page.expect_navigation():
        urgent.get_by_role("button", name=re.compile("^Save acknowledgement")).click()
    expect(page.get_by_role("link", name=re.compile("^Choose how you acknowledged"))).to_be_visible()
    check(page, "staff-submission-ack-error")
    urgent = page.locator(".app-flag").first  # open: its form has the error
    urgent.get_by_role("radio", name="Discussed", exact=True).check()
    urgent.get_by_label("Note (optional)", exact=True).fill("Spoke to the patient: safe today, GP informed.")
    with page.expect_navigation():
        urgent.get_by_role("button", name=re.compile("^Save acknowledgement")).click()
    page.get_by_role("group", name="Change the status to").get_by_role("radio", name="Consultation offered").check()
    staff.press(page, "Change status")
    expect(page.get_by_text("Status changed to consultation offered")).to_be_visible()
    check(page, "staff-submission-reviewed")


def visit_staff_summary(page: Page, check: Check) -> None:
    """The consulting doctor's printable summary of a flagged submission with a note, reached from the submission's
    page: as shown on screen, and as printed (print media: the screen-only links hidden)."""
    reference = staff.submit(**staff.FLAGGED)
    staff.add_note(reference, staff.create_account(Role.CLINICIAN), "Phoned: partner can collect after the infusion.")
    staff.sign_in(page, Role.RECEPTION)
    page.goto(f"/staff/submissions/{reference}")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Printable summary")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pre-screening summary")
    check(page, "staff-summary")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Download the PDF")).to_be_hidden()
    check(page, "staff-summary-print")
    page.emulate_media(media="screen")


def visit_admin_audit(page: Page, check: Check) -> None:
    staff.sign_in(page, Role.ADMIN)
    page.goto("/staff/admin/audit")
    check(page, "admin-audit")
    page.get_by_label("From", exact=True).fill("2026-07-02")
    page.get_by_label("To", exact=True).fill("2026-07-01")
    staff.press(page, "Filter")
    expect(page.get_by_role("link", name="The end date must be the same as or after the start date")).to_be_visible()
    check(page, "admin-audit-error")


def visit_admin_staff_new(page: Page, check: Check) -> None:
    staff.sign_in(page, Role.ADMIN)
    page.goto("/staff/admin/staff/new")
    check(page, "admin-staff-new")
    staff.press(page, "Create account")
    expect(page.get_by_role("link", name="Enter their full name")).to_be_visible()
    check(page, "admin-staff-new-error")
    page.get_by_label("Full name", exact=True).fill("Jo Newstarter")
    page.get_by_label("Work email address", exact=True).fill(staff.new_email("jo.newstarter"))
    page.get_by_role("checkbox", name="Clinician", exact=True).check()
    staff.press(page, "Create account")
    expect(page.get_by_role("heading", name="Account created")).to_be_visible()
    check(page, "admin-staff-created")


STAFF_TOUR: dict[str, Callable[[Page, Check], None]] = {
    "staff-login": visit_staff_login,
    "staff-mfa": visit_staff_mfa,
    "staff-first-sign-in": visit_staff_first_sign_in,
    "staff-password": partial(visit_path, "/staff/password", "staff-password", before=staff.signed_in(Role.CLINICIAN)),
    "staff-queue": visit_staff_queue,
    "staff-submission": visit_staff_submission,
    "staff-summary": visit_staff_summary,
    "staff-forbidden": partial(
        visit_path,
        "/staff/admin/audit",
        "staff-forbidden",
        status=403,
        before=staff.signed_in(Role.RECEPTION),
        heading="You do not have permission to view this page",
    ),
    "admin-audit": visit_admin_audit,
    "admin-export": partial(visit_path, "/staff/admin/export", "admin-export", before=staff.signed_in(Role.ADMIN)),
    "admin-staff": partial(visit_path, "/staff/admin/staff", "admin-staff", before=staff.signed_in(Role.ADMIN)),
    "admin-staff-new": visit_admin_staff_new,
}

TOUR: dict[str, Callable[[Page, Check], None]] = {
    "start": visit_start,
    **{step_id: partial(visit_step, step_id) for step_id in STEPS},
    "about_you-notices": visit_about_you_notices,
    "check-and-confirmation": visit_check_and_confirmation,
    "act-now": visit_act_now,
    "start-again": partial(
        visit_path,
        "/start-again?page=pain",
        "start-again",
        before=lambda page: seed(page, EVERY_FOLLOW_UP, until="pain"),
        heading="Are you sure you want to start again?",
    ),
    "send-early": visit_send_early_and_urgent_confirmation,
    "not-found": partial(visit_path, "/questionnaire/no-such-page", "not-found", status=404),
    "privacy": partial(visit_path, "/privacy", "privacy", heading="Privacy notice"),
    "accessibility": partial(visit_path, "/accessibility", "accessibility", heading="Accessibility statement"),
    "cookies": partial(visit_path, "/cookies", "cookies", heading="Cookies"),
    **tour_resume.ENTRIES,
    **tour_intake.ENTRIES,
    **tour_limits.ENTRIES,
    **tour_copy.ENTRIES,
    **tour_brand.ENTRIES,
    **tour_people.ENTRIES,
    **tour_unkept.ENTRIES,
    **tour_faults.ENTRIES,
    **tour_edges.ENTRIES,
    **tour_units.ENTRIES,
    **tour_reports.ENTRIES,
    **tour_records.ENTRIES,
    **tour_accounts.ENTRIES,
    **tour_api_tokens.ENTRIES,
    **STAFF_TOUR,
}
#: Names of the TOUR entries this process has been through completely (test_valid_html.py renders the others).
VISITED: set[str] = set()

#: README screenshots: (state, width) -> file in docs/screenshots/, the top of the page only (each stays small).
#: Refresh with: SCREENING_DOC_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/test_every_page.py
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DOC_SCREENSHOTS = {
    ("start", 1280): "start-1280.png",
    ("about_you", 320): "about-you-320.png",
    ("about_you-error", 1280): "about-you-error-1280.png",
    ("check", 1280): "check-your-answers-1280.png",
    ("save-for-later-code", 1280): "save-for-later-code-1280.png",
    ("resume-error", 320): "resume-error-320.png",
    ("your-answers", 1280): "your-answers-1280.png",
    ("start-branded", 1280): "start-branded-1280.png",
    ("start-paused", 320): "start-paused-320.png",
    ("admin-intake-paused", 1280): "admin-intake-paused-1280.png",
    ("health-feet-and-inches-error", 320): "health-units-error-320.png",
    ("treatments-unkept", 1280): "treatments-unkept-1280.png",
    ("privacy", 1280): "privacy-1280.png",
    ("staff-people-search-name", 1280): "staff-search-1280.png",
    ("staff-repeats", 1280): "staff-repeats-1280.png",
    ("staff-queue", 1280): "staff-queue-1280.png",
    ("staff-submission", 1280): "staff-urgent-submission-1280.png",
    ("staff-reports", 1280): "staff-reports-1280.png",
}


def check_and_document(page: Page, name: str) -> None:
    """``a11y.check_page``, and the README's screenshot of this state when asked for."""
    a11y.check_page(page, name)
    width = page.viewport_size["width"] if page.viewport_size else 0
    target = DOC_SCREENSHOTS.get((name, width))
    if target and os.environ.get("SCREENING_DOC_SCREENSHOTS"):
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / target), animations="disabled", caret="hide")

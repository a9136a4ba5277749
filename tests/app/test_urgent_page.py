"""An urgent submission's page leads with what to do (issue 14): the "Contact the patient today" panel (name, numbers
as tel: links, email, preferred way and best times in words, the pick-up) before any flag; every flag's
acknowledgement folded into one details control, open only when that flag's form has a problem, whose error names
the flag and is linked from the error summary. Other submissions show a one-line contact summary instead."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from screening.extensions import utcnow
from screening.models import Role
from screening.staff import contact as staff_contact
from tests.app.admin_helpers import add_submission
from tests.app.alert_helpers import URGENT
from tests.app.auth import sign_in
from tests.app.staff_helpers import url, version_on
from tests.conftest import Browser

CONTACT = {
    "phone": "01632 960 123",
    "email": "sam.patient@example.org",
    "preferred_contact": "phone",
    "contact_times": ["mornings", "evenings"],
}
#: Several flags besides the urgent one, so the page has many acknowledgement controls.
MORE_FLAGS = {"has_escort": "no", "allergy_ketamine": "unsure", "pain_duration": "lt_3m"}
FLAG = re.compile(r'<div class="app-flag app-flag--\w+" id="flag-([a-z0-9_]+)">')
CONTROL = re.compile(r'<details class="govuk-details app-flag__acknowledge"( open)?>')


def urgent(app: Flask, **changes: object) -> str:
    return add_submission(
        app, submitted_at=utcnow() - timedelta(minutes=20), **{**URGENT, **CONTACT, **MORE_FLAGS, **changes}
    )


def panel(page: str) -> str:
    start = page.index('id="pick-up"')
    return page[start : page.index("</section>", start)]


def test_the_contact_panel_comes_first_with_everything_needed_to_call(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.CLINICIAN)
    page = browser.get(url(reference))
    flags = FLAG.findall(page)
    assert len(flags) >= 4
    assert page.index('id="pick-up"') < page.index('id="flags-heading"') < page.index(f'id="flag-{flags[0]}"')
    text = panel(page)
    assert "Urgent: contact the patient today" in text and "Canary Patientname" in text
    assert '<a class="govuk-link app-contact__phone" href="tel:01632960123">01632 960 123</a>' in text
    assert "sam.patient@example.org" in text
    assert "Phone call" in text and "Mornings; Evenings" in text  # words, never the stored codes
    assert "I&#39;m calling the patient" in text and "Nobody has picked this up yet." in text


def test_each_flag_has_one_closed_acknowledgement_control(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.CLINICIAN)
    page = browser.get(url(reference))
    flags, controls = FLAG.findall(page), CONTROL.findall(page)
    assert len(controls) == len(flags) >= 4
    assert controls == [""] * len(flags)  # all closed: the forms take no room until asked for
    assert page.count('name="acknowledgement"') == 3 * len(flags)  # the forms are all still there, folded
    assert page.count("Acknowledge this flag<span") == len(flags)


def test_an_acknowledged_flag_says_so_on_its_control(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.CLINICIAN, name="Dr Cleo Clinician")
    page = browser.get(url(reference))
    action = url(reference, "flags/prac_no_escort_home")
    browser.post(action, {"acknowledgement": "discussed", "note": "Sister drives", "version": version_on(page, action)})
    assert browser.status == 302
    page = browser.get(url(reference))
    summary = re.search(  # the flag's acknowledgement control (its "why it matters" fold comes first)
        r'id="flag-prac_no_escort_home".*?<summary[^>]*>'
        r"((?:(?!</summary>).)*Acknowledged: (?:(?!</summary>).)*)</summary>",
        page,
        re.S,
    )
    assert summary and "Acknowledged: <strong>Discussed</strong>, by Dr Cleo Clinician" in summary.group(1)
    assert "Sister drives" in page


def test_an_acknowledgement_error_names_its_flag_and_opens_its_control(app: Flask, browser: Browser) -> None:
    reference = urgent(app)
    sign_in(browser, app, Role.CLINICIAN)
    page = browser.get(url(reference))
    action = url(reference, "flags/prac_no_escort_home")
    page = browser.post(action, {"acknowledgement": "", "version": version_on(page, action)})
    assert browser.status == 400
    message = "Choose how you acknowledged ‘No escort home’"
    summary = page[page.index("govuk-error-summary") : page.index("</h1>")]
    assert f'<a href="#ack-prac_no_escort_home-acknowledgement">{message}</a>' in summary
    assert page.count(message) == 2  # the summary and the message next to the radios
    controls = CONTROL.findall(page)
    assert controls.count(" open") == 1
    opened = page[[match.start() for match in CONTROL.finditer(page) if match.group(1)][0] :]
    opened = opened[: opened.index("</details>")]
    assert 'id="ack-prac_no_escort_home-acknowledgement"' in opened and message in opened


def test_the_panel_shows_who_picked_it_up_and_the_number_to_call_back(app: Flask, browser: Browser) -> None:
    # no usual phone number: the patient was asked for one to call back today
    reference = urgent(app, phone=None, preferred_contact="email", contact_phone_today="+44 7700 900 456")
    sign_in(browser, app, Role.CLINICIAN, name="Dr Pat Picker")
    page = browser.get(url(reference))
    browser.post(url(reference, "pick-up"), {"version": version_on(page, url(reference, "pick-up"))})
    text = panel(browser.get(url(reference)))
    assert "Picked up by Dr Pat Picker at" in text and "I&#39;m calling" not in text
    assert re.search(r"Phone to call back</dt>\s*<dd[^>]*><a [^>]*href=\"tel:\+447700900456\">", text)


def test_a_submission_that_is_not_urgent_has_a_one_line_contact_summary(app: Flask, browser: Browser) -> None:
    reference = add_submission(app, **CONTACT, **MORE_FLAGS)
    sign_in(browser, app, Role.RECEPTION)
    page = browser.get(url(reference))
    assert 'id="pick-up"' not in page and "contact the patient today" not in page
    line = re.search(r'<dd class="govuk-summary-list__value app-contact-line">(.*?)</dd>', page, re.S)
    assert line is not None
    words = " ".join(line.group(1).split())
    assert 'href="tel:01632960123"' in words and "sam.patient@example.org" in words
    assert "Prefers: phone call. Best times: mornings; evenings" in words
    assert line.start() < page.index('id="flags-heading"')


def test_contact_view_reads_raw_answers_safely() -> None:
    both = staff_contact.contact_view("Sam", {"phone": "01632 960 123", "contact_phone_today": "+44 7700 900 456"})
    assert [(phone.label, phone.tel) for phone in both.phones] == [
        ("Phone to call back", "+447700900456"),  # the urgent call-back number first
        ("Phone", "01632960123"),
    ]
    contact = staff_contact.contact_view(
        "Sam",
        {
            "phone": " 01632 960 123 ",
            "contact_phone_today": "01632960123",
            "preferred_contact": 3,
            "contact_times": "x",
        },
    )
    assert [(phone.label, phone.tel) for phone in contact.phones] == [("Phone to call back", "01632960123")]
    assert (contact.email, contact.preferred, contact.best_times) == (None, None, None)
    empty = staff_contact.contact_view("Sam", {"phone": "", "email": "  ", "contact_times": [1, None]})
    assert (empty.phones, empty.email, empty.best_times) == ((), None, None)
    words = staff_contact.contact_view("Sam", {"preferred_contact": "phone", "contact_times": ["afternoons"]})
    assert (words.preferred, words.best_times) == ("Phone call", "Afternoons")

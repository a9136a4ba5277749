"""The email receipt after sending (``SCREENING_EMAIL_RECEIPT``), against a real SMTP server on 127.0.0.1: off by
default; when on and the patient gave an email address, exactly one email (a replayed submit or a second try sends no
other) with the reference, what happens next (the urgent promise for an urgent submission, never why), how to contact
the clinic and "does not contain your answers", and nothing the patient answered; a failed send changes nothing for
the patient and logs no address."""

from __future__ import annotations

import logging
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from screening.extensions import db
from screening.models import Submission
from screening.patient import receipt
from tests.answer_sets import answers
from tests.app.alert_helpers import Inbox, free_port, outbox
from tests.app.staff_helpers import audit_events
from tests.app.test_confirmation import CONFIRMATION
from tests.app.test_drafts import seed
from tests.app.test_patient_flow import _TOKEN, submit
from tests.conftest import Browser

PATIENT = "rowan.patient@example.org"
MEDICINES = ["Lyrica 150mg twice a day", "Zapain 30/500 when needed"]
PAIN = "A burning ache in both knees"
ROUTINE: dict[str, Any] = {
    "full_name": "Rowan Canary",
    "email": PATIENT,
    "medicines": MEDICINES,
    "pain_conditions": ["crps", "fibromyalgia"],
    "pain_description": PAIN,
}
URGENT: dict[str, Any] = {
    **ROUTINE,
    "phq9_9": 2,
    "self_harm_intent": "yes",
    "self_harm_recent_attempt": "no",
    "phone": "01632 960 001",
}
#: What the patient answered, or what a flag would say: none of it may be in the email.
NEVER = (
    *MEDICINES,
    "Lyrica",
    "Zapain",
    PAIN,
    "Rowan",
    "Canary",
    "Complex regional pain syndrome",
    "CRPS",
    "Fibromyalgia",
    "ketamine",
    "Ketamine",
    "self-harm",
    "harm",
    "PHQ",
    "1985",
    "urgent",
    "Urgent",
)
NO_ANSWERS = "This email does not contain your answers"


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def assert_nothing_clinical(handler: Inbox) -> None:
    """Nothing the patient answered, and no flag's words, in any email: raw, and decoded (subject and body)."""
    for envelope, message, body in zip(handler.envelopes, handler.messages, handler.bodies(), strict=True):
        for text in NEVER:
            assert text not in envelope.content.decode("utf-8", "replace"), text
            assert text not in subject(message) and text not in body, text


def mail_on(app: Flask, port: int, **extra: Any) -> None:
    """Receipts on, over the SMTP server on ``port`` (no staff alert addresses: the inbox holds receipts only)."""
    app.config["SCREENING"].update(
        EMAIL_RECEIPT=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="screening@clinic.example", **extra
    )


def send(app: Flask, browser: Browser, changes: dict[str, Any]) -> str:
    seed(app, browser, answers(**changes))
    submit(browser)
    with app.app_context():
        return str(db.session.scalars(select(Submission.reference)).one())


def test_the_receipt_is_off_by_default(app: Flask, browser: Browser, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    assert app.config["SCREENING"]["EMAIL_RECEIPT"] is False
    app.config["SCREENING"].update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="screening@clinic.example")
    send(app, browser, ROUTINE)
    assert browser.get(CONFIRMATION) and browser.status == 200
    assert handler.envelopes == []
    assert outbox(app) == [] and audit_events(app, "submission.receipt_sent") == []


def test_one_receipt_with_the_reference_what_happens_next_and_no_answers(
    app: Flask, browser: Browser, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    mail_on(app, port)
    settings = app.config["SCREENING"]
    reference = send(app, browser, ROUTINE)
    assert len(handler.envelopes) == 1
    envelope, message = handler.envelopes[0], handler.messages[0]
    assert envelope.rcpt_tos == [PATIENT]
    assert subject(message) == f"We have received your form – {settings['CLINIC_NAME']}"
    body = handler.bodies()[0]
    assert f"Your reference is {reference}" in body
    assert f"contact you {settings['REPLY_TIME']}" in body
    assert settings["URGENT_REPLY_TIME"] not in body
    assert settings["CLINIC_PHONE"] in body and settings["CLINIC_EMAIL"] in body
    assert NO_ANSWERS in body
    assert_nothing_clinical(handler)
    assert [event["reference"] for event in audit_events(app, "submission.receipt_sent")] == [reference]
    assert audit_events(app, "submission.receipt_sent")[0]["details"] == {}


def test_an_urgent_submission_is_told_the_urgent_promise_without_why(
    app: Flask, browser: Browser, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    mail_on(app, port)
    settings = app.config["SCREENING"]
    send(app, browser, URGENT)
    [body] = handler.bodies()
    assert " ".join(settings["URGENT_REPLY_TIME"].split()) in " ".join(body.split())
    assert f"contact you {settings['REPLY_TIME']}" not in body
    assert f"In an emergency, call {settings['EMERGENCY_NUMBER']}" in body
    assert_nothing_clinical(handler)


def test_a_replayed_submit_sends_no_second_receipt(app: Flask, browser: Browser, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    mail_on(app, port)
    seed(app, browser, answers(**ROUTINE))
    browser.get("/questionnaire/check")
    data = {"csrf_token": browser.csrf_token(), "submission_token": _TOKEN.search(browser.page).group(1)}  # type: ignore[union-attr]
    for _ in range(3):
        assert browser.client.post("/questionnaire/submit", data=data).headers["Location"] == CONFIRMATION
    assert len(handler.envelopes) == 1
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        assert receipt.send_after_submit(submission, app.config["SCREENING"]) is False, "a second try sends nothing"
    assert len(handler.envelopes) == 1
    assert len(audit_events(app, "submission.receipt_sent")) == 1


def test_no_email_address_no_receipt(app: Flask, browser: Browser, inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    mail_on(app, port)
    send(app, browser, {**ROUTINE, "email": None, "preferred_contact": "phone", "phone": "01632 960 001"})
    assert handler.envelopes == [] and outbox(app) == []


def test_a_failed_send_still_shows_the_confirmation_and_logs_no_address(
    app: Flask, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    mail_on(app, free_port())  # nothing listens there
    caplog.set_level(logging.INFO)
    reference = send(app, browser, ROUTINE)
    page = browser.get(CONFIRMATION)
    assert browser.status == 200 and reference in page and "Your answers have been sent" in page
    assert [event["reference"] for event in audit_events(app, "submission.receipt_failed")] == [reference]
    assert audit_events(app, "submission.receipt_sent") == []
    assert "patient email not sent" in caplog.text
    assert PATIENT not in caplog.text and "Rowan" not in caplog.text


def test_an_error_while_sending_never_reaches_the_patient(
    app: Flask, browser: Browser, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, port = inbox
    mail_on(app, port)

    def broken(to: str, subject: str, text: str) -> bool:
        raise RuntimeError(f"boom for {to}")

    monkeypatch.setattr(receipt.mail, "send", broken)
    reference = send(app, browser, ROUTINE)
    assert reference in browser.get(CONFIRMATION) and browser.status == 200


# --- the words, pure --------------------------------------------------------------------------------------------------
def test_compose_words_the_routine_and_the_urgent_receipt() -> None:
    routine = receipt.compose(
        reference="KT-AAAA-BBBB",
        clinic_name="Riverside Pain Clinic",
        reply_time="within 3 working days",
        urgent_reply_time=None,
        clinic_phone="01632 960 123",
        clinic_email="pain@riverside.example.org",
        emergency_number="999",
    )
    assert routine.subject == "We have received your form – Riverside Pain Clinic"
    assert "Your reference is KT-AAAA-BBBB" in routine.text
    assert "contact you within 3 working days" in routine.text
    assert "Phone: 01632 960 123" in routine.text and "Email: pain@riverside.example.org" in routine.text
    assert "999" not in routine.text and receipt.NO_ANSWERS in routine.text
    urgent = receipt.compose(
        reference="KT-AAAA-BBBB",
        clinic_name="Riverside Pain Clinic",
        reply_time="within 3 working days",
        urgent_reply_time="We aim to call you today.",
        emergency_number="999",
    )
    assert "We aim to call you today." in urgent.text and "within 3 working days" not in urgent.text
    assert "In an emergency, call 999." in urgent.text
    assert "Phone:" not in urgent.text and "Email:" not in urgent.text, "no empty contact lines"

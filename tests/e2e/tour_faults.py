"""The tour's database-fault pages (``ENTRIES``, added to ``tour.TOUR``; issue 15): a question page that could not be
saved (503, what was typed shown again with a notice and a reference) and "Send my answers" that could not be sent
(503, the answers kept, the button again). The live server's database refuses one kind of statement only inside
``_refusing`` (an in-process listener on its engine, removed whatever happens); then the same button saves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import event

from screening.extensions import db
from tests.e2e import staff
from tests.e2e.patient import EVERY_FOLLOW_UP, Patient, expect_reference, seed

Check = Callable[[Page, str], object]
NOT_LOST = "Nothing you typed has been lost. Try again in a minute."


@contextmanager
def _refusing(prefix: str) -> Iterator[None]:
    """The live server's database refuses every statement starting with ``prefix`` (as a full disk would)."""
    with staff.app().app_context():
        engine = db.engine

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith(prefix):
            raise engine.dialect.loaded_dbapi.OperationalError("database or disk is full")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def visit_step_unavailable(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="about_you")
    patient.open("/questionnaire/about_you")
    patient.answer("about_you", EVERY_FOLLOW_UP)
    with _refusing("UPDATE draft"):
        patient.press("Continue")
    assert patient.step_id == "about_you"
    expect(page.get_by_role("region", name="Important")).to_contain_text(NOT_LOST)
    expect(page.get_by_label("Full name")).to_have_value(EVERY_FOLLOW_UP["full_name"])
    check(page, "about-you-unavailable")
    patient.press("Continue")
    assert patient.step_id != "about_you", patient.errors()


def visit_send_again(page: Page, check: Check) -> None:
    patient = Patient(page)
    seed(page, EVERY_FOLLOW_UP, until="check")
    patient.open("/questionnaire/check")
    with _refusing("INSERT INTO submission"):
        patient.press("Send my answers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, we could not send your answers just now")
    check(page, "send-again")
    patient.press("Send my answers")
    expect_reference(page)


ENTRIES: dict[str, Callable[[Page, Check], None]] = {
    "about-you-unavailable": visit_step_unavailable,
    "send-again": visit_send_again,
}

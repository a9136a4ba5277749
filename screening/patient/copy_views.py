"""The patient's copy of their answers, offered on the confirmation page: a page to print (``/your-answers``) and the
same content as a PDF download (``/your-answers.pdf``). Both show the submission this browser sent, for as long as
the confirmation is shown (``sending.sent_submission``: ``CONFIRMATION_MINUTES``, for shared devices); after that, or
in another browser, a kind page says the copy is no longer available on this device. Nothing in the address names the
submission. The answers are the stored ones, in the words and sections of check your answers (``presenter``, through
``sending.patient_sections``): no flags, scores or rule text. Each view or download is audited (the reference only)
and ``no-store``. Routes of the patient blueprint ``bp``, registered by the import at the end of ``views``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from flask import current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from screening import printing
from screening.access import public
from screening.audit import audit
from screening.clinical import presenter
from screening.clinical.dates import date_words
from screening.extensions import db
from screening.models import Submission
from screening.patient.sending import patient_sections, sent_submission
from screening.patient.views import CONFIRMATION_MINUTES, bp, page, settings

log = logging.getLogger(__name__)

#: The bundled stylesheets (under static/) of the PDF, in link order: all its renderer may load. A4, or US Letter
#: for an en-US clinic (as the doctor's summary).
PDF_STYLESHEETS = {
    "a4": ("patient/your-answers.css",),
    "letter": ("patient/your-answers.css", "patient/your-answers-letter.css"),
}
#: The PDF's render caps (``printing``: the same as the doctor's summary's).
CAPS = printing.CAPS


@dataclass(frozen=True, slots=True)
class AnswersCopy:
    """What the copy shows: whose clinic, which reference, when it was sent (in words), and the answers."""

    reference: str
    sent: str
    sections: list[presenter.AnswerSection]


def _copy(submission: Submission) -> AnswersCopy:
    return AnswersCopy(
        reference=submission.reference,
        sent=_moment_words(submission.submitted_at),
        sections=patient_sections(submission.answers, skip=list(submission.skipped_steps or [])),
    )


def _moment_words(moment: datetime) -> str:
    """When it was sent, in the clinic's time zone: "1 December 2026 at 14:05" (the locale's date order)."""
    here = moment.astimezone(ZoneInfo(settings()["TIMEZONE"]))
    day = date_words(here.date(), settings()["DATE_ORDER"], gettext)
    return str(gettext("%(day)s at %(time)s", day=day, time=f"{here:%H:%M}"))


def _expired() -> ResponseReturnValue:
    """After ``CONFIRMATION_MINUTES``, after "Finish and clear this page", or in another browser."""
    return page("patient/copy_expired.html", article=None, minutes=CONFIRMATION_MINUTES), 410


def download_name(reference: str) -> str:
    return f"screening-answers-{reference}.pdf"


@bp.get("/your-answers")
@public
def your_answers() -> ResponseReturnValue:
    """The copy as a page to print: "Print this page" (with JavaScript) or the browser's own Print command; the
    print stylesheet leaves out the site's header and footer."""
    submission = sent_submission()
    if submission is None:
        return _expired()
    html = page(
        "patient/your_answers.html",
        copy=_copy(submission),
        article=None,
        can_start_again=False,
        minutes=CONFIRMATION_MINUTES,
    )
    audit("submission.copy_viewed", reference=submission.reference, remote_addr=request.remote_addr)
    db.session.commit()
    return html


@cache
def _read_stylesheet(static_folder: str, filename: str) -> bytes:
    return (Path(static_folder) / filename).read_bytes()


def _stylesheet_names() -> tuple[str, ...]:
    return PDF_STYLESHEETS["letter" if settings()["LOCALE"] == "en-US" else "a4"]


def _pdf_stylesheets(names: tuple[str, ...]) -> dict[str, bytes]:
    """Each stylesheet's URL (as the template links it, resolved against ``printing.BASE_URL``) -> its bytes."""
    static_folder = current_app.static_folder or ""
    return {
        urljoin(printing.BASE_URL, url_for("static", filename=name)): _read_stylesheet(static_folder, name)
        for name in names
    }


@bp.get("/your-answers.pdf")
@public
def your_answers_pdf() -> ResponseReturnValue:
    """The same copy as a PDF download (``printing``: no network, no files but its stylesheet, within the caps)."""
    submission = sent_submission()
    if submission is None:
        return _expired()
    g.no_store = True
    names = _stylesheet_names()
    html = render_template(
        "patient/your_answers_pdf.html",
        copy=_copy(submission),
        pdf=True,  # the stylesheets are given to the renderer, not linked
        html_lang=settings()["LOCALE"],
    )
    try:
        rendered = printing.render(html, _pdf_stylesheets(names), caps=CAPS)
    except printing.RenderRefused as refusal:
        log.warning("patient copy PDF refused: %s", refusal)  # the reason only: no patient data in logs
        return page("patient/your_answers_refused.html", article=None, can_start_again=False), 503
    audit("submission.copy_downloaded", reference=submission.reference, remote_addr=request.remote_addr)
    db.session.commit()
    return (
        rendered.pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{download_name(submission.reference)}"',
        },
    )

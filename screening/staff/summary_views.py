"""The consulting doctor's one-page summary of a submission: the print view (``/staff/submissions/<reference>/
summary``) and its PDF (``.../summary.pdf``), both rendered from one ``summary.Summary`` and one template, so they
never disagree. Reads for every staff role; each is audited (``summary.printed``, ``summary.downloaded``) and
``no-store``. Paper is A4, or US Letter for an en-US clinic; ``?paper=a4|letter`` chooses (no patient data).
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from urllib.parse import urljoin

from flask import Blueprint, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from screening import brand_views, clock
from screening.access import ALL_STAFF, roles
from screening.models import Submission
from screening.staff import pdf, review, summary
from screening.staff.views import clinic_today, clinic_zone, current_staff, find_or_404, settings

bp = Blueprint("summary", __name__, url_prefix="/staff/submissions")
log = logging.getLogger(__name__)
PAPERS = ("a4", "letter")
#: The bundled stylesheets (under static/) of each paper size, in link order: all the PDF renderer may load.
STYLESHEETS = {"a4": ("summary/summary.css",), "letter": ("summary/summary.css", "summary/letter.css")}


def _paper() -> str:
    asked = request.args.get("paper", "")
    if asked in PAPERS:
        return asked
    return "letter" if settings()["LOCALE"] == "en-US" else "a4"


@cache
def _stylesheet(static_folder: str, filename: str) -> bytes:
    return (Path(static_folder) / filename).read_bytes()


def pdf_stylesheets(paper: str) -> dict[str, bytes]:
    """What the PDF renderer may load for ``paper``: each bundled stylesheet's URL (as the template links it,
    resolved against ``pdf.BASE_URL``) -> its bytes. Needs an app context."""
    static_folder = current_app.static_folder or ""
    return {
        **{
            urljoin(pdf.BASE_URL, url_for("static", filename=name)): _stylesheet(static_folder, name)
            for name in STYLESHEETS[paper]
        },
        **brand_views.pdf_stylesheets(pdf.BASE_URL),  # the clinic's colour, when set
    }


def _html(submission: Submission, paper: str, *, for_pdf: bool) -> str:
    user = current_staff()
    view = summary.build(
        submission,
        clinic_name=settings()["CLINIC_NAME"],
        generated_by=user.name,
        generated_at=clock.now(),
        zone=clinic_zone(),
        today=clinic_today(),
        date_order=settings()["DATE_ORDER"],
    )
    return render_template(
        "summary/summary.html",
        s=view,
        paper=paper,
        pdf=for_pdf,
        stylesheets=[url_for("static", filename=name) for name in STYLESHEETS[paper]],
        clipped_marker=summary.CLIPPED,
        html_lang=settings()["LOCALE"],
    )


@bp.get("/<reference:reference>/summary")
@roles(*ALL_STAFF)
def print_view(reference: str) -> ResponseReturnValue:
    """The summary as a page to print from the browser (its own layout: no site navigation)."""
    submission = find_or_404(reference)
    paper = _paper()
    html = _html(submission, paper, for_pdf=False)
    review.record_summary(submission, actor=current_staff(), remote_addr=request.remote_addr, pdf=False, paper=paper)
    g.no_store = True
    return html


@bp.get("/<reference:reference>/summary.pdf")
@roles(*ALL_STAFF)
def pdf_download(reference: str) -> ResponseReturnValue:
    """The summary as a PDF download, rendered by WeasyPrint with no network or file access beyond the bundled
    stylesheets, within ``pdf``'s size, page and time caps."""
    submission = find_or_404(reference)
    paper = _paper()
    html = _html(submission, paper, for_pdf=True)
    g.no_store = True
    try:
        stylesheets = pdf_stylesheets(paper)
        fetcher = brand_views.pdf_fetcher(stylesheets, pdf.BASE_URL)  # with a logo: also serves the logo
        rendered = pdf.render(html, stylesheets) if fetcher is None else pdf.render(html, stylesheets, fetcher=fetcher)
    except pdf.RenderRefused as refusal:
        log.warning("summary PDF refused: %s", refusal)  # the reason only: no patient data in logs
        return (
            render_template("summary/refused.html", reference=submission.reference, paper=paper, reason=str(refusal)),
            503,
            {"Retry-After": "60"},
        )
    review.record_summary(submission, actor=current_staff(), remote_addr=request.remote_addr, pdf=True, paper=paper)
    return (
        rendered.pdf,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="summary-{submission.reference}.pdf"',
        },
    )


from screening.staff import fhir_export  # noqa: E402, F401 (its FHIR download joins bp)

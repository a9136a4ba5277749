"""The patient's pages when the database cannot answer now (``db_faults.UNAVAILABLE``): a 503 that loses nothing.

- A question page that could not be saved is shown again with what was posted (nothing saved, a fresh CSRF token),
  a notice that nothing typed is lost with a correlation id, and its Continue button sends the same page again. When
  even the draft cannot be read (the database is unreachable), the page is laid out as for a new form, still from
  the posted values alone.
- "Send my answers" that could not be sent: the answers are kept (the submit is one transaction, rolled back) and
  the page offers "Send my answers" again with the same one-time token, so a retry after a commit whose answer was
  lost still lands on the one submission.
- Any other patient page: the plain 503 page (``errors/503.html``).

Every one is logged once by ``db_faults.unavailable`` (ids, method and path only) and carries ``Retry-After``.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from screening import forms
from screening.db_faults import UNAVAILABLE, service_unavailable, unavailable
from screening.extensions import db
from screening.models import Draft
from screening.patient.sending import SubmitForm
from screening.patient.views import bp, current_draft, page, render_step

#: The notice on a question page that could not be saved (the correlation id follows it).
NOT_SAVED = (
    "Sorry, we could not save this page just now. Nothing you typed has been lost. Try again in a minute. "
    "If you contact us about this, quote this reference: {reference}"
)
#: A submission token as ``secrets.token_urlsafe`` issues it: anything else is not echoed back.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _saved_answers() -> dict[str, Any]:
    """The draft's answers, which decide which follow-up questions the page shows; none when the draft cannot be read
    now (or is gone)."""
    try:
        draft = current_draft()
    except UNAVAILABLE:
        with contextlib.suppress(Exception):
            db.session.rollback()
        return {}
    return dict(draft.answers) if draft is not None else {}


def _step_again(step_id: str, reference: str) -> str:
    """The question page again, its fields filled from the POST (the form binds ``request.form``)."""
    shown_for = Draft(answers=_saved_answers())  # never added to the session: only its answers are read
    return render_step(
        step_id,
        shown_for,
        forms.step_form_class(step_id)(),
        return_to_check=request.args.get("return_to") == "check",
        notice=NOT_SAVED.format(reference=reference),
    )


def _send_again(reference: str) -> str:
    """ "Send my answers" again, with the token that was posted."""
    form = SubmitForm()
    if not _TOKEN.fullmatch(form.submission_token.data or ""):
        form.submission_token.data = ""
    return page("patient/send_again.html", form=form, correlation_id=reference, article=None)


def database_unavailable(error: Exception) -> ResponseReturnValue:
    """The patient blueprint's answer to a database fault (see the module's docstring)."""
    reference = unavailable(error)
    step_id = (request.view_args or {}).get("step_id")
    if request.method == "POST" and request.endpoint == "patient.step" and isinstance(step_id, str):
        return service_unavailable(_step_again(step_id, reference))
    if request.method == "POST" and request.endpoint == "patient.submit":
        return service_unavailable(_send_again(reference))
    return service_unavailable(render_template("errors/503.html", correlation_id=reference))


for _error in UNAVAILABLE:
    bp.register_error_handler(_error, database_unavailable)

"""The patient blueprint's "Save and come back later" pages (routes of ``views.bp``, imported at the end of ``views``):

- ``/save-for-later``: what saving means, then (POST) a new resume code shown once, with the date it works until, and
  (when ``PATIENT_EMAILS`` is on and the patient gave an email address) a link emailed instead or as well;
- ``/resume``: the code and the date of birth, from any device; ``/resume/<token>``, the emailed link, keeps its token
  in the session and asks for the date of birth at ``/resume/date-of-birth`` (so the token leaves the address bar);
- ``/not-me``: "This isn't me" on the start page: a draft its owner can resume elsewhere is forgotten on this device
  only; one without a code or link goes to the start-again page, which deletes it.

The codes, links and limits are ``resume``'s; these views only read the request and choose the page. A wrong code or
date of birth gets one neutral message that never says which was wrong.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, redirect, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.routing import BaseConverter
from wtforms import StringField
from wtforms.validators import StopValidation

from screening import clock
from screening.access import public
from screening.clinical import dates
from screening.clinical.questionnaire import QUESTIONS
from screening.forms import Node
from screening.models import Draft
from screening.patient import mail, resume
from screening.patient.fields import DateQuestionField, complete_date, real_date
from screening.patient.views import (
    SESSION_DRAFT,
    _came_from,
    _resume,
    bp,
    current_draft,
    forget_progress,
    forget_sent,
    page,
    settings,
)

SESSION_RESUME_LINK = "resume_link"  # the emailed link's token, between opening the link and the date of birth
WRONG_CODE = "The code or date of birth is not right. Check them and try again."
WRONG_LINK = "The date of birth is not right, or the link has expired. Check your date of birth and try again."
EMAIL_FAILED = "We could not send the email just now. You can get a code instead, or try again later."
TOO_MANY_EMAILS = "We have sent several emails from this device. Get a code instead, or try again in an hour."
TIMED_OUT = "Your session timed out. Check what you entered and select the button again."
DATE_OF_BIRTH = Node(QUESTIONS["date_of_birth"], "date_of_birth")
#: The pages of this module whose expired CSRF token re-shows the page (``views.csrf_error`` asks ``timed_out``).
TIMED_OUT_PAGES = frozenset(
    {"patient.resume_form", "patient.resume_link", "patient.issue_code", "patient.email_link", "patient.not_me"}
)


class ResumeTokenConverter(BaseConverter):
    """``<resume_token:token>``: only something shaped like an emailed link's token reaches a view."""

    regex = resume.LINK_TOKEN_PATTERN


@bp.record_once
def _register_converter(state: BlueprintSetupState) -> None:
    """Recorded before this module's routes, so the converter exists when ``/resume/<resume_token:token>`` is added."""
    state.app.url_map.converters.setdefault("resume_token", ResumeTokenConverter)


class ButtonForm(FlaskForm):
    """A CSRF-only form: "Get a code", "Email me a link", "Remove it from this device"."""


def _date_given(form: Any, field: DateQuestionField) -> None:
    if field.is_empty():
        raise StopValidation(gettext("Enter your date of birth"))


def _code_given(form: Any, field: StringField) -> None:
    if not (field.data or "").strip():
        raise StopValidation(gettext("Enter your code"))
    if resume.normalise_code(field.data) is None:
        raise StopValidation(gettext("Enter the code as it was shown: 12 letters and numbers, like 7Q4M-9XHD-K2PA"))


def _date_of_birth_field() -> DateQuestionField:
    return DateQuestionField(QUESTIONS["date_of_birth"], validators=[_date_given, complete_date, real_date])


class DateOfBirthForm(FlaskForm):
    """The emailed link's page: the date of birth, in the same three boxes as the "About you" page."""

    date_of_birth = _date_of_birth_field()


class ResumeForm(FlaskForm):
    """``/resume``: the code, then the date of birth."""

    code = StringField(validators=[_code_given])
    date_of_birth = _date_of_birth_field()


# --- helpers ---------------------------------------------------------------------------------------------------------
def _until(draft: Draft) -> str:
    """The last day the draft is kept, in words ("8 December 2026"), in the clinic's time zone."""
    day = draft.expires_at.astimezone(ZoneInfo(settings()["TIMEZONE"])).date()
    return dates.date_words(day, settings()["DATE_ORDER"], gettext)


def _offer_email(draft: Draft) -> bool:
    return bool(settings()["PATIENT_EMAILS"]) and resume.email_address(draft) is not None and resume.can_save(draft)


def _kept_args() -> dict[str, Any]:
    """Where the patient came from (``?page=``, ``?return_to=``), kept on the save pages' forms and links."""
    return {"page": request.args.get("page"), "return_to": request.args.get("return_to")}


def _link(token: str) -> str:
    base = str(settings()["BASE_URL"] or "").rstrip("/")
    path = url_for(".open_link", token=token)
    return base + path if base else url_for(".open_link", token=token, _external=True)


def _save_page(draft: Draft, *, notice: str | None = None) -> str:
    return page(
        "patient/save_for_later.html",
        form=ButtonForm(),
        can_save=resume.can_save(draft),
        has_code=draft.resume_code_hash is not None,
        offer_email=_offer_email(draft),
        until=_until(draft),
        back_url=_came_from(draft),
        kept=_kept_args(),
        notice=notice,
        article=None,
    )


# --- save and come back later ----------------------------------------------------------------------------------------
@bp.get("/save-for-later")
@public
def save_for_later() -> ResponseReturnValue:
    """What saving means; "Get a code" (and "Email me a link") POST. Needs the date of birth first."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    return _save_page(draft)


@bp.post("/save-for-later")
@public
def issue_code() -> ResponseReturnValue:
    """A new code, shown on this response only (no redirect: it is kept nowhere to show again)."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    if not ButtonForm().validate_on_submit() or not resume.can_save(draft):
        return redirect(url_for(".save_for_later", **_kept_args()))
    code = resume.issue_code(draft, remote_addr=request.remote_addr)
    return page(
        "patient/save_for_later_code.html",
        code=code,
        until=_until(draft),
        resume_address=url_for(".resume_form", _external=True),
        form=ButtonForm(),
        offer_email=_offer_email(draft),
        back_url=_came_from(draft),
        kept=_kept_args(),
        article=None,
    )


@bp.post("/save-for-later/email")
@public
def email_link() -> ResponseReturnValue:
    """Email a new link (the link and its date only) to the address the patient gave."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    address = resume.email_address(draft)
    if not ButtonForm().validate_on_submit() or not _offer_email(draft) or address is None:
        return redirect(url_for(".save_for_later", **_kept_args()))
    if not resume.may_email(request.remote_addr, now=clock.now()):
        return _save_page(draft, notice=TOO_MANY_EMAILS)
    token = resume.issue_link(draft)
    subject, text = resume.link_email_text(link=_link(token), until=_until(draft), clinic=settings()["CLINIC_NAME"])
    if not mail.send(address, subject, text):
        return _save_page(draft, notice=EMAIL_FAILED)
    resume.record_link_emailed(draft, remote_addr=request.remote_addr)
    return redirect(url_for(".link_emailed", **_kept_args()))


@bp.get("/save-for-later/emailed")
@public
def link_emailed() -> ResponseReturnValue:
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    return page("patient/save_for_later_emailed.html", until=_until(draft), back_url=_came_from(draft), article=None)


# --- resume ----------------------------------------------------------------------------------------------------------
def _resume_page(form: FlaskForm, *, locked: bool = False, notice: str | None = None) -> str:
    link = isinstance(form, DateOfBirthForm)
    return page(
        "patient/resume_link.html" if link else "patient/resume.html",
        form=form,
        date_node=DATE_OF_BIRTH,
        locked=locked,
        notice=notice,
        has_errors=bool(form.errors),
        has_draft=bool(session.get(SESSION_DRAFT)),
        draft_days=settings()["DRAFT_DAYS"],
        can_start_again=False,
        article=None,
    )


def _refused(form: FlaskForm, attempt: resume.Attempt) -> ResponseReturnValue:
    if attempt.outcome in ("locked", "throttled"):
        return _resume_page(form, locked=True), 429
    if isinstance(form, ResumeForm):
        form.code.errors = [gettext(WRONG_CODE)]
    else:
        form.date_of_birth.errors = [gettext(WRONG_LINK)]
    return _resume_page(form)


def _continue_here(draft: Draft, *, via: str) -> ResponseReturnValue:
    """This device now holds the draft: a new token in the session cookie, then where Continue would lead."""
    token = resume.resume_here(draft, remote_addr=request.remote_addr, via=via)
    forget_sent()
    forget_progress()
    session.pop(SESSION_RESUME_LINK, None)
    session[SESSION_DRAFT] = token
    session.permanent = True
    return redirect(_resume(draft))


@bp.route("/resume", methods=["GET", "POST"])
@public
def resume_form() -> ResponseReturnValue:
    """Continue a saved form with its code and the date of birth."""
    form = ResumeForm()
    if not form.validate_on_submit():
        return _resume_page(form)
    born: date = form.date_of_birth.data
    attempt = resume.resume_by_code(form.code.data, born, remote_addr=request.remote_addr, now=clock.now())
    if attempt.outcome == "ok" and attempt.draft is not None:
        return _continue_here(attempt.draft, via="code")
    return _refused(form, attempt)


@bp.get("/resume/<resume_token:token>")
@public
def open_link(token: str) -> ResponseReturnValue:
    """The emailed link: its token goes into the session (out of the address bar and history), then the date of
    birth is asked. Only something shaped like a token reaches here (``ResumeTokenConverter``)."""
    g.no_store = True
    session[SESSION_RESUME_LINK] = token
    return redirect(url_for(".resume_link"))


@bp.route("/resume/date-of-birth", methods=["GET", "POST"])
@public
def resume_link() -> ResponseReturnValue:
    """The emailed link's second step: the date of birth only."""
    token = session.get(SESSION_RESUME_LINK)
    if not isinstance(token, str):
        return redirect(url_for(".resume_form"))
    form = DateOfBirthForm()
    if not form.validate_on_submit():
        return _resume_page(form)
    born: date = form.date_of_birth.data
    attempt = resume.resume_by_link(token, born, remote_addr=request.remote_addr, now=clock.now())
    if attempt.outcome == "ok" and attempt.draft is not None:
        return _continue_here(attempt.draft, via="link")
    return _refused(form, attempt)


# --- "This isn't me" -------------------------------------------------------------------------------------------------
def _forget_page(*, notice: str | None = None) -> str:
    return page(
        "patient/resume_forget.html",
        form=ButtonForm(),
        back_url=url_for(".start"),
        notice=notice,
        can_start_again=False,
        article=None,
    )


@bp.get("/not-me")
@public
def confirm_not_me() -> ResponseReturnValue:
    """ "This isn't me": a draft saved with a code or link is removed from this device only (this page says so);
    any other draft goes to the start-again page, which asks before deleting it."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    if not resume.is_resumable(draft):
        return redirect(url_for(".confirm_start_again", page="start"))
    return _forget_page()


@bp.post("/not-me")
@public
def not_me() -> ResponseReturnValue:
    """Remove a saved draft from this device (its owner can still resume it with their code or link)."""
    draft = current_draft()
    if draft is not None and not resume.is_resumable(draft):
        return redirect(url_for(".confirm_start_again", page="start"))  # nothing is deleted without asking
    if ButtonForm().validate_on_submit() and draft is not None:
        resume.forget_on_device(draft)
    session.pop(SESSION_DRAFT, None)
    forget_progress()
    forget_sent()
    return redirect(url_for(".start"))


# --- an expired CSRF token re-shows the page with what was typed ----------------------------------------------------
def timed_out() -> ResponseReturnValue:
    """For ``views.csrf_error``: the page of ``request.endpoint`` (one of ``TIMED_OUT_PAGES``) again, what was typed
    kept, nothing done, and a fresh token."""
    if request.endpoint == "patient.resume_form":
        return _resume_page(ResumeForm(), notice=TIMED_OUT), 400
    if request.endpoint == "patient.resume_link" and isinstance(session.get(SESSION_RESUME_LINK), str):
        return _resume_page(DateOfBirthForm(), notice=TIMED_OUT), 400
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    if request.endpoint == "patient.not_me":
        return _forget_page(notice=TIMED_OUT), 400
    return _save_page(draft, notice=TIMED_OUT), 400

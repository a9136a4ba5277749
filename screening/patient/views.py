"""The patient blueprint and its question pages: the start page (consent), the questionnaire's steps, the "act now"
page, "Start again" (an "are you sure?" page, then a POST deletes the draft), and the CSRF error handler; plus the
session keys and page helpers the blueprint's last pages share. Check your answers, submit and the confirmation are
routes of the same blueprint in ``sending``, imported at the end of this module so that registering ``bp`` registers
them too.

The browser holds only a random draft token in its session cookie; answers live in the server-side
draft (``services``). No answers in URLs, cookies, logs or flash messages. Every page that shows answers
is ``no-store``.

Besides the draft token, the session remembers only where the patient is, never what they answered: the
last page saved and whether it was changed from check your answers (``SESSION_LAST_STEP``, written after
every saved page, so it never tells that an answer meant "act now": the act-now page works that out again
from the draft), that they chose "Send my answers now" (``SESSION_EARLY``), and after sending the reference
with the time it was sent (``SESSION_REFERENCE``, ``SESSION_SENT_AT``: the confirmation is shown for
``CONFIRMATION_MINUTES`` only, for shared devices).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError

from screening import clock, forms, intake
from screening.access import public
from screening.clinical import act_now, journey, questionnaire
from screening.models import Draft
from screening.patient import article as articles
from screening.patient import drafts as services

bp = Blueprint("patient", __name__)


@bp.record_once
def _draft_cookie_lifetime(state: BlueprintSetupState) -> None:
    """The draft token's cookie lives no longer than the draft (SCREENING_DRAFT_DAYS), not Flask's 31 days."""
    state.app.permanent_session_lifetime = timedelta(days=state.app.config["SCREENING"]["DRAFT_DAYS"])


STEP_IDS = tuple(step.id for step in journey.QUESTION_STEPS)
_STEP_URL = "/questionnaire/<any(" + ", ".join(STEP_IDS) + "):step_id>"
SESSION_DRAFT = "draft"
SESSION_REFERENCE = "reference"
SESSION_SENT_AT = "reference_sent_at"  # POSIX seconds: when the submission in SESSION_REFERENCE was sent
SESSION_LAST_STEP = "last_step"  # {"step": the last page saved, "check": it was changed from check your answers}
SESSION_EARLY = "send_early"  # True: the patient chose "Send my answers now" and skips the pages not answered
#: The page that offers "Send my answers now".
SEND_EARLY_FROM = "support"
SEND_EARLY_BUTTON = "send_now"
#: Posted by a page shown again to say what typed text will not be kept: the ids of those questions (no answers).
UNKEPT_SEEN = "unkept_seen"
#: How long the confirmation page (reference, and any message about self-harm) stays viewable in this browser.
CONFIRMATION_MINUTES = 30
TIMED_OUT = "Your session timed out, so that page was not saved. Check your answers and select Continue."
START_AGAIN_TIMED_OUT = (
    "Your session timed out, so your answers were not deleted. Select the button again to delete them."
)


class StartAgainForm(FlaskForm):
    """A CSRF-only form for the "Yes, delete my answers" button of the start-again page (it deletes the draft)."""


def settings() -> dict[str, Any]:
    return current_app.config["SCREENING"]  # type: ignore[no-any-return]


def today() -> date:
    """Today in the clinic's time zone (ages and the under-age stop are counted on it)."""
    return clock.today(ZoneInfo(settings()["TIMEZONE"]))


def current_article() -> articles.Article:
    return articles.load(settings()["ARTICLE_PATH"] or None)


def current_draft() -> Draft | None:
    draft = services.find_draft(session.get(SESSION_DRAFT))
    if draft is None:
        session.pop(SESSION_DRAFT, None)
    return draft


def page(template: str, **context: Any) -> str:
    """A patient page: never cached, with the article beside it and "Start again" while there is a draft."""
    g.no_store = True
    context.setdefault("article", current_article())
    context.setdefault("can_start_again", bool(session.get(SESSION_DRAFT)))
    return render_template(template, locale=settings()["LOCALE"], **context)


# --- start ----------------------------------------------------------------------------------------
def _paused_page() -> str | None:
    """The page shown instead of the start page while new forms are paused (``intake``), or None when they are not."""
    pause = intake.paused()
    return None if pause is None else page("patient/paused.html", pause=pause, crisis=crisis(), article=None)


@bp.route("/", methods=["GET", "POST"])
@public
def start() -> ResponseReturnValue:
    """The start page: what the service is, the article, and consent before anything is stored. While new forms are
    paused (``intake``), someone with no form started sees the clinic's message instead, and no draft is made; a form
    already started carries on."""
    draft = current_draft()
    if draft is None and (paused := _paused_page()) is not None:
        return paused
    form = forms.step_form_class("start")()
    if request.method == "POST" and form.validate_step({}, today=today(), min_age=settings()["MIN_AGE"]):
        if draft is None:
            draft, token = services.start_draft(draft_days=settings()["DRAFT_DAYS"])
            forget_sent()  # a new questionnaire; a staff sign-in in this browser is kept
            forget_progress()
            session[SESSION_DRAFT] = token
            session.permanent = True
        return redirect(_resume(draft))
    resume = _resume(draft) if draft else None
    return page(
        "patient/start.html",
        form=form,
        nodes=forms.layout("start", {}),
        resume_url=resume,
        has_errors=bool(form.errors),
    )


def _resume(draft: Draft) -> str:
    """Where "Continue where you left off" leads: the first page not yet answered or, when the patient had reached
    check your answers (every page answered, or "Send my answers now" chosen), check your answers (which itself
    sends them on to any page that still needs an answer)."""
    return url_for(".check") if sending_early() else _where_now(draft)


def forget_progress() -> None:
    """Forget where the patient was (the last page saved, "send now"): the draft is gone or new."""
    session.pop(SESSION_LAST_STEP, None)
    session.pop(SESSION_EARLY, None)


def forget_sent() -> None:
    session.pop(SESSION_REFERENCE, None)
    session.pop(SESSION_SENT_AT, None)


def _came_from(draft: Draft) -> str:
    """Where "No, go back to my answers" leads: the page the patient came from (``?page=`` a step shown for their
    answers, ``check`` or ``start``, with ``return_to=check`` kept), else where "Continue where you left off" would.
    Only known pages: the address never redirects anywhere else."""
    came_from = request.args.get("page", "")
    if came_from == "start":
        return url_for(".start")
    if came_from == "check":
        return url_for(".check")
    if came_from in STEP_IDS and journey.step_is_shown(came_from, draft.answers):
        return_to = "check" if request.args.get("return_to") == "check" else None
        return url_for(".step", step_id=came_from, return_to=return_to)
    return _resume(draft)


def _confirm_start_again(draft: Draft, *, notice: str | None = None) -> str:
    return page(
        "patient/start_again.html",
        form=StartAgainForm(),
        back_url=_came_from(draft),
        notice=notice,
        can_start_again=False,
        article=None,
    )


@bp.get("/start-again")
@public
def confirm_start_again() -> ResponseReturnValue:
    """The start-again page, where "Start again" (every page with a draft) and "This isn't me" (the start page) lead:
    are you sure? It changes nothing; its "Yes" button POSTs to ``start_again``, which deletes the draft."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    return _confirm_start_again(draft)


@bp.post("/start-again")
@public
def start_again() -> ResponseReturnValue:
    """Delete the draft and go back to the start page (the start-again page's "Yes" button)."""
    if StartAgainForm().validate_on_submit() and (draft := current_draft()) is not None:
        services.delete_draft(draft)
    session.pop(SESSION_DRAFT, None)
    forget_progress()
    return redirect(url_for(".start"))


# --- steps ----------------------------------------------------------------------------------------
def _back_url(step_id: str, answers: dict[str, Any], return_to_check: bool) -> str:
    if return_to_check:
        return url_for(".check")
    previous = journey.previous_step(step_id, answers)
    return url_for(".step", step_id=previous) if previous else url_for(".start")


def render_step(
    step_id: str,
    draft: Draft,
    form: forms.StepForm,
    *,
    return_to_check: bool,
    notice: str | None = None,
    unkept: tuple[journey.Unkept, ...] = (),
) -> str:
    step = questionnaire.STEP_BY_ID[step_id]
    number, total = journey.position(step_id)
    return page(
        "patient/step.html",
        step=step,
        form=form,
        nodes=forms.layout(step_id, draft.answers),
        caption=f"Step {number} of {total}",
        back_url=_back_url(step_id, draft.answers, return_to_check),
        return_to_check=return_to_check,
        has_errors=bool(form.errors),
        notice=notice,
        unkept=unkept,
        unkept_seen=_ids(unkept),
        crisis=crisis() if step_id == SEND_EARLY_FROM else None,
        send_early_button=SEND_EARLY_BUTTON if step_id == SEND_EARLY_FROM else None,
    )


@bp.route(_STEP_URL, methods=["GET", "POST"])
@public
def step(step_id: str) -> ResponseReturnValue:
    """One page of the questionnaire. A valid POST is saved to the draft, then POST/redirect/GET."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    first = journey.first_incomplete(draft.completed_steps, draft.answers)
    if not journey.step_is_shown(step_id, draft.answers):  # e.g. support after PHQ-9 item 9 went back to 0
        return redirect(url_for(".step", step_id=first) if first else url_for(".check"))
    ids = [s.id for s in journey.shown_steps(draft.answers)]
    if first is not None and ids.index(first) < ids.index(step_id):
        return redirect(url_for(".step", step_id=first))  # no skipping ahead of an unfinished page
    return_to_check = request.args.get("return_to") == "check"
    if request.method == "GET":
        return render_step(step_id, draft, forms.form_for(step_id, draft.answers), return_to_check=return_to_check)
    form = forms.step_form_class(step_id)()
    if not form.validate_step(draft.answers, today=today(), min_age=settings()["MIN_AGE"], locale=settings()["LOCALE"]):
        return render_step(step_id, draft, form, return_to_check=return_to_check)
    if unkept := _unkept(step_id, draft, form):  # told first, then Continue again saves without it
        return render_step(step_id, draft, form, return_to_check=return_to_check, unkept=unkept)
    services.save_step(draft, step_id, form.answers(), draft_days=settings()["DRAFT_DAYS"])
    if step_id == SEND_EARLY_FROM and request.form.get(SEND_EARLY_BUTTON):
        session[SESSION_EARLY] = True  # "Send my answers now": check what was answered, then send
    elif not return_to_check:
        session.pop(SESSION_EARLY, None)  # carrying on page by page: the patient answers the rest after all
    session[SESSION_LAST_STEP] = {"step": step_id, "check": return_to_check}  # after every page: tells nothing
    if _act_now(step_id, draft):
        return redirect(url_for(".important"))  # PRG to a neutral address: what to do now, before going on
    return redirect(_after(step_id, draft, return_to_check=return_to_check))


def _ids(unkept: tuple[journey.Unkept, ...]) -> str:
    return ",".join(item.question.id for item in unkept)


def _unkept(step_id: str, draft: Draft, form: forms.StepForm) -> tuple[journey.Unkept, ...]:
    """What saving this valid page would not keep of what the patient typed (``journey.unkept_typing``), unless the
    page already told them (it is shown again with a notice and ``UNKEPT_SEEN``): nothing typed is dropped silently."""
    given = {question.id: question_field.answer() for question, question_field in form.question_fields()}
    unkept = journey.unkept_typing(step_id, given, form.answers(), draft.answers)
    return () if request.form.get(UNKEPT_SEEN) == _ids(unkept) else unkept


def _act_now(step_id: str, draft: Draft) -> tuple[act_now.ActNow, ...]:
    """What the answers given on ``step_id`` mean the patient should do now (nothing, mostly)."""
    return act_now.for_answers(draft.answers, questions=[question.id for question in questionnaire.STEP_BY_ID[step_id]])


def sending_early() -> bool:
    """Whether the patient chose "Send my answers now" (the support page)."""
    return session.get(SESSION_EARLY) is True


def skipped_steps(draft: Draft) -> list[str]:
    """The pages that sending now skips (none unless the patient chose "Send my answers now")."""
    return services.unanswered_steps(draft) if sending_early() else []


def _after(step_id: str, draft: Draft, *, return_to_check: bool) -> str:
    """Where a saved page leads: the next page; or, after a change from check your answers, any page
    that now needs an answer (a newly required question), then back to check your answers. A patient who
    chose "Send my answers now" goes to check your answers once the pages they answered are in order."""
    if sending_early():
        pending = forms.first_invalid_step(
            draft.answers, today=today(), min_age=settings()["MIN_AGE"], skip=skipped_steps(draft)
        )
        return url_for(".step", step_id=pending, return_to="check") if pending else url_for(".check")
    if return_to_check:
        pending = journey.first_incomplete(draft.completed_steps, draft.answers) or forms.first_invalid_step(
            draft.answers, today=today(), min_age=settings()["MIN_AGE"]
        )
        if pending is None:
            return url_for(".check")
        return url_for(".step", step_id=pending, return_to="check")
    following = journey.next_step(step_id, draft.answers)
    return url_for(".step", step_id=following) if following else url_for(".check")


def crisis() -> dict[str, Any]:
    """The clinic's emergency number and crisis lines, for the pages that show them."""
    return {"emergency": settings()["EMERGENCY_NUMBER"], "lines": settings()["CRISIS_LINES"]}


# --- act now: what to do straight away, after a step whose answers mean "act now" ---------------------
@bp.get("/questionnaire/important")
@public
def important() -> ResponseReturnValue:
    """The act-now page (``act_now``), shown after saving a step whose answers mean "act now": what to do
    now, the numbers to call, "your answers are saved", and a link on to where Continue would have gone. Its
    address carries nothing; the session names the last page saved, and the draft's answers on it decide. When
    they do not mean "act now" (changed meanwhile, or a direct visit), it sends the patient on: to where
    Continue went, or to the page they are on."""
    draft = current_draft()
    if draft is None:
        return redirect(url_for(".start"))
    last = session.get(SESSION_LAST_STEP)
    step_id = last.get("step") if isinstance(last, dict) else None
    if step_id not in STEP_IDS or not journey.step_is_shown(step_id, draft.answers):
        return redirect(_where_now(draft))
    return_to_check = isinstance(last, dict) and last.get("check") is True
    carry_on = _after(step_id, draft, return_to_check=return_to_check)
    entries = _act_now(step_id, draft)
    if not entries:
        return redirect(carry_on)
    back = url_for(".step", step_id=step_id, return_to="check" if return_to_check else None)
    title = entries[0].heading if len(entries) == 1 else "Please read this before you carry on"
    named = any("{emergency}" in paragraph for entry in entries for paragraph in entry.paragraphs)
    return page(
        "patient/act_now.html",
        title=title,
        entries=entries,
        crisis=crisis(),
        carry_on_url=carry_on,
        to_check=carry_on == url_for(".check"),
        sending_early=sending_early(),
        back_url=back,
        emergency_line=not named and not any(entry.crisis_lines for entry in entries),
        article=None,
    )


def _where_now(draft: Draft) -> str:
    """The page the patient is on: the first page not yet answered, or check your answers."""
    step_id = journey.first_incomplete(draft.completed_steps, draft.answers)
    return url_for(".step", step_id=step_id) if step_id else url_for(".check")


# --- an expired or missing CSRF token never loses what was typed -----------------------------------
@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> ResponseReturnValue:
    """Re-show the page with what was posted (nothing saved) and a fresh token, never a bare 400."""
    draft = current_draft()
    step_id = (request.view_args or {}).get("step_id")
    if request.endpoint == "patient.step" and draft is not None and step_id:
        form = forms.step_form_class(step_id)()
        return render_step(
            step_id, draft, form, return_to_check=request.args.get("return_to") == "check", notice=TIMED_OUT
        ), 400
    if request.endpoint == "patient.submit" and draft is not None:
        return redirect(url_for(".check"))
    if request.endpoint == "patient.start_again" and draft is not None:  # nothing deleted: ask again
        return _confirm_start_again(draft, notice=START_AGAIN_TIMED_OUT), 400
    if request.endpoint == "patient.finish":  # a stale token must not leave the confirmation showing
        forget_sent()
        return redirect(url_for(".start"))
    if request.endpoint in resume_views.TIMED_OUT_PAGES:  # save for later, resume, "This isn't me"
        return resume_views.timed_out()
    if request.blueprint == "patient":
        if draft is None and (paused := _paused_page()) is not None:  # a start page from before the pause
            return paused, 400
        form = forms.step_form_class("start")()
        resume = _resume(draft) if draft else None
        return page(
            "patient/start.html", form=form, nodes=forms.layout("start", {}), resume_url=resume, notice=TIMED_OUT
        ), 400
    return render_template("errors/400.html", status=400, description=error.description), 400


# Check your answers, submit and the confirmation (``sending``), and the privacy, accessibility and cookie pages
# (``info_views``), and the 503 pages of a database fault (``fault_views``): routes of ``bp`` in their own modules.
# They import the helpers above, so they are imported last (Flask's pattern for views split over modules).
from screening.patient import copy_views, fault_views, info_views, resume_views, sending  # noqa: E402, F401

"""The auth blueprint: staff sign-in (password, then TOTP; enrolment with a QR code on first sign-in),
sign-out, password change (right after signing in with a one-time password, without typing it again). Policy and
timeouts: ``auth`` and ``access``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user

from screening import clock
from screening.access import ALL_STAFF, end_staff_session, public, roles
from screening.extensions import db
from screening.models import StaffUser
from screening.staff import accounts, auth
from screening.staff.forms import HIDDEN_CHARACTERS, CodeForm, LoginForm, PasswordChangeForm, PostForm

bp = Blueprint("auth", __name__, url_prefix="/staff")
INVALID = "Enter a correct email address and password"
EXPIRED = "Your one-time password has expired. Ask a clinic administrator for a new one"
THROTTLED = "Too many sign-in attempts from this network. Wait 15 minutes, then try again"
PATIENT_SESSION_KEYS = ("draft", "reference")  # views.patient: a questionnaire in progress, the last reference
WRONG_CODE = "That code is not right or has already been used. Enter the 6-digit code your authenticator app shows now"
CODE_FORMAT = "Enter the code as 6 digits, for example 123456"
#: After signing in with a one-time (or expired) password, choosing a new one within this time does not ask for
#: the password just typed again; later, or for a voluntary change, the current password is asked for.
JUST_SIGNED_IN = "staff_password_verified"
JUST_SIGNED_IN_WINDOW = timedelta(minutes=10)  # shorter than the 15 minutes a session may idle


def _page(template: str, **context: Any) -> str:
    from flask import g

    g.no_store = True
    return render_template(template, **context)


def _pending_user() -> StaffUser | None:
    """The account whose password was right and whose second factor is awaited (for 5 minutes)."""
    pending = session.get("staff_pending")
    if not isinstance(pending, dict) or not isinstance(pending.get("at"), (int, float)):
        return None
    if clock.now().timestamp() - pending["at"] > auth.MFA_PENDING_TIMEOUT.total_seconds():
        session.pop("staff_pending", None)
        return None
    user: StaffUser | None = db.session.get(StaffUser, pending.get("id"))
    if user is None or not user.active or user.session_epoch != pending.get("epoch"):
        return None
    if user.locked_until is not None and user.locked_until > clock.now():  # wrong codes lock it, as passwords do
        session.pop("staff_pending", None)
        return None
    return user


def _only_hidden_characters_in_email(form: LoginForm) -> bool:
    """Whether the sign-in's only problem is a character no email address holds (NUL, another control character).
    It is then a failed sign-in like any other, with the same words, counted for the address and audited
    (``accounts.attempt_login`` matches no account with it, without querying the database)."""
    if set(form.errors) != {"email"} or list(form.email.errors) != [HIDDEN_CHARACTERS]:
        return False
    form.email.errors = []
    return True


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit() or _only_hidden_characters_in_email(form):
        attempt = accounts.attempt_login(
            form.email.data or "", form.password.data or "", remote_addr=request.remote_addr or "unknown"
        )
        if attempt.outcome == "throttled":
            return _page("auth/login.html", form=form, problem=THROTTLED, has_errors=True), 429
        if attempt.outcome == "expired":
            return _page("auth/login.html", form=form, problem=EXPIRED, has_errors=True), 200
        if attempt.user is None:
            return _page("auth/login.html", form=form, problem=INVALID, has_errors=True), 200
        end_staff_session()
        session["staff_pending"] = {
            "id": attempt.user.id,
            "epoch": attempt.user.session_epoch,
            "at": clock.now().timestamp(),
        }
        if attempt.user.mfa_secret is None:  # the seed stays on the server (the cookie is signed, not secret)
            accounts.begin_mfa_enrolment(attempt.user)
            return redirect(url_for(".mfa_setup"))
        return redirect(url_for(".mfa"))
    return _page("auth/login.html", form=form, problem=None, has_errors=bool(form.errors))


def _signed_in(user: StaffUser) -> ResponseReturnValue:
    """Start a fresh staff session (new cookie contents; a patient draft in this browser is kept, with its
    cookie's lifetime)."""
    patient = {key: session[key] for key in PATIENT_SESSION_KEYS if key in session}
    permanent = session.permanent
    session.clear()
    session.update(patient)
    session.permanent = permanent
    login_user(user)
    now = clock.now().timestamp()
    session["staff_login_at"] = now
    session["staff_seen_at"] = now
    if user.must_change_password:  # its password was checked moments ago, in this session: no need to ask again
        session[JUST_SIGNED_IN] = {"id": user.id, "epoch": user.session_epoch, "at": now}
    return redirect(url_for(".password") if user.must_change_password else url_for("staff.queue"))


def _code_problem(code: str) -> str:
    """Why a refused code was refused: not 6 digits (a typing slip), or wrong or already used."""
    digits = "".join(code.split())
    return WRONG_CODE if digits.isdigit() and len(digits) == 6 else CODE_FORMAT


@bp.route("/mfa", methods=["GET", "POST"])
@public
def mfa() -> ResponseReturnValue:
    user = _pending_user()
    if user is None or user.mfa_secret is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        step = auth.verify_totp(user.mfa_secret, form.code.data or "", last_step=user.mfa_last_step, now=clock.now())
        if step is not None:
            accounts.complete_login(user, step=step, remote_addr=request.remote_addr)
            return _signed_in(user)
        accounts.record_failure(user, remote_addr=request.remote_addr or "unknown", reason="code", now=clock.now())
        form.code.errors = [_code_problem(form.code.data or "")]
    return _page("auth/mfa.html", form=form, has_errors=bool(form.errors))


@bp.route("/mfa/setup", methods=["GET", "POST"])
@public
def mfa_setup() -> ResponseReturnValue:
    user = _pending_user()
    secret = user.pending_mfa_secret if user is not None else None
    if user is None or user.mfa_secret is not None or secret is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        step = auth.verify_totp(secret, form.code.data or "", last_step=user.mfa_last_step, now=clock.now())
        if step is not None:
            accounts.enrol_mfa(user, secret=secret, step=step, remote_addr=request.remote_addr)
            return _signed_in(user)
        form.code.errors = [_code_problem(form.code.data or "")]
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return _page("auth/mfa_setup.html", form=form, key=key, has_errors=bool(form.errors))


@bp.get("/mfa/qr.svg")
@public
def mfa_qr() -> ResponseReturnValue:
    user = _pending_user()
    secret = user.pending_mfa_secret if user is not None else None
    if user is None or user.mfa_secret is not None or secret is None:
        abort(404)
    issuer = current_app.config["SCREENING"]["CLINIC_NAME"]
    svg = auth.qr_svg(auth.provisioning_uri(secret, email=user.email, issuer=issuer))
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


@bp.post("/logout")
@roles(*ALL_STAFF)
def logout() -> ResponseReturnValue:
    if not PostForm().validate_on_submit():
        return redirect(url_for(".login"))
    accounts.logout(current_user, remote_addr=request.remote_addr)
    end_staff_session()
    flash("You have signed out")
    response = redirect(url_for(".login"))
    # ASVS 14.3.1: the browser drops what it cached or stored for this site (not its cookies: the new, signed-out
    # session cookie carries the "You have signed out" message)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _just_signed_in(user: StaffUser) -> bool:
    """Whether this session signed ``user`` in, with the password they must now replace, moments ago."""
    marker = session.get(JUST_SIGNED_IN)
    if not user.must_change_password or not isinstance(marker, dict) or not isinstance(marker.get("at"), (int, float)):
        return False
    fresh = clock.now().timestamp() - marker["at"] <= JUST_SIGNED_IN_WINDOW.total_seconds()
    return fresh and marker.get("id") == user.id and marker.get("epoch") == user.session_epoch


@bp.route("/password", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def password() -> ResponseReturnValue:
    user: StaffUser = current_user._get_current_object()
    ask_current = not _just_signed_in(user)
    form = PasswordChangeForm()
    if not ask_current:
        del form.current  # the one-time password was checked at sign-in, in this session
    if form.validate_on_submit():
        if ask_current and not auth.verify_password(user.password_hash, form.current.data or ""):
            form.current.errors = ["Enter your current password correctly"]
        elif (problem := auth.password_problem(form.new.data or "", email=user.email, name=user.name)) is not None:
            form.new.errors = [problem]
        else:
            accounts.change_password(user, new_password=form.new.data or "", remote_addr=request.remote_addr)
            return _signed_in(user)
    return _page(
        "auth/password.html",
        form=form,
        has_errors=bool(form.errors),
        forced=user.must_change_password,
        ask_current=ask_current,
    )

"""Deny-by-default access control and staff sessions.

Every endpoint is either marked ``@public`` or names the roles that may use it with ``@roles(...)`` (or, for the
FHIR read API, ``@api_token``: a bearer token, never a staff session); anything else is refused (403). An account
holding several roles may use what any of them may (the union); its roles are read afresh on every request, so a
change an administrator makes applies from the account's next request.

Staff sessions end after 15 minutes idle or 12 hours in all, and whenever the account's ``session_epoch`` moves on
(logout, password change, deactivation): the session cookie carries "<id>.<epoch>", which stops matching, so a
copied cookie is useless after logout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, logout_user
from sqlalchemy import select

from screening import clock
from screening.extensions import db
from screening.models import Role, StaffUser
from screening.staff import auth

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
ALL_STAFF = (Role.RECEPTION, Role.CLINICIAN, Role.ADMIN)
STAFF_SESSION_KEYS = (
    "_user_id",
    "_fresh",
    "_id",
    "staff_login_at",
    "staff_seen_at",
    "staff_pending",
)
login_manager = LoginManager()


def public(view: F) -> F:
    """Open to anyone (the patient questionnaire, the staff login page)."""
    view._access_public = True  # type: ignore[attr-defined]
    return view


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only for signed-in staff holding at least one of the ``allowed`` roles."""

    def mark(view: F) -> F:
        view._access_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def api_token(view: F) -> F:
    """For machines holding an API token (the FHIR read API, ``staff.fhir_api``), never for a staff session: the
    ``Authorization: Bearer`` token is checked before the view runs (``staff.fhir_api_auth.check_token``)."""
    view._access_api_token = True  # type: ignore[attr-defined]
    return view


def needs_api_token(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "_access_api_token", False))


def allowed_roles(view: Callable[..., Any]) -> frozenset[Role] | None:
    return getattr(view, "_access_roles", None)


def is_public(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "_access_public", False))


@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(session_id: str) -> StaffUser | None:
    """``"<id>.<epoch>"`` -> the active account whose epoch still matches, else None (signed out)."""
    user_id, _, epoch = session_id.partition(".")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user: StaffUser | None = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_epoch != int(epoch):
        return None
    return user


def end_staff_session() -> None:
    """Sign the staff member out of this browser, leaving any patient draft in the same cookie alone."""
    logout_user()
    for key in STAFF_SESSION_KEYS:
        session.pop(key, None)


def _timed_out(now: datetime) -> str | None:
    login_at, seen_at = session.get("staff_login_at"), session.get("staff_seen_at")
    if not isinstance(login_at, (int, float)) or not isinstance(seen_at, (int, float)):
        return "Sign in to continue"
    if now.timestamp() - login_at > auth.ABSOLUTE_TIMEOUT.total_seconds():
        return "You were signed out because you had been signed in for 12 hours. Sign in again"
    if now.timestamp() - seen_at > auth.IDLE_TIMEOUT.total_seconds():
        return "You were signed out after 15 minutes without activity. Sign in again"
    return None


def _enforce() -> ResponseReturnValue | None:
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions[request.endpoint]
    if is_public(view):
        return None
    if needs_api_token(view):
        from screening.staff import fhir_api_auth

        return fhir_api_auth.check_token()
    allowed = allowed_roles(view)
    if allowed is None:
        log.error("endpoint %s has no access rule: refused", request.endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    now = clock.now()
    if (reason := _timed_out(now)) is not None:
        end_staff_session()
        flash(reason)
        return redirect(url_for("auth.login"))
    session["staff_seen_at"] = now.timestamp()
    g.no_store = True
    if not current_user.roles & allowed:
        from screening.staff import accounts

        accounts.record_denied(current_user, request.endpoint, remote_addr=request.remote_addr)
        abort(403)
    if current_user.must_change_password and request.endpoint not in ("auth.password", "auth.logout"):
        return redirect(url_for("auth.password"))
    return None


def register_access(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions end by epoch and timeouts, see the module docstring
    app.before_request(_enforce)


def find_staff(email: str) -> StaffUser | None:
    user: StaffUser | None = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    return user

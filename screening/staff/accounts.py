"""Every write about staff accounts: create, edit (name, email, roles), sign-in attempts, MFA enrolment, sign-out,
password change, deactivation and MFA reset, each with its audit event (ids and role codes only, never a password,
a code, a name or an email address). Commits.

An account holds one or more roles. The clinic always keeps an active administrator: nobody removes the
administrator role from, or deactivates, the last active account holding it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select

from screening import clock
from screening.audit import audit
from screening.clinical.validation import has_control_characters
from screening.extensions import db
from screening.models import LoginFailure, Role, StaffRole, StaffUser
from screening.staff import auth, sign_in_alerts


class AccountError(ValueError):
    """An account change that cannot be made; the message says why."""


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """The outcome of a password check: ``user`` is set only when the password was right."""

    outcome: Literal["ok", "invalid", "throttled", "expired"]
    user: StaffUser | None = None


LAST_ADMIN = "There must always be an active administrator: give another account the administrator role first"


def _role_set(roles: Role | Iterable[Role]) -> frozenset[Role]:
    held = frozenset((roles,)) if isinstance(roles, Role) else frozenset(Role(role) for role in roles)
    if not held:
        raise AccountError("Select at least one role")
    return held


def role_codes(roles: Iterable[Role]) -> list[str]:
    """Roles as their codes in display order, e.g. ``["clinician", "admin"]`` (for audit details)."""
    held = set(roles)
    return [role.value for role in Role if role in held]


def _email_taken(email: str, *, other_than: int | None = None) -> bool:
    query = select(StaffUser.id).where(StaffUser.email == email)
    if other_than is not None:
        query = query.where(StaffUser.id != other_than)
    return db.session.scalar(query) is not None


def other_active_admins(user: StaffUser) -> int:
    """How many active accounts other than ``user`` hold the administrator role."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(StaffRole)
            .join(StaffUser, StaffUser.id == StaffRole.staff_id)
            .where(StaffRole.role == Role.ADMIN, StaffUser.active.is_(True), StaffUser.id != user.id)
        )
        or 0
    )


def is_last_active_admin(user: StaffUser) -> bool:
    return user.active and user.has_role(Role.ADMIN) and other_active_admins(user) == 0


def create_staff(
    *,
    email: str,
    name: str,
    roles: Role | Iterable[Role] = (),
    role: Role | None = None,
    actor: StaffUser | None = None,
    remote_addr: str | None = None,
) -> tuple[StaffUser, str]:
    """A new account holding ``roles`` (``role`` is shorthand for one) with a random one-time password, which must
    be changed at first sign-in (after MFA enrolment). Returns the account and that password, to hand over once."""
    held = _role_set(roles if role is None else role)
    email = email.strip().lower()
    if _email_taken(email):
        raise AccountError("An account with that email address already exists")
    user = StaffUser(email=email, name=name.strip())
    user.roles = held
    one_time = _set_one_time_password(user)
    db.session.add(user)
    db.session.flush()
    audit(
        "staff.created",
        staff_id=actor.id if actor else None,
        remote_addr=remote_addr,
        account=user.id,
        roles=role_codes(held),
    )
    db.session.commit()
    return user, one_time


def update_staff(
    user: StaffUser,
    *,
    name: str,
    email: str,
    roles: Iterable[Role],
    actor: StaffUser,
    remote_addr: str | None,
) -> list[str]:
    """Change an account's name, email address and roles; returns the fields that changed (``name``, ``email``,
    ``roles``; empty when nothing did, and then nothing is recorded). Raises ``AccountError`` for no role, an email
    address another account uses, or taking the administrator role from the last active administrator. The
    ``staff.updated`` event names the changed fields and, for roles, the codes before and after (who may do what
    is the security-relevant part); names and addresses stay on the account, not in the trail. A role change
    applies from the account's next request (roles are read afresh each time); its sessions are not ended."""
    held = _role_set(roles)
    email = email.strip().lower()
    name = name.strip()
    if _email_taken(email, other_than=user.id):
        raise AccountError("An account with that email address already exists")
    if Role.ADMIN not in held and is_last_active_admin(user):
        raise AccountError(LAST_ADMIN)
    before = user.roles
    changed = [
        field
        for field, differs in (("name", name != user.name), ("email", email != user.email), ("roles", held != before))
        if differs
    ]
    if not changed:
        return changed
    user.name, user.email, user.roles = name, email, held
    details: dict[str, Any] = {"fields": changed}
    if "roles" in changed:
        details |= {"roles_before": role_codes(before), "roles_after": role_codes(held)}
    audit("staff.updated", staff_id=actor.id, remote_addr=remote_addr, account=user.id, **details)
    db.session.commit()
    return changed


def _set_one_time_password(user: StaffUser) -> str:
    """Give ``user`` a random password that must be changed at sign-in and stops working after
    ``auth.ONE_TIME_PASSWORD_LIFETIME``; returns it."""
    one_time = secrets.token_urlsafe(12)
    user.password_hash = auth.hash_password(one_time)
    user.must_change_password = True
    user.password_expires_at = clock.now() + auth.ONE_TIME_PASSWORD_LIFETIME
    return one_time


def issue_one_time_password(user: StaffUser, *, actor: StaffUser, remote_addr: str | None) -> str:
    """Replace the account's password with a new one-time password (a forgotten password, or a one-time password
    that expired before first sign-in), ending its sessions and unlocking it. Nobody does this to themselves.
    Returns the password, to hand over once."""
    if user.id == actor.id:
        raise AccountError("You cannot reset your own password here: use Change your password")
    one_time = _set_one_time_password(user)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(user)
    audit("staff.password_reset", staff_id=actor.id, remote_addr=remote_addr, account=user.id)
    db.session.commit()
    return one_time


def _address_failures(remote_addr: str, now: datetime) -> int:
    since = now - auth.ADDRESS_WINDOW
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < since))
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.remote_addr == remote_addr, LoginFailure.at >= since)
        )
        or 0
    )


def record_failure(
    user: StaffUser | None, *, remote_addr: str, reason: str, now: datetime, account: int | None = None
) -> None:
    """Count a failed password or code for the address and the account (locking it with back-off). An
    attempt while the account is locked counts for the address only: it neither lengthens the lock nor,
    when it is the real user trying again, punishes them with a longer one."""
    db.session.add(LoginFailure(remote_addr=remote_addr, at=now))
    if user is not None and reason != "locked":
        user.failed_logins += 1
        if (duration := auth.lock_duration(user.failed_logins)) is not None:
            user.locked_until = now + duration
    audit("staff.login_failed", staff_id=user.id if user else account, remote_addr=remote_addr, reason=reason)
    db.session.commit()
    sign_in_alerts.after_failure(account=user.id if user else account, remote_addr=remote_addr, now=now)


def attempt_login(email: str, password: str, *, remote_addr: str) -> LoginAttempt:
    """Check a password. Unknown accounts, wrong passwords, locked and deactivated accounts all give
    "invalid" (the same message and, through a dummy hash verify, similar timing); too many failures
    from the address give "throttled". The right one-time password after its expiry gives "expired" (only
    someone who knows it learns that), counted for the address but not against the account."""
    now = clock.now()
    if _address_failures(remote_addr, now) >= auth.ADDRESS_MAX_FAILURES:
        audit("staff.login_throttled", remote_addr=remote_addr)
        db.session.commit()
        return LoginAttempt("throttled")
    address = email.strip().lower()
    # an address with a control character (even one strip() removes) matches no account; PostgreSQL refuses NUL
    query = select(StaffUser).where(StaffUser.email == address)
    user = None if has_control_characters(email) else db.session.scalar(query)
    correct = auth.verify_password(user.password_hash if user else None, password)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if user is None or not correct or locked or not user.active:
        reason = "unknown" if user is None else "locked" if locked else "inactive" if not user.active else "password"
        record_failure(user, remote_addr=remote_addr, reason=reason, now=now)
        return LoginAttempt("invalid")
    if user.must_change_password and user.password_expires_at is not None and user.password_expires_at <= now:
        record_failure(None, remote_addr=remote_addr, reason="one_time_password_expired", now=now, account=user.id)
        return LoginAttempt("expired")
    if auth.needs_rehash(user.password_hash):
        user.password_hash = auth.hash_password(password)
    db.session.commit()
    return LoginAttempt("ok", user)


def complete_login(user: StaffUser, *, step: int, remote_addr: str | None) -> None:
    """The second factor was right: remember its time step (no replay), reset the failure count."""
    user.mfa_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = clock.now()
    audit("staff.logged_in", staff_id=user.id, remote_addr=remote_addr)
    db.session.commit()


def begin_mfa_enrolment(user: StaffUser) -> str:
    """A new authenticator seed for the set-up page, kept on the account (``pending_mfa_secret``), never in the
    session cookie; each sign-in that reaches the set-up page gets a fresh one. Commits."""
    user.pending_mfa_secret = auth.new_mfa_secret()
    db.session.commit()
    return user.pending_mfa_secret


def enrol_mfa(user: StaffUser, *, secret: str, step: int, remote_addr: str | None) -> None:
    """The first code proved the seed: it becomes the account's authenticator; the pending copy goes."""
    user.mfa_secret = secret
    user.pending_mfa_secret = None
    audit("staff.mfa_enrolled", staff_id=user.id, remote_addr=remote_addr)
    complete_login(user, step=step, remote_addr=remote_addr)


def end_sessions(user: StaffUser) -> None:
    """Every existing session of ``user`` stops working (the caller commits)."""
    user.session_epoch += 1


def logout(user: StaffUser, *, remote_addr: str | None) -> None:
    end_sessions(user)
    audit("staff.logged_out", staff_id=user.id, remote_addr=remote_addr)
    db.session.commit()


def change_password(user: StaffUser, *, new_password: str, remote_addr: str | None) -> None:
    """Set a new password (the caller has checked the current one and the policy); ends other sessions."""
    if (problem := auth.password_problem(new_password, email=user.email, name=user.name)) is not None:
        raise AccountError(problem)
    user.password_hash = auth.hash_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    end_sessions(user)
    audit("staff.password_changed", staff_id=user.id, remote_addr=remote_addr)
    db.session.commit()


def set_active(user: StaffUser, active: bool, *, actor: StaffUser, remote_addr: str | None) -> None:
    """Deactivate (ending every session) or reactivate an account. Nobody deactivates themselves."""
    if user.id == actor.id and not active:
        raise AccountError("You cannot deactivate your own account")
    if not active and is_last_active_admin(user):
        raise AccountError(LAST_ADMIN)
    user.active = active
    end_sessions(user)
    audit(
        "staff.deactivated" if not active else "staff.reactivated",
        staff_id=actor.id,
        remote_addr=remote_addr,
        account=user.id,
    )
    db.session.commit()


def reset_mfa(user: StaffUser, *, actor: StaffUser, remote_addr: str | None) -> None:
    """Forget the account's authenticator: it enrols again at next sign-in. Ends its sessions."""
    user.mfa_secret = None
    user.pending_mfa_secret = None
    user.mfa_last_step = 0
    end_sessions(user)
    audit("staff.mfa_reset", staff_id=actor.id, remote_addr=remote_addr, account=user.id)
    db.session.commit()


def record_access(user: StaffUser, action: str, *, remote_addr: str | None, **details: Any) -> None:
    """What a signed-in account just looked at or downloaded (``audit.viewed``, ``export.downloaded``): ``details``
    hold ids, codes and counts only. Commits."""
    audit(action, staff_id=user.id, remote_addr=remote_addr, **details)
    db.session.commit()


def record_denied(user: StaffUser, endpoint: str, *, remote_addr: str | None = None) -> None:
    """A signed-in account tried a page none of its roles may use (from ``remote_addr``, the client's address)."""
    audit("access.denied", staff_id=user.id, remote_addr=remote_addr, endpoint=endpoint)
    db.session.commit()

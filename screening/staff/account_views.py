"""Staff accounts (``/staff/admin/staff``, admins only): the list, creating an account, editing one (name, email
address, roles), and the three changes that lock a person out until they act (deactivate, a new one-time password,
resetting their authenticator), each asked on its own confirmation page whose POST (CSRF) makes it. Reactivating
acts at once from the list: it only gives access back, and deactivating undoes it.

Routes of the admin blueprint (``admin_views``, which imports this module last); every write goes through
``accounts`` (audited, committed). An account holds one or more roles and may do what any of them may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSubmitInput, GovTextInput
from sqlalchemy import select
from wtforms import EmailField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Regexp, StopValidation

from screening.access import roles
from screening.extensions import db
from screening.models import Role, StaffUser
from screening.staff import accounts
from screening.staff.admin_views import _actor, _page, bp
from screening.staff.forms import NO_CONTROL_CHARACTERS, NoControlCharacters, PostForm

ROLE_LABELS = {Role.RECEPTION: "Reception", Role.CLINICIAN: "Clinician", Role.ADMIN: "Administrator"}
ROLE_CHOICES = tuple(SelectChoice(role.value, label) for role, label in ROLE_LABELS.items())
SELECT_A_ROLE = "Select at least one role"
Change = Literal["deactivate", "one_time_password", "reset_mfa"]


def role_labels(user: StaffUser) -> str:
    """The account's roles in words, e.g. "Clinician, Administrator"."""
    return ", ".join(label for role, label in ROLE_LABELS.items() if user.has_role(role))


# --- forms ------------------------------------------------------------------------------------------
def _strip(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class RolesField(SelectMultipleField):
    """Role checkboxes: at least one, each one of ``Role``; ``held()`` gives them as a set."""

    widget = GovCheckboxesInput()

    def pre_validate(self, form: Any) -> None:
        valid = {choice.value for choice in ROLE_CHOICES}
        if not self.data or any(value not in valid for value in self.data):
            raise StopValidation(SELECT_A_ROLE)

    def held(self) -> frozenset[Role]:
        return frozenset(Role(value) for value in self.data or ())


class StaffDetailsForm(FlaskForm):
    """Name, email address and roles: the same fields to create an account and to edit one."""

    name = StringField(
        "Full name",
        widget=GovTextInput(),
        filters=[_strip],
        validators=[
            DataRequired("Enter their full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
            Regexp(NO_CONTROL_CHARACTERS, message="Enter the full name without hidden control characters"),
        ],
    )
    email = EmailField(
        "Work email address",
        widget=GovTextInput(),
        description="They sign in with it.",
        filters=[_strip],
        validators=[
            DataRequired("Enter their work email address"),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            NoControlCharacters(),  # the one rule (before Email, whose message would not say why)
            Email("Enter an email address in the correct format, like name@example.com", check_deliverability=False),
        ],
    )
    roles = RolesField(
        "Roles",
        choices=ROLE_CHOICES,
        description="Select all that apply. Someone with more than one role can do everything each role allows.",
    )


class StaffCreateForm(StaffDetailsForm):
    submit = SubmitField("Create account", widget=GovSubmitInput())


class StaffEditForm(StaffDetailsForm):
    submit = SubmitField("Save changes", widget=GovSubmitInput())


# --- the list and creating an account -------------------------------------------------------------------
def _staff_list() -> ResponseReturnValue:
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id)).all()
    return _page("admin/staff.html", users=users, post_form=PostForm(), role_labels=role_labels)


@bp.get("/staff")
@roles(Role.ADMIN)
def staff() -> ResponseReturnValue:
    return _staff_list()


@bp.route("/staff/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_new() -> ResponseReturnValue:
    """Create an account. Its one-time password is shown once, on the result page (never in a URL,
    a flash message or a log)."""
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user, one_time = accounts.create_staff(
                email=form.email.data or "",
                name=form.name.data or "",
                roles=form.roles.held(),
                actor=_actor(),
                remote_addr=request.remote_addr,
            )
        except accounts.AccountError as error:
            form.email.errors = [str(error)]
        else:
            return _page("admin/staff_created.html", user=user, one_time=one_time, role_labels=role_labels)
    return _page("admin/staff_new.html", form=form, has_errors=bool(form.errors))


# --- editing an account ------------------------------------------------------------------------------
def _account(staff_id: int) -> StaffUser:
    user: StaffUser = db.session.get(StaffUser, staff_id) or abort(404)
    return user


@bp.route("/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_edit(staff_id: int) -> ResponseReturnValue:
    """Change a person's name, email address and roles (``staff.updated``). A role change applies from their next
    request. Removing your own administrator role takes you to the queue (this area is then closed to you)."""
    user = _account(staff_id)
    form = StaffEditForm()
    if request.method == "GET":
        form.name.data, form.email.data = user.name, user.email
        form.roles.data = [role.value for role in Role if user.has_role(role)]
    elif form.validate_on_submit():
        try:
            changed = accounts.update_staff(
                user,
                name=form.name.data or "",
                email=form.email.data or "",
                roles=form.roles.held(),
                actor=_actor(),
                remote_addr=request.remote_addr,
            )
        except accounts.AccountError as error:
            field = form.roles if str(error) == accounts.LAST_ADMIN else form.email
            field.errors = [str(error)]
        else:
            if not _actor().has_role(Role.ADMIN):
                return redirect(url_for("staff.queue"))
            flash(f"{user.name}'s account is updated" if changed else f"Nothing changed for {user.name}")
            return redirect(url_for(".staff"))
    last_admin = accounts.is_last_active_admin(user)
    return _page("admin/staff_edit.html", form=form, user=user, last_admin=last_admin, has_errors=bool(form.errors))


# --- changes asked on a confirmation page ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a confirmation page asks and its button."""

    title: str
    question: str
    consequence: str
    button: str
    endpoint: str


def _confirmation(change: Change, user: StaffUser) -> Confirmation:
    if change == "deactivate":
        return Confirmation(
            "Deactivate account",
            f"Are you sure you want to deactivate {user.name}'s account?",
            "They will be signed out at once, everywhere, and will not be able to sign in until an administrator "
            "reactivates the account. Everything they did stays in the audit log.",
            "Deactivate account",
            ".staff_deactivate",
        )
    if change == "one_time_password":
        return Confirmation(
            "New one-time password",
            f"Are you sure you want to give {user.name} a new one-time password?",
            "Their current password stops working and they will be signed out at once, everywhere. The next page "
            "shows the new password once: give it to them privately, not by email.",
            "Give a new one-time password",
            ".staff_one_time_password",
        )
    return Confirmation(
        "Reset authenticator",
        f"Are you sure you want to reset {user.name}'s authenticator?",
        "They will be signed out at once, everywhere, and will set up an authenticator app again at their next "
        "sign-in. Only do this when you know it is them asking, for example because they lost their phone.",
        "Reset authenticator",
        ".staff_reset_mfa",
    )


def _refusal(change: Change, user: StaffUser, actor: StaffUser) -> str | None:
    """Why ``change`` cannot be made to ``user`` (shown instead of the button), or None."""
    if change == "deactivate":
        if user.id == actor.id:
            return "You cannot deactivate your own account"
        if not user.active:
            return f"{user.name}'s account is already deactivated"
        return accounts.LAST_ADMIN if accounts.is_last_active_admin(user) else None
    if user.id == actor.id:  # a change to one's own sign-in needs one's own re-authentication (ASVS 7.5.1)
        if change == "reset_mfa":
            return "You cannot reset your own authenticator: ask another administrator"
        return "You cannot reset your own password here: use Change your password"
    if change == "reset_mfa" and not user.mfa_secret:
        return f"{user.name} has not set up an authenticator app yet"
    return None


def _make(change: Change, user: StaffUser, actor: StaffUser) -> ResponseReturnValue:
    remote_addr = request.remote_addr
    if change == "one_time_password":
        one_time = accounts.issue_one_time_password(user, actor=actor, remote_addr=remote_addr)
        return _page("admin/staff_created.html", user=user, one_time=one_time, reissued=True, role_labels=role_labels)
    if change == "reset_mfa":
        accounts.reset_mfa(user, actor=actor, remote_addr=remote_addr)
        flash(f"{user.name} will set up their authenticator app again at their next sign-in")
    else:
        accounts.set_active(user, False, actor=actor, remote_addr=remote_addr)
        flash(f"{user.name}'s account is deactivated and every session they had has ended")
    return redirect(url_for(".staff"))


def _confirm(staff_id: int, change: Change) -> ResponseReturnValue:
    """GET: the question (or why it cannot be done). POST (CSRF): make the change."""
    user, actor = _account(staff_id), _actor()
    form = PostForm()
    problem = _refusal(change, user, actor)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if problem is None:
            try:
                return _make(change, user, actor)
            except accounts.AccountError as error:
                problem = str(error)
    status = 400 if request.method == "POST" else 200
    page = _page(
        "admin/staff_confirm.html",
        user=user,
        form=form,
        ask=_confirmation(change, user),
        problem=problem,
        has_errors=problem is not None and status == 400,
    )
    return page, status


@bp.route("/staff/<int:staff_id>/deactivate", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_deactivate(staff_id: int) -> ResponseReturnValue:
    """Deactivate an account after confirming; its sessions end at once (the session epoch moves on)."""
    return _confirm(staff_id, "deactivate")


@bp.route("/staff/<int:staff_id>/one-time-password", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_one_time_password(staff_id: int) -> ResponseReturnValue:
    """After confirming, give an account a new one-time password (forgotten, or expired before first sign-in),
    shown once on the result page; its sessions end."""
    return _confirm(staff_id, "one_time_password")


@bp.route("/staff/<int:staff_id>/reset-mfa", methods=["GET", "POST"])
@roles(Role.ADMIN)
def staff_reset_mfa(staff_id: int) -> ResponseReturnValue:
    """After confirming, forget the account's authenticator: it enrols again at its next sign-in."""
    return _confirm(staff_id, "reset_mfa")


@bp.post("/staff/<int:staff_id>/reactivate")
@roles(Role.ADMIN)
def staff_reactivate(staff_id: int) -> ResponseReturnValue:
    """Reactivate at once (from the list's button; CSRF): it only gives access back."""
    if not PostForm().validate_on_submit():
        abort(400)
    user = _account(staff_id)
    accounts.set_active(user, True, actor=_actor(), remote_addr=request.remote_addr)
    flash(f"{user.name}'s account is reactivated: they sign in with their own password and authenticator")
    return redirect(url_for(".staff"))

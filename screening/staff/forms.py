"""WTForms for staff pages: sign-in, the second factor, password change, and the CSRF-only POST forms
(sign out, acknowledge); and the staff side's validator for the one control-character rule of
``clinical.validation``. Patient forms are generated in ``forms``."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from screening.clinical import validation

_PASSWORD_MAX = 256
HIDDEN_CHARACTERS = "Remove the hidden characters, which can come from copying and pasting, and try again"
#: ``validation``'s rule for one line of text, whole, as a pattern for ``wtforms.validators.Regexp``.
NO_CONTROL_CHARACTERS = validation.ONE_LINE_TEXT


class NoControlCharacters:
    """Refuses text with a character no typed text may hold (``validation.has_control_characters``: NUL and the
    other C0 controls, DEL, C1 controls, lone surrogates; tab and new lines too, unless ``multiline``)."""

    def __init__(self, message: str = HIDDEN_CHARACTERS, *, multiline: bool = False) -> None:
        self.message = message
        self.multiline = multiline

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and validation.has_control_characters(field.data, multiline=self.multiline):
            raise ValidationError(self.message)


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[DataRequired("Enter your email address"), Length(max=254), NoControlCharacters()],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter your password"), Length(max=_PASSWORD_MAX)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="The 6-digit code from your authenticator app",
        validators=[DataRequired("Enter the 6-digit security code"), Length(max=20), NoControlCharacters()],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        "Current password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter your current password"), Length(max=_PASSWORD_MAX)],
    )
    new = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description="At least 12 characters. A few unrelated words make a strong, memorable password.",
        validators=[DataRequired("Enter a new password"), Length(max=_PASSWORD_MAX), NoControlCharacters()],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter the new password again"), EqualTo("new", "The passwords do not match")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class PostForm(FlaskForm):
    """A CSRF-only form for POST buttons (sign out, and the like)."""

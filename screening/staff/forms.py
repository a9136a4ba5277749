"""WTForms for staff pages: sign-in, the second factor, password change, and the CSRF-only POST forms
(sign out, acknowledge). Patient forms are generated in ``forms``."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

_PASSWORD_MAX = 256


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address", widget=GovTextInput(), validators=[DataRequired("Enter your email address"), Length(max=254)]
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
        validators=[DataRequired("Enter the 6-digit security code"), Length(max=20)],
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
        validators=[DataRequired("Enter a new password"), Length(max=_PASSWORD_MAX)],
    )
    confirm = PasswordField(
        "Confirm new password",
        widget=GovPasswordInput(),
        validators=[DataRequired("Enter the new password again"), EqualTo("new", "The passwords do not match")],
    )
    submit = SubmitField("Change password", widget=GovSubmitInput())


class PostForm(FlaskForm):
    """A CSRF-only form for POST buttons (sign out, and the like)."""

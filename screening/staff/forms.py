"""WTForms for staff pages: sign-in, the second factor, password change, the CSRF-only POST forms (sign out,
acknowledge), and the review forms of the queue and a submission's page (search, status, note, pick-up, flag
acknowledgement); and the staff side's validator for the one control-character rule of ``clinical.validation``.
Patient forms are generated in ``forms``. Forms never query the database."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, ValidationError

from screening.clinical import validation
from screening.models import Acknowledgement, SubmissionStatus
from screening.staff import queue as review_queue
from screening.staff import review

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


# --- the review forms (validated in the views; rendered by hand in the templates, so several share a page) ---
def _newlines(value: Any) -> Any:
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


class SearchForm(FlaskForm):
    q = StringField(
        filters=[_newlines],
        validators=[
            DataRequired("Enter a reference, name, date of birth, phone number or email address"),
            Length(max=review_queue.SEARCH_MAX_LENGTH, message="Enter 254 characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    page = HiddenField()


class StatusForm(FlaskForm):
    status = StringField(
        validators=[
            InputRequired("Select a new status"),
            AnyOf([status.value for status in SubmissionStatus], "Select a new status"),
        ]
    )
    note = TextAreaField(
        filters=[_newlines],
        validators=[
            Length(max=review.NOTE_MAX_LENGTH, message=f"Enter a note of {review.NOTE_MAX_LENGTH} characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])


class NoteForm(FlaskForm):
    note = TextAreaField(
        filters=[_newlines],
        validators=[
            DataRequired("Enter a note"),
            Length(max=review.NOTE_MAX_LENGTH, message=f"Enter a note of {review.NOTE_MAX_LENGTH} characters or fewer"),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])


class PickUpForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])


class AcknowledgeForm(FlaskForm):
    acknowledgement = StringField(
        validators=[
            InputRequired("Select how you acknowledge this flag"),
            AnyOf([kind.value for kind in Acknowledgement], "Select how you acknowledge this flag"),
        ]
    )
    note = StringField(
        filters=[_newlines],
        validators=[
            Length(
                max=review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
                message=f"Enter a note of {review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH} characters or fewer",
            ),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])

"""WTForms for staff pages: sign-in, the second factor, password change, the CSRF-only POST forms (sign out,
acknowledge), and the review forms of the queue and a submission's page (search, status, note, pick-up, flag
acknowledgement); and the staff side's validator for the one control-character rule of ``clinical.validation``.
Patient forms are generated in ``forms``. Forms never query the database."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from screening.clinical import validation
from screening.models import Acknowledgement, SubmissionStatus
from screening.staff import queue as review_queue
from screening.staff import review
from screening.staff.display import SEVERITY_LABELS, STATUS_LABELS

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
    page = HiddenField(validators=[NoControlCharacters()])


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


#: The words of an acknowledgement's error messages that ``AcknowledgeForm.name_the_flag`` replaces by its title.
THIS_FLAG = "this flag"


class AcknowledgeForm(FlaskForm):
    """One flag's acknowledgement. A page has one such form per flag, so its messages name the flag (after
    ``validate``, the view calls ``name_the_flag``): "Choose how you acknowledged ‘Benzodiazepine with ketamine’"."""

    acknowledgement = StringField(
        validators=[
            InputRequired(f"Choose how you acknowledged {THIS_FLAG}"),
            AnyOf([kind.value for kind in Acknowledgement], f"Choose how you acknowledged {THIS_FLAG}"),
        ]
    )
    note = StringField(
        filters=[_newlines],
        validators=[
            Length(
                max=review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH,
                message=f"Enter a note of {review.ACKNOWLEDGEMENT_NOTE_MAX_LENGTH} characters or fewer on {THIS_FLAG}",
            ),
            NoControlCharacters(multiline=True),  # new lines and tabs are fine in a note
        ],
    )
    version = IntegerField(validators=[InputRequired()])

    def name_the_flag(self, title: str) -> None:
        """Put the flag's title in place of "this flag" in each error message of the form."""
        for field in (self.acknowledgement, self.note):
            field.errors = [message.replace(THIS_FLAG, f"‘{title}’") for message in field.errors]


# --- the admin's records: the audit log's filters and the exports (``records_views``) ---------------------------------
class DatePicker(GovTextInput):
    """The browser's date picker, as the queue's date filters (``<input type="date">``)."""

    input_type = "date"


class IsoDateField(StringField):
    """A date typed in the browser's date picker (``<input type="date">``, as the queue's filters), posted as
    ``2026-11-24``; empty is None. Errors say what to do."""

    widget = DatePicker()

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        self.raw_data = [raw] if raw else []
        self.data = None
        if not raw:
            return
        try:
            self.data = date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            self.data = None
        if self.data is None:
            raise ValueError("Enter a real date, for example 2026-11-24")

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return self.data.isoformat() if isinstance(self.data, date) else ""


def _upper_stripped(text: str | None) -> str | None:
    return text.strip().upper() if isinstance(text, str) else text


def _date_range_in_order(form: Any, field: IsoDateField) -> None:
    if field.data and form.date_from.data and field.data < form.date_from.data:
        raise ValidationError("The end date must be the same as or after the start date")


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: no CSRF token, nothing is changed). ``action``: an action code or a
    family (``submission.*``); the view sets the choices."""

    class Meta:
        csrf = False

    action = SelectField(
        "Action", widget=GovSelect(), validate_choice=False, validators=[Length(max=64), NoControlCharacters()]
    )
    staff = SelectField(
        "Staff member",
        widget=GovSelect(),
        validate_choice=False,
        validators=[Optional(), Regexp(r"^[0-9]{1,12}$", message="Select a staff member")],
    )
    reference = StringField(
        "Reference",
        widget=GovTextInput(),
        filters=[_upper_stripped],
        validators=[Optional(), Regexp(r"^[A-Z0-9-]{1,20}$", message="Enter a reference like KT-7Q4M-9XHD")],
    )
    date_from = IsoDateField("From")
    date_to = IsoDateField("To", validators=[_date_range_in_order])

    def details(self) -> dict[str, Any]:
        """The filters in use, for the ``audit.viewed`` event (``filter_action``, ``filter_staff`` ...)."""
        values = {
            "action": self.action.data,
            "staff": self.staff.data,
            "reference": self.reference.data,
            "date_from": self.date_from.data and self.date_from.data.isoformat(),
            "date_to": self.date_to.data and self.date_to.data.isoformat(),
        }
        return {f"filter_{key}": value for key, value in values.items() if value}


EXPORT_STATUS_CHOICES = (
    SelectChoice("all", "All statuses"),
    SelectChoice("open", "Open (new, in review, awaiting patient)"),
    *(SelectChoice(value, label) for value, label in STATUS_LABELS.items()),
)
EXPORT_SEVERITY_CHOICES = (
    SelectChoice("", "Any severity"),
    *(SelectChoice(value, label) for value, label in SEVERITY_LABELS.items()),
)


class ExportForm(FlaskForm):
    """The submissions export (POST, CSRF): which submissions, values as readable labels or codes, answers or not."""

    date_from = IsoDateField("Submitted from")
    date_to = IsoDateField("Submitted to", validators=[_date_range_in_order])
    status = SelectField(
        "Status", widget=GovSelect(), choices=EXPORT_STATUS_CHOICES, default="all", validators=[Optional()]
    )
    severity = SelectField(
        "Highest severity", widget=GovSelect(), choices=EXPORT_SEVERITY_CHOICES, default="", validators=[Optional()]
    )
    labels = RadioField(
        "Values in the file",
        widget=GovRadioInput(),
        choices=(
            SelectChoice("labels", "Readable labels, like \u201cIn review\u201d"),
            SelectChoice("codes", "Codes, like \u201cin_review\u201d, for other software"),
        ),
        default="labels",
        validators=[Optional()],  # missing: readable labels
    )
    include_answers = BooleanField(
        "Include every answer (one column per question)",
        widget=GovCheckboxInput(),
        description="Answers include names, dates of birth and contact details. "
        "Leave this unticked unless you need them.",
    )
    submit = SubmitField("Download CSV", widget=GovSubmitInput())

    def details(self) -> dict[str, Any]:
        """The choices, for the ``export.downloaded`` event (codes and dates only)."""
        values = {
            "date_from": self.date_from.data and self.date_from.data.isoformat(),
            "date_to": self.date_to.data and self.date_to.data.isoformat(),
            "status": self.status.data if self.status.data != "all" else None,
            "severity": self.severity.data,
            "labels": self.labels.data or "labels",
        }
        return {key: value for key, value in values.items() if value}


class AuditExportForm(FlaskForm):
    """The audit log's export for a date range (POST, CSRF; both dates needed)."""

    date_from = IsoDateField("From", validators=[InputRequired("Enter the first day to export")])
    date_to = IsoDateField("To", validators=[InputRequired("Enter the last day to export"), _date_range_in_order])
    submit = SubmitField("Download audit log CSV", widget=GovSubmitInput())


class ApiTokenForm(FlaskForm):
    """The name of a new API token (``api_token_views``): who or what will use it; unique, checked by the service."""

    name = StringField(
        "Name",
        widget=GovTextInput(),
        description="Who or what will use it, for example: Records integration engine. It is shown in the audit log.",
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[
            DataRequired("Enter a name for the token"),
            Length(max=80, message="Name must be 80 characters or fewer"),
            Regexp(NO_CONTROL_CHARACTERS, message="Enter the name without hidden control characters"),
        ],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())

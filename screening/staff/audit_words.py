"""The audit log in English (pure: the standard library and ``display``'s word tables only).

``ACTION_WORDS`` turns every action code the application writes into a sentence ("{staff} viewed {reference}");
``detail_fields`` turns an event's stored details (ids and codes) into labelled fields with values in words
(statuses, severities, roles, reasons); ``lines`` groups consecutive identical views by the same person within
``GROUP_WINDOW`` into one display line ("... viewed KT-7Q83-FKVK 4 times between 10:02 and 10:05"). Every event
stays stored: grouping is for the display only. ``ACTION_FAMILIES`` names the action families of the log's filter.
An event is read through its attributes (``at``, ``staff_id``, ``action``, ``reference``, ``details``), so a stored
``AuditEvent`` or any object shaped like it will do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from screening.staff.display import ACKNOWLEDGEMENT_LABELS, SEVERITY_BY_RANK, SEVERITY_LABELS, STATUS_LABELS

#: Action code -> sentence. ``{staff}`` is the staff member's name, ``{reference}`` the submission's reference, and any
#: other ``{name}`` a detail in words (``detail_value``).
ACTION_WORDS: Mapping[str, str] = {
    "access.denied": "{staff} tried to open a page their role cannot use",
    "access.not_found": "{staff} tried to open a page about {reference} that does not exist",
    "api_token.created": "{staff} created the API token {token_name}",
    "api_token.revoked": "{staff} revoked the API token {token_name}",
    "audit.viewed": "{staff} viewed the audit log",
    "audit.exported": "{staff} exported the audit log as CSV",
    "draft.resume_code_issued": "A patient saved their answers and got a resume code",
    "draft.resume_failed": "Someone tried a wrong resume code",
    "draft.resume_link_emailed": "A patient asked for a resume link by email",
    "draft.resumed": "A patient went back to their saved answers",
    "export.downloaded": "{staff} downloaded the submissions export",
    "export.fhir_downloaded": "{staff} downloaded {reference} as a FHIR bundle",
    "export.fhir_bulk": "Submissions were exported as FHIR NDJSON files (export-fhir, on the server)",
    "fhir_api.read": "The API token {token_name} read {resource} through the FHIR API",
    "flag.acknowledged": "{staff} marked a flag on {reference} as {acknowledgement}",
    "intake.conflict": "{staff} tried to change new forms, but another administrator had changed them first",
    "intake.message_changed": "{staff} changed the message shown while new forms are paused",
    "intake.paused": "{staff} paused new forms",
    "intake.reopened": "{staff} reopened new forms",
    "queue.viewed": "{staff} viewed the queue",
    "reports.viewed": "{staff} viewed the reports",
    "request.no_length": "A request was refused: it did not say how long it was",
    "request.rate_limited": "A request was refused: too many from one address in a short time",
    "request.too_large": "A request was refused: it was too large",
    "retention.purged": "Old submissions were deleted under the retention policy",
    "staff.created": "{staff} created an account for {account}",
    "staff.deactivated": "{staff} deactivated the account of {account}",
    "staff.reactivated": "{staff} reactivated the account of {account}",
    "staff.updated": "{staff} changed the account of {account}",
    "staff.logged_in": "{staff} signed in",
    "staff.logged_out": "{staff} signed out",
    "staff.login_failed": "A sign-in as {staff} failed",
    "staff.login_throttled": "Sign-ins from one address were slowed down after too many failures",
    "staff.sign_in_alert": "Too many failed sign-ins: the on-call route was alerted",
    "staff.mfa_enrolled": "{staff} set up their authenticator app",
    "staff.mfa_reset": "{staff} reset the authenticator app of {account}",
    "staff.password_changed": "{staff} changed their password",
    "staff.password_reset": "{staff} gave {account} a new one-time password",
    "submission.conflict": "{staff} tried to change {reference}, but someone else had changed it first",
    "submission.copy_downloaded": "A patient downloaded their copy of {reference}",
    "submission.copy_viewed": "A patient viewed their copy of {reference}",
    "submission.created": "A patient sent {reference}",
    "submission.escalated": "{reference} was escalated as urgent",
    "submission.note_added": "{staff} added a note to {reference}",
    "submission.picked_up": "{staff} picked up {reference}",
    "submission.purged": "{reference} was deleted under the retention policy",
    "submission.receipt_failed": "The receipt email for {reference} could not be sent",
    "submission.receipt_sent": "The receipt email for {reference} was sent",
    "submission.status_changed": "{staff} changed the status of {reference} from {from_status} to {to_status}",
    "submission.superseded": "{staff} marked {reference} as replaced by {by}",
    "submission.supersede_cleared": "{staff} marked {reference} as no longer replaced",
    "submission.viewed": "{staff} viewed {reference}",
    "summary.downloaded": "{staff} downloaded the summary PDF of {reference}",
    "summary.printed": "{staff} opened the printable summary of {reference}",
}

#: Action family (the part before the dot) -> its name in the log's filter.
ACTION_FAMILIES: Mapping[str, str] = {
    "submission": "Submissions",
    "flag": "Flags",
    "summary": "Printed summaries",
    "queue": "The queue",
    "staff": "Sign-in and staff accounts",
    "access": "Pages refused",
    "audit": "The audit log",
    "export": "Exports",
    "intake": "Pausing new forms",
    "draft": "Saved answers",
    "retention": "Retention",
    "reports": "Reports",
    "request": "Requests refused",
    "api_token": "API tokens",
    "fhir_api": "FHIR API reads",
}

#: Views grouped in the display when the same person repeats them on the same reference within ``GROUP_WINDOW``.
VIEW_ACTIONS = frozenset(
    {
        "submission.viewed",
        "queue.viewed",
        "audit.viewed",
        "summary.printed",
        "summary.downloaded",
        "submission.copy_viewed",
    }
)
GROUP_WINDOW = timedelta(minutes=5)

#: Detail key -> label. A key not listed reads as its words ("older_than_days" -> "Older than days").
DETAIL_LABELS: Mapping[str, str] = {
    "from_status": "From",
    "to_status": "To",
    "with_note": "With a note",
    "event": "Review event",
    "flag": "Flag",
    "rule_id": "Rule",
    "acknowledgement": "Acknowledgement",
    "previous": "Before",
    "account": "Account",
    "role": "Role",
    "reason": "Reason",
    "via": "Using",
    "draft": "Saved answers",
    "references": "References shown",
    "search": "Searched by",
    "answers": "Every answer included",
    "labels": "Values as",
    "format": "Format",
    "rows": "Rows",
    "paper": "Paper size",
    "flags": "Flags",
    "priority": "Highest severity",
    "skipped_steps": "Steps skipped",
    "channels": "Sent by",
    "minutes": "Minutes waiting",
    "submitted_on": "Submitted on",
    "cutoff": "Deleted if submitted before",
    "deleted": "Submissions deleted",
    "older_than_days": "Older than (days)",
    "by": "Replaced by",
    "replaced": "Was replaced by",
    "was": "Was replaced by",
    "message_length": "Message length (characters)",
    "endpoint": "Page",
    "date_from": "From date",
    "date_to": "To date",
    "status": "Status",
    "from": "Period from",
    "to": "Period to",
    "fields": "Changed",
    "roles": "Roles",
    "roles_before": "Roles before",
    "roles_after": "Roles after",
    "severity": "Highest severity",
    "attempt": "Change tried",
    "had_version": "Version they had",
    "current_version": "Version now",
    "had_revision": "Revision they had",
    "current_revision": "Revision now",
    "group": "Rate limit",
    "bytes": "Size (bytes)",
    "token": "API token number",
    "token_name": "API token",
    "interaction": "FHIR interaction",
    "resource": "Resource type",
    "count": "Page size asked",
    "since": "Sent from",
    "until": "Sent before",
    "submissions": "Submissions",
    "questionnaire_responses": "Questionnaire responses",
    "patients": "Patients",
    "detected_issues": "Detected issues (flags)",
    "observations": "Observations (scores)",
}
ROLE_LABELS: Mapping[str, str] = {"reception": "Reception", "clinician": "Clinician", "admin": "Administrator"}
REASON_LABELS: Mapping[str, str] = {
    "date_of_birth": "Wrong date of birth",
    "unknown": "Code or link not recognised",
    "locked": "Locked after too many tries",
    "throttled": "Too many tries from one address",
    "password": "Wrong password",
    "code": "Wrong security code",
    "unknown_email": "Email address not recognised",
    "inactive": "Account deactivated",
    "locked_out": "Account locked",
    "one_time_password_expired": "One-time password expired",
}
VIA_LABELS: Mapping[str, str] = {"code": "Resume code", "link": "Email link"}
ATTEMPT_LABELS: Mapping[str, str] = {
    "status": "Status change",
    "note": "Note",
    "acknowledgement": "Flag acknowledgement",
    "pick_up": "Pick-up",
    "superseded": "Marking as replaced",
    "pause": "Pausing new forms",
    "reopen": "Reopening new forms",
}
SEARCH_LABELS: Mapping[str, str] = {
    "reference": "Reference",
    "email": "Email address",
    "date_of_birth": "Date of birth",
    "phone": "Phone number",
    "name": "Name",
}
_WORDS_BY_KEY: Mapping[str, Mapping[str, str]] = {
    "from_status": STATUS_LABELS,
    "to_status": STATUS_LABELS,
    "status": {**STATUS_LABELS, "open": "Open", "all": "All statuses"},
    "acknowledgement": ACKNOWLEDGEMENT_LABELS,
    "previous": ACKNOWLEDGEMENT_LABELS,
    "severity": SEVERITY_LABELS,
    "role": ROLE_LABELS,
    "roles": ROLE_LABELS,
    "roles_before": ROLE_LABELS,
    "roles_after": ROLE_LABELS,
    "fields": {"name": "Name", "email": "Email address", "roles": "Roles"},
    "reason": REASON_LABELS,
    "via": VIA_LABELS,
    "attempt": ATTEMPT_LABELS,
    "search": SEARCH_LABELS,
    "labels": {"labels": "Readable labels", "codes": "Codes"},
}
SOMEONE = "Someone"


class EventLike(Protocol):
    at: datetime
    staff_id: int | None
    action: str
    reference: str | None
    details: dict[str, Any]


def family(action: str) -> str:
    return action.split(".", 1)[0]


def detail_label(key: str) -> str:
    if key in DETAIL_LABELS:
        return DETAIL_LABELS[key]
    if key.startswith("filter_"):
        return "Filter: " + detail_label(key.removeprefix("filter_")).lower()
    return key.replace("_", " ").capitalize()


def detail_value(key: str, value: Any, names: Mapping[int, str]) -> str:
    """A stored detail in words: Yes/No, a status or severity label, a staff name for an account id, lists joined."""
    key = key.removeprefix("filter_")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(key, item, names) for item in value) or "None"
    if key == "account" and isinstance(value, int):
        return names.get(value, f"staff account {value}")
    if key == "staff" and str(value).isdigit():
        return names.get(int(value), f"staff account {value}")
    if key == "priority" and isinstance(value, int):
        return SEVERITY_LABELS.get(SEVERITY_BY_RANK.get(value, "none"), str(value))
    if key == "action" and isinstance(value, str):
        return action_name(value)
    words = _WORDS_BY_KEY.get(key)
    return words.get(str(value), str(value)) if words else str(value)


def detail_fields(details: Mapping[str, Any], names: Mapping[int, str]) -> list[tuple[str, str]]:
    """The details as (label, value in words) pairs, in stored order; a list of references reads as its count
    and the references."""
    fields: list[tuple[str, str]] = []
    for key, value in details.items():
        text = detail_value(key, value, names)
        if key == "references" and isinstance(value, list):
            text = f"{len(value)}: {text}" if value else "None"
        fields.append((detail_label(key), text))
    return fields


def staff_name(staff_id: int | None, names: Mapping[int, str]) -> str:
    if staff_id is None:
        return SOMEONE
    return names.get(staff_id, f"Staff account {staff_id}")


def action_name(action: str) -> str:
    """A short name of an action for the filter: its sentence without the people ("Viewed a submission")."""
    template = ACTION_WORDS.get(action)
    if template is None:
        return action
    text = template.removeprefix("{staff} ").replace("{staff}", "a staff member")
    text = re.sub(r" (as|by|for|of|from) \{\w+\}( to \{\w+\})?", "", text)
    text = text.replace("{reference}", "a submission").replace("{account}", "an account")
    return text[:1].upper() + text[1:]


class _Words(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "(not recorded)"


def sentence(event: EventLike, names: Mapping[int, str]) -> str:
    """What happened, in English: "Dr Cleo Clinician viewed KT-7Q83-FKVK"."""
    details = event.details or {}
    words = _Words({key: detail_value(key, value, names) for key, value in details.items()})
    words["staff"] = staff_name(event.staff_id, names)
    words["reference"] = event.reference or "a submission"
    template = ACTION_WORDS.get(event.action)
    if template is None:
        return f"{words['staff']}: {event.action.replace('_', ' ').replace('.', ' ')}"
    return template.format_map(words)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One display row: an event, or a run of ``count`` identical views from ``first_at`` to ``at``."""

    at: datetime
    first_at: datetime
    count: int
    event: Any
    sentence: str
    fields: list[tuple[str, str]]


def _same_view(line: AuditLine, event: EventLike) -> bool:
    newest: EventLike = line.event
    return (
        event.action in VIEW_ACTIONS
        and event.action == newest.action
        and event.staff_id is not None
        and event.staff_id == newest.staff_id
        and event.reference == newest.reference
        and abs(line.at - event.at) <= GROUP_WINDOW
    )


def lines(events: Iterable[EventLike], names: Mapping[int, str]) -> list[AuditLine]:
    """The events (newest first) as display lines, consecutive identical views within ``GROUP_WINDOW`` of the
    run's newest as one line (its details are the newest event's)."""
    result: list[AuditLine] = []
    for event in events:
        if result and _same_view(result[-1], event):
            last = result[-1]
            result[-1] = AuditLine(last.at, event.at, last.count + 1, last.event, last.sentence, last.fields)
            continue
        details = event.details or {}
        result.append(AuditLine(event.at, event.at, 1, event, sentence(event, names), detail_fields(details, names)))
    return result


def line_words(line: AuditLine, clock_time: Callable[[datetime], str]) -> str:
    """The sentence of a line, with "4 times between 10:02 and 10:05" for a run of views."""
    if line.count == 1:
        return line.sentence
    return f"{line.sentence} {line.count} times between {clock_time(line.first_at)} and {clock_time(line.at)}"

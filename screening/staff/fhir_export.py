"""A submission's FHIR Bundle for staff: the adapter from a stored ``Submission`` to the pure builder's input
(``clinical.fhir_bundle.ExportSubmission``) and the download ``GET /staff/submissions/<reference>/fhir``.

The download is a read for every staff role, like the printable summary: ``application/fhir+json``, an attachment
named after the reference, ``no-store``, and audited (``export.fhir_downloaded``: the reference, the staff id, the
address; never an answer). Acknowledgements become ``DetectedIssue.mitigation`` with their words, date and the
clinician's name; their free-text notes stay out of the export (they are staff notes, not coded facts).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from flask import Response, current_app, g, request

from screening import rules
from screening.access import ALL_STAFF, roles
from screening.audit import audit
from screening.clinical.fhir_bundle import ExportAcknowledgement, ExportFlag, ExportSubmission, bundle
from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission
from screening.staff.display import ACKNOWLEDGEMENT_LABELS
from screening.staff.summary_views import bp
from screening.staff.views import current_staff, find_or_404

FHIR_JSON = "application/fhir+json; charset=utf-8"


def _sources(flag: FlagRecord) -> tuple[tuple[str, str], ...]:
    """The flag's source keys (stored comma-separated) with their citations; a key no longer known keeps itself."""
    keys = [key.strip() for key in (flag.source or "").split(",") if key.strip()]
    return tuple((key, rules.SOURCES.get(key, key)) for key in keys)


def _acknowledgements(flag: FlagRecord, events: list[ReviewEvent]) -> tuple[ExportAcknowledgement, ...]:
    return tuple(
        ExportAcknowledgement(
            action=ACKNOWLEDGEMENT_LABELS.get(event.acknowledgement.value, event.acknowledgement.value),
            at=event.at,
            author=event.staff.name,
        )
        for event in events
        if event.flag_id == flag.id and event.acknowledgement is not None
    )


def export_submission(
    submission: Submission, locale: str, *, events: Iterable[ReviewEvent] | None = None
) -> ExportSubmission:
    """The builder's input for a stored submission: answers and scores as stored, flags in their order, each with
    its sources' citations and every acknowledgement of its history (oldest first). ``events`` are the
    submission's review events when the caller loaded them already (the bulk export, a batch at a time); by
    default they are read through ``submission.events``."""
    events = sorted(submission.events if events is None else events, key=lambda event: (event.at, event.id))
    flags = sorted(submission.flags, key=lambda flag: flag.position)
    return ExportSubmission(
        reference=submission.reference,
        submitted_at=submission.submitted_at,
        questionnaire_version=submission.questionnaire_version,
        answers=submission.answers,
        scores=submission.scores,
        flags=tuple(
            ExportFlag(
                rule_id=flag.rule_id,
                severity=flag.severity,
                title=flag.title,
                evidence=flag.evidence,
                sources=_sources(flag),
                acknowledgements=_acknowledgements(flag, events),
            )
            for flag in flags
        ),
        locale=locale,
    )


def submission_bundle(submission: Submission) -> dict[str, object]:
    """The FHIR Bundle of a stored submission, worded in the clinic's locale."""
    return bundle(export_submission(submission, current_app.config["SCREENING"]["LOCALE"]))


def _filename(reference: str, submitted_at: datetime) -> str:
    return f"submission-{reference}-{submitted_at:%Y%m%d}.fhir.json"


@bp.get("/<reference:reference>/fhir")
@roles(*ALL_STAFF)
def fhir_download(reference: str) -> Response:
    """The submission as a FHIR R4 Bundle (JSON) to import into a record system."""
    submission = find_or_404(reference)
    body = json.dumps(submission_bundle(submission), ensure_ascii=False, separators=(",", ":"))
    audit(
        "export.fhir_downloaded",
        reference=submission.reference,
        staff_id=current_staff().id,
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    g.no_store = True
    disposition = f'attachment; filename="{_filename(submission.reference, submission.submitted_at)}"'
    return Response(body, content_type=FHIR_JSON, headers={"Content-Disposition": disposition})

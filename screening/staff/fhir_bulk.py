"""The bulk FHIR export (``flask export-fhir``): every submission sent in a period, as NDJSON files in the FHIR Bulk
Data layout (one file per resource type, one resource per line) with a Bulk-Data-style ``manifest.json``.

Submissions are read by keyset in batches (``exports.batches``: never OFFSET), with one query per batch for the
flags and one for the acknowledgements (with their clinicians), so the number of statements grows with the batches,
not the submissions, and memory stays flat whatever the period holds. Each submission's Bundle comes from the one
builder (``clinical.fhir_bundle`` through ``fhir_export.export_submission``); its entries are written to the file of
their type. The files hold patient data: created 0600 (``tempfile.mkstemp``) beside their final names, renamed into
place only when complete, and never over existing files without ``force``. One audit event (``export.fhir_bulk``):
the period and the counts, never patient data. Imports the models, the builder and the exports' batching; no Flask
request or view.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from screening import clock, private_files
from screening.audit import audit
from screening.clinical.fhir_bundle import bundle
from screening.extensions import db
from screening.models import ReviewEvent, StaffUser, Submission
from screening.staff import exports
from screening.staff.fhir_export import export_submission

#: The resource types, in the order of the manifest; each is written to ``<type>.ndjson``.
RESOURCE_TYPES = ("QuestionnaireResponse", "Patient", "DetectedIssue", "Observation")
MANIFEST = "manifest.json"
DIRECTORY_MODE = 0o700
BATCH_SIZE = exports.BATCH_SIZE


class BulkExportError(Exception):
    """The export cannot start or finish (the message says why and what to do); nothing is left half-written."""


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What was written: the period, how many submissions, resources per type, and the files."""

    since: datetime
    until: datetime
    submissions: int
    counts: Mapping[str, int]
    directory: Path


def file_name(kind: str) -> str:
    return f"{kind}.ndjson"


def parse_moment(text: str) -> datetime:
    """A date (``2026-11-01``: midnight UTC) or an ISO 8601 date-time (``2026-11-01T09:30``, ``...Z``,
    ``...+01:00``; without an offset it is UTC) as an aware UTC datetime. ValueError with words otherwise."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            f"{text!r} is not a date or time: give a date as YYYY-MM-DD (e.g. 2026-11-01) or an ISO 8601 time "
            "(e.g. 2026-11-01T09:30:00Z)"
        ) from None


def iso(moment: datetime) -> str:
    """A UTC time as FHIR writes an instant: ``2026-11-01T09:30:00Z`` (microseconds kept when there are some)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def period_query(since: datetime, until: datetime) -> Select[Any]:
    """Submissions sent from ``since`` (inclusive) up to ``until`` (exclusive), with their flags (one query a batch)."""
    return (
        select(Submission)
        .where(Submission.submitted_at >= since, Submission.submitted_at < until)
        .options(selectinload(Submission.flags))
    )


def acknowledgements(submission_ids: Sequence[int]) -> dict[int, list[ReviewEvent]]:
    """The acknowledgement events of a batch of submissions, with their clinicians, in one query (the clinicians'
    roles are not needed, so they are not loaded)."""
    found: dict[int, list[ReviewEvent]] = defaultdict(list)
    query = (
        select(ReviewEvent)
        .where(ReviewEvent.submission_id.in_(submission_ids), ReviewEvent.acknowledgement.is_not(None))
        .options(joinedload(ReviewEvent.staff).lazyload(StaffUser.role_rows))
        .order_by(ReviewEvent.at, ReviewEvent.id)
    )
    for event in db.session.scalars(query):
        found[event.submission_id].append(event)
    return found


def bundles(since: datetime, until: datetime, locale: str, *, size: int | None = None) -> Iterator[dict[str, Any]]:
    """The Bundle of every submission in the period, oldest first, read ``size`` (default ``BATCH_SIZE``) at a
    time."""
    for batch in exports.batches(period_query(since, until), exports.SUBMISSION_ORDER, size=size or BATCH_SIZE):
        events = acknowledgements([submission.id for submission in batch])
        for submission in batch:
            yield bundle(export_submission(submission, locale, events=events.get(submission.id, [])))


def manifest(transaction_time: datetime, since: datetime, until: datetime, counts: Mapping[str, int]) -> dict[str, Any]:
    """The Bulk Data manifest: when the export read the database, what was asked, and each file with its count
    (``url`` is the file's name, relative to the manifest)."""
    return {
        "transactionTime": iso(transaction_time),
        "request": f"flask export-fhir --since {iso(since)} --until {iso(until)}",
        "requiresAccessToken": False,
        "output": [{"type": kind, "url": file_name(kind), "count": counts[kind]} for kind in RESOURCE_TYPES],
        "error": [],
    }


def check_directory(directory: Path, *, force: bool) -> None:
    """Create ``directory`` (owner only) if missing; refuse one that is a file or already holds an export's files
    (unless ``force``)."""
    if directory.exists() and not directory.is_dir():
        raise BulkExportError(f"{directory} is not a directory: give a directory to write the files into")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    except OSError as error:
        raise BulkExportError(f"cannot create {directory}: {error.strerror or error}") from None
    present = [name for name in [*map(file_name, RESOURCE_TYPES), MANIFEST] if (directory / name).exists()]
    if present and not force:
        raise BulkExportError(
            f"{directory} already holds {', '.join(present)}: give an empty directory, or add --force to replace them"
        )


def _partial(directory: Path, name: str) -> Path:
    """An empty 0600 file in ``directory`` to write ``name`` into (renamed to it when the export is complete)."""
    try:
        return private_files.partial_file(directory, name)
    except OSError as error:
        raise BulkExportError(f"cannot write in {directory}: {error.strerror or error}") from None


def _publish(partial: Path, target: Path, *, force: bool) -> None:
    try:
        private_files.publish(partial, target, force=force)
    except FileExistsError:
        raise BulkExportError(f"{target} appeared during the export: add --force to replace it") from None


def _line(resource: Mapping[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(
    directory: Path,
    since: datetime,
    until: datetime,
    *,
    locale: str,
    force: bool = False,
    size: int | None = None,
) -> BulkResult:
    """Write the submissions sent from ``since`` (inclusive) to ``until`` (exclusive) as ``<type>.ndjson`` files and
    ``manifest.json`` in ``directory``. The audit event (``export.fhir_bulk``: the period and counts) is committed
    before the complete files are put in place, so no export leaves without its record."""
    if until <= since:
        raise BulkExportError("the end of the period must be later than its start")
    check_directory(directory, force=force)
    transaction_time = clock.now()
    counts = dict.fromkeys(RESOURCE_TYPES, 0)
    submissions = 0
    partials: dict[str, Path] = {}
    try:
        for name in [*map(file_name, RESOURCE_TYPES), MANIFEST]:
            partials[name] = _partial(directory, name)
        with contextlib.ExitStack() as stack:
            files: dict[str, TextIO] = {
                kind: stack.enter_context(partials[file_name(kind)].open("w", encoding="utf-8", newline="\n"))
                for kind in RESOURCE_TYPES
            }
            for found in bundles(since, until, locale, size=size):
                submissions += 1
                for entry in found["entry"]:
                    resource = entry["resource"]
                    kind = resource["resourceType"]
                    files[kind].write(_line(resource))
                    counts[kind] += 1
        partials[MANIFEST].write_text(
            json.dumps(manifest(transaction_time, since, until, counts), indent=2) + "\n", encoding="utf-8"
        )
        audit(
            "export.fhir_bulk",
            since=iso(since),
            until=iso(until),
            submissions=submissions,
            questionnaire_responses=counts["QuestionnaireResponse"],
            patients=counts["Patient"],
            detected_issues=counts["DetectedIssue"],
            observations=counts["Observation"],
        )
        db.session.commit()
        for name, partial in partials.items():  # the manifest last
            _publish(partial, directory / name, force=force)
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
    return BulkResult(since, until, submissions, counts, directory)

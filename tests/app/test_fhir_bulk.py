"""The bulk FHIR export (``flask export-fhir``, ``staff.fhir_bulk``): one NDJSON file per resource type and a Bulk
Data manifest, every line a valid R4B resource equal to the staff download's; the period's bounds exactly (since
included, until not); patient data only in the Patient and QuestionnaireResponse files (never in the other files, the
manifest, the output or the audit); statements per batch, not per submission; files 0600; --force; bad input refused
with words."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import Result
from fhir.resources.R4B import get_fhir_model_class
from flask import Flask
from sqlalchemy import event, select

from screening.clinical.fhir_bundle import bundle
from screening.extensions import db
from screening.models import Acknowledgement, StaffUser, Submission
from screening.staff import fhir_bulk, review
from screening.staff.fhir_export import submission_bundle
from tests.answer_sets import answers, submit_answers
from tests.app.admin_helpers import flask_command
from tests.app.auth import make_staff
from tests.app.staff_helpers import audit_events

DAY = datetime(2026, 11, 2, tzinfo=UTC)
NDJSON = [f"{kind}.ndjson" for kind in fhir_bulk.RESOURCE_TYPES]
FLAGGED = {"has_escort": "no", "allergy_ketamine": "unsure"}
CANARY = {"full_name": "Zebedee Canarywing", "email": "zebedee.canary@example.net", "phone": "07700 900 461"}
CANARY_TEXTS = ("Zebedee", "Canarywing", "zebedee.canary@example.net", "07700 900 461", "07700900461")


def send(app: Flask, at: datetime, **changes: Any) -> str:
    """A submission through the real path, sent at ``at``; its reference."""
    with app.app_context():
        return submit_answers(answers(**changes), today=at.date(), now=at).reference


def acknowledge_first_flag(app: Flask, reference: str, staff_id: int) -> None:
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        actor = db.session.get(StaffUser, staff_id)
        assert actor is not None and submission.flags
        review.acknowledge_flag(
            submission.flags[0], Acknowledgement.DISCUSSED, actor=actor, expected_version=submission.version_id
        )


def lines(directory: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (directory / name).read_text(encoding="utf-8").splitlines()]


def export(app: Flask, directory: Path, *extra: str, since: str = "2026-11-01", until: str = "2026-12-01") -> Result:
    return flask_command(app, "export-fhir", "--since", since, "--until", until, *extra, str(directory))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where an export goes (the test's database is in ``tmp_path``)."""
    return tmp_path / "export"


def test_the_export_writes_a_file_per_type_of_valid_resources_equal_to_the_download_and_a_manifest(
    app: Flask, tmp_path: Path
) -> None:
    staff = make_staff(app, "clinician", name="Dr Cleo Clinician")
    flagged = send(app, DAY, **FLAGGED)
    plain = send(app, DAY + timedelta(hours=1))
    acknowledge_first_flag(app, flagged, staff.id)
    out = tmp_path / "new" / "export"  # made if missing
    result = export(app, out)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == sorted([*NDJSON, "manifest.json"])  # no partial left
    with app.app_context():
        expected: list[dict[str, Any]] = []
        for reference in (flagged, plain):  # oldest first
            submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
            entries = cast(list[dict[str, Any]], submission_bundle(submission)["entry"])
            expected += [entry["resource"] for entry in entries]
    counts = {}
    for kind in fhir_bulk.RESOURCE_TYPES:
        found = lines(out, f"{kind}.ndjson")
        model = get_fhir_model_class(kind)
        for resource in found:
            assert resource["resourceType"] == kind
            model.model_validate(resource)
        assert found == [resource for resource in expected if resource["resourceType"] == kind]
        counts[kind] = len(found)
        assert f"{kind}.ndjson" in result.output and str(len(found)) in result.output
    assert counts["QuestionnaireResponse"] == counts["Patient"] == 2
    assert counts["DetectedIssue"] >= 2 and counts["Observation"] >= 2
    (issue, *_rest) = lines(out, "DetectedIssue.ndjson")
    assert issue["mitigation"][0]["author"] == {"display": "Dr Cleo Clinician"}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["requiresAccessToken"] is False and manifest["error"] == []
    assert manifest["output"] == [
        {"type": kind, "url": f"{kind}.ndjson", "count": counts[kind]} for kind in fhir_bulk.RESOURCE_TYPES
    ]
    assert datetime.fromisoformat(manifest["transactionTime"]).tzinfo is not None
    assert "2026-11-01T00:00:00Z" in manifest["request"] and "2026-12-01T00:00:00Z" in manifest["request"]
    assert "Exported 2 submissions" in result.output and " s " in result.output
    (row,) = audit_events(app, "export.fhir_bulk")
    assert row["details"] == {
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-12-01T00:00:00Z",
        "submissions": 2,
        "questionnaire_responses": 2,
        "patients": 2,
        "detected_issues": counts["DetectedIssue"],
        "observations": counts["Observation"],
    }


def test_since_is_included_and_until_is_not(app: Flask, out: Path) -> None:
    since, until = datetime(2026, 11, 2, 9, 0, tzinfo=UTC), datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    second = timedelta(seconds=1)
    sent = {at: send(app, at) for at in (since - second, since, until - second, until)}
    result = export(app, out, since="2026-11-02T09:00:00Z", until="2026-11-03T10:00:00+01:00")
    assert result.exit_code == 0, result.output
    references = [item["identifier"]["value"] for item in lines(out, "QuestionnaireResponse.ndjson")]
    assert references == [sent[since], sent[until - second]]
    assert len(lines(out, "Patient.ndjson")) == 2


def test_a_time_without_an_offset_is_utc_and_a_date_is_midnight_utc() -> None:
    assert fhir_bulk.parse_moment("2026-11-02") == datetime(2026, 11, 2, tzinfo=UTC)
    assert fhir_bulk.parse_moment("2026-11-02T09:30") == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert fhir_bulk.parse_moment("2026-11-02T09:30:00Z") == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert fhir_bulk.parse_moment("2026-11-02T10:30+01:00") == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_patient_details_are_only_in_the_patient_and_response_files(app: Flask, out: Path) -> None:
    staff = make_staff(app, "clinician", name="Dr Cleo Clinician")
    reference = send(app, DAY, **FLAGGED, **CANARY)
    acknowledge_first_flag(app, reference, staff.id)
    result = export(app, out)
    assert result.exit_code == 0, result.output
    for name in ("Patient.ndjson", "QuestionnaireResponse.ndjson"):
        text = (out / name).read_text(encoding="utf-8")
        assert "Zebedee Canarywing" in text and "zebedee.canary@example.net" in text and "07700 900 461" in text
    assert lines(out, "DetectedIssue.ndjson") and lines(out, "Observation.ndjson")
    elsewhere = {
        "DetectedIssue.ndjson": (out / "DetectedIssue.ndjson").read_text(encoding="utf-8"),
        "Observation.ndjson": (out / "Observation.ndjson").read_text(encoding="utf-8"),
        "manifest.json": (out / "manifest.json").read_text(encoding="utf-8"),
        "output": result.output,
        "audit": json.dumps(audit_events(app, "export.fhir_bulk")),
    }
    for where, text in elsewhere.items():
        for canary in CANARY_TEXTS:
            assert canary.lower() not in text.lower(), (canary, where)


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_statements_grow_with_the_batches_not_the_submissions(
    app: Flask, tmp_path: Path, statements: list[str]
) -> None:
    """Batches of 5: 10, 20 and 30 submissions (every third flagged, some acknowledged by different clinicians) take
    2, 4 and 6 batches; each batch adds the same few statements (the submissions, their flags, the
    acknowledgements with their clinicians), never one per submission."""
    clinicians = [make_staff(app, "clinician").id for _ in range(3)]
    used: list[int] = []
    made = 0
    for count in (10, 20, 30):
        for number in range(made, count):
            at = DAY + timedelta(minutes=number)
            reference = send(app, at, **(FLAGGED if number % 3 == 0 else {}))
            if number % 6 == 0:
                acknowledge_first_flag(app, reference, clinicians[number % 3])
        made = count
        with app.app_context():
            statements.clear()
            result = fhir_bulk.export(tmp_path / str(count), DAY, DAY + timedelta(days=1), locale="en-GB", size=5)
            assert result.submissions == count
            used.append(len(statements))
    assert used[2] - used[1] == used[1] - used[0], used  # two more batches cost the same each time
    assert 0 < used[1] - used[0] <= 2 * 3, used  # at most three statements a batch


def test_the_files_are_readable_by_their_owner_only_whatever_the_umask(app: Flask, tmp_path: Path) -> None:
    send(app, DAY)
    previous = os.umask(0)
    try:
        result = export(app, tmp_path / "out")
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o700
    for name in [*NDJSON, "manifest.json"]:
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o600, name


def test_an_earlier_export_is_replaced_only_with_force(app: Flask, out: Path) -> None:
    send(app, DAY)
    assert export(app, out).exit_code == 0
    send(app, DAY + timedelta(hours=1))
    before = (out / "Patient.ndjson").read_bytes()
    refused = export(app, out)
    assert refused.exit_code == 1
    assert "already holds" in refused.output and "--force" in refused.output and "Traceback" not in refused.output
    assert (out / "Patient.ndjson").read_bytes() == before
    assert len(audit_events(app, "export.fhir_bulk")) == 1
    (out / "Patient.ndjson").chmod(0o644)
    replaced = export(app, out, "--force")
    assert replaced.exit_code == 0, replaced.output
    assert len(lines(out, "Patient.ndjson")) == 2
    assert stat.S_IMODE((out / "Patient.ndjson").stat().st_mode) == 0o600
    assert sorted(path.name for path in out.iterdir()) == sorted([*NDJSON, "manifest.json"])


def test_an_empty_period_writes_empty_files_and_says_so(app: Flask, out: Path) -> None:
    send(app, DAY)
    result = export(app, out, since="2025-01-01", until="2025-02-01")
    assert result.exit_code == 0, result.output
    assert "Exported 0 submissions" in result.output
    for name in NDJSON:
        assert (out / name).read_bytes() == b""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [item["count"] for item in manifest["output"]] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--since", "yesterday"], "'yesterday' is not a date or time"),
        (["--since", "2026-13-01"], "is not a date or time"),
        (["--since", "0001-01-01T00:00+01:00"], "is not a date or time"),  # before the first day datetime knows
        (["--since", "2026-11-01", "--until", "2026-02-30T10:00"], "is not a date or time"),
        (["--since", "2026-11-02", "--until", "2026-11-02"], "--until (2026-11-02T00:00:00Z) must be later"),
        (["--since", "2026-11-02", "--until", "2026-11-01"], "must be later than --since"),
        (["--until", "2026-11-01"], "Missing option '--since'"),
    ],
)
def test_bad_dates_are_usage_errors_in_words(app: Flask, tmp_path: Path, arguments: list[str], words: str) -> None:
    result = flask_command(app, "export-fhir", *arguments, str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    assert audit_events(app, "export.fhir_bulk") == []


def test_an_out_dir_that_is_a_file_is_refused(app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me", encoding="utf-8")
    result = flask_command(app, "export-fhir", "--since", "2026-11-01", str(target))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert target.read_text(encoding="utf-8") == "keep me"


def test_a_failed_export_leaves_no_files_and_no_audit(app: Flask, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    send(app, DAY)
    send(app, DAY + timedelta(hours=1))
    built: list[object] = []

    def second_fails(submission: Any) -> dict[str, Any]:
        if built:
            raise RuntimeError("the database went away")
        built.append(submission)
        return bundle(submission)

    monkeypatch.setattr(fhir_bulk, "bundle", second_fails)
    with app.app_context(), pytest.raises(RuntimeError):
        fhir_bulk.export(out, DAY, DAY + timedelta(days=1), locale="en-GB")
    assert list(out.iterdir()) == []
    assert audit_events(app, "export.fhir_bulk") == []

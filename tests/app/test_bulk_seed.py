"""The bulk loader (``screening.bulk_seed``): the rows it writes are the ones the app would store, and the staff
pages read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from screening import rules, search_keys
from screening.bulk_seed import seed_submissions
from screening.extensions import db
from screening.models import FlagRecord, ReviewEvent, Submission, SubmissionStatus
from tests.app.auth import make_staff, sign_in

END = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_seed_writes_count_submissions_with_flags_keys_and_mixed_statuses(app: Flask) -> None:
    reviewer = make_staff(app, "clinician")
    with app.app_context():
        assert seed_submissions(600, end=END, days=30, batch=250, reviewer_id=reviewer.id) == 600
        submissions = db.session.scalars(select(Submission)).all()
        assert len(submissions) == 600
        assert len({s.reference for s in submissions}) == 600
        assert len({s.submission_token for s in submissions}) == 600
        assert len({s.full_name for s in submissions}) > 100
        assert all(END - timedelta(days=30) <= s.submitted_at <= END for s in submissions)
        assert {s.status for s in submissions} == set(SubmissionStatus)
        assert len({s.priority for s in submissions}) >= 3
        for submission in submissions[:50]:  # each as the submit service and the insert hook would store it
            assert submission.flags, submission.reference
            assert submission.priority == max(rules.Severity(f.severity).rank for f in submission.flags)
            assert submission.name_key == search_keys.name_key(submission.full_name)
            assert submission.email_key == search_keys.email_key(submission.email)
            assert submission.answers["full_name"] == submission.full_name
            assert submission.answers["date_of_birth"] == submission.date_of_birth.isoformat()
            phone = submission.answers.get("phone")
            assert submission.phone_key == (search_keys.phone_key(phone) if phone else None)
            assert submission.scores and submission.rule_config and submission.version_id == 1
        assert (db.session.scalar(select(func.count()).select_from(FlagRecord)) or 0) >= 600
        reviewed = sum(s.status is not SubmissionStatus.NEW for s in submissions)
        assert db.session.scalar(select(func.count()).select_from(ReviewEvent)) == reviewed
        # a second call adds to what is there, with new ids and references
        assert seed_submissions(10, rng_seed=1, end=END) == 10
        assert db.session.scalar(select(func.count(func.distinct(Submission.reference)))) == 610


def test_queue_search_and_submission_pages_render_over_seeded_rows(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        seed_submissions(300, end=datetime.now(UTC), days=60)
        reference, name = db.session.execute(
            select(Submission.reference, Submission.full_name).order_by(Submission.id.desc()).limit(1)
        ).one()
    sign_in(client, app, "clinician")
    queue = client.get("/staff/")
    assert queue.status_code == 200
    assert queue.get_data(as_text=True).count("KT-") >= 20
    page = client.get(f"/staff/submissions/{reference}")
    assert page.status_code == 200
    assert name in page.get_data(as_text=True)


def test_seeding_is_refused_in_production(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config["SCREENING"], "ENV", "production")
    with app.app_context(), pytest.raises(RuntimeError, match="development"):
        seed_submissions(1)

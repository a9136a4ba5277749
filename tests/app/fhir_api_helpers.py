"""Helpers for the FHIR read API tests: an API token issued through the service, many submissions made quickly
(one through the real submit path, the rest copies of its row with their own reference and time), and reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.extensions import db
from screening.models import Role, StaffUser, Submission, new_reference
from screening.staff import api_tokens
from tests.answer_sets import answers, submit_answers
from tests.app.auth import make_staff


@dataclass(frozen=True)
class Issued:
    """A token as the integration engine holds it: its row id, name and the secret."""

    id: int
    name: str
    secret: str

    @property
    def header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def issue_token(app: Flask, name: str = "Records engine") -> Issued:
    """A token created by a new admin through ``api_tokens.create_token``."""
    admin = make_staff(app, Role.ADMIN)
    with app.app_context():
        actor = db.session.get(StaffUser, admin.id)
        assert actor is not None
        token, secret = api_tokens.create_token(name, actor=actor)
        return Issued(token.id, token.name, secret)


def add_submissions(app: Flask, count: int, *, start: datetime, step: timedelta = timedelta(minutes=1)) -> list[str]:
    """``count`` submissions sent at ``start``, ``start + step``, ...: the first through the real path, the others
    copies of its row (own reference, token and time). Returns their references, oldest first."""
    with app.app_context():
        first = submit_answers(answers(), now=start)
        columns = [column.key for column in Submission.__table__.columns if column.key not in ("id",)]
        template = {key: getattr(first, key) for key in columns}
        references = [first.reference]
        for index in range(1, count):
            row = dict(template)
            row.update(
                reference=new_reference(),
                submission_token=f"copy-{first.reference}-{index}",
                submitted_at=start + step * index,
            )
            db.session.add(Submission(**row))
            references.append(row["reference"])
        db.session.commit()
        return references


def get(client: FlaskClient, url: str, issued: Issued | None = None, **headers: str) -> tuple[int, dict[str, Any]]:
    response = client.get(url, headers={**(issued.header if issued else {}), **headers})
    return response.status_code, json.loads(response.get_data(as_text=True))


def next_link(body: dict[str, Any]) -> str | None:
    return next((link["url"] for link in body.get("link", []) if link["relation"] == "next"), None)


def references_of(body: dict[str, Any]) -> list[str]:
    return [entry["resource"]["identifier"]["value"] for entry in body.get("entry", [])]


def stored_references(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Submission.reference).order_by(Submission.submitted_at, Submission.id)))

"""The URL converters belong to the factory, not to one blueprint, so the blueprints start in any order."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from screening import app as factory
from screening.extensions import db

NAMES = ("patient", "auth", "admin", "staff", "summary", "fhir")
ORDERS = [NAMES, tuple(reversed(NAMES))] + [(name, *(other for other in NAMES if other != name)) for name in NAMES[1:]]


@pytest.mark.parametrize("order", ORDERS, ids="-".join)
def test_blueprints_registered_in_any_order_start_and_route(
    order: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factory, "register_blueprints", functools.partial(factory.register_blueprints, order=order))
    app = factory.create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'order.sqlite3'}", "SECRET_KEY": "test"}
    )
    with app.app_context():
        db.create_all()
    assert {"patient", "auth", "admin", "staff", "summary", "fhir"} <= set(app.blueprints)
    client = app.test_client()
    assert client.get("/").status_code == 200
    # the reference converter takes a reference and refuses anything else, whoever registered first
    assert client.get("/staff/submissions/KT-7Q4M-9XHD").status_code == 302  # to sign-in
    assert client.get("/staff/submissions/not-a-reference").status_code == 404
    with app.test_request_context():
        from flask import url_for

        assert url_for("staff.submission", reference="KT-7Q4M-9XHD") == "/staff/submissions/KT-7Q4M-9XHD"

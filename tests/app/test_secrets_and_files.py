"""Secrets and files (issue 15 item 6): the session cookie is ``__Host-screening`` in production (Secure, Path=/, no
Domain) and ``screening`` in development; the authenticator seed shown at enrolment stays on the server, never in
the signed but readable session cookie; the SQLite database with its -wal and -shm files, and the development secret
key file, are readable by the app's user only (0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from screening import config, create_app
from screening.extensions import db
from screening.models import Role, StaffUser
from tests.app.auth import account, make_staff, mfa_setup_key, post, submit_password, totp
from tests.app.test_config import PRODUCTION

HOST = "https://screening.example.org"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask (files 0644 unless made otherwise), whatever the test runner's."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _app(tmp_path: Path, **settings: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'files.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            **settings,
        }
    )


# --- the session cookie -----------------------------------------------------------------------------------------------
def _set_cookie(app: Flask, base_url: str) -> str:
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/staff/login", base_url=base_url)  # its CSRF token starts a session
    assert response.status_code == 200
    [cookie] = response.headers.getlist("Set-Cookie")
    return cookie


def test_the_session_cookie_is_host_prefixed_secure_with_path_slash_and_no_domain_in_production(
    tmp_path: Path,
) -> None:
    app = _app(tmp_path, **PRODUCTION)
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-screening"
    cookie = _set_cookie(app, HOST)
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0].startswith("__Host-screening=")
    assert {"Secure", "HttpOnly", "Path=/", "SameSite=Lax"} <= set(attributes)
    assert not [part for part in attributes if part.lower().startswith("domain")]  # __Host- forbids a Domain
    page = app.test_client().get("/cookies", base_url=HOST).get_data(as_text=True)
    assert "<strong>__Host-screening</strong>" in page  # the cookie page names it as the browser shows it


def test_the_session_cookie_is_plain_screening_outside_production(tmp_path: Path) -> None:
    app = _app(tmp_path)
    cookie = _set_cookie(app, "http://localhost")
    assert cookie.startswith("screening=") and "Secure" not in cookie and "Path=/" in cookie
    assert "<strong>screening</strong>" in app.test_client().get("/cookies").get_data(as_text=True)


# --- the authenticator seed -------------------------------------------------------------------------------------------
def _session(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """The session cookie decoded as the app reads it (signed, not encrypted: anyone holding it can read it)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    data: dict[str, Any] = serializer.loads(cookie.value)
    return data


def _pending_seed(app: Flask, staff_id: int) -> str | None:
    with app.app_context():
        user = db.session.get(StaffUser, staff_id)
        assert user is not None
        return user.pending_mfa_secret


def test_the_enrolment_seed_is_kept_on_the_server_never_in_the_session_cookie(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, Role.CLINICIAN, enrolled=False)
    response = submit_password(client, staff.email, staff.password)
    assert response.headers["Location"] == "/staff/mfa/setup"
    page = client.get("/staff/mfa/setup").get_data(as_text=True)
    seed = mfa_setup_key(page)
    assert _pending_seed(app, staff.id) == seed
    assert client.get("/staff/mfa/qr.svg").status_code == 200
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None and seed not in cookie.value
    session = _session(app, client)
    assert seed not in repr(session) and "staff_pending" in session
    response = post(client, "/staff/mfa/setup", {"code": totp(seed)}, token_from="/staff/mfa/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    enrolled = account(app, staff.id)
    assert enrolled.mfa_secret == seed and enrolled.pending_mfa_secret is None
    assert seed not in repr(_session(app, client))
    assert client.get("/staff/").status_code == 200


def test_each_sign_in_gets_a_fresh_seed_and_a_code_from_the_old_one_is_refused(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, Role.CLINICIAN, enrolled=False)
    submit_password(client, staff.email, staff.password)
    first = mfa_setup_key(client.get("/staff/mfa/setup").get_data(as_text=True))
    submit_password(client, staff.email, staff.password)
    second = mfa_setup_key(client.get("/staff/mfa/setup").get_data(as_text=True))
    assert first != second and _pending_seed(app, staff.id) == second
    response = post(client, "/staff/mfa/setup", {"code": totp(first)}, token_from="/staff/mfa/setup")
    assert response.status_code == 200 and account(app, staff.id).mfa_secret is None


# --- file modes -------------------------------------------------------------------------------------------------------
def test_a_new_sqlite_database_and_its_wal_and_shm_files_are_0600(tmp_path: Path, umask_022: None) -> None:
    database = tmp_path / "instance" / "new.sqlite3"
    app = _app(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    with app.app_context():
        db.create_all()
        with db.engine.connect() as connection:  # open: the -wal and -shm files exist meanwhile
            connection.execute(text("INSERT INTO audit_event (at, action, details) VALUES ('2026-01-01', 'x.y', '{}')"))
            connection.commit()
            files = [database, database.with_name("new.sqlite3-wal"), database.with_name("new.sqlite3-shm")]
            assert all(path.exists() for path in files)
            assert {path.name: _mode(path) for path in files} == {path.name: 0o600 for path in files}
        db.engine.dispose()


def test_an_existing_database_readable_by_others_is_made_private_at_start(tmp_path: Path, umask_022: None) -> None:
    database = tmp_path / "old.sqlite3"
    wal = tmp_path / "old.sqlite3-wal"
    for path in (database, wal):
        path.touch()
        path.chmod(0o644)
    _app(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    assert (_mode(database), _mode(wal)) == (0o600, 0o600)


def test_a_read_only_database_stays_read_only(tmp_path: Path) -> None:
    database = tmp_path / "read-only.sqlite3"
    database.touch()
    database.chmod(0o444)
    _app(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    assert _mode(database) == 0o400  # others lose reading; the owner gains no writing


def test_the_development_secret_key_file_is_made_0600_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("made readable by others first, then narrowed")

    monkeypatch.setattr(Path, "chmod", no_chmod)
    before = os.umask(0)  # even with no umask at all
    try:
        settings = config.build(tmp_path / "instance", {}, None)
    finally:
        os.umask(before)
    key = tmp_path / "instance" / "secret_key"
    assert _mode(key) == 0o600 and key.read_text(encoding="utf-8") == settings["SECRET_KEY"]
    assert config.build(tmp_path / "instance", {}, None)["SECRET_KEY"] == settings["SECRET_KEY"]


def test_an_old_secret_key_file_readable_by_others_is_made_private(tmp_path: Path) -> None:
    key = tmp_path / "instance" / "secret_key"
    key.parent.mkdir()
    key.write_text("an-older-development-secret", encoding="utf-8")
    key.chmod(0o644)
    assert config.build(tmp_path / "instance", {}, None)["SECRET_KEY"] == "an-older-development-secret"
    assert _mode(key) == 0o600

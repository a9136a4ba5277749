"""Rate limits on the anonymous POSTs (``screening.limits``, memory:// storage, behind one simulated proxy): each
limited endpoint answers 429 past its limit, with the page, ``Retry-After`` and an audit row; a limited question page
is shown again with what was typed and nothing saved; pages (GET) are never limited; each client address has its own
count; successful sign-ins do not count; a storage that cannot be reached does not take the service down; and
security-bar case 29 (brute force against sign-in)."""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import limits.storage.memory
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening import config, create_app
from screening.extensions import db
from screening.limits import GROUPS, PATIENT_MESSAGE, RATE_LIMITED, STAFF_MESSAGE
from screening.models import AuditEvent, Notification, StaffUser
from screening.staff import auth, sign_in_alerts
from tests.answer_sets import answers
from tests.app.alert_helpers import free_port
from tests.app.auth import INVALID, install_clock, make_staff, page_csrf, sign_in, submit_password
from tests.app.form_posts import form_data
from tests.app.test_drafts import expected_values, filled, the_draft
from tests.app.test_patient_flow import start
from tests.conftest import Browser

ATTACKER = "203.0.113.66"
SOMEONE_ELSE = "198.51.100.20"


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    """Limits on, one trusted proxy in front, and an alert route (a file) for the sign-in failure alert."""
    return {"RATELIMIT_ENABLED": True, "PROXY_HOPS": 1, "ALERT_FILE": str(tmp_path / "alerts.log")}


def at(app: Flask, address: str) -> FlaskClient:
    """A browser whose requests reach the app through the proxy, which says they come from ``address``."""
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = address
    return client


def per_minute(group: str) -> int:
    return int(GROUPS[group].limits.split("/minute")[0])


def refusals(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == RATE_LIMITED)))
        db.session.expunge_all()
        return events


def assert_refused(response: Any, message: str) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert message in response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"]  # the security headers, as on every page


# --- each limited endpoint -------------------------------------------------------------------------------------------
#: group -> the POST addresses of its endpoints (posted in turn: they share one count)
ADDRESSES = {
    "patient-start": ["/"],
    "patient-submit": ["/questionnaire/submit"],
    "patient-save": ["/save-for-later", "/save-for-later/email"],
    "patient-resume": ["/resume", "/resume/date-of-birth"],
    "staff-sign-in": ["/staff/login"],
    "staff-code": ["/staff/mfa", "/staff/mfa/setup"],
}


def test_every_limit_group_is_tested() -> None:
    assert set(ADDRESSES) | {"patient-page"} == set(GROUPS)


@pytest.mark.parametrize("group", sorted(ADDRESSES))
def test_each_limited_endpoint_answers_429_past_its_limit_with_the_page_retry_after_and_an_audit_row(
    app: Flask, group: str
) -> None:
    client = at(app, ATTACKER)
    urls = ADDRESSES[group]
    limit = per_minute(group)
    statuses = [client.post(urls[n % len(urls)]).status_code for n in range(limit)]  # no token: refused, counted
    assert 429 not in statuses
    url = urls[limit % len(urls)]
    response = client.post(url)
    assert_refused(response, PATIENT_MESSAGE if GROUPS[group].patient else STAFF_MESSAGE)
    back = {"/questionnaire/submit": "/questionnaire/check", "/save-for-later/email": "/save-for-later"}.get(url, url)
    assert f'href="{back}">Go back to the page you were on' in response.get_data(as_text=True)
    [event] = refusals(app)
    assert event.remote_addr == ATTACKER
    assert event.details["group"] == group and event.details["endpoint"] in GROUPS[group].endpoints


def test_a_limited_question_page_is_shown_again_with_what_was_typed_and_nothing_is_saved(app: Flask) -> None:
    patient = Browser(at(app, ATTACKER))
    start(patient)
    patient.get("/questionnaire/about_you")
    token = patient.csrf_token()
    # another browser at the same address (a clinic's shared connection) uses up the question pages' budget,
    # over every endpoint of the group
    other = at(app, ATTACKER)
    other_token = page_csrf(other, "/")
    urls = ["/questionnaire/about_you", "/start-again", "/not-me", "/questionnaire/finish"]
    statuses = [
        other.post(urls[n % len(urls)], data={"csrf_token": other_token}).status_code
        for n in range(per_minute("patient-page"))
    ]
    assert 429 not in statuses
    typed = form_data("about_you", answers())
    patient.post("/questionnaire/about_you", {**typed, "csrf_token": token})
    assert patient.status == 429
    assert PATIENT_MESSAGE in patient.page
    assert filled(patient.page) == expected_values("about_you", answers())
    assert "about_you" not in the_draft(app).completed_steps  # nothing saved: the patient sends it again
    assert [event.details["endpoint"] for event in refusals(app)] == ["patient.step"]
    assert patient.get("/questionnaire/about_you") and patient.status == 200  # pages can still be read


def test_pages_are_never_limited(app: Flask) -> None:
    client = at(app, ATTACKER)
    for _ in range(per_minute("patient-start") + 5):
        assert client.get("/").status_code == 200
    for _ in range(per_minute("patient-page") + 5):
        assert client.get("/questionnaire/about_you").status_code == 302  # no form started: to the start page
    for _ in range(per_minute("staff-sign-in") + 5):
        assert client.get("/staff/login").status_code == 200
    assert refusals(app) == []


def test_each_client_address_has_its_own_count(app: Flask) -> None:
    attacker, someone_else = at(app, ATTACKER), at(app, SOMEONE_ELSE)
    for _ in range(per_minute("staff-sign-in")):
        attacker.post("/staff/login")
    assert attacker.post("/staff/login").status_code == 429
    assert someone_else.post("/staff/login").status_code == 400  # refused for its missing token, not limited
    assert [event.remote_addr for event in refusals(app)] == [ATTACKER]


def test_sign_ins_that_succeed_do_not_count(app: Flask) -> None:
    """A whole clinic signing in at 9:00 behind one address never meets the sign-in limit."""
    staff = make_staff(app)
    client = at(app, SOMEONE_ELSE)
    for _ in range(per_minute("staff-sign-in") + 3):
        response = submit_password(client, staff.email, staff.password)
        assert response.status_code == 302 and response.headers["Location"] == "/staff/mfa"


# --- storage ----------------------------------------------------------------------------------------------------------
class TestRedisDown:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URL": f"redis://127.0.0.1:{free_port()}/0"}

    def test_limits_carry_on_in_memory_and_the_service_answers(self, app: Flask) -> None:
        client = app.test_client()
        assert client.get("/").status_code == 200
        statuses = [client.post("/staff/login").status_code for _ in range(per_minute("staff-sign-in") + 1)]
        assert statuses == [400] * per_minute("staff-sign-in") + [429]


@pytest.mark.parametrize(
    "url", ["mysql://user:s3cret@host/0", "redis://:s3cret@", "memory://s3cret", "redis://s3cret host:6379", "s3cret"]
)
def test_a_storage_url_that_cannot_work_is_refused_at_start_without_repeating_it(tmp_path: Path, url: str) -> None:
    with pytest.raises(config.ConfigError, match="SCREENING_RATELIMIT_STORAGE_URL") as refused:
        config.build(tmp_path, {"SCREENING_RATELIMIT_STORAGE_URL": url}, None)
    assert "s3cret" not in str(refused.value)
    with pytest.raises(config.ConfigError, match="SCREENING_RATELIMIT_STORAGE_URL") as refused:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "RATELIMIT_STORAGE_URL": url})
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize("url", ["memory://", "redis://127.0.0.1:6379/0", "rediss://:pw@redis.example.org:6380/2"])
def test_memory_and_redis_urls_are_accepted(tmp_path: Path, url: str) -> None:
    assert config.build(tmp_path, {"SCREENING_RATELIMIT_STORAGE_URL": url}, None)["RATELIMIT_STORAGE_URL"] == url


# --- security-bar case 29 ------------------------------------------------------------------------------------------
@pytest.fixture
def minute_later(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Moves the limits' in-memory clock on by a minute and a second when called (their window is a minute)."""
    shift = {"seconds": 0.0}
    fake = types.SimpleNamespace(time=lambda: time.time() + shift["seconds"])
    monkeypatch.setattr(limits.storage.memory, "time", fake)

    def advance() -> None:
        shift["seconds"] += 61

    yield advance


def accounts_with_password(app: Flask, count: int, password: str) -> list[str]:
    """``count`` enrolled accounts sharing ``password`` (made directly: argon2 hashes it once), their emails."""
    with app.app_context():
        hashed = auth.hash_password(password)
        users = [
            StaffUser(
                email=f"person{n}@clinic.example.org", name=f"Person {n}", password_hash=hashed, mfa_secret="A" * 32
            )
            for n in range(count)
        ]
        db.session.add_all(users)
        db.session.commit()
        return [user.email for user in users]


def guess(client: FlaskClient, token: str, email: str, password: str) -> int:
    return client.post("/staff/login", data={"csrf_token": token, "email": email, "password": password}).status_code


def audit_count(app: Flask, action: str, **where: Any) -> int:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.action == action)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return len(db.session.scalars(query).all())


def test_case_29_brute_force_sign_in_is_throttled_per_account_and_per_address_alerted_and_audited(
    app: Flask, monkeypatch: pytest.MonkeyPatch, minute_later: Any
) -> None:
    clock = install_clock(monkeypatch)
    victim = make_staff(app)
    attacker = at(app, ATTACKER)
    token = page_csrf(attacker)
    # 50 wrong passwords at one account, from one address: the address's limit refuses all but the first 10, and the
    # account locks itself after 5 (for a minute, doubling to at most 15): the guesses stop being checked at all
    statuses = [guess(attacker, token, victim.email, f"wrong guess {n}") for n in range(50)]
    assert statuses == [200] * 10 + [429] * 40
    with app.app_context():
        locked = db.session.get(StaffUser, victim.id)
        assert locked is not None and locked.locked_until is not None and locked.failed_logins == 5
    assert audit_count(app, "staff.login_failed", remote_addr=ATTACKER) == 10
    assert audit_count(app, RATE_LIMITED, remote_addr=ATTACKER) == 40
    # the alert went to the on-call route once (at the 10th failure), naming the hour, not the account
    with app.app_context():
        [alert] = db.session.scalars(select(Notification)).all()
        assert (alert.kind, alert.reference) == ("sign_in_failures", sign_in_alerts.hour_bucket(clock()))
    assert audit_count(app, sign_in_alerts.ALERTED) == 1
    # the real user, elsewhere, is held only while the lock lasts, and signs in after the cool-down
    real_user = Browser(at(app, SOMEONE_ELSE))
    assert INVALID in submit_password(real_user.client, victim.email, victim.password).get_data(as_text=True)
    clock.advance(minutes=2)
    sign_in(real_user, app, staff=victim)

    # 50 accounts x 1 password from one address: limited per address after 10, however many accounts it tries
    minute_later()
    others = accounts_with_password(app, 49, "their own long password") + [make_staff(app).email]
    statuses = [guess(attacker, token, email, "a common password") for email in others]
    assert statuses == [200] * 10 + [429] * 40
    assert audit_count(app, RATE_LIMITED, remote_addr=ATTACKER) == 80
    with app.app_context():  # no account was locked by one guess each; still one alert this hour
        assert db.session.scalar(select(StaffUser).where(StaffUser.locked_until.is_not(None))) is None
        assert len(db.session.scalars(select(Notification)).all()) == 1
    assert submit_password(at(app, SOMEONE_ELSE), others[0], "their own long password").status_code == 302
    # 20 failures in 15 minutes: the database's own per-address throttle refuses the address too, whatever the limit
    minute_later()
    assert guess(attacker, token, victim.email, victim.password) == 429  # the right password, still refused
    assert audit_count(app, "staff.login_throttled", remote_addr=ATTACKER) == 1
    # nothing is permanent: once both windows have passed, the address may sign in again
    minute_later()
    clock.advance(minutes=16)
    assert guess(attacker, token, victim.email, victim.password) == 302

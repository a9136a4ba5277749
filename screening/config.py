"""Settings: defaults, the SCREENING_* environment variables that override them, and locale defaults.

Every setting can be set from the environment (``SCREENING_<NAME>``); tests pass ``test_config`` instead.
A value that cannot work (an unknown time zone, a negative number of days, a malformed database, mail server or
webhook URL) stops the app at start with a ``ConfigError`` naming the setting and what it expects. Production
(``SCREENING_ENV=production``) refuses to start without a secret key, the clinic's contact details and reply
times, and a route for urgent alerts (or alerts explicitly switched off). How each value is read from text is
``setting_values``' (its ``PARSERS``). Imports the standard library and ``setting_values``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from screening.setting_values import PARSERS, host_list
from screening.setting_values import CrisisLine as CrisisLine  # re-exported: the settings hold crisis lines


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to set it."""


LOCALE_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "en-GB": {
        "EMERGENCY_NUMBER": "999",
        "CRISIS_LINES": (
            CrisisLine("NHS 111", "111", "for urgent medical help, day or night"),
            CrisisLine("Samaritans", "116 123", "free, any time, day or night"),
        ),
        "DATE_ORDER": "dmy",
        "TIMEZONE": "Europe/London",
    },
    "en-US": {
        "EMERGENCY_NUMBER": "911",
        "CRISIS_LINES": (CrisisLine("988 Suicide & Crisis Lifeline", "988", "call or text, any time"),),
        "DATE_ORDER": "mdy",
        "TIMEZONE": "America/New_York",
    },
}

DEFAULTS: Mapping[str, Any] = {
    "ENV": "development",
    "LOCALE": "en-GB",
    "CLINIC_NAME": "Example Pain Clinic",
    "CLINIC_PHONE": "",
    "CLINIC_EMAIL": "",
    "REPLY_TIME": "within 3 working days",
    # what a patient whose answers raised an urgent flag is told instead of REPLY_TIME (confirmation page)
    "URGENT_REPLY_TIME": "We aim to call you today if you sent this before 4pm on a working day, otherwise on "
    "the next working day.",
    "MIN_AGE": 18,
    "DRAFT_DAYS": 7,
    "ARTICLE_PATH": "",
    # a directory holding the clinic's own privacy.md, accessibility.md and/or cookies.md (docs/content.md)
    "CONTENT_DIR": "",
    # urgent alerts (alerts.py): production needs a route (ONCALL_EMAIL and/or ALERT_WEBHOOK_URL) or URGENT_ALERTS off
    "URGENT_ALERTS": True,
    "ONCALL_EMAIL": "",
    "ESCALATION_EMAIL": "",  # where an urgent submission nobody picked up goes (default: the on-call route again)
    "ALERT_WEBHOOK_URL": "",
    "ALERT_WEBHOOK_SECRET": "",
    "ALERT_FILE": "",  # development only: alerts appended to this file (make run: instance/alerts.log)
    # submission events (submission_events.py): a signed POST per new submission and status change, no patient data
    "SUBMISSION_WEBHOOK_URL": "",
    "SUBMISSION_WEBHOOK_SECRET": "",
    "URGENT_ESCALATE_MINUTES": 60,
    "OPENING_HOURS": "Mon-Fri 09:00-17:00",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": False,
    "MAIL_FROM": "",
    "BASE_URL": "",  # where staff reach the app, e.g. https://screening.example.org (the link in emails)
    # the host name (and port, if not the default) the app is served at, e.g. screening.example.org (Host header check)
    "SERVER_NAME": "",
    # more host names the app answers to, comma-separated (.example.org: any subdomain); production refuses others
    "TRUSTED_HOSTS": "",
    "PROXY_HOPS": 0,  # trusted reverse proxies in front of the app (X-Forwarded-For/-Proto/-Host); 0: none
    # where rate-limit counts live (limits.py): memory:// (one process) or redis://host:6379/0 (shared by every process)
    "RATELIMIT_STORAGE_URL": "memory://",
    # requests per API token to the FHIR read API (fhir_api_auth.py), Flask-Limiter notation: "120 per minute"
    "API_RATE_LIMIT": "120 per minute",
    "RETENTION_DAYS": None,  # the default for `flask purge --older-than` (retention.py); None: give it each time
    # emails to patients (patient/mail.py): never any answers, only a link, a reference and what happens next
    "PATIENT_EMAILS": False,  # offer to email a "come back later" link to a patient who gave an email address
    "EMAIL_RECEIPT": False,  # email the reference and what happens next after sending (if they gave an address)
    "PATIENT_MAIL_FILE": "",  # development only: patient emails appended to this file instead of sent
    # the clinic's brand (brand.py): a logo image and a primary colour (#RRGGBB, checked for WCAG AA contrast)
    "LOGO_PATH": "",
    "BRAND_COLOUR": "",
    # database faults (db_faults.py): how long an SQLite write waits for another writer's lock before a 503
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    # PostgreSQL (psycopg 3) only: off turns server-side prepared statements off, for PgBouncer in transaction mode
    "DATABASE_PREPARED_STATEMENTS": True,
    # tests only, refused in production: seconds a submit sleeps between its INSERTs and its COMMIT (kill test)
    "TEST_PAUSE_BEFORE_COMMIT": 0.0,
}
# A newcomer's first run: outside production, clearly fictional contact details (Ofcom's drama range; the 555-01xx
# numbers set aside for fiction; example.org) so every page reads complete. Production still needs the real ones.
EXAMPLE_CONTACT: Mapping[str, Mapping[str, str]] = {
    "en-GB": {"CLINIC_PHONE": "01632 960 000", "CLINIC_EMAIL": "clinic@example.org"},
    "en-US": {"CLINIC_PHONE": "(555) 010-0000", "CLINIC_EMAIL": "clinic@example.org"},
}
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "CLINIC_NAME",
    "CLINIC_PHONE",
    "CLINIC_EMAIL",
    "REPLY_TIME",
    "URGENT_REPLY_TIME",
)


def _check_test_hooks(settings: Mapping[str, Any]) -> None:
    """The test-only pause before a submit's commit must never reach real patients."""
    if settings["ENV"] == "production" and settings.get("TEST_PAUSE_BEFORE_COMMIT"):
        raise ConfigError("SCREENING_TEST_PAUSE_BEFORE_COMMIT is for tests only: unset it in production")


def trusted_hosts(settings: Mapping[str, Any]) -> list[str] | None:
    """The Host header values the app answers (Flask's ``TRUSTED_HOSTS``): SCREENING_TRUSTED_HOSTS and the hosts of
    SCREENING_SERVER_NAME and SCREENING_BASE_URL; None (any host) when none of them is set, which production refuses."""
    given = settings["TRUSTED_HOSTS"]
    hosts = list(host_list(given) if isinstance(given, str) else given)
    if settings["SERVER_NAME"]:
        hosts.append(str(settings["SERVER_NAME"]).partition(":")[0])
    if settings["BASE_URL"] and (base := urlsplit(str(settings["BASE_URL"])).hostname):
        hosts.append(base)
    return list(dict.fromkeys(hosts)) or None


_NAMES = (*DEFAULTS, "SECRET_KEY", "DATABASE_URL", "EMERGENCY_NUMBER", "CRISIS_LINES", "DATE_ORDER", "TIMEZONE")


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The ``SCREENING_*`` settings present in ``environ``, parsed."""
    settings: dict[str, Any] = {}
    for name in _NAMES:
        raw = environ.get(f"SCREENING_{name}")
        if raw is None or raw == "":
            continue
        try:
            settings[name] = PARSERS.get(name, str)(raw)
        except ValueError as error:
            raise ConfigError(f"SCREENING_{name}: {error}") from error
    return settings


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options (``SQLALCHEMY_ENGINE_OPTIONS``): ``pool_pre_ping`` always; with
    SCREENING_DATABASE_PREPARED_STATEMENTS off and a ``postgresql+psycopg`` URL, ``prepare_threshold=None`` in the
    connect arguments, so psycopg 3 never prepares a statement on the server. A prepared statement lives on one server
    connection, and PgBouncer in transaction mode (or another pooler) hands the next transaction another one. The
    setting changes nothing on SQLite."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    psycopg = urlsplit(str(settings["DATABASE_URL"])).scheme == "postgresql+psycopg"
    if psycopg and not settings["DATABASE_PREPARED_STATEMENTS"]:
        options["connect_args"] = {"prepare_threshold": None}
    return options


SESSION_COOKIE = "screening"


def session_cookie_name(env: str) -> str:
    """The session cookie's name: ``__Host-screening`` in production, where browsers then accept it only when it is
    Secure, has Path=/ and no Domain (so no other host or path can set or read it); plain ``screening`` elsewhere,
    since a ``__Host-`` cookie cannot be set over the plain http of development."""
    return f"__Host-{SESSION_COOKIE}" if env == "production" else SESSION_COOKIE


def _development_secret(instance_path: Path) -> str:
    """A secret generated once into ``instance/`` (never committed) for development: created with mode 0600 (no
    moment when another user of the machine could read it)."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
    keep_private(path)  # one made before the app created it 0600
    return path.read_text(encoding="utf-8").strip()


def keep_private(path: Path) -> None:
    """Take away any permission the group and others have on ``path`` (e.g. 0644 -> 0600, 0444 -> 0400; the
    owner's own bits stay as they are). A file that is not there, or not ours to change, is left alone."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError:
        return


def _check_mail(settings: Mapping[str, Any]) -> None:
    """Production: with an on-call or escalation address set, alert emails must be sendable, carry a working staff
    link, and never send the SMTP password in clear text to another machine."""
    if not (settings["ONCALL_EMAIL"] or settings["ESCALATION_EMAIL"]):
        return
    missing = [f"SCREENING_{name}" for name in ("MAIL_FROM", "BASE_URL", "SMTP_HOST") if not settings[name]]
    if missing:
        raise ConfigError(f"An alert email address is set, so production also needs: {', '.join(missing)}")
    if bool(settings["SMTP_USERNAME"]) != bool(settings["SMTP_PASSWORD"]):
        raise ConfigError("Set both SCREENING_SMTP_USERNAME and SCREENING_SMTP_PASSWORD, or neither")
    local = settings["SMTP_HOST"] in ("127.0.0.1", "::1", "localhost")
    if settings["SMTP_USERNAME"] and not settings["SMTP_STARTTLS"] and not local:
        raise ConfigError("SCREENING_SMTP_STARTTLS must be true to sign in to a mail server on another machine")


def _check_patient_mail(settings: Mapping[str, Any]) -> None:
    """Production: emails to patients need a mail server, a sender and the address patients reach the app at; a file
    is a development convenience that reaches no one."""
    if settings["PATIENT_MAIL_FILE"]:
        raise ConfigError("SCREENING_PATIENT_MAIL_FILE is for development only: a file reaches no patient")
    if not (settings["PATIENT_EMAILS"] or settings["EMAIL_RECEIPT"]):
        return
    missing = [f"SCREENING_{name}" for name in ("MAIL_FROM", "SMTP_HOST") if not settings[name]]
    if missing:
        raise ConfigError(f"Emails to patients are switched on, so production also needs: {', '.join(missing)}")
    if not str(settings["BASE_URL"]).startswith("https://"):
        raise ConfigError("SCREENING_BASE_URL must be set and start with https:// (it is the link in patient emails)")


MIN_WEBHOOK_SECRET = 32
NO_ROUTE = (
    "Production needs a route for urgent alerts, so that an urgent patient reaches a person the same day: "
    "set SCREENING_ONCALL_EMAIL (with the SCREENING_SMTP_* settings) and/or SCREENING_ALERT_WEBHOOK_URL (with "
    "SCREENING_ALERT_WEBHOOK_SECRET). To run without alerts, set SCREENING_URGENT_ALERTS=off (urgent "
    "submissions then only sort to the top of the queue)"
)
ALERTS_OFF_WARNING = (
    "WARNING: urgent alerts are switched off (SCREENING_URGENT_ALERTS=off). An urgent submission "
    "only sorts to the top of the review queue: make sure someone watches it all day."
)


def _check_webhook(settings: Mapping[str, Any], *, production: bool, name: str = "ALERT_WEBHOOK") -> None:
    """``<name>_URL``, when set, is http(s) (https in production) and ``<name>_SECRET`` is long enough to sign with."""
    url = str(settings[f"{name}_URL"])
    if not url:
        return
    if not url.startswith(("https://", "http://")) or (production and not url.startswith("https://")):
        raise ConfigError(
            f"SCREENING_{name}_URL must start with https://" + ("" if production else " (or http:// in development)")
        )
    if len(str(settings[f"{name}_SECRET"])) < MIN_WEBHOOK_SECRET:
        raise ConfigError(
            f"SCREENING_{name}_SECRET: give a shared secret of at least {MIN_WEBHOOK_SECRET} "
            "characters (the webhook is signed with it)"
        )
    if production and name == "SUBMISSION_WEBHOOK" and not str(settings["BASE_URL"]).startswith("https://"):
        raise ConfigError("SCREENING_BASE_URL must be set and start with https:// (it is the FHIR link in events)")


def _check_alerts(settings: Mapping[str, Any]) -> None:
    """Production: an alert route is mandatory unless the clinic has explicitly switched alerts off; a file is a
    development convenience that reaches no one; the staff link in every alert must work."""
    if not settings["URGENT_ALERTS"]:
        return
    if settings["ALERT_FILE"]:
        raise ConfigError(
            "SCREENING_ALERT_FILE is for development only: a file reaches no one. Use "
            "SCREENING_ONCALL_EMAIL and/or SCREENING_ALERT_WEBHOOK_URL"
        )
    if not (settings["ONCALL_EMAIL"] or settings["ALERT_WEBHOOK_URL"]):
        raise ConfigError(NO_ROUTE)
    if not str(settings["BASE_URL"]).startswith("https://"):
        raise ConfigError("SCREENING_BASE_URL must be set and start with https:// (it is the staff link in alerts)")
    _check_mail(settings)


#: The patient's information pages a clinic may replace with its own Markdown file in SCREENING_CONTENT_DIR.
CONTENT_PAGES = ("privacy", "accessibility", "cookies")
MAX_CONTENT_CHARS = 200_000


def content_heading(text: str) -> str:
    """The page title of a content page: its first non-blank line, which must be a level-1 heading ``# Title``.
    Raises ValueError saying what is wrong (empty file, no heading)."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ValueError("the file is empty")
    if len(text) > MAX_CONTENT_CHARS:
        raise ValueError(f"the file is too long ({len(text)} characters; at most {MAX_CONTENT_CHARS})")
    first = next(line.strip() for line in text.splitlines() if line.strip())
    title = first.removeprefix("# ").strip()
    if not first.startswith("# ") or not title:
        raise ValueError(f"the first line must be a level-1 heading such as '# Privacy notice', not {first[:60]!r}")
    return title


def _check_content_dir(directory: str) -> None:
    """SCREENING_CONTENT_DIR, if set: an existing directory whose privacy/accessibility/cookies ``.md`` files (any of
    them; a missing one falls back to the bundled page) are readable UTF-8 Markdown starting with a ``#`` heading."""
    if not directory:
        return
    folder = Path(directory)
    if not folder.is_dir():
        raise ConfigError(f"SCREENING_CONTENT_DIR: {directory!r} is not a directory")
    for name in CONTENT_PAGES:
        path = folder / f"{name}.md"
        if not path.exists():
            continue
        try:
            content_heading(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"SCREENING_CONTENT_DIR: {path} is not UTF-8 text: save it as UTF-8") from None
        except OSError as error:
            raise ConfigError(f"SCREENING_CONTENT_DIR: cannot read {path}: {error.strerror}") from None
        except ValueError as error:
            raise ConfigError(f"SCREENING_CONTENT_DIR: {path}: {error}") from None


def build(instance_path: Path, environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults, then locale defaults, then the environment, then ``overrides`` (tests)."""
    given = {**from_environment(environ), **(overrides or {})}
    settings: dict[str, Any] = dict(DEFAULTS)
    settings.update(given)
    locale = settings["LOCALE"]
    if locale not in LOCALE_DEFAULTS:
        raise ConfigError(f"SCREENING_LOCALE must be one of {', '.join(LOCALE_DEFAULTS)}, not {locale!r}")
    for name, value in LOCALE_DEFAULTS[locale].items():
        settings.setdefault(name, value)
    if settings["ENV"] == "production":
        # the clinic's own values: an example default (name, reply time) must not reach real patients
        missing = [f"SCREENING_{name}" for name in REQUIRED_IN_PRODUCTION if not given.get(name)]
        if missing:
            raise ConfigError(f"Production needs these settings: {', '.join(missing)}")
        _check_alerts(settings)
        _check_patient_mail(settings)
        if trusted_hosts(settings) is None:  # a request naming any other host is refused (Host header poisoning)
            raise ConfigError(
                "Production needs SCREENING_SERVER_NAME (or SCREENING_TRUSTED_HOSTS, or SCREENING_BASE_URL)"
            )
    else:
        for name, example in EXAMPLE_CONTACT[locale].items():
            settings[name] = settings[name] or example
    _check_webhook(settings, production=settings["ENV"] == "production")
    _check_webhook(settings, production=settings["ENV"] == "production", name="SUBMISSION_WEBHOOK")
    _check_content_dir(str(settings["CONTENT_DIR"]))
    _check_test_hooks(settings)
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _development_secret(instance_path)
    settings.setdefault("DATABASE_URL", f"sqlite:///{instance_path / 'screening.sqlite3'}")
    return settings

"""How each ``SCREENING_*`` setting is read from text and checked: one parser per kind of value (a port, a number of
days, a time zone, a database, web or storage URL, host names, crisis lines), collected in ``PARSERS``. Each raises
``ValueError`` saying what it expects, never repeating a value that may hold a password; ``config.from_environment``
adds the setting's name. Imports the standard library, the pure ``opening_hours`` and SQLAlchemy's URL parser.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from screening.staff import opening_hours


@dataclass(frozen=True, slots=True)
class CrisisLine:
    """A support line shown to patients: its name, the number to call and when it is open."""

    name: str
    number: str
    note: str = ""


def _crisis_lines(text: str) -> tuple[CrisisLine, ...]:
    """``"Name|number|note; Name|number"`` -> crisis lines (the note is optional)."""
    lines = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        fields = [field.strip() for field in item.split("|")]
        if len(fields) not in (2, 3) or not all(fields[:2]):
            raise ValueError(f"write each line as 'Name|number|note', not {item!r}")
        lines.append(CrisisLine(*fields))
    if not lines:  # patients with thoughts of self-harm must always be shown somewhere to turn
        raise ValueError("give at least one line as 'Name|number|note'")
    return tuple(lines)


def _boolean(text: str) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, ``on``/``off``), in any case."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"write true or false, not {text!r}")


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"a port is a number from 1 to 65535, not {port}")
    return port


def _minutes(text: str) -> int:
    minutes = int(text)
    if not 1 <= minutes <= 24 * 60:
        raise ValueError(f"give a whole number of minutes from 1 to 1440, not {minutes}")
    return minutes


def _hops(text: str) -> int:
    hops = int(text)
    if not 0 <= hops <= 5:
        raise ValueError(f"give the number of trusted proxies in front of the app, 0 to 5, not {hops}")
    return hops


def _age(text: str) -> int:
    age = int(text)
    if not 16 <= age <= 110:
        raise ValueError(f"give an age in whole years from 16 to 110, not {age}")
    return age


def _time_zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}: give an IANA name such as Europe/London or America/New_York"
        ) from None
    return text


def _opening_hours(text: str) -> str:
    opening_hours.parse(text)  # raises OpeningHoursError (a ValueError) with how to write them
    return text


def _days(text: str) -> int:
    days = int(text)
    if days < 1:
        raise ValueError(f"give a whole number of days of 1 or more, not {days}")
    return days


#: The databases the app runs on, each with the drivers it is tested with ("" is SQLAlchemy's default driver).
DATABASE_DRIVERS: Mapping[str, tuple[str, ...]] = {"sqlite": ("", "pysqlite"), "postgresql": ("psycopg",)}
DATABASE_EXAMPLE = "postgresql+psycopg://user:password@host/screening or sqlite:////path/to/screening.sqlite3"


def _busy_timeout_ms(text: str) -> int:
    milliseconds = int(text)
    if not 0 <= milliseconds <= 60_000:
        raise ValueError(f"give a whole number of milliseconds from 0 to 60000, not {milliseconds}")
    return milliseconds


def _rate_limit(text: str) -> str:
    """Limits in Flask-Limiter's notation ("120 per minute", "100/minute;2000/hour")."""
    from limits import parse_many

    try:
        parse_many(text)
    except ValueError:
        raise ValueError('give limits such as "120 per minute" or "100/minute;2000/hour"') from None
    return text.strip()


def _pause_seconds(text: str) -> float:
    seconds = float(text)
    if not 0 <= seconds <= 60:
        raise ValueError(f"give a number of seconds from 0 to 60, not {text!r}")
    return seconds


def _database_url(text: str) -> str:
    """A SQLAlchemy URL of a supported database and driver. The message never repeats the URL, which may hold a
    password."""
    try:
        url = make_url(text)
        port = url.port
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL: write it as {DATABASE_EXAMPLE}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend not in DATABASE_DRIVERS:
        raise ValueError(
            f"unsupported database {backend!r}: use PostgreSQL (postgresql+psycopg://...) or SQLite (sqlite:///...)"
        )
    if driver not in DATABASE_DRIVERS[backend]:
        expected = "postgresql+psycopg://" if backend == "postgresql" else "sqlite:///"
        given = driver or ("psycopg2, the default" if backend == "postgresql" else "the default")
        raise ValueError(f"unsupported {backend} driver ({given}): write the URL as {expected}...")
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"a port is a number from 1 to 65535, not {port}")
    return text


def _web_url(text: str) -> str:
    """An absolute http:// or https:// URL with a host (and, if given, a port from 1 to 65535), without spaces. The
    message never repeats the URL, which may hold a token."""
    expected = "give a full URL such as https://host.example.org/path (http:// or https://, a host name, no spaces)"
    try:
        parts = urlsplit(text)
        port = parts.port  # a ValueError when it is not a number from 0 to 65535
    except ValueError:
        raise ValueError(expected) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == 0
        or any(character.isspace() or not character.isprintable() for character in text)
    ):
        raise ValueError(expected)
    return text


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def _host(text: str) -> str:
    """A host name or an IP address, nothing more (no scheme, port or path: the port has its own setting)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        if len(text) > 253 or not _HOST_NAME.fullmatch(text):
            raise ValueError(
                f"give only the mail server's host name or IP address, for example mail.example.org, not {text!r} "
                "(the port is SCREENING_SMTP_PORT)"
            ) from None
    return text


def _is_host_name(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return len(text) <= 253 and _HOST_NAME.fullmatch(text) is not None
    return True


def _server_name(text: str) -> str:
    """The host name the app is served at, with a port only if it is not the scheme's default."""
    host, _, port = text.strip().partition(":")
    if not _is_host_name(host) or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise ValueError(
            f"give the host name the app is served at, such as screening.example.org (no https://, no path), "
            f"not {text!r}"
        )
    return text.strip().lower()


def host_list(text: str) -> tuple[str, ...]:
    """Comma-separated host names (or IP addresses); one starting with a dot also stands for any subdomain."""
    hosts = tuple(filter(None, (part.strip().lower() for part in text.split(","))))
    wrong = [host for host in hosts if not _is_host_name(host.removeprefix("."))]
    if wrong:
        raise ValueError(
            f"give host names separated by commas, such as screening.example.org,.example.org (no https://, no port, "
            f"no path), not {', '.join(map(repr, wrong))}"
        )
    return hosts


STORAGE_SCHEMES = ("memory", "redis", "rediss")


def storage_url(text: str) -> str:
    """Where rate-limit counts are kept: ``memory://`` or a ``redis://`` / ``rediss://`` URL with a host. The message
    never repeats the URL, which may hold a password."""
    expected = "give memory:// or a Redis URL such as redis://127.0.0.1:6379/0 (rediss:// for TLS)"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (a ValueError when the port is not a number from 0 to 65535)
    except ValueError:
        raise ValueError(expected) from None
    if parts.scheme not in STORAGE_SCHEMES or any(c.isspace() or not c.isprintable() for c in text):
        raise ValueError(expected)
    if parts.scheme != "memory" and not parts.hostname:
        raise ValueError(expected)
    if parts.scheme == "memory" and text != "memory://":
        raise ValueError(expected)
    return text


PARSERS: Mapping[str, Callable[[str], Any]] = {
    "MIN_AGE": _age,
    "PROXY_HOPS": _hops,
    "RATELIMIT_STORAGE_URL": storage_url,
    "DRAFT_DAYS": _days,
    "TIMEZONE": _time_zone,
    "CRISIS_LINES": _crisis_lines,
    "SMTP_PORT": _port,
    "SMTP_STARTTLS": _boolean,
    "RETENTION_DAYS": _days,
    "URGENT_ALERTS": _boolean,
    "PATIENT_EMAILS": _boolean,
    "EMAIL_RECEIPT": _boolean,
    "URGENT_ESCALATE_MINUTES": _minutes,
    "OPENING_HOURS": _opening_hours,
    "DATABASE_URL": _database_url,
    "SMTP_HOST": _host,
    "BASE_URL": _web_url,
    "SERVER_NAME": _server_name,
    "TRUSTED_HOSTS": host_list,
    "ALERT_WEBHOOK_URL": _web_url,
    "SQLITE_BUSY_TIMEOUT_MS": _busy_timeout_ms,
    "DATABASE_PREPARED_STATEMENTS": _boolean,
    "TEST_PAUSE_BEFORE_COMMIT": _pause_seconds,
    "API_RATE_LIMIT": _rate_limit,
}

"""The application factory: ``create_app`` and its small register helpers (settings, extensions, templates,
blueprints, commands, security); nothing else. ``screening/__init__.py`` exposes ``create_app`` lazily."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import BaseConverter

from screening import config as settings
from screening.extensions import babel, csrf, db, migrate
from screening.logs import register_logging
from screening.models import REFERENCE_PATTERN

# templates/, static/ and migrations/ sit beside the package in the checkout, which the package is installed from
# editable (make install, docs/deploy.md), so they are found from any working directory. A copy of the package in
# site-packages (`pip install .`) has none of them beside it: say so now rather than fail on the first page.
ROOT = Path(__file__).resolve().parent.parent
if not (ROOT / "templates").is_dir():  # pragma: no cover - only a wrong installation
    raise RuntimeError(
        f"screening: no templates/ in {ROOT}. Run the app from a checkout of the repository, installed there with "
        "`pip install -r requirements.lock && pip install --no-deps -e .` (docs/deploy.md), not `pip install .`"
    )


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The application, configured from SCREENING_* environment variables (or ``test_config``)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    register_config(app, test_config)
    refuse_debug_in_production(app)
    register_logging(app)
    from screening.input_edges import register_input_edges

    register_input_edges(app)  # first: its check runs before every other, inside ProxyFix
    register_proxy(app)
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    from screening.brand_views import register_brand

    register_brand(app)
    from screening.static_assets import register_static_assets

    register_static_assets(app)  # static/dist/ under fingerprinted names, cached for a year
    register_commands(app)
    from screening.security import register_security

    register_security(app)
    from screening.db_faults import register_db_faults

    register_db_faults(app)  # 503, not 500, when the database cannot answer now
    return app


def register_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    screening = settings.build(Path(app.instance_path), os.environ, test_config)
    app.config.update(
        SCREENING=screening,
        SECRET_KEY=screening["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=screening["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=settings.engine_options(screening),
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=256 * 1024,
        MAX_FORM_PARTS=500,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=screening["ENV"] == "production",
        SESSION_COOKIE_NAME=settings.session_cookie_name(screening["ENV"]),  # __Host-screening in production
        SESSION_COOKIE_PATH="/",  # a __Host- cookie needs Path=/ and no Domain (SESSION_COOKIE_DOMAIN stays unset)
        WTF_CSRF_SSL_STRICT=screening["ENV"] == "production",
        BABEL_DEFAULT_LOCALE="en",
    )
    app.config.update(
        {key: value for key, value in (test_config or {}).items() if key.isupper() and key not in settings.DEFAULTS}
    )
    if not screening["URGENT_ALERTS"]:  # said at every start, and shown to admins on every staff page
        print(settings.ALERTS_OFF_WARNING, file=sys.stderr, flush=True)  # noqa: T201


def refuse_debug_in_production(app: Flask) -> None:
    """Flask turns on debug mode (tracebacks, the reloader, the debugger with ``flask run``) when FLASK_DEBUG is
    set in the environment, whatever the app's settings say: production refuses to start with it."""
    if app.config["SCREENING"]["ENV"] == "production" and app.debug:
        raise settings.ConfigError("FLASK_DEBUG is set: production never runs in debug mode; unset FLASK_DEBUG")


class DurabilityError(RuntimeError):
    """The database would not keep a committed submission through a crash or power cut (security-bar §3.2)."""


#: PostgreSQL settings that must stay on: turning any off risks losing committed rows (PostgreSQL manual, "Non-Durable
#: Settings"); ``synchronous_commit`` may be any of its durable values (on, local, remote_write, remote_apply).
POSTGRESQL_DURABLE = ("fsync", "synchronous_commit", "full_page_writes")


@event.listens_for(Engine, "connect")
def _durability(dbapi_connection: Any, connection_record: Any) -> None:
    """Every new connection: on SQLite, set write-ahead log, foreign keys, fsync on every commit and a lock wait, and
    read them back; on PostgreSQL, check the server's durability settings. A connection that would not keep a commit
    is refused (``DurabilityError``): no page can then save anything, which is the point."""
    cursor = dbapi_connection.cursor()
    try:
        if isinstance(dbapi_connection, sqlite3.Connection):
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL", "busy_timeout=5000"):
                cursor.execute(f"PRAGMA {pragma}")
            found = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("synchronous", "foreign_keys")}
            wrong = [name for name, value in found.items() if value != {"synchronous": 2, "foreign_keys": 1}[name]]
        else:
            cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(POSTGRESQL_DURABLE),))
            wrong = sorted(name for name, setting in cursor.fetchall() if setting == "off")
            dbapi_connection.rollback()  # end the transaction the query began: the pool may set autocommit next
    finally:
        cursor.close()
    if wrong:
        raise DurabilityError(f"the database has {', '.join(wrong)} off: committed submissions could be lost")


def _sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL (None for another database, an in-memory one or a ``file:`` URI)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def _private_sqlite(path: Path) -> None:
    """Only the app's user may read the SQLite database, its write-ahead log and shared-memory files (0600): the
    file is made empty (an empty file is an empty database) with that mode before SQLite first opens it, and SQLite
    gives its -wal, -shm and -journal files the database file's mode; files made before, with more permissions
    (0644), lose the group's and others' at start. A file that cannot be made is left for SQLite to report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # there already (FileExistsError), or not ours to make: SQLite will say so
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for suffix in ("", "-wal", "-shm", "-journal"):
        settings.keep_private(path.with_name(path.name + suffix))


def register_proxy(app: Flask) -> None:
    """Behind ``SCREENING_PROXY_HOPS`` trusted proxies, take the client's address, scheme and host from the
    X-Forwarded-* headers they set (werkzeug's ProxyFix); with none (the default) those headers are ignored, so a
    client cannot choose the address that sign-in throttles and the audit trail record."""
    hops = app.config["SCREENING"]["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    if (database := _sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])) is not None:
        _private_sqlite(database)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    from screening import limits

    limits.init_app(app)  # before CSRF: a POST past its limit is refused whatever its token
    csrf.init_app(app)
    babel.init_app(app)
    WTFormsHelpers(app)


def register_templates(app: Flask) -> None:
    from screening.macro_imports import HoistedImports

    govuk: BaseLoader = PackageLoader("govuk_frontend_jinja")
    if app.config.get("PATIENT_PAGE_CACHE", True):  # off: the templates as published (tests compare the two)
        govuk = HoistedImports(govuk)
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": govuk,
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from screening.patient.page_cache import register_page_cache

    register_page_cache(app)  # the rendered-question cache and its template global
    screening = app.config["SCREENING"]

    @app.context_processor
    def clinic() -> dict[str, Any]:
        # an error page under /staff/ (a 404, a 403) is the staff workspace's: its footer and home are the staff's
        staff = has_request_context() and (request.path == "/staff" or request.path.startswith("/staff/"))
        return {
            "clinic_name": screening["CLINIC_NAME"],
            "clinic_phone": screening["CLINIC_PHONE"],
            "clinic_email": screening["CLINIC_EMAIL"],
            "service_name": "Ketamine therapy pre-screening",
            "home_url": "/staff/" if staff else "/",
            "staff_workspace": staff,
        }


class ReferenceConverter(BaseConverter):
    """``<reference:reference>``: only something shaped like a submission reference reaches a view."""

    regex = REFERENCE_PATTERN


class RuleIdConverter(BaseConverter):
    """``<rule_id:rule_id>``: a rule id (snake_case), which names a flag within one submission."""

    regex = r"[a-z][a-z0-9_]{0,63}"


class FhirIdConverter(BaseConverter):
    """``<fhir_id:name>``: a FHIR ``id`` (or version id): 1 to 64 letters, digits, ``-`` and ``.`` (FHIR R4)."""

    regex = r"[A-Za-z0-9\-.]{1,64}"


def register_converters(app: Flask) -> None:
    """URL converters any blueprint may use, registered before the blueprints so their order does not matter."""
    app.url_map.converters["reference"] = ReferenceConverter
    app.url_map.converters["rule_id"] = RuleIdConverter
    app.url_map.converters["fhir_id"] = FhirIdConverter


def register_blueprints(
    app: Flask, order: tuple[str, ...] = ("patient", "auth", "admin", "staff", "summary", "fhir")
) -> None:
    """The blueprints, in any ``order`` (a test registers them in every order)."""
    from screening.access import register_access
    from screening.patient import views as patient
    from screening.staff import admin_views as admin
    from screening.staff import auth_views as auth
    from screening.staff import fhir_views as fhir
    from screening.staff import summary_views as summary
    from screening.staff import views as staff

    register_access(app)
    register_converters(app)
    blueprints = {
        "patient": patient.bp,
        "auth": auth.bp,
        "admin": admin.bp,
        "staff": staff.bp,
        "summary": summary.bp,
        "fhir": fhir.bp,
    }
    for name in order:
        app.register_blueprint(blueprints[name])


def register_commands(app: Flask) -> None:
    from screening import cli

    cli.register(app)

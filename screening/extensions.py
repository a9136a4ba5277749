"""The Flask extensions and the SQLAlchemy declarative base, all unbound (``create_app`` binds them).

``Base`` carries the constraint naming convention (so Alembic names constraints predictably) and stores
datetimes as timezone-aware UTC on every database (SQLite keeps no zone: ``UTCDateTime`` restores it).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from screening import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware in UTC, from ``clock`` (a column default, ``default=utcnow``: called per row, so a test
    that moves ``clock.now`` moves it too). Code outside the models asks ``clock.now()`` itself."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC and always returned timezone-aware; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base: constraint names follow NAMING_CONVENTION. Datetime columns use ``UTCDateTime``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()

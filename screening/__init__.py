"""Screening: a pain clinic's pre-screening questionnaire for ketamine therapy.

The package exposes ``create_app`` (``flask --app screening``, ``gunicorn 'screening:create_app()'``) lazily: it is
defined in ``screening.app`` and imported on first use, so importing the package, or a pure module such as
``screening.rules``, loads no Flask, SQLAlchemy or form library (a test checks ``sys.modules``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screening.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from screening.app import create_app

        return create_app
    raise AttributeError(f"module 'screening' has no attribute {name!r}")

"""The patient's information pages (privacy notice, accessibility statement, cookies): Markdown -> a ``ContentPage``.

Each page is ``content/<name>.md`` in this package, or the clinic's own file of the same name in
``SCREENING_CONTENT_DIR`` (checked at start by ``config``; a missing file falls back to the bundled one). The first
line is the page's ``# Title``; the rest is rendered and sanitised by the article's renderer (``article``), the one
Markdown renderer of the app. Placeholders such as ``{clinic_name}`` are filled in after rendering, HTML-escaped,
so a setting can never add markup. ``check`` reads the article and these pages at start (``info_views`` calls it
when the blueprint is registered). Imports the standard library, ``config`` and ``article``; no Flask.
"""

from __future__ import annotations

import functools
import html
import importlib.resources
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screening.config import CONTENT_PAGES, ConfigError, content_heading, session_cookie_name
from screening.patient import article

__all__ = ["CONTENT_PAGES", "ContentPage", "check", "load", "placeholders", "render"]

#: The en-US privacy notice also points to the clinic's HIPAA notice (``{hipaa_notice}`` is empty elsewhere).
HIPAA_NOTICE = (
    "In the United States, {clinic_name} also gives you a Notice of Privacy Practices under HIPAA. "
    "It says how the clinic uses and shares your health information. Ask the clinic for a copy."
)
NOT_SET = "(not given yet)"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_EMPTY_PARAGRAPH = re.compile(r"<p>\{([a-z_]+)\}</p>\n?")


@dataclass(frozen=True, slots=True)
class ContentPage:
    """A page ready to show: ``title`` is plain text, ``html`` is sanitised (the template may mark it safe)."""

    name: str
    title: str
    html: str


@dataclass(frozen=True, slots=True)
class _Source:
    title: str
    html: str  # rendered and sanitised, placeholders not yet filled in


def placeholders(settings: Mapping[str, Any]) -> dict[str, str]:
    """The values of ``{clinic_name}``, ``{clinic_email}``, ``{clinic_phone}``, ``{draft_days}``, ``{retention}``,
    ``{cookie_name}`` and ``{hipaa_notice}`` from the settings (plain text; escaped when filled in)."""
    days = settings.get("RETENTION_DAYS")
    values = {
        "clinic_name": str(settings["CLINIC_NAME"]),
        "clinic_email": str(settings["CLINIC_EMAIL"]) or NOT_SET,
        "clinic_phone": str(settings["CLINIC_PHONE"]) or NOT_SET,
        "draft_days": str(settings["DRAFT_DAYS"]),
        "cookie_name": session_cookie_name(str(settings.get("ENV", ""))),
        "retention": f"for {days} days" if days else "for as long as the clinic's health records policy says",
    }
    values["hipaa_notice"] = HIPAA_NOTICE.format(**values) if settings.get("LOCALE") == "en-US" else ""
    return values


def render(name: str, settings: Mapping[str, Any]) -> ContentPage:
    """The page ``name`` (one of ``CONTENT_PAGES``) for these settings, with its placeholders filled in."""
    source = load(name, str(settings.get("CONTENT_DIR") or ""))
    values = placeholders(settings)

    def in_html(match: re.Match[str]) -> str:
        key = match.group(1)
        return html.escape(values[key], quote=True) if key in values else match.group(0)

    def in_text(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    # A paragraph that is only an empty placeholder (``{hipaa_notice}`` outside en-US) goes altogether.
    body = _EMPTY_PARAGRAPH.sub(lambda match: "" if values.get(match.group(1)) == "" else match.group(0), source.html)
    return ContentPage(name=name, title=_PLACEHOLDER.sub(in_text, source.title), html=_PLACEHOLDER.sub(in_html, body))


def check(settings: Mapping[str, Any]) -> None:
    """At start: read and render the article and every information page this app will show, so that a bad file
    stops the start with a ``ConfigError`` naming the setting and the file, rather than failing on every page."""
    try:
        article.load(settings.get("ARTICLE_PATH") or None)
    except article.ArticleError as error:
        raise ConfigError(f"SCREENING_ARTICLE_PATH: {error}") from None
    for name in CONTENT_PAGES:
        try:
            load(name, str(settings.get("CONTENT_DIR") or ""))
        except ValueError as error:
            raise ConfigError(f"SCREENING_CONTENT_DIR: {error}") from None


@functools.lru_cache(maxsize=16)
def load(name: str, directory: str = "") -> _Source:
    """Read and render ``name``: the clinic's ``<directory>/<name>.md`` when there is one, else the bundled page.

    Cached for the life of the process (restart to pick up an edited file). Raises ``ValueError`` naming the file
    when it cannot be read or has no ``# Title`` (``config`` refuses such a file at start already).
    """
    if name not in CONTENT_PAGES:
        raise ValueError(f"no content page {name!r}: one of {', '.join(CONTENT_PAGES)}")
    path = Path(directory, f"{name}.md") if directory else None
    own = path is not None and path.exists()
    where = str(path) if own else f"the bundled screening/patient/content/{name}.md"
    try:
        if path is not None and own:
            text = path.read_text(encoding="utf-8")
        else:
            text = importlib.resources.files("screening.patient").joinpath("content", f"{name}.md").read_text("utf-8")
        title = content_heading(text)
    except (OSError, ValueError) as error:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"{where}: {error}") from error
    body = text.removeprefix("\ufeff").lstrip().split("\n", 1)
    rendered, _sections = article.render_markdown(body[1] if len(body) > 1 else "")
    return _Source(title=title, html=rendered)

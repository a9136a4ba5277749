"""The patient education article: plain Markdown (front matter optional) -> a rendered, sanitised ``Article``.

Owns reading ``content/article.md`` (or the clinic's own ``SCREENING_ARTICLE_PATH``), its optional front matter,
and the one Markdown renderer of the app (``render_markdown``, also used by ``content_pages``): Python-Markdown
with tables, then ``nh3`` (ammonia) with an explicit allow-list, so no raw HTML the file holds can reach a page.
Errors name the line they are on; ``content_pages.check`` turns them into a ``ConfigError`` at start. Imports the
standard library, Python-Markdown and nh3 only; the web layer decides where the article is shown.
"""

from __future__ import annotations

import functools
import hashlib
import html
import importlib.resources
import os
import re
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from datetime import date
from typing import Any

import markdown
import nh3

__all__ = ["Article", "ArticleError", "load", "parse", "render_markdown"]

MAX_CHARS = 500_000  # the bundled article is ~12,000 characters; anything near this is a wrong file
MAX_FIELD_CHARS = 300
#: The front matter's fields; ``reviewed`` is the older name of ``review-date`` (the bundled article uses it).
FIELDS = ("title", "version", "reviewed-by", "review-date", "summary")
_ALIASES = {"reviewed": "review-date"}
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:(.*)")
_H1 = re.compile(r" {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r" {0,3}(```|~~~)")
_HEADING_ID = re.compile(r"article-[a-z0-9_-]{1,80}")
#: What nh3 leaves of a link whose address it refused (``rel`` is added to every link): unwrapped to its text.
_HREFLESS_LINK = re.compile(r'<a rel="noopener noreferrer">(.*?)</a>', re.S)

ALLOWED_TAGS = frozenset(
    {"h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "a", "strong", "em", "blockquote"}
    | {"code", "pre", "table", "thead", "tbody", "tr", "th", "td"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "h2": {"id"}, "h3": {"id"}, "ol": {"start"}, "th": {"colspan"}, "td": {"colspan"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
#: Removed with everything inside them (any other tag that is not allowed goes, and its text stays).
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "textarea", "title", "iframe", "object", "noscript"})
#: GOV.UK Design System classes, set on the already-allowed tags (any class the file gave is dropped).
GOVUK_CLASSES = {
    "table": "govuk-table",
    "thead": "govuk-table__head",
    "tbody": "govuk-table__body",
    "tr": "govuk-table__row",
    "th": "govuk-table__header",
    "td": "govuk-table__cell",
}


class ArticleError(ValueError):
    """The article file is unreadable, or its front matter or body is invalid: "<where>: line <line>: <reason>",
    each part when known (``line`` is 1-based)."""

    def __init__(self, reason: str, line: int | None = None, where: str = "") -> None:
        super().__init__("".join((f"{where}: " if where else "", f"line {line}: " if line else "", reason)))
        self.reason, self.line, self.where = reason, line, where


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article. ``html`` is sanitised: the web layer may mark it safe (``Markup``). The review fields and
    the summary are empty when the file does not give them."""

    title: str
    version: str
    html: str
    sections: tuple[tuple[str, str], ...]  # (anchor id, heading text) of each ## heading, in order
    summary: str = ""
    reviewed_by: str = ""
    review_date: str = ""  # ISO date, YYYY-MM-DD


def parse(text: str) -> Article:
    """Parse an article: an optional front matter block, then Markdown (docs/content.md).

    Front matter: a first line ``---``, lines ``key: value`` (``title``, ``version``, ``reviewed-by``,
    ``review-date``, ``summary``; blank lines and ``#`` lines ignored; a value may be quoted), a closing ``---``.
    Without a ``title`` the first ``# heading`` is the title (and is not repeated in the body); without a
    ``version`` the version is a short hash of the text, so a changed file always has a new version. Raises
    ``ArticleError`` naming the line of the problem.
    """
    if not text.strip():
        raise ArticleError("the file is empty")
    if len(text) > MAX_CHARS:
        raise ArticleError(f"the file is too long ({len(text)} characters; at most {MAX_CHARS})")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields, first_body_line = _front_matter(lines)
    body = lines[first_body_line:]
    title = fields.get("title") or _take_title(body, first_body_line)
    if not "".join(body).strip():
        raise ArticleError("the article has no text after its title and front matter", first_body_line + 1)
    rendered, sections = render_markdown("\n".join(body))
    return Article(
        title=title,
        version=fields.get("version") or hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
        html=rendered,
        sections=sections,
        summary=fields.get("summary", ""),
        reviewed_by=fields.get("reviewed-by", ""),
        review_date=fields.get("review-date", ""),
    )


def load(path: str | os.PathLike[str] | None = None) -> Article:
    """Load and parse an article file (UTF-8); ``None`` means the bundled ``screening/patient/content/article.md``.

    Cached per path for the life of the process (restart to pick up an edited file). Raises ``ArticleError``,
    starting with the file's name, when the file cannot be read or is invalid.
    """
    return _load(None if path is None else os.fspath(path))


@functools.lru_cache(maxsize=8)
def _load(path: str | None) -> Article:
    where = path or "the bundled article (screening/patient/content/article.md)"
    try:
        if path is None:
            data = importlib.resources.files("screening.patient").joinpath("content", "article.md").read_bytes()
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CHARS * 4 + 1)
    except OSError as exc:
        raise ArticleError(f"cannot read the file: {exc.strerror or exc}", where=where) from exc
    if len(data) > MAX_CHARS * 4:  # more bytes than even 4-byte characters could need: not read to the end
        raise ArticleError(f"the file is too long (more than {MAX_CHARS} characters)", where=where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ArticleError("the file is not UTF-8 text: save it as UTF-8", line, where) from None
    try:
        return parse(text)
    except ArticleError as exc:
        raise ArticleError(exc.reason, exc.line, where) from None


# --- front matter and title -----------------------------------------------------------------------------


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The front matter's fields and the index of the first body line (0 when there is no front matter)."""
    if lines[0].strip() != "---":
        return {}, 0
    end = next((index for index, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise ArticleError("the front matter block opened here has no closing '---' line", 1)
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            key, value = _field(stripped, number)
            if key in fields:
                raise ArticleError(f"the field '{key}' is given twice", number)
            fields[key] = value
    return fields, end + 1


def _field(line: str, number: int) -> tuple[str, str]:
    match = _FIELD.fullmatch(line)
    if match is None:
        raise ArticleError(f"write front matter lines as 'key: value', not {line[:60]!r}", number)
    key = match.group(1).lower()
    key = _ALIASES.get(key, key)
    value = _unquote(match.group(2).strip())
    if key not in FIELDS:
        raise ArticleError(f"unknown field '{match.group(1)}': the fields are {', '.join(FIELDS)}", number)
    if not value:
        raise ArticleError(f"the field '{key}' is empty", number)
    if len(value) > MAX_FIELD_CHARS:
        raise ArticleError(f"the field '{key}' is too long (at most {MAX_FIELD_CHARS} characters)", number)
    if key == "version" and not _VERSION.fullmatch(value):
        raise ArticleError(
            f"'version' must be letters, digits, '.', '_' or '-' (at most 40), e.g. 2026-11-1; got {value[:60]!r}",
            number,
        )
    if key == "review-date" and not _is_iso_date(value):
        raise ArticleError(f"'review-date' must be a date written YYYY-MM-DD, e.g. 2026-11-24; got {value!r}", number)
    return key, value


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10 and value[4] == "-"  # fromisoformat also accepts 20261124 and 2026-W48-2


def _take_title(body: list[str], offset: int) -> str:
    """The text of the body's first ``# heading`` (outside code blocks), removed from ``body``."""
    in_fence = False
    for index, line in enumerate(body):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _H1.fullmatch(line)
        if match:
            del body[index]
            title = match.group(1).strip()
            if len(title) > MAX_FIELD_CHARS:
                raise ArticleError(f"the title is too long (at most {MAX_FIELD_CHARS} characters)", offset + index + 1)
            return title
    raise ArticleError("the article has no title: start it with a '# Title' line, or give 'title:' in front matter")


# --- rendering ------------------------------------------------------------------------------------------


def slugify(value: str, separator: str = "-") -> str:
    """A stable heading id: ``article-`` + lowercase ASCII words joined by ``separator``.

    The prefix keeps article ids apart from the ids of the page the article sits in.
    """
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", separator, ascii_text).strip(separator)[:60].rstrip(separator)
    return f"article-{slug or 'section'}"


def render_markdown(body: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The one Markdown renderer (the article and the content pages): HTML cleaned by nh3, and the (anchor,
    heading) of each ``##`` section. ``#`` headings become ``##`` (the page owns the only ``<h1>``)."""
    md: Any = markdown.Markdown(
        extensions=["toc", "sane_lists", "tables", "fenced_code"],
        extension_configs={"toc": {"slugify": slugify, "toc_depth": "2-3", "marker": ""}},
        output_format="html",
    )
    md.treeprocessors.register(_Shape(), "screening_shape", 15)  # before toc (5), so demoted headings get ids
    return clean(md.convert(body)), tuple(_sections(md.toc_tokens))


def clean(rendered: str) -> str:
    """``rendered`` HTML through nh3's allow-list: only the tags above, links to http(s), mailto, tel or a
    relative address (with ``rel="noopener noreferrer"``; a refused link keeps its text), heading ids only of the
    form ``article-...``, and GOV.UK classes on tables."""
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values={"th": {"scope": {"col", "row"}}},
        set_tag_attribute_values={tag: {"class": name} for tag, name in GOVUK_CLASSES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return _HREFLESS_LINK.sub(r"\1", cleaned)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if _HEADING_ID.fullmatch(value) else None
    if attribute == "colspan":
        return value if value.isdigit() and 1 <= int(value) <= 20 else None
    if attribute == "start":
        return value if value.isdigit() and len(value) <= 6 else None
    return value


def _sections(tokens: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (id, text) of every level-2 heading in toc's nested token list, in document order."""
    found: list[tuple[str, str]] = []
    for token in tokens:
        if token["level"] == 2:
            found.append((str(token["id"]), html.unescape(str(token["name"]))))
        found.extend(_sections(token["children"]))
    return found


class _Shape:
    """Before cleaning, on the tree Markdown built: ``#`` headings become ``##``, an image becomes its alt text
    (the pages load no image from elsewhere), and a table's header cells get ``scope="col"``. A Markdown
    treeprocessor (it needs only a ``run`` method)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "h1":
                element.tag = "h2"
            elif element.tag == "th":
                element.set("scope", "col")
            elif element.tag == "img":
                alt, tail = element.get("alt", ""), element.tail
                element.clear()
                element.tag, element.text, element.tail = "span", alt, tail  # nh3 drops the span, keeps the text

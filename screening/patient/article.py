"""The patient education article: front matter + Markdown -> a rendered, sanitised ``Article``.

Owns parsing and safe rendering of ``content/article.md`` (or a clinic's own file). Imports the standard
library and Python-Markdown only; the web layer decides where the article is shown.
"""

from __future__ import annotations

import functools
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

__all__ = ["Article", "ArticleError", "load", "parse"]

REQUIRED_FIELDS = ("title", "version", "reviewed", "summary")
MAX_CHARS = 500_000  # the bundled article is ~12,000 characters; anything near this is a wrong file
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*:(.*)")
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z0-9]+);")
_PLACEHOLDER = re.compile("<p>\x02wzxhzdk:([0-9]+)\x03</p>|\x02wzxhzdk:([0-9]+)\x03")
_SAFE_SCHEMES = frozenset({"http", "https"})
_EXTERNAL_REL = "noopener noreferrer"


class ArticleError(ValueError):
    """The article file is unreadable, or its front matter or body is missing or invalid."""


@dataclass(frozen=True, slots=True)
class Article:
    """A parsed article. ``html`` is sanitised: the web layer may mark it safe (``Markup``)."""

    title: str
    version: str
    reviewed: str  # ISO date, YYYY-MM-DD
    summary: str
    html: str
    sections: tuple[tuple[str, str], ...]  # (anchor id, heading text) of each ## heading, in order


def parse(text: str) -> Article:
    """Parse an article: a front matter block, then Markdown.

    The front matter is the first thing in the file: a line ``---``, lines ``key: value`` (blank lines
    and lines starting with ``#`` are ignored; a value may be wrapped in matching quotes; unknown keys are
    ignored so a clinic may add e.g. ``author``), and a closing ``---``. ``title``, ``version``
    (letters, digits, ``.``, ``_``, ``-``; at most 40), ``reviewed`` (YYYY-MM-DD) and ``summary`` are
    required. Raises ``ArticleError`` naming the problem.

    Rendering is safe for a file the clinic controls: raw HTML is removed, never passed through (an
    HTML block or comment disappears with its content; inline tags disappear and the text between them
    stays; character references such as ``&amp;`` are kept); a link whose address is not http(s),
    relative or an in-page anchor is reduced to its text; external links get ``rel="noopener noreferrer"``;
    images are replaced by their alt text (the page's CSP allows only same-origin images, and the side
    panel has no room for them).
    The page owns the ``<h1>``, so a ``#`` heading is demoted to ``##`` rather than rejected: a
    clinic's file that starts at ``#`` still renders, and its ``#`` headings count as sections. Headings
    ``##`` and ``###`` get stable ids ``article-<slug>``.
    """
    if len(text) > MAX_CHARS:
        raise ArticleError(f"the article is too long ({len(text)} characters; at most {MAX_CHARS})")
    fields, body = _split_front_matter(text)
    if not body.strip():
        raise ArticleError("the article has no body after its front matter")
    rendered, sections = render_markdown(body)
    return Article(
        title=fields["title"],
        version=fields["version"],
        reviewed=fields["reviewed"],
        summary=fields["summary"],
        html=rendered,
        sections=sections,
    )


def load(path: str | os.PathLike[str] | None = None) -> Article:
    """Load and parse an article file (UTF-8); ``None`` means the bundled ``screening/patient/content/article.md``.

    Cached per path for the life of the process (restart to pick up an edited file). Raises
    ``ArticleError`` when the file cannot be read or is invalid.
    """
    return _load(None if path is None else os.fspath(path))


@functools.lru_cache(maxsize=8)
def _load(path: str | None) -> Article:
    where = path or "the bundled article (screening/patient/content/article.md)"
    try:
        if path is None:
            bundled = importlib.resources.files("screening.patient").joinpath("content", "article.md")
            text = bundled.read_text(encoding="utf-8")
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ArticleError(f"cannot read {where}: {exc}") from exc
    try:
        return parse(text)
    except ArticleError as exc:
        raise ArticleError(f"{where}: {exc}") from exc


# --- front matter ---------------------------------------------------------------------------------------


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise ArticleError("the article must start with a front matter block: a line '---', 'key: value' lines, '---'")
    try:
        end = next(number for number, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ArticleError("the front matter block has no closing '---' line") from None
    fields: dict[str, str] = {}
    for number, line in enumerate(lines[1:end], start=2):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _FIELD.fullmatch(stripped)
        if match is None:
            raise ArticleError(f"front matter line {number} is not 'key: value': {stripped[:60]!r}")
        key, value = match.group(1).lower(), _unquote(match.group(2).strip())
        if key in fields:
            raise ArticleError(f"front matter field '{key}' is given twice (line {number})")
        fields[key] = value
    _check_fields(fields)
    return fields, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _check_fields(fields: dict[str, str]) -> None:
    for key in REQUIRED_FIELDS:
        if not fields.get(key):
            raise ArticleError(f"front matter field '{key}' is missing or empty")
    if not _VERSION.fullmatch(fields["version"]):
        raise ArticleError(
            f"front matter field 'version' must be letters, digits, '.', '_' or '-' (at most 40), "
            f"e.g. 2026-11-1; got {fields['version'][:60]!r}"
        )
    try:
        date.fromisoformat(fields["reviewed"])
    except ValueError:
        raise ArticleError(
            f"front matter field 'reviewed' must be a date YYYY-MM-DD; got {fields['reviewed'][:60]!r}"
        ) from None
    if len(fields["reviewed"]) != 10:  # fromisoformat also accepts 20261124 and 2026-W48-2
        raise ArticleError(f"front matter field 'reviewed' must be a date YYYY-MM-DD; got {fields['reviewed']!r}")


# --- rendering ------------------------------------------------------------------------------------------


def slugify(value: str, separator: str = "-") -> str:
    """A stable heading id: ``article-`` + lowercase ASCII words joined by ``separator``.

    The prefix keeps article ids apart from the ids of the page the article sits in.
    """
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", separator, ascii_text).strip(separator)[:60].rstrip(separator)
    return f"article-{slug or 'section'}"


def render_markdown(body: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The one Markdown renderer: sanitised HTML and the (anchor, heading) of each ## section (the article and
    the content pages)."""
    md: Any = markdown.Markdown(
        extensions=["toc", "sane_lists"],
        extension_configs={"toc": {"slugify": slugify, "toc_depth": "2-3", "marker": ""}},
        output_format="html",
    )
    # Raw HTML is still recognised (so it is never mistaken for text) but dropped instead of restored.
    md.postprocessors.deregister("raw_html")
    md.postprocessors.register(_DropRawHtml(md), "raw_html", 30)
    # After the block parser, before toc (5) assigns ids; and last of all, after unescaping (0).
    md.treeprocessors.register(_DemoteH1(), "demote_h1", 15)
    md.treeprocessors.register(_Sanitise(), "sanitise", -10)
    rendered: str = md.convert(body)
    return rendered, tuple(_sections(md.toc_tokens))


def _sections(tokens: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The (id, text) of every level-2 heading in toc's nested token list, in document order."""
    found: list[tuple[str, str]] = []
    for token in tokens:
        if token["level"] == 2:
            found.append((str(token["id"]), html.unescape(str(token["name"]))))
        found.extend(_sections(token["children"]))
    return found


class _DropRawHtml:
    """Postprocessor: every stashed raw-HTML fragment becomes empty; character references are kept."""

    def __init__(self, md: Any) -> None:
        self.md = md

    def run(self, text: str) -> str:
        stash = self.md.htmlStash

        def substitute(match: re.Match[str]) -> str:
            index = int(match.group(1) or match.group(2))
            if index >= stash.html_counter:  # pragma: no cover - Markdown strips STX/ETX from the source
                return ""
            raw = stash.rawHtmlBlocks[index]
            return raw if isinstance(raw, str) and _ENTITY.fullmatch(raw) else ""

        return _PLACEHOLDER.sub(substitute, text)


class _DemoteH1:
    """Treeprocessor: ``#`` headings become ``##`` (the page provides the only ``<h1>``)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter("h1"):
            element.tag = "h2"


class _Sanitise:
    """Treeprocessor: unsafe links lose their ``<a>``, images become alt text, ids only on h2/h3."""

    def run(self, root: etree.Element) -> None:
        for heading in ("h4", "h5", "h6"):
            for element in root.iter(heading):
                element.attrib.pop("id", None)
        # Deepest first, so that what an unwrapped <a> hands to its parent has already been sanitised.
        for parent in reversed(list(root.iter())):
            for index in range(len(parent) - 1, -1, -1):
                child = parent[index]
                if child.tag == "img":
                    _replace_with_text(parent, index, child.get("alt", ""))
                elif child.tag == "a":
                    kind = _link_kind(child.get("href", ""))
                    if kind is None:
                        _unwrap(parent, index)
                    elif kind == "external":
                        child.set("rel", _EXTERNAL_REL)


def _link_kind(href: str) -> str | None:
    """``"external"``, ``"internal"`` (relative path or anchor), or None when the link must not be kept.

    The address is decoded the way a browser would before the scheme is checked: character references
    (repeatedly, so double encoding cannot hide a scheme), then tab and newline removed and control
    characters and spaces trimmed.
    """
    value = href
    for _ in range(4):
        decoded = html.unescape(value)
        if decoded == value:
            break
        value = decoded
    else:
        return None
    value = re.sub(r"[\t\n\r]", "", value).strip("".join(map(chr, range(0x21))))
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        return None
    # A colon before the first / ? or # makes the start a scheme (or, if malformed, something no browser
    # should be asked to guess about): keep only http and https.
    head = re.split(r"[/?#\\]", value, maxsplit=1)[0]
    if ":" in head:
        return "external" if head.split(":", 1)[0].lower() in _SAFE_SCHEMES else None
    return "external" if value.replace("\\", "/").startswith("//") else "internal"


def _append_text(parent: etree.Element, index: int, text: str) -> None:
    """Add ``text`` where ``parent[index]`` starts: after the previous sibling, or at the parent's start."""
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _replace_with_text(parent: etree.Element, index: int, text: str) -> None:
    child = parent[index]
    _append_text(parent, index, text + (child.tail or ""))
    del parent[index]


def _unwrap(parent: etree.Element, index: int) -> None:
    """Replace ``parent[index]`` by its content (text and children), keeping its tail."""
    child = parent[index]
    grandchildren = list(child)
    tail = child.tail or ""
    _append_text(parent, index, child.text or "")
    del parent[index]
    for offset, grandchild in enumerate(grandchildren):
        parent.insert(index + offset, grandchild)
    if grandchildren:
        last = grandchildren[-1]
        last.tail = (last.tail or "") + tail
    else:
        _append_text(parent, index, tail)

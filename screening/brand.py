"""The clinic's brand: its logo (``SCREENING_LOGO_PATH``) and primary colour (``SCREENING_BRAND_COLOUR``).

Owns checking both when the app starts (a colour that white text cannot be read on, or a logo that is not a small
PNG, JPEG or script-free SVG, stops the start with a ``ConfigError`` that says why), the WCAG 2.x contrast
arithmetic, and the small stylesheet that applies the colour (served as a file, so the CSP keeps refusing inline
styles). ``brand_views`` serves the logo and the stylesheet. Standard library and ``config`` only.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from screening.config import ConfigError

__all__ = ["Brand", "Logo", "contrast_ratio", "load", "parse_colour", "relative_luminance", "stylesheet"]

#: WCAG 2.x AA for normal text: the header's and the buttons' white text on the brand colour.
MINIMUM_CONTRAST = 4.5
MAX_LOGO_BYTES = 1024 * 1024
WHITE = (255, 255, 255)
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
_SVG_ACTIVE_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "handler", "listener"})


@dataclass(frozen=True, slots=True)
class Logo:
    """The logo's bytes, its content type and a short hash of its bytes (for cache-busting URLs)."""

    data: bytes
    content_type: str
    digest: str


@dataclass(frozen=True, slots=True)
class Brand:
    """The checked brand: ``colour`` and ``dark_colour`` are ``#rrggbb`` or empty (the bundled look), ``logo`` is
    ``None`` without one. ``css`` is the stylesheet that applies them (empty when neither is set)."""

    colour: str = ""
    dark_colour: str = ""
    logo: Logo | None = None
    css: str = ""

    @property
    def active(self) -> bool:
        return bool(self.css)

    @property
    def css_digest(self) -> str:
        return hashlib.sha256(self.css.encode("utf-8")).hexdigest()[:12]


def load(settings: Mapping[str, Any]) -> Brand:
    """The brand from ``LOGO_PATH`` and ``BRAND_COLOUR`` (both optional); raises ``ConfigError`` naming the setting."""
    colour = check_colour(str(settings.get("BRAND_COLOUR") or "").strip())
    dark = darken(colour) if colour else ""
    logo_path = str(settings.get("LOGO_PATH") or "").strip()
    logo = read_logo(Path(logo_path)) if logo_path else None
    if not colour and logo is None:
        return Brand()
    return Brand(colour=colour, dark_colour=dark, logo=logo, css=stylesheet(colour, dark, with_logo=logo is not None))


# --- colour -----------------------------------------------------------------------------------------------------------


def parse_colour(value: str) -> tuple[int, int, int]:
    """``#rrggbb`` or ``#rgb`` (any case) -> (red, green, blue); raises ValueError otherwise."""
    if not _HEX.fullmatch(value):
        raise ValueError(f"write the colour as #RRGGBB, e.g. #00625e, not {value[:40]!r}")
    digits = value[1:] if len(value) == 7 else "".join(2 * digit for digit in value[1:])
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour, 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2.x contrast ratio, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_colour(value: str) -> str:
    """``value`` as ``#rrggbb`` (empty stays empty), when white text on it reaches ``MINIMUM_CONTRAST``; otherwise
    ``ConfigError`` giving the ratio."""
    if not value:
        return ""
    try:
        rgb = parse_colour(value)
    except ValueError as error:
        raise ConfigError(f"SCREENING_BRAND_COLOUR: {error}") from None
    ratio = contrast_ratio(rgb, WHITE)
    if ratio < MINIMUM_CONTRAST:
        # Rounded down, so a colour just under the line never reads as if it passed (4.49 is not "4.5").
        shown = int(ratio * 10) / 10
        raise ConfigError(
            f"SCREENING_BRAND_COLOUR: {value} gives a contrast of {shown:.1f}:1 with white text; choose a darker "
            f"colour (at least {MINIMUM_CONTRAST}:1, WCAG AA)"
        )
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def darken(colour: str, keep: float = 0.6) -> str:
    """``colour`` moved towards black (for borders, hover and the button's shadow), as ``#rrggbb``."""
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * keep) for channel in parse_colour(colour)))


# --- logo -------------------------------------------------------------------------------------------------------------


def read_logo(path: Path) -> Logo:
    """Read and check the logo file: PNG, JPEG or SVG (without scripts), at most ``MAX_LOGO_BYTES``."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"SCREENING_LOGO_PATH: cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_LOGO_BYTES:
        raise ConfigError(f"SCREENING_LOGO_PATH: {path} is larger than 1 MB: use a smaller image")
    try:
        content_type = logo_type(data)
    except ValueError as error:
        raise ConfigError(f"SCREENING_LOGO_PATH: {path}: {error}") from None
    return Logo(data=data, content_type=content_type, digest=hashlib.sha256(data).hexdigest()[:12])


def logo_type(data: bytes) -> str:
    """The content type of a logo's bytes; raises ValueError for anything but PNG, JPEG or a script-free SVG."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if b"<svg" in data[:4096]:
        check_svg(data)
        return "image/svg+xml"
    raise ValueError("the logo must be a PNG, JPEG or SVG file")


def check_svg(data: bytes) -> None:
    """Refuse an SVG that is not UTF-8 XML with an ``<svg>`` root, declares a DOCTYPE or entities, or holds anything
    that could run or load something (scripts, event handlers, embedded HTML, links to other files)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the SVG logo is not UTF-8 text") from None
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise ValueError("the SVG logo has a DOCTYPE or entity declarations: remove them")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 (no DOCTYPE/entities, checked above; expat 2.4.1+ caps expansion) # nosec B314
    except ElementTree.ParseError as error:
        raise ValueError(f"the SVG logo is not well-formed XML ({error})") from None
    if root.tag not in (f"{_SVG_NAMESPACE}svg", "svg"):
        raise ValueError("the SVG logo's root element is not <svg>")
    for element in root.iter():
        name = str(element.tag).rsplit("}", 1)[-1].lower()
        if name in _SVG_ACTIVE_ELEMENTS:
            raise ValueError(f"the SVG logo contains a <{name}> element: export it again without scripts or HTML")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                raise ValueError(f"the SVG logo has an event handler ({local}): export it again without scripts")
            if local == "href" and not value.strip().startswith("#"):
                raise ValueError("the SVG logo links to another file: embed everything in the SVG")


# --- stylesheet -------------------------------------------------------------------------------------------------------

#: Primary buttons only: secondary, warning and inverse buttons keep GOV.UK's own colours. One ``:not()`` with a list
#: keeps the specificity low (0,2,0), below GOV.UK's focus style (0,4,0), so a focused button stays yellow.
_PRIMARY_BUTTON = ".govuk-button:not(.govuk-button--secondary, .govuk-button--warning, .govuk-button--inverse)"


def stylesheet(colour: str, dark: str, *, with_logo: bool) -> str:
    """The CSS that applies the brand over the bundled stylesheets where they use the bundled teal with white text or
    as an accent (the header, primary buttons, the confirmation panel, the article panel's and call-outs' borders, the
    summary's rules), and sizes the logo."""
    rules = []
    if colour:
        rules += [
            f".app-header {{ background-color: {colour}; border-bottom-color: {dark}; }}",
            f"{_PRIMARY_BUTTON} {{ background-color: {colour}; box-shadow: 0 2px 0 {dark}; }}",
            f"{_PRIMARY_BUTTON}:hover {{ background-color: {dark}; }}",
            f"@media screen {{ .govuk-panel--confirmation {{ background-color: {colour}; }} }}",
            f".app-article--panel {{ border-top-color: {colour}; }}",
            f".app-support {{ border-left-color: {colour}; }}",
            f".summary-head {{ border-bottom: 0.4mm solid {colour}; }}",
            f".summary-head ~ h2 {{ border-bottom-color: {colour}; }}",
        ]
    if with_logo:
        rules += [
            ".app-header__logo { display: block; max-width: 100%; max-height: 48px; width: auto; height: auto; "
            "margin-bottom: 10px; }",
            ".summary-logo { max-height: 6mm; max-width: 40mm; width: auto; height: auto; align-self: center; }",
            ".summary-logo + .summary-head__clinic { margin-right: auto; }",
        ]
    return "/* The clinic's brand (SCREENING_BRAND_COLOUR, SCREENING_LOGO_PATH), generated at start. */\n" + "\n".join(
        rules
    )

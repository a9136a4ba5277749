"""Tests of ``screening.brand``: the WCAG contrast arithmetic, the colour refused at start when white text on it is
hard to read, the logo's checks (PNG, JPEG or a script-free SVG, at most 1 MB), and the generated stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from screening import brand
from screening.config import ConfigError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'


# --- colour -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "rgb"),
    [("#00625e", (0, 98, 94)), ("#00625E", (0, 98, 94)), ("#fff", (255, 255, 255)), ("#0A3", (0, 170, 51))],
)
def test_parse_colour_accepts_six_and_three_digit_hex(value: str, rgb: tuple[int, int, int]) -> None:
    assert brand.parse_colour(value) == rgb


@pytest.mark.parametrize("value", ["00625e", "#00625", "#00625e0", "#ggg", "teal", "rgb(0,0,0)", "#00625e;}"])
def test_parse_colour_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match="#RRGGBB"):
        brand.parse_colour(value)


def test_relative_luminance_and_contrast_follow_wcag() -> None:
    assert brand.relative_luminance((0, 0, 0)) == 0
    assert brand.relative_luminance((255, 255, 255)) == pytest.approx(1)
    assert brand.contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert brand.contrast_ratio((255, 255, 255), (0, 0, 0)) == pytest.approx(21)  # order does not matter
    # Published values: #767676, the lightest grey that passes AA on white, is 4.54:1; the bundled teal #00625e
    # 7.2:1 (_settings.scss).
    assert brand.contrast_ratio(brand.parse_colour("#767676"), brand.WHITE) == pytest.approx(4.54, abs=0.005)
    assert brand.contrast_ratio(brand.parse_colour("#00625e"), brand.WHITE) == pytest.approx(7.2, abs=0.05)


@pytest.mark.parametrize("value", ["#00625e", "#1d70b8", "#767676", "#000"])
def test_check_colour_accepts_colours_white_text_can_be_read_on(value: str) -> None:
    checked = brand.check_colour(value)
    assert re.fullmatch(r"#[0-9a-f]{6}", checked)
    assert brand.contrast_ratio(brand.parse_colour(checked), brand.WHITE) >= 4.5


@pytest.mark.parametrize(
    ("value", "shown"),
    [("#ffcc00", "1.5"), ("#ffffff", "1.0"), ("#777777", "4.4"), ("#00a86b", "3.0")],
)
def test_check_colour_refuses_low_contrast_giving_the_ratio(value: str, shown: str) -> None:
    with pytest.raises(ConfigError) as refused:
        brand.check_colour(value)
    assert str(refused.value) == (
        f"SCREENING_BRAND_COLOUR: {value} gives a contrast of {shown}:1 with white text; choose a darker colour "
        "(at least 4.5:1, WCAG AA)"
    )


def test_check_colour_refuses_a_malformed_value_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"^SCREENING_BRAND_COLOUR: write the colour as #RRGGBB"):
        brand.check_colour("navy")


def test_darken_moves_towards_black() -> None:
    assert brand.darken("#ffffff") == "#999999"
    assert brand.darken("#00625e") == "#003b38"  # the bundled dark teal


def test_any_accepted_colour_keeps_the_yellow_focus_ring_visible_against_it() -> None:
    """WCAG 1.4.11: the focus ring (#ffdd00) needs 3:1 against the header; 4.5:1 with white guarantees it."""
    darkest_refused_to_lightest_accepted = brand.parse_colour("#767676")
    assert brand.contrast_ratio(darkest_refused_to_lightest_accepted, brand.parse_colour("#ffdd00")) >= 3


# --- logo -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "content_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (SVG, "image/svg+xml")])
def test_read_logo_accepts_png_jpeg_and_svg(tmp_path: Path, data: bytes, content_type: str) -> None:
    path = tmp_path / "logo"
    path.write_bytes(data)
    logo = brand.read_logo(path)
    assert (logo.data, logo.content_type) == (data, content_type)
    assert re.fullmatch(r"[0-9a-f]{12}", logo.digest)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"GIF89a" + b"\x00" * 10, "must be a PNG, JPEG or SVG file"),
        (b"", "must be a PNG, JPEG or SVG file"),
        (b"<html><svg></svg></html>", "root element is not <svg>"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "not well-formed XML"),
        (SVG.replace(b"<rect", b"<script>alert(1)</script><rect"), "contains a <script> element"),
        (SVG.replace(b"<rect", b'<rect onclick="alert(1)"'), "event handler (onclick)"),
        (SVG.replace(b"<rect", b"<foreignObject><p>x</p></foreignObject><rect"), "<foreignobject> element"),
        (SVG.replace(b"<rect", b'<image href="https://tracker.example/p.png"/><rect'), "links to another file"),
        (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]>' + SVG, "DOCTYPE or entity"),
        ("<svg>caf\xe9</svg>".encode("latin-1"), "not UTF-8"),
    ],
)
def test_read_logo_refuses_other_files_naming_the_file(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "logo.svg"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as refused:
        brand.read_logo(path)
    assert str(refused.value).startswith(f"SCREENING_LOGO_PATH: {path}: ")
    assert problem in str(refused.value)


def test_read_logo_refuses_a_large_or_missing_file(tmp_path: Path) -> None:
    large = tmp_path / "large.png"
    large.write_bytes(PNG + b"\x00" * brand.MAX_LOGO_BYTES)
    with pytest.raises(ConfigError, match=f"SCREENING_LOGO_PATH: {re.escape(str(large))} is larger than 1 MB"):
        brand.read_logo(large)
    with pytest.raises(ConfigError, match=f"SCREENING_LOGO_PATH: cannot read {re.escape(str(tmp_path))}"):
        brand.read_logo(tmp_path / "missing.png")


def test_svg_with_an_internal_reference_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_bytes(SVG.replace(b"<rect", b'<defs><rect id="r"/></defs><use href="#r"/><rect'))
    assert brand.read_logo(path).content_type == "image/svg+xml"


# --- load and stylesheet ----------------------------------------------------------------------------------------------
def test_load_without_settings_is_the_bundled_look() -> None:
    loaded = brand.load({"BRAND_COLOUR": "", "LOGO_PATH": ""})
    assert loaded == brand.Brand() and not loaded.active and loaded.css == ""


def test_load_colour_gives_a_stylesheet_for_the_header_buttons_and_summary(tmp_path: Path) -> None:
    loaded = brand.load({"BRAND_COLOUR": " #1D4F91 ", "LOGO_PATH": ""})
    assert (loaded.colour, loaded.dark_colour, loaded.logo) == ("#1d4f91", "#112f57", None)
    css = loaded.css
    assert ".app-header { background-color: #1d4f91; border-bottom-color: #112f57; }" in css
    assert (
        ".summary-head { border-bottom: 0.4mm solid #1d4f91; }" in css
        and ".summary-head ~ h2 { border-bottom-color: #1d4f91; }" in css
    )
    assert re.search(
        r"^\.govuk-button:not\([^{]*\) \{ background-color: #1d4f91; box-shadow: 0 2px 0 #112f57; \}$", css, re.M
    )
    assert re.search(r"^\.govuk-button:not\([^{]*\):hover \{ background-color: #112f57; \}$", css, re.M)
    assert "@media screen { .govuk-panel--confirmation { background-color: #1d4f91; } }" in css  # white text on it
    assert ".app-article--panel { border-top-color: #1d4f91; }" in css
    assert "logo" not in css.split("*/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{12}", loaded.css_digest)


def test_primary_button_selector_stays_below_govuk_focus_specificity() -> None:
    """GOV.UK's focused button (.govuk-button:focus:not(:active):not(:hover)) is (0,4,0): ours must stay lower, or
    a focused button would lose its yellow."""
    css = brand.stylesheet("#1d4f91", "#112f57", with_logo=False)
    selector = next(line for line in css.splitlines() if line.startswith(".govuk-button")).split(" {")[0]
    assert selector.count(":not(") == 1 and ":focus" not in selector


def test_load_logo_only_sizes_the_logo_and_keeps_the_colours(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(PNG)
    loaded = brand.load({"BRAND_COLOUR": "", "LOGO_PATH": str(path)})
    assert loaded.logo is not None and loaded.active
    assert ".app-header__logo" in loaded.css and ".summary-logo" in loaded.css
    assert "background-color" not in loaded.css

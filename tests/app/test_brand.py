"""The clinic's brand in the app: SCREENING_BRAND_COLOUR and SCREENING_LOGO_PATH are checked at start (a colour white
text cannot be read on, or a bad logo, stops the start with a message); when set, every page links the generated
stylesheet and shows the logo in its header, and the doctor's summary (print view and PDF) shows the logo and the
colour; without them, pages look as bundled. The CSP stays strict: no inline style anywhere."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image

from screening import brand_views, create_app
from screening.config import ConfigError
from screening.staff import pdf
from tests.app.auth import sign_in
from tests.conftest import Browser
from tests.summary_cases import TYPICAL, pdf_pages, submit

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#123"/></svg>'


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), (29, 79, 145)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    path.write_bytes(png_bytes())
    return path


@pytest.fixture
def branded(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, logo: Path) -> Flask:
    """The test app (tests/conftest.py) with a brand colour and a PNG logo set in the environment."""
    monkeypatch.setenv("SCREENING_BRAND_COLOUR", "#1D4F91")
    monkeypatch.setenv("SCREENING_LOGO_PATH", str(logo))
    app: Flask = request.getfixturevalue("app")
    return app


def plain_app(tmp_path: Path, **settings: object) -> Flask:
    return create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'brand.sqlite3'}", "SECRET_KEY": "k", **settings}
    )


def linked(page: str, pattern: str) -> str:
    match = re.search(pattern, page)
    assert match, pattern
    return match.group(1).replace("&amp;", "&")


# --- refused at start -------------------------------------------------------------------------------------------------
def test_low_contrast_brand_colour_stops_the_start_giving_the_ratio(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        plain_app(tmp_path, BRAND_COLOUR="#ffcc00")
    assert str(refused.value) == (
        "SCREENING_BRAND_COLOUR: #ffcc00 gives a contrast of 1.5:1 with white text; choose a darker colour "
        "(at least 4.5:1, WCAG AA)"
    )


def test_brand_colour_from_the_environment_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_BRAND_COLOUR", "#88cc88")
    with pytest.raises(ConfigError, match=r"^SCREENING_BRAND_COLOUR: #88cc88 gives a contrast of 1\.\d:1"):
        plain_app(tmp_path)


def test_bad_logo_stops_the_start_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_bytes(SVG.replace(b"<rect", b"<script>alert(1)</script><rect"))
    with pytest.raises(ConfigError, match=f"^SCREENING_LOGO_PATH: {re.escape(str(path))}: .*<script>"):
        plain_app(tmp_path, LOGO_PATH=str(path))


# --- without a brand --------------------------------------------------------------------------------------------------
def test_without_a_brand_pages_look_as_bundled(client: Browser, app: Flask) -> None:
    page = app.test_client().get("/").get_data(as_text=True)
    assert "brand" not in page and "app-header__logo" not in page
    assert '<meta name="theme-color" content="#00625e">' in page
    assert app.test_client().get("/brand.css").status_code == 404
    assert app.test_client().get("/brand/logo").status_code == 404


# --- with a brand -----------------------------------------------------------------------------------------------------
def test_branded_page_links_the_stylesheet_and_shows_the_logo_without_inline_style(branded: Flask) -> None:
    client = branded.test_client()
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in page and "<style" not in page
    assert '<meta name="theme-color" content="#1d4f91">' in page
    css_url = linked(page, r'<link rel="stylesheet" href="(/brand\.css\?v=[0-9a-f]{12})">')
    header = page[page.index('<header class="app-header">') : page.index("</header>")]
    logo_url = linked(header, r'<img class="app-header__logo" src="(/brand/logo\?v=[0-9a-f]{12})" alt="">')
    assert ">Example Pain Clinic</a>" in header  # the name is there as text, so the logo's alt is empty

    css = client.get(css_url)
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "max-age=31536000" in css.headers["Cache-Control"]
    assert ".app-header { background-color: #1d4f91;" in css.get_data(as_text=True)

    image = client.get(logo_url)
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == png_bytes()
    assert "max-age=31536000" in image.headers["Cache-Control"]


def test_svg_logo_is_served_so_that_nothing_in_it_can_run(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_bytes(SVG)
    response = plain_app(tmp_path, LOGO_PATH=str(path)).test_client().get("/brand/logo")
    assert response.mimetype == "image/svg+xml" and response.data == SVG
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_branded_summary_print_view_and_pdf_show_the_logo_and_colour(branded: Flask) -> None:
    with branded.app_context():
        reference = submit(TYPICAL).reference
    browser = Browser(branded.test_client())
    sign_in(browser, branded, "clinician")
    page = browser.get(f"/staff/submissions/{reference}/summary")
    assert browser.status == 200
    assert re.search(r'<img class="summary-logo" src="/brand/logo\?v=[0-9a-f]{12}" alt="">', page)
    assert re.search(r'<link rel="stylesheet" href="/brand\.css\?v=[0-9a-f]{12}">', page)

    response = browser.client.get(f"/staff/submissions/{reference}/summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert b"/Subtype /Image" in response.data  # the logo, served to WeasyPrint from memory
    assert len(pdf_pages(response.data)) == 1  # a typical summary still fits one page


def test_unbranded_summary_pdf_has_no_image(app: Flask) -> None:
    with app.app_context():
        reference = submit(TYPICAL).reference
    browser = Browser(app.test_client())
    sign_in(browser, app, "clinician")
    response = browser.client.get(f"/staff/submissions/{reference}/summary.pdf")
    assert response.status_code == 200 and b"/Subtype /Image" not in response.data
    with app.test_request_context("/"):
        assert brand_views.pdf_fetcher({}, pdf.BASE_URL) is None  # the renderer's own fetcher, unchanged


def test_pdf_fetcher_serves_the_logo_and_still_refuses_everything_else(branded: Flask) -> None:
    with branded.test_request_context("/"):
        fetcher = brand_views.pdf_fetcher({}, pdf.BASE_URL)
        logo_at = pdf.BASE_URL.rstrip("/") + brand_views.logo_url()
    assert fetcher is not None
    served = fetcher.fetch(logo_at)
    assert (served.read(), served.content_type) == (png_bytes(), "image/png")
    with pytest.raises(ValueError):
        fetcher.fetch("https://tracker.example/p.png")
    with pytest.raises(ValueError):
        fetcher.fetch("file:///etc/passwd")
    assert fetcher.refused == ["https://tracker.example/p.png", "file:///etc/passwd"]

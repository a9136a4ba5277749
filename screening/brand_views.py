"""Serving the clinic's brand: ``/brand/logo`` (the logo file) and ``/brand.css`` (the colour), both public and
cached for a year under URLs that carry a hash of their content, and ``brand_logo_url`` / ``brand_stylesheet_url``
for every template (empty without a brand, so pages look as bundled). ``register_brand`` checks the settings when the
app starts (``brand.load``: a bad colour or logo stops the start). An SVG logo is served with a CSP that lets nothing
in it run, even when opened on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, Flask, abort, current_app, has_request_context, url_for
from flask.typing import ResponseReturnValue
from weasyprint.urls import URLFetcherResponse

from screening import brand
from screening.access import public
from screening.printing import BundledOnlyFetcher

bp = Blueprint("brand", __name__)
CACHE_FOR_A_YEAR = "public, max-age=31536000, immutable"
#: An image opened on its own is a document: no script, no plug-in, nothing loaded, sandboxed.
LOGO_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def current() -> brand.Brand:
    """The brand checked at start (needs an app context)."""
    checked: brand.Brand = current_app.extensions["screening_brand"]
    return checked


@bp.get("/brand.css")
@public
def stylesheet() -> ResponseReturnValue:
    """The brand's stylesheet (404 without a brand)."""
    if not current().active:
        abort(404)
    return current().css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": CACHE_FOR_A_YEAR}


@bp.get("/brand/logo")
@public
def logo() -> ResponseReturnValue:
    """The logo file, with its own content type (404 without a logo)."""
    image = current().logo
    if image is None:
        abort(404)
    headers = {
        "Content-Type": image.content_type,
        "Cache-Control": CACHE_FOR_A_YEAR,
        "Content-Security-Policy": LOGO_CSP,
    }
    return image.data, 200, headers


def logo_url() -> str:
    image = current().logo
    return url_for("brand.logo", v=image.digest) if image is not None else ""


def stylesheet_url() -> str:
    return url_for("brand.stylesheet", v=current().css_digest) if current().active else ""


def pdf_stylesheets(base_url: str) -> dict[str, bytes]:
    """For the PDF renderer: the brand stylesheet's absolute URL (against ``base_url``) -> its bytes, if any."""
    url = stylesheet_url()
    return {urljoin(base_url, url): current().css.encode("utf-8")} if url else {}


class LogoFetcher(BundledOnlyFetcher):
    """The PDF renderer's fetcher (the given stylesheets and nothing else), which also serves the clinic's logo,
    read and checked at start, at its one URL."""

    def __init__(self, stylesheets: Mapping[str, bytes], logo_at: str, logo: brand.Logo) -> None:
        super().__init__(stylesheets)
        self.logo_at, self.logo = logo_at, logo

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url == self.logo_at:
            return URLFetcherResponse(url, self.logo.data, {"Content-Type": self.logo.content_type})
        return super().fetch(url, headers)


def pdf_fetcher(stylesheets: Mapping[str, bytes], base_url: str) -> LogoFetcher | None:
    """The fetcher for a PDF of a page that shows the logo: a ``LogoFetcher``, or None without a logo (then the
    renderer's own, which serves the stylesheets only)."""
    image = current().logo
    return LogoFetcher(stylesheets, urljoin(base_url, logo_url()), image) if image is not None else None


def register_brand(app: Flask) -> None:
    """Check the brand settings (a ``ConfigError`` stops the start), serve the files and give templates their URLs."""
    app.extensions["screening_brand"] = brand.load(app.config["SCREENING"])
    app.register_blueprint(bp)

    @app.context_processor
    def brand_urls() -> dict[str, Any]:
        if not has_request_context():  # an email or a command: no page, no header
            return {"brand_logo_url": "", "brand_stylesheet_url": "", "brand_colour": ""}
        return {
            "brand_logo_url": logo_url(),
            "brand_stylesheet_url": stylesheet_url(),
            "brand_colour": current().colour,
        }

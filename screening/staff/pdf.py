"""HTML to PDF with WeasyPrint, locked down for documents built from what patients typed.

- No network and no local files: the URL fetcher serves only the stylesheets it is given (the app's bundled
  print stylesheets, read from disk by the caller) and refuses every other URL, recording it.
- Caps: the HTML may be at most ``MAX_HTML_BYTES``, the render must finish within ``RENDER_SECONDS`` and produce at
  most ``MAX_PAGES`` pages and ``MAX_PDF_BYTES`` bytes; renders run on a small pool (``WORKERS`` at a time), so a
  burst of requests queues instead of taking every CPU. Over a cap: ``RenderRefused``, and no PDF.

No Flask here: the view passes in the HTML and the stylesheets.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The made-up origin documents are rendered under; stylesheet links resolve against it (and never reach a network).
BASE_URL = "https://screening.invalid/"
MAX_HTML_BYTES = 512 * 1024
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PAGES = 12
RENDER_SECONDS = 20.0
WORKERS = 2

_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pdf-render")


class RenderRefused(Exception):
    """The document was not rendered (or its PDF not returned) because it broke a cap; the message says which."""


@dataclass(frozen=True, slots=True)
class Rendered:
    pdf: bytes
    pages: int
    refused: tuple[str, ...]  # URLs the document asked for and did not get


class BundledOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type information
    """Serves exactly the given stylesheets (absolute URL -> CSS bytes); refuses and records every other URL.
    Never opens a connection or a file."""

    def __init__(self, stylesheets: Mapping[str, bytes]) -> None:
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.stylesheets = dict(stylesheets)
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        css = self.stylesheets.get(url)
        if css is None:
            with self._lock:
                self.refused.append(url)
            raise ValueError("only the bundled stylesheets may be loaded")
        return URLFetcherResponse(url, css, {"Content-Type": "text/css; charset=utf-8"})


def _render(html: str, fetcher: BundledOnlyFetcher) -> tuple[bytes, int]:
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    pages = len(document.pages)
    if pages > MAX_PAGES:
        raise RenderRefused(f"{pages} pages is more than the {MAX_PAGES} allowed")
    return document.write_pdf(), pages


def render(
    html: str,
    stylesheets: Mapping[str, bytes],
    *,
    fetcher: BundledOnlyFetcher | None = None,
    seconds: float | None = None,
) -> Rendered:
    """The PDF of ``html``, whose stylesheet links (resolved against ``BASE_URL``) must be keys of
    ``stylesheets``. Raises ``RenderRefused`` over a cap. ``fetcher`` lets a test watch what was asked for."""
    if len(html.encode("utf-8")) > MAX_HTML_BYTES:
        raise RenderRefused(f"the document is larger than {MAX_HTML_BYTES:,} bytes")
    fetcher = fetcher if fetcher is not None else BundledOnlyFetcher(stylesheets)
    future = _pool.submit(_render, html, fetcher)
    try:
        pdf, pages = future.result(timeout=seconds if seconds is not None else RENDER_SECONDS)
    except FutureTimeout:
        future.cancel()  # a render that has started runs on (bounded by the caps above); its result is dropped
        raise RenderRefused(f"rendering took longer than {seconds or RENDER_SECONDS:g} seconds") from None
    if len(pdf) > MAX_PDF_BYTES:
        raise RenderRefused(f"the PDF is larger than {MAX_PDF_BYTES // (1024 * 1024)} MB")
    return Rendered(pdf, pages, tuple(fetcher.refused))

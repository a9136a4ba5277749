"""HTML to PDF with WeasyPrint, locked down for documents built from what patients typed: the one primitive behind
the doctor's summary (``staff.summary_views``) and the patient's copy of their answers (``patient.copy_views``).

- No network and no local files: the URL fetcher serves only the stylesheets it is given (the app's bundled
  print stylesheets, read from disk by the caller) and refuses every other URL, recording it.
- The stylesheets are applied, in the order given, already parsed: the document does not link them (``base_print.html``
  links them only for the page a browser prints). Parsing them took about 35 ms of a 200 ms summary; each render
  thread keeps what it parsed, keyed by URL and bytes (``_parsed``), so a changed file is a new entry. The output is the
  same PDF, byte for byte, as linking them (``tests/app/test_printing.py``). So that nothing is lost by parsing them
  apart from a document, they may not use ``@import``, ``@font-face`` or ``url()`` (the same test checks the files).
- Caps (``Caps``; ``CAPS`` by default): the HTML may be at most ``MAX_HTML_BYTES``, the render must finish within
  ``RENDER_SECONDS`` and produce at most ``MAX_PAGES`` pages and ``MAX_PDF_BYTES`` bytes; renders run on one small
  pool (``WORKERS`` at a time) for the whole app, so a burst of requests queues instead of taking every CPU. Over a
  cap: ``RenderRefused``, and no PDF.

No Flask here: the view passes in the HTML and the stylesheets. One worker pool serves both sides.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The made-up origin documents are rendered under; stylesheet links resolve against it (and never reach a network).
BASE_URL = "https://screening.invalid/"
MAX_HTML_BYTES = 512 * 1024
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PAGES = 12
RENDER_SECONDS = 20.0
WORKERS = 2


@dataclass(frozen=True, slots=True)
class Caps:
    """The limits of one render (see the module docstring)."""

    html_bytes: int = MAX_HTML_BYTES
    pdf_bytes: int = MAX_PDF_BYTES
    pages: int = MAX_PAGES
    seconds: float = RENDER_SECONDS


CAPS = Caps()
_pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pdf-render")
#: Per render thread: (URL, bytes) -> the parsed stylesheet. Parsed objects are not shared between threads.
_parsed = threading.local()
#: How many parsed stylesheets a thread keeps (the app has a handful: two papers, two documents, a brand colour).
PARSED_KEPT = 16


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


def _stylesheet(url: str, css: bytes, fetcher: BundledOnlyFetcher) -> CSS:
    """``css`` (served at ``url``) parsed, once per render thread."""
    kept: dict[tuple[str, bytes], CSS] = _parsed.__dict__.setdefault("kept", {})
    sheet = kept.get((url, css))
    if sheet is None:
        if len(kept) >= PARSED_KEPT:
            kept.clear()
        sheet = kept[(url, css)] = CSS(string=css.decode("utf-8"), base_url=url, url_fetcher=fetcher)
    return sheet


def _render(
    html: str, stylesheets: Mapping[str, bytes], fetcher: BundledOnlyFetcher, max_pages: int
) -> tuple[bytes, int]:
    sheets = [_stylesheet(url, css, fetcher) for url, css in stylesheets.items()]
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(stylesheets=sheets)
    pages = len(document.pages)
    if pages > max_pages:
        raise RenderRefused(f"{pages} pages is more than the {max_pages} allowed")
    return document.write_pdf(), pages


def render(
    html: str,
    stylesheets: Mapping[str, bytes],
    *,
    fetcher: BundledOnlyFetcher | None = None,
    caps: Caps = CAPS,
) -> Rendered:
    """The PDF of ``html`` with ``stylesheets`` (absolute URL under ``BASE_URL`` -> CSS bytes, in cascade order)
    applied; the document itself links none. Raises ``RenderRefused`` over a cap. ``fetcher`` lets a test watch what
    was asked for (anything the document asks for is refused, except the stylesheets and a fetcher's own extras)."""
    if len(html.encode("utf-8")) > caps.html_bytes:
        raise RenderRefused(f"the document is larger than {caps.html_bytes:,} bytes")
    fetcher = fetcher if fetcher is not None else BundledOnlyFetcher(stylesheets)
    future = _pool.submit(_render, html, stylesheets, fetcher, caps.pages)
    try:
        pdf, pages = future.result(timeout=caps.seconds)
    except FutureTimeout:
        future.cancel()  # a render that has started runs on (bounded by the caps above); its result is dropped
        raise RenderRefused(f"rendering took longer than {caps.seconds:g} seconds") from None
    if len(pdf) > caps.pdf_bytes:
        raise RenderRefused(f"the PDF is larger than {caps.pdf_bytes // (1024 * 1024)} MB")
    return Rendered(pdf, pages, tuple(fetcher.refused))

"""HTML to PDF for the staff side (the doctor's summary). The locked-down WeasyPrint primitive lives in
``screening.printing`` (the patient's copy of their answers uses it too, and ``screening/patient/`` may not import the
staff side); this module keeps the staff side's names for it: ``render``, ``RenderRefused``, the fetcher, and the
caps as module settings (``MAX_PAGES`` ..., read at each render, so a test may change them).
"""

from __future__ import annotations

from collections.abc import Mapping

from screening import printing
from screening.printing import BASE_URL, BundledOnlyFetcher, Rendered, RenderRefused

__all__ = ["BASE_URL", "BundledOnlyFetcher", "RenderRefused", "Rendered", "render"]

MAX_HTML_BYTES = printing.MAX_HTML_BYTES
MAX_PDF_BYTES = printing.MAX_PDF_BYTES
MAX_PAGES = printing.MAX_PAGES
RENDER_SECONDS = printing.RENDER_SECONDS


def render(
    html: str,
    stylesheets: Mapping[str, bytes],
    *,
    fetcher: BundledOnlyFetcher | None = None,
    seconds: float | None = None,
) -> Rendered:
    """``printing.render`` within this module's caps (``seconds`` overrides ``RENDER_SECONDS``)."""
    caps = printing.Caps(
        html_bytes=MAX_HTML_BYTES,
        pdf_bytes=MAX_PDF_BYTES,
        pages=MAX_PAGES,
        seconds=seconds if seconds is not None else RENDER_SECONDS,
    )
    return printing.render(html, stylesheets, fetcher=fetcher, caps=caps)

"""The PDF renderer applies the print stylesheets already parsed (``screening.printing``), each render thread keeping
what it parsed. The PDFs are the same, byte for byte, as when the document linked the stylesheets and WeasyPrint
fetched and parsed them at every render (the way before): the doctor's summary on A4 and on US Letter, with a clinic's
brand colour, and the patient's copy of their answers. The bundled print stylesheets use nothing that parsing them
apart from a document would lose (``@import``, ``@font-face``, ``url()``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from weasyprint import HTML

from screening import printing
from tests.app.auth import sign_in
from tests.app.test_patient_copy import PDF, checked_then_sent
from tests.app.test_summary import stored, url
from tests.conftest import Browser
from tests.summary_cases import TYPICAL

STATIC = Path(__file__).resolve().parents[2] / "static"

Captured = list[tuple[str, dict[str, bytes], bytes]]


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Each render the app asks for: its HTML, its stylesheets and the PDF it got."""
    seen: Captured = []
    real = printing.render

    def watching(html: str, stylesheets: dict[str, bytes], **kwargs: Any) -> printing.Rendered:
        rendered = real(html, stylesheets, **kwargs)
        seen.append((html, dict(stylesheets), rendered.pdf))
        return rendered

    monkeypatch.setattr(printing, "render", watching)
    return seen


def linked_render(html: str, stylesheets: dict[str, bytes]) -> bytes:
    """The way before: the stylesheets linked from the document's head, fetched and parsed by WeasyPrint."""
    assert "</head>" in html and 'rel="stylesheet"' not in html, "the PDF's HTML links no stylesheet"
    links = "".join(f'<link rel="stylesheet" href="{address}">' for address in stylesheets)
    fetcher = printing.BundledOnlyFetcher(stylesheets)
    pdf: bytes = HTML(
        string=html.replace("</head>", f"{links}</head>"), base_url=printing.BASE_URL, url_fetcher=fetcher
    ).write_pdf()
    assert fetcher.refused == []
    return pdf


def unstyled_render(html: str) -> bytes:
    pdf: bytes = HTML(string=html, base_url=printing.BASE_URL, url_fetcher=printing.BundledOnlyFetcher({})).write_pdf()
    return pdf


def assert_same_as_linked(captured: Captured, sheets: list[str]) -> None:
    assert len(captured) == 1
    html, stylesheets, pdf = captured[0]
    assert [address.rsplit("/", 1)[-1].split("?")[0] for address in stylesheets] == sheets
    assert pdf == linked_render(html, stylesheets)
    assert pdf != unstyled_render(html), "the stylesheets changed nothing: the comparison could not fail"


@pytest.mark.parametrize(("paper", "sheets"), [("a4", ["summary.css"]), ("letter", ["summary.css", "letter.css"])])
def test_the_summary_pdf_is_the_pdf_of_its_linked_stylesheets(
    app: Flask, browser: Browser, captured: Captured, paper: str, sheets: list[str]
) -> None:
    reference = stored(app, TYPICAL)
    sign_in(browser, app, "clinician")
    for _ in range(2):  # the second render uses what the first parsed
        captured.clear()
        response = browser.client.get(url(reference, "summary.pdf") + f"?paper={paper}")
        assert response.status_code == 200
        assert_same_as_linked(captured, sheets)


def test_the_summary_pdf_with_a_brand_colour_is_the_pdf_of_its_linked_stylesheets(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, captured: Captured
) -> None:
    monkeypatch.setenv("SCREENING_BRAND_COLOUR", "#1D4F91")
    app: Flask = request.getfixturevalue("app")
    browser: Browser = request.getfixturevalue("browser")
    reference = stored(app, TYPICAL)
    sign_in(browser, app, "clinician")
    assert browser.client.get(url(reference, "summary.pdf")).status_code == 200
    assert_same_as_linked(captured, ["summary.css", "brand.css"])
    assert b"#1d4f91" in list(captured[0][1].values())[-1].lower()  # the clinic's colour, applied last


def test_the_patient_copy_pdf_is_the_pdf_of_its_linked_stylesheet(
    app: Flask, browser: Browser, captured: Captured
) -> None:
    checked_then_sent(app, browser)
    assert browser.client.get(PDF).status_code == 200
    assert_same_as_linked(captured, ["your-answers.css"])


def test_a_render_thread_parses_each_stylesheet_once() -> None:
    fetcher = printing.BundledOnlyFetcher({})
    address = printing.BASE_URL + "static/summary/summary.css"
    first = printing._stylesheet(address, b"p { color: #111 }", fetcher)
    assert printing._stylesheet(address, b"p { color: #111 }", fetcher) is first
    assert printing._stylesheet(address, b"p { color: #222 }", fetcher) is not first  # a changed file: parsed again
    for number in range(printing.PARSED_KEPT + 1):
        printing._stylesheet(address, f"p {{ margin: {number}px }}".encode(), fetcher)
    assert len(printing._parsed.kept) <= printing.PARSED_KEPT


PRINT_STYLESHEETS = sorted(
    str(path.relative_to(STATIC)) for folder in ("summary", "patient") for path in (STATIC / folder).glob("*.css")
)


def test_the_print_stylesheets_are_found() -> None:
    assert len(PRINT_STYLESHEETS) >= 4 and "summary/summary.css" in PRINT_STYLESHEETS


@pytest.mark.parametrize("name", PRINT_STYLESHEETS)
def test_print_stylesheets_use_nothing_that_parsing_them_apart_would_lose(name: str) -> None:
    css = re.sub(r"/\*.*?\*/", "", (STATIC / name).read_text(encoding="utf-8"), flags=re.DOTALL)
    assert css.strip()
    for construct in ("@import", "@font-face", "url("):
        assert construct not in css, f"{name} uses {construct}: printing.py parses it apart from the document"

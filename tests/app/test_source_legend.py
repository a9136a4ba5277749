"""The doctor can resolve every source key (issue 11, item 12; hazard log H41): the staff submission page, the print
view of the summary and its PDF (read back with pdftotext) each print a legend of the source keys their flags cite,
each key once with its full citation from ``rules.SOURCES`` as it is when the page is made, and no other key; a key
the rule set no longer has prints as retired, never as a bare or missing entry."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from typing import Any

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select

from screening import rules
from screening.extensions import db
from screening.models import FlagRecord, Submission
from screening.staff import display as staff_display
from tests.app.auth import sign_in
from tests.conftest import Browser
from tests.summary_cases import TYPICAL, submit

RETIRED_KEY = "KETAMIN-OLD-LABEL"
#: In points: the box of a word in the legend's 6.3 pt type is about 7 high; the smallest other type (7 pt) is 7.8.
LEGEND_WORD_HEIGHT = 7.5


@pytest.fixture
def clinician(app: Flask, browser: Browser) -> Browser:
    sign_in(browser, app, "clinician", name="Dr Cleo Clinician")
    return browser


def stored(
    app: Flask, values: dict[str, Any], *, sources: dict[int, str | None] | None = None, no_sources: bool = False
) -> tuple[str, set[str]]:
    """Submit ``values`` through the real path; ``sources`` overwrites the stored ``source`` of flags by position (as
    a submission stored under an older rule set would have), ``no_sources`` clears them all. Returns the reference and
    the keys its flags cite."""
    with app.app_context():
        submission = submit(values)
        for index, source in (sources or {}).items():
            submission.flags[index].source = source
        for flag in submission.flags if no_sources else ():
            flag.source = None
        db.session.commit()
        keys = {key for flag in submission.flags for key in staff_display.source_keys(flag.source)}
        return submission.reference, keys


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def pdf_text(pdf: bytes) -> str:
    """The text of the PDF's legend: the words set in its small type (``pdftotext -bbox``: a word's box is about 7 pt
    high in the legend's 6.3 pt type, 8 pt or more everywhere else), in reading order (page, line, left to right).
    The legend flows beside the first column of answers and then below it, so ``-layout`` would interleave it with
    that column; its type size picks it out whatever the page break does."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: apt-get install poppler-utils (scripts/ensure-browser.sh does)"
    done = subprocess.run(
        [tool, "-bbox", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    words = []
    for page_number, page in enumerate(done.stdout.decode("utf-8").split("<page ")[1:]):
        for x_min, y_min, y_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" '
            r'yMax="([\d.]+)">(.*?)</word>',
            page,
        ):
            if float(y_max) - float(y_min) < LEGEND_WORD_HEIGHT:
                words.append((page_number, float(y_min), float(x_min), html.unescape(word)))
    lines: list[list[tuple[int, float, float, str]]] = []
    for word in sorted(words):  # a word within 2 pt of a line's first word is on that line
        if lines and lines[-1][0][0] == word[0] and word[1] - lines[-1][0][1] < 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    text = " ".join(word for line in lines for *_place, word in sorted(line, key=lambda word: word[2]))
    return flat(re.sub(r"(?<=\w-) ", "", text))


def squeezed(legend: dict[str, str]) -> dict[str, str]:
    """The legend with all white space removed: a PDF line may break after "/" or "-" where the source has none."""
    return {re.sub(r"\s+", "", key): re.sub(r"\s+", "", text) for key, text in legend.items()}


def staff_legend(page: str) -> dict[str, str]:
    """key -> citation, from the staff page's legend (unescaped), in page order."""
    block = page.split('class="app-source-legend"', 1)[1].split("</dl>", 1)[0]
    rows = re.findall(
        r'<dt class="govuk-summary-list__key app-source-key">(.*?)</dt>\s*'
        r'<dd class="govuk-summary-list__value[^"]*">(.*?)</dd>',
        block,
        flags=re.S,
    )
    return {html.unescape(key.strip()): html.unescape(flat(text)) for key, text in rows}


def print_legend(page: str) -> dict[str, str]:
    """key -> citation, from the print view's legend (unescaped), in page order."""
    block = page.split('<section class="summary-sources"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, flags=re.S)
    return {html.unescape(key.strip()): html.unescape(flat(text)) for key, text in rows}


def pdf_legend(text: str) -> dict[str, str]:
    """key -> citation, from the PDF's legend: "Sources of the flags: KEY: citation • KEY: citation ..."."""
    assert text.startswith("Sources of the flags:"), "the PDF has no legend, or more than one"
    block = text.removeprefix("Sources of the flags:")
    entries = [entry.strip() for entry in block.split(" \u2022 ")]
    return dict(entry.split(": ", 1) for entry in entries)


def expected(keys: set[str]) -> dict[str, str]:
    return {key: rules.SOURCES.get(key) or staff_display.RETIRED_SOURCE for key in keys}


# --- the staff page, the print view and the PDF list exactly the keys used, with their full citations -----------------
def test_staff_page_legend_lists_exactly_the_keys_of_the_flags_with_full_citations(
    app: Flask, clinician: Browser
) -> None:
    reference, keys = stored(app, TYPICAL)
    assert len(keys) >= 3, keys
    page = clinician.get(f"/staff/submissions/{reference}")
    legend = staff_legend(page)
    assert legend == expected(keys)
    assert list(legend) == sorted(legend, key=str.casefold)  # alphabetical, each key once
    assert page.count('class="app-source-legend"') == 1
    flags_section = page[page.index('id="flags-heading"') : page.index('id="scores-heading"')]
    assert 'id="sources-heading"' in flags_section  # with the flags, before the scores
    for key in keys:  # each flag's own list names its keys too, so the legend and the flags connect
        assert f'<span class="app-source-key">{key}</span>' in flags_section


def test_print_view_legend_lists_exactly_the_keys_of_the_flags_with_full_citations(
    app: Flask, clinician: Browser
) -> None:
    reference, keys = stored(app, TYPICAL)
    page = clinician.get(f"/staff/submissions/{reference}/summary")
    assert clinician.status == 200
    assert print_legend(page) == expected(keys)
    assert page.count('class="summary-sources"') == 1
    assert page.index("Key answers") < page.index('id="summary-sources"') < page.index("Staff notes")
    printed_keys = {
        key.strip()
        for bracket in re.findall(r'class="summary-flag__source">\[(.*?)\]', page)
        for key in html.unescape(bracket).split(",")
    }
    assert printed_keys == keys  # every key printed beside a flag is in the legend, and only those


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_pdf_legend_lists_exactly_the_keys_of_the_flags_with_full_citations(
    app: Flask, clinician: Browser, paper: str
) -> None:
    reference, keys = stored(app, TYPICAL)
    response = clinician.client.get(f"/staff/submissions/{reference}/summary.pdf?paper={paper}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert squeezed(pdf_legend(pdf_text(response.data))) == squeezed(expected(keys))


def test_no_legend_when_no_flag_cites_a_source(app: Flask, clinician: Browser) -> None:
    reference, keys = stored(app, TYPICAL, no_sources=True)
    assert keys == set()
    assert 'class="app-source-legend"' not in clinician.get(f"/staff/submissions/{reference}")
    assert 'class="summary-sources"' not in clinician.get(f"/staff/submissions/{reference}/summary")
    response = clinician.client.get(f"/staff/submissions/{reference}/summary.pdf")
    assert pdf_text(response.data) == ""


# --- a key the rule set no longer has ---------------------------------------------------------------------------------
def test_a_retired_key_prints_as_retired_on_the_staff_page_print_view_and_pdf(app: Flask, clinician: Browser) -> None:
    reference, keys = stored(app, TYPICAL, sources={0: f"{RETIRED_KEY}, ASRA2018"})
    assert RETIRED_KEY in keys and RETIRED_KEY not in rules.SOURCES
    page = clinician.get(f"/staff/submissions/{reference}")
    assert staff_legend(page)[RETIRED_KEY] == staff_display.RETIRED_SOURCE
    assert staff_legend(page) == expected(keys)
    block = page.split('class="app-source-legend"', 1)[1].split("</dl>", 1)[0]
    assert re.search(rf"{RETIRED_KEY}</dt>\s*<dd class=\"govuk-summary-list__value app-not-answered\">", block)
    flags_section = page[page.index('id="flags-heading"') : page.index('id="sources-heading"')]
    assert (
        f'<span class="app-source-key">{RETIRED_KEY}</span> {escape(staff_display.RETIRED_SOURCE)}' in flags_section
    )  # the flag's own list says it too, never a bare key
    assert print_legend(clinician.get(f"/staff/submissions/{reference}/summary")) == expected(keys)
    response = clinician.client.get(f"/staff/submissions/{reference}/summary.pdf")
    assert squeezed(pdf_legend(pdf_text(response.data))) == squeezed(expected(keys))


def test_the_legend_reads_rules_sources_when_the_page_is_made(
    app: Flask, clinician: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A colleague renames a key and rewords a citation after the submission was stored: the pages follow at once."""
    reference, keys = stored(app, TYPICAL)
    renamed_key = sorted(keys - {"ASRA2018"})[0]
    reworded = {key: text for key, text in rules.SOURCES.items() if key != renamed_key}
    reworded[renamed_key + "-NEW"] = "A new source no flag of this submission cites"
    reworded["ASRA2018"] = "Cohen SP et al. Consensus guidelines (reworded for this test). 2018"
    monkeypatch.setattr(rules, "SOURCES", reworded)
    for legend in (
        staff_legend(clinician.get(f"/staff/submissions/{reference}")),
        print_legend(clinician.get(f"/staff/submissions/{reference}/summary")),
        pdf_legend(pdf_text(clinician.client.get(f"/staff/submissions/{reference}/summary.pdf").data)),
    ):
        legend = squeezed(legend)
        assert set(legend) == keys  # the new key is not listed: no flag cites it
        assert legend[renamed_key] == squeezed({"": staff_display.RETIRED_SOURCE})[""]
        if "ASRA2018" in keys:
            assert legend["ASRA2018"] == squeezed({"": reworded["ASRA2018"]})[""]


def test_a_key_written_into_the_database_prints_as_text(app: Flask, clinician: Browser) -> None:
    hostile = "<b>EVIL</b>"
    reference, _keys = stored(app, TYPICAL, sources={0: f"ASRA2018, {hostile}"})
    for path in ("", "/summary"):
        page = clinician.get(f"/staff/submissions/{reference}{path}")
        assert "<b>EVIL</b>" not in page and "&lt;b&gt;EVIL&lt;/b&gt;" in page
    with app.app_context():
        flag = db.session.scalars(
            select(FlagRecord).join(Submission).where(Submission.reference == reference).order_by(FlagRecord.position)
        ).first()
        assert flag is not None and hostile in (flag.source or "")

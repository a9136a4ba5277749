"""The Nu HTML Checker (npm vnu-jar, one Java run) over the HTML of every page in every state recorded in this
session: no errors. The file is named to run last, after the tour and the flows have recorded their pages; pages
of the tour that this process did not visit (a -k selection, or another pytest-xdist worker) are rendered here
first, so every page is always checked."""

from __future__ import annotations

from tests.e2e import a11y
from tests.e2e.conftest import DESKTOP, NewPage
from tests.e2e.tour import TOUR, VISITED


def test_every_recorded_page_is_valid_html(new_page: NewPage) -> None:
    for name, visit in TOUR.items():
        if name not in VISITED:
            visit(new_page(DESKTOP), a11y.record_html)
            VISITED.add(name)
    errors = a11y.validate_html(sorted(set(a11y.RECORDED.values())))
    assert not errors, f"Nu HTML Checker: {len(errors)} error(s) in {a11y.HTML}:\n" + "\n".join(errors)

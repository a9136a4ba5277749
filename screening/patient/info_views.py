"""The patient blueprint's information pages: the privacy notice, the accessibility statement and the cookie page
(``/privacy``, ``/accessibility``, ``/cookies``), linked from every patient page's footer. Routes of ``views.bp``,
imported at the end of ``views`` so that registering the blueprint registers them too. The pages hold no patient
data, so unlike the questionnaire they may be cached; the content comes from ``content_pages``, which checks the
article and these pages when the blueprint is registered (a bad file stops the start).
"""

from __future__ import annotations

from typing import Any

from flask import has_request_context, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from screening.access import public
from screening.patient import content_pages
from screening.patient.views import bp, settings

#: Blueprints of the staff side, whose pages' footers do without the patient's information links.
STAFF_BLUEPRINTS = frozenset({"auth", "staff", "admin", "summary"})


@bp.record_once
def _check_content(state: BlueprintSetupState) -> None:
    """At start, the article and the information pages are read and rendered: a bad file stops ``create_app``."""
    content_pages.check(state.app.config["SCREENING"])


@bp.app_context_processor
def info_links() -> dict[str, Any]:
    """``info_links`` for base.html's footer: (address, link text) of each information page, on every page of the
    app but the staff side's (patient pages and error pages)."""
    if not has_request_context() or request.blueprint in STAFF_BLUEPRINTS:
        return {"info_links": ()}
    return {
        "info_links": (
            (url_for("patient.privacy"), "Privacy"),
            (url_for("patient.accessibility"), "Accessibility"),
            (url_for("patient.cookies"), "Cookies"),
        )
    }


def _show(name: str) -> ResponseReturnValue:
    content = content_pages.render(name, settings())
    return render_template("patient/content_page.html", content=content, locale=settings()["LOCALE"])


@bp.get("/privacy")
@public
def privacy() -> ResponseReturnValue:
    """The privacy notice: who holds the answers, why, for how long, who sees them, and the patient's rights."""
    return _show("privacy")


@bp.get("/accessibility")
@public
def accessibility() -> ResponseReturnValue:
    """The accessibility statement: what is tested and how to report a problem."""
    return _show("accessibility")


@bp.get("/cookies")
@public
def cookies() -> ResponseReturnValue:
    """The one strictly necessary cookie, and no others."""
    return _show("cookies")

"""The ``fhir`` blueprint (``/fhir``): the FHIR read endpoints: here the public Questionnaire; the token-protected
read API for integration engines in ``fhir_api``.

``GET /fhir/Questionnaire/screening`` serves the questionnaire definition as a FHIR R4 Questionnaire
(``clinical.fhir_questionnaire``), worded for the clinic's ``SCREENING_LOCALE``; ``.../_history/<version>`` serves it
for the current version only (older versions cannot be rebuilt from today's definition: 404 with an
``OperationOutcome``). No patient data: the definition is public, like the questionnaire's
own pages, and the answers are cacheable for an hour.

An unknown path under ``/fhir`` and a method a FHIR route does not take are answered by ``routing_error`` (called
from ``security``'s error handler, since no blueprint handler sees a request that matched no route): an
``OperationOutcome``, 404 ``not-found`` or 405 ``not-supported`` with ``Allow``, ``no-store``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from flask import Blueprint, Response, current_app
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from screening.access import public
from screening.clinical import questionnaire
from screening.clinical.fhir_outcome import IssueCode, operation_outcome
from screening.clinical.fhir_questionnaire import questionnaire_resource

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
FHIR_JSON = "application/fhir+json; charset=utf-8"
CACHE_FOR_AN_HOUR = "public, max-age=3600"


def fhir_response(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A FHIR JSON answer (``application/fhir+json``)."""
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, content_type=FHIR_JSON, headers=headers or {})


def fhir_error(status: int, code: IssueCode, text: str) -> Response:
    """An error as an ``OperationOutcome`` (never an HTML page: the caller is a machine)."""
    return fhir_response(operation_outcome(code, text), status, {"Cache-Control": "no-store"})


NOT_SERVED = "Nothing is served at this address. GET /fhir/metadata (the CapabilityStatement) lists what is."
NOT_ALLOWED = "This address does not accept this HTTP method. The Allow header lists the methods it does."


def is_fhir_path(path: str) -> bool:
    """Whether ``path`` is ``/fhir`` or under it (``security`` answers its 404 and 405 with ``routing_error``)."""
    return path == bp.url_prefix or path.startswith(f"{bp.url_prefix}/")


def routing_error(error: HTTPException) -> Response:
    """An unknown path under ``/fhir`` (404 ``not-found``) or a method a FHIR route does not take (405
    ``not-supported``, with the ``Allow`` header) as an ``OperationOutcome``, not the site's HTML page. Neither
    quotes the request; no token is needed (a 404 reveals nothing a client could not see in ``/fhir/metadata``)."""
    if isinstance(error, MethodNotAllowed):
        response = fhir_error(405, "not-supported", NOT_ALLOWED)
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response
    return fhir_error(404, "not-found", NOT_SERVED)


@functools.cache
def _questionnaire(locale: str) -> dict[str, Any]:
    return questionnaire_resource(locale)


def _current_questionnaire() -> Response:
    version = questionnaire.QUESTIONNAIRE_VERSION
    headers = {"Cache-Control": CACHE_FOR_AN_HOUR, "ETag": f'W/"{version}"'}
    return fhir_response(_questionnaire(current_app.config["SCREENING"]["LOCALE"]), headers=headers)


@bp.get("/Questionnaire/screening")
@public
def questionnaire_current() -> Response:
    """The current Questionnaire, in the clinic's locale."""
    return _current_questionnaire()


@bp.get("/Questionnaire/screening/_history/<fhir_id:version>")
@public
def questionnaire_version(version: str) -> Response:
    """The Questionnaire at ``version``: the current one only (404 OperationOutcome for any other)."""
    if version != questionnaire.QUESTIONNAIRE_VERSION:
        current = questionnaire.QUESTIONNAIRE_VERSION
        return fhir_error(404, "not-found", f"Only the current version ({current}) of this Questionnaire is served.")
    return _current_questionnaire()


# The read API for integration engines (metadata, QuestionnaireResponse search, Bundle read): routes of ``bp`` in
# their own module, which imports the helpers above, so it is imported last (as ``admin_views`` does).
from screening.staff import fhir_api  # noqa: E402, F401

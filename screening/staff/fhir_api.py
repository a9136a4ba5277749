"""The FHIR read API for integration engines, on the ``fhir`` blueprint (``/fhir``; ``fhir_views`` imports it last).

- ``GET /fhir/metadata``: the ``CapabilityStatement`` (public: it holds no patient data).
- ``GET /fhir/QuestionnaireResponse?_lastUpdated=ge2026-12-01&_count=50``: completed questionnaires as a
  ``searchset`` Bundle, oldest first then by arrival (keyset paging on (sent time, row id) through ``paging``: each
  page's ``next`` link carries an opaque cursor, so paging returns each response once, however many arrive meanwhile).
  A response's ``meta.lastUpdated`` is when it was sent: its answers never change afterwards.
- ``GET /fhir/Bundle/<reference>``: a submission's collection Bundle, the same one staff download.

Every endpoint but ``metadata`` needs an API token (``@api_token``: ``fhir_api_auth``), answers ``no-store`` and is
audited once per request with the token's name and the references it returned (``fhir_api.read``). Bad parameters:
400 with an OperationOutcome; an unknown reference: 404 with one.
"""

from __future__ import annotations

import functools
from importlib import metadata as package_metadata
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Response, current_app, request, url_for
from sqlalchemy import Select, select

from screening import clock
from screening.access import api_token, public
from screening.clinical.fhir_bundle import full_url, resource_uuid
from screening.clinical.fhir_capability import capability_statement
from screening.clinical.fhir_response import fhir_datetime, questionnaire_response
from screening.clinical.fhir_search import Search, SearchError, encode_cursor, parse_search, query_string, searchset
from screening.extensions import db
from screening.models import Submission
from screening.staff import paging
from screening.staff.fhir_api_auth import record_read
from screening.staff.fhir_export import submission_bundle
from screening.staff.fhir_views import bp, fhir_error, fhir_response

NO_STORE = {"Cache-Control": "no-store"}
SOFTWARE = "Screening"
KEYS = (paging.Key(Submission.submitted_at), paging.Key(Submission.id))
STARTED = clock.now()


@functools.cache
def _version() -> str:
    try:
        return package_metadata.version("screening")
    except package_metadata.PackageNotFoundError:
        return "unknown"


@bp.get("/metadata")
@public
def metadata() -> Response:
    """What this server serves and how to authenticate (FHIR's ``capabilities`` interaction)."""
    base = url_for("fhir.metadata", _external=True).removesuffix("/metadata")
    statement = capability_statement(base_url=base, software=SOFTWARE, version=_version(), published=STARTED)
    return fhir_response(statement, headers={"Cache-Control": "no-cache"})


def _response_resource(submission: Submission, locale: str) -> dict[str, Any]:
    """A submission's QuestionnaireResponse with the ids of its Bundle, and when it was sent as ``lastUpdated``."""
    reference = submission.reference
    resource = questionnaire_response(
        submission.answers,
        reference=reference,
        authored=submission.submitted_at,
        questionnaire_version=submission.questionnaire_version,
        patient_ref=full_url(reference, "Patient"),
        locale=locale,
    )
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_uuid(reference, "QuestionnaireResponse"),
        "meta": {"lastUpdated": fhir_datetime(submission.submitted_at)},
        **{key: value for key, value in resource.items() if key != "resourceType"},
    }


def _filtered(search: Search) -> Select[Any]:
    query = select(Submission)
    for bound in search.bounds:
        column = Submission.submitted_at
        query = query.where(column >= bound.moment if bound.op == ">=" else column < bound.moment)
    return query


def _page_url(search: Search, cursor: str | None) -> str:
    base = url_for("fhir.search_responses", _external=True)
    return base + "?" + urlencode(query_string(search, cursor))


@bp.get("/QuestionnaireResponse")
@api_token
def search_responses() -> Response:
    """Completed questionnaires sent in a period (``_lastUpdated``), a page (``_count``) at a time."""
    settings = current_app.config["SCREENING"]
    try:
        search = parse_search(request.args.to_dict(flat=False), ZoneInfo(settings["TIMEZONE"]))
    except SearchError as error:
        return fhir_error(400, "invalid", str(error))
    page = paging.window(_filtered(search), KEYS, db.session.scalars, cursor=search.after, size=search.count)
    rows: list[Submission] = page.rows
    this = encode_cursor(*search.after) if search.after else None
    following = encode_cursor(rows[-1].submitted_at, rows[-1].id) if page.has_next and rows else None
    body = searchset(
        [_response_resource(row, settings["LOCALE"]) for row in rows],
        self_url=_page_url(search, this),
        next_url=_page_url(search, following) if following else None,
        timestamp=clock.now(),
    )
    record_read("search-type", "QuestionnaireResponse", [row.reference for row in rows], count=search.count)
    return fhir_response(body, headers=NO_STORE)


@bp.get("/Bundle/<fhir_id:reference>")
@api_token
def read_bundle(reference: str) -> Response:
    """A submission's collection Bundle (its Patient, QuestionnaireResponse, DetectedIssues, Observations)."""
    submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
    if submission is None:
        record_read("read", "Bundle", [])
        return fhir_error(404, "not-found", "No submission has that reference.")
    body = submission_bundle(submission)
    record_read("read", "Bundle", [submission.reference])
    return fhir_response(body, headers=NO_STORE)

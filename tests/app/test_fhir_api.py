"""The FHIR read API for integration engines (``staff.fhir_api``): the CapabilityStatement; the QuestionnaireResponse
search with ``_lastUpdated`` and ``_count`` and keyset paging (each response exactly once, also while new ones
arrive); the Bundle read; 401 without a live token (a staff session does not count), 400 and 404 as
OperationOutcomes, ``no-store``, and one audit row per read with the token's name. The per-token rate limit:
``test_fhir_api_limits.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from screening.clinical.fhir_capability import INTERACTIONS
from screening.extensions import db
from screening.models import ApiToken, StaffUser
from screening.staff import api_tokens
from tests.app.auth import sign_in
from tests.app.fhir_api_helpers import (
    Issued,
    add_submissions,
    get,
    issue_token,
    next_link,
    references_of,
    stored_references,
)
from tests.app.staff_helpers import audit_events

SEARCH = "/fhir/QuestionnaireResponse"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
FHIR_JSON = "application/fhir+json"


@pytest.fixture
def token(app: Flask) -> Issued:
    return issue_token(app)


def assert_outcome(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == FHIR_JSON
    body: dict[str, Any] = json.loads(response.get_data(as_text=True))
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == code
    return body


# --- who may read ------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [SEARCH, "/fhir/Bundle/KT-AAAA-AAAA"])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer scr_" + "A" * 43, "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer", "scr_" + "A" * 43],
)
def test_api_without_a_live_token_is_401_operation_outcome(
    client: FlaskClient, token: Issued, url: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get(url, headers=headers)
    assert_outcome(response, 401, "login")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["Cache-Control"] == "no-store"
    assert token.secret not in response.get_data(as_text=True)


def test_api_revoked_token_is_401_from_the_next_request(app: Flask, client: FlaskClient, token: Issued) -> None:
    assert client.get(SEARCH, headers=token.header).status_code == 200
    with app.app_context():
        row = db.session.get(ApiToken, token.id)
        admin = db.session.get(StaffUser, row.created_by_id) if row else None
        assert row is not None and admin is not None
        api_tokens.revoke_token(row, actor=admin)
    response = client.get(SEARCH, headers=token.header)
    assert_outcome(response, 401, "login")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_api_a_staff_session_does_not_authenticate(app: Flask, client: FlaskClient) -> None:
    sign_in(client, app, "admin")
    add_submissions(app, 1, start=START)
    assert_outcome(client.get(SEARCH), 401, "login")
    assert_outcome(client.get("/fhir/Bundle/" + stored_references(app)[0]), 401, "login")


def test_api_token_also_accepted_with_lowercase_scheme(client: FlaskClient, token: Issued) -> None:
    response = client.get(SEARCH, headers={"Authorization": "bearer " + token.secret})
    assert response.status_code == 200


# --- metadata ----------------------------------------------------------------------------------------
def test_metadata_is_a_public_capability_statement_listing_what_the_routes_serve(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    body = json.loads(response.get_data(as_text=True))
    CapabilityStatement.model_validate(body)
    assert (body["kind"], body["format"], body["fhirVersion"]) == ("instance", ["json"], "4.0.1")
    rest = body["rest"][0]
    assert rest["mode"] == "server" and "Bearer" in rest["security"]["description"]
    assert body["implementation"]["url"] == "http://localhost/fhir"
    served = {resource["type"]: [i["code"] for i in resource["interaction"]] for resource in rest["resource"]}
    assert served == {kind: list(codes) for kind, codes in INTERACTIONS.items()}
    search = next(resource for resource in rest["resource"] if resource["type"] == "QuestionnaireResponse")
    assert {param["name"] for param in search["searchParam"]} == {"_lastUpdated", "_count"}
    # every route of the fhir blueprint is one of the stated interactions, and each stated one has a route
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("fhir.")}
    assert routes == {
        "/fhir/metadata",
        "/fhir/QuestionnaireResponse",  # search-type
        "/fhir/Bundle/<fhir_id:reference>",  # read
        "/fhir/Questionnaire/screening",  # read
        "/fhir/Questionnaire/screening/_history/<fhir_id:version>",  # vread
    }


# --- search ------------------------------------------------------------------------------------------
def test_search_is_a_valid_no_store_searchset_with_each_response_sent_time_as_last_updated(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    references = add_submissions(app, 3, start=START)
    response = client.get(SEARCH, headers=token.header)
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    body = json.loads(response.get_data(as_text=True))
    Bundle.model_validate(body)
    assert body["type"] == "searchset"
    assert references_of(body) == references
    first = body["entry"][0]
    assert first["search"] == {"mode": "match"}
    assert first["fullUrl"] == "urn:uuid:" + first["resource"]["id"]
    assert first["resource"]["meta"]["lastUpdated"] == "2026-11-30T09:00:00+00:00"
    assert first["resource"]["status"] == "completed"
    assert [link["relation"] for link in body["link"]] == ["self"]


def test_search_response_ids_match_the_bundle_read(app: Flask, client: FlaskClient, token: Issued) -> None:
    (reference,) = add_submissions(app, 1, start=START)
    _, found = get(client, SEARCH, token)
    status, bundle = get(client, f"/fhir/Bundle/{reference}", token)
    assert status == 200
    inside = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    assert found["entry"][0]["fullUrl"] == inside["fullUrl"]
    assert found["entry"][0]["resource"]["subject"] == inside["resource"]["subject"]


def _page_through(client: FlaskClient, token: Issued, url: str, between: Any = None) -> tuple[list[str], int]:
    seen: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        status, body = get(client, next_url, token)
        assert status == 200, body
        Bundle.model_validate(body)
        seen += references_of(body)
        pages += 1
        next_url = next_link(body)
        if next_url:
            cursor = parse_qs(urlsplit(next_url).query)["_cursor"][0]
            assert all(reference not in cursor for reference in seen)  # opaque: no reference, no data
            if between:
                between(pages)
    return seen, pages


def test_paging_over_250_submissions_returns_each_exactly_once(app: Flask, client: FlaskClient, token: Issued) -> None:
    references = add_submissions(app, 250, start=START, step=timedelta(seconds=30))
    seen, pages = _page_through(client, token, f"{SEARCH}?_count=40")
    assert seen == references
    assert pages == 7  # 6 full pages of 40 and one of 10


def test_paging_with_equal_times_still_returns_each_exactly_once(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    references = add_submissions(app, 25, start=START, step=timedelta(0))  # all sent in the same microsecond
    seen, _ = _page_through(client, token, f"{SEARCH}?_count=7")
    assert sorted(seen) == sorted(references) and len(seen) == 25


def test_paging_while_new_submissions_arrive_returns_old_and_new_each_once(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    old = add_submissions(app, 250, start=START, step=timedelta(seconds=30))
    arrived: list[str] = []

    def more(page: int) -> None:
        if page in (1, 2):  # after the first and the second page of three
            arrived.extend(add_submissions(app, 3, start=START + timedelta(days=1, hours=page)))

    seen, _ = _page_through(client, token, f"{SEARCH}?_count=100", between=more)
    assert seen == old + arrived
    assert len(set(seen)) == len(seen) == 256


def test_count_defaults_to_50_and_is_capped_at_200(app: Flask, client: FlaskClient, token: Issued) -> None:
    add_submissions(app, 210, start=START)
    _, body = get(client, SEARCH, token)
    assert len(body["entry"]) == 50
    _, body = get(client, f"{SEARCH}?_count=1000", token)
    assert len(body["entry"]) == 200
    assert "_count=200" in body["link"][0]["url"]


def test_next_link_keeps_the_filters_and_the_count(app: Flask, client: FlaskClient, token: Issued) -> None:
    add_submissions(app, 5, start=START)
    _, body = get(client, f"{SEARCH}?_lastUpdated=ge2026-11-30&_lastUpdated=lt2026-12-01&_count=2", token)
    query = parse_qs(urlsplit(next_link(body) or "").query)
    assert query["_lastUpdated"] == ["ge2026-11-30", "lt2026-12-01"]
    assert query["_count"] == ["2"]
    assert next_link(body).startswith("http://localhost/fhir/QuestionnaireResponse?")  # type: ignore[union-attr]


# _lastUpdated: submissions at 09:00:00, 09:00:30, 09:01:00, ... 09:02:00 (5 of them, 30 s apart) on 30 Nov 2026
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("_lastUpdated=ge2026-11-30T09:01:00Z", [2, 3, 4]),
        ("_lastUpdated=gt2026-11-30T09:01:00Z", [3, 4]),  # after that whole second
        ("_lastUpdated=le2026-11-30T09:01:00Z", [0, 1, 2]),  # up to the end of that second
        ("_lastUpdated=lt2026-11-30T09:01:00Z", [0, 1]),
        ("_lastUpdated=eq2026-11-30T09:01:00Z", [2]),
        ("_lastUpdated=2026-11-30T09:01:00Z", [2]),  # eq by default
        ("_lastUpdated=eq2026-11-30T09:01Z", [2, 3]),  # a minute: 09:01:00 and 09:01:30
        ("_lastUpdated=gt2026-11-30T09:01Z", [4]),
        ("_lastUpdated=ge2026-11-30T10:01:00%2B01:00", [2, 3, 4]),  # the same moment with its offset
        ("_lastUpdated=ge2026-11-30T10:01:00+01:00", [2, 3, 4]),  # "+" unencoded arrives as a space
        ("_lastUpdated=ge2026-11-30T09:00:30Z&_lastUpdated=lt2026-11-30T09:01:30Z", [1, 2]),
        ("_lastUpdated=eq2026-11-30", [0, 1, 2, 3, 4]),  # a whole day (clinic time zone, GMT here)
        ("_lastUpdated=ge2026-12-01", []),
        ("_lastUpdated=lt2026-11-30", []),
        ("_lastUpdated=gt2026-11-29", [0, 1, 2, 3, 4]),
        ("_lastUpdated=le2026-11", [0, 1, 2, 3, 4]),  # up to the end of November
        ("_lastUpdated=gt2026-11", []),
        ("_lastUpdated=eq2026", [0, 1, 2, 3, 4]),
    ],
)
def test_last_updated_boundaries(
    app: Flask, client: FlaskClient, token: Issued, query: str, expected: list[int]
) -> None:
    references = add_submissions(app, 5, start=START, step=timedelta(seconds=30))
    status, body = get(client, f"{SEARCH}?{query}", token)
    assert status == 200, body
    assert references_of(body) == [references[index] for index in expected]


@pytest.mark.parametrize(
    "query",
    [
        "_count=0",
        "_count=-1",
        "_count=ten",
        "_count=5&_count=6",
        "_lastUpdated=yesterday",
        "_lastUpdated=ge2026-13-01",
        "_lastUpdated=ge2026-02-30",
        "_lastUpdated=eq9999-12-31",  # beyond the years a date holds: 400, not 500
        "_lastUpdated=ge0001-01-01T00:00:00%2B01:00",
        "_lastUpdated=ge2026-11-30T09:00:00",  # a time needs its offset
        "_lastUpdated=sa2026-11-30",  # prefixes we do not support
        "_lastUpdated=ap2026-11-30",
        "_lastUpdated=ge2026-11-30,lt2026-12-01",
        "_lastUpdated=",
        "patient=KT-AAAA-AAAA",  # unsupported parameters are refused, never ignored
        "_sort=-_lastUpdated",
        "_cursor=not%20a%20cursor",
        "_cursor=QUJD",
        "_format=xml",
    ],
)
def test_bad_parameters_are_400_operation_outcome_without_echo(
    app: Flask, client: FlaskClient, token: Issued, query: str
) -> None:
    response = client.get(f"{SEARCH}?{query}", headers=token.header)
    body = assert_outcome(response, 400, "invalid")
    assert "KT-AAAA" not in body["issue"][0]["diagnostics"]
    assert audit_events(app, "fhir_api.read") == []  # nothing was read


# --- Bundle read ------------------------------------------------------------------------------------
def test_bundle_read_is_the_staff_download_with_the_reference_as_id(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    (reference,) = add_submissions(app, 1, start=START)
    response = client.get(f"/fhir/Bundle/{reference}", headers=token.header)
    assert response.status_code == 200 and response.mimetype == FHIR_JSON
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.get_data(as_text=True))
    Bundle.model_validate(body)
    assert (body["id"], body["type"], body["identifier"]["value"]) == (reference, "collection", reference)
    sign_in(client, app, "clinician")
    download = json.loads(client.get(f"/staff/submissions/{reference}/fhir").get_data(as_text=True))
    assert download == body


@pytest.mark.parametrize("reference", ["KT-AAAA-AAAA", "nothing.like.a.reference"])
def test_bundle_read_unknown_reference_is_404_operation_outcome(
    client: FlaskClient, token: Issued, reference: str
) -> None:
    body = assert_outcome(client.get(f"/fhir/Bundle/{reference}", headers=token.header), 404, "not-found")
    assert reference not in body["issue"][0]["diagnostics"]


# --- audit and last use -------------------------------------------------------------------------------
def test_every_read_is_audited_once_with_the_token_name_and_the_references(
    app: Flask, client: FlaskClient, token: Issued
) -> None:
    references = add_submissions(app, 3, start=START)
    get(client, f"{SEARCH}?_count=2", token)
    get(client, f"/fhir/Bundle/{references[1]}", token)
    get(client, "/fhir/metadata")  # no patient data: not a read to audit
    client.get(SEARCH)  # refused: nothing read
    events = audit_events(app, "fhir_api.read")
    assert len(events) == 2
    search, read = events
    assert search["staff_id"] is None and search["reference"] is None
    assert search["details"]["token_name"] == "Records engine" and search["details"]["token"] == token.id
    assert search["details"]["interaction"] == "search-type"
    assert search["details"]["references"] == references[:2]
    assert read["reference"] == references[1]
    assert read["details"]["interaction"] == "read" and read["details"]["references"] == [references[1]]
    with app.app_context():
        row = db.session.get(ApiToken, token.id)
        assert row is not None and row.last_used_at is not None


def test_audit_log_page_words_an_api_read(app: Flask, client: FlaskClient, token: Issued) -> None:
    add_submissions(app, 1, start=START)
    get(client, SEARCH, token)
    sign_in(client, app, "admin")
    page = client.get("/staff/admin/audit").get_data(as_text=True)
    assert "The API token Records engine read QuestionnaireResponse through the FHIR API" in page


def test_token_rows_hold_no_secret(app: Flask, token: Issued) -> None:
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.id == token.id))
        assert row is not None
        assert token.secret not in (row.token_hash, row.prefix, row.name)
        assert row.token_hash == api_tokens.token_hash(token.secret) and token.secret.startswith(row.prefix)

"""Routing errors under ``/fhir`` (``staff.fhir_views.routing_error``, called from ``security``'s error handler): an
unknown path is a 404 ``not-found`` and a method a FHIR route does not take a 405 ``not-supported`` with ``Allow``,
both as a valid R4B ``OperationOutcome`` (``application/fhir+json``, ``no-store``, the security headers), without a
token and never quoting the request; every other path keeps the site's HTML error pages. What the input edges refuse
before routing (``input_edges``) is an ``OperationOutcome`` under ``/fhir`` too: a body on a FHIR address gets the
405 or 404 the same request without one gets, an oversized body a 413, bad framing or a control character a 400."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.app.test_input_edges_hosts import production  # noqa: F401 (a fixture)
from tests.app.test_pages_structure import Html

FHIR_JSON = "application/fhir+json"
CANARY = "KT-CANARY-PATH"  # a request word that must never be echoed back


def outcome(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == FHIR_JSON
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = json.loads(text)
    OperationOutcome.model_validate(body)
    assert [issue["code"] for issue in body["issue"]] == [code]
    return body


def assert_security_headers(response: TestResponse) -> None:
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.parametrize(
    "path",
    [
        f"/fhir/Patient/{CANARY}",
        f"/fhir/QuestionnaireResponse/{CANARY}",
        f"/fhir/{CANARY}",
        "/fhir",
        "/fhir/",
        f"/fhir/Bundle/{CANARY}!",  # not a FHIR id: the route's converter refuses it
        f"/fhir/Questionnaire/{CANARY}",
        f"/fhir/metadata/{CANARY}?q={CANARY}",
    ],
)
def test_unknown_path_under_fhir_is_a_404_operation_outcome(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    body = outcome(response, 404, "not-found")
    assert "/fhir/metadata" in body["issue"][0]["diagnostics"]
    assert CANARY not in response.get_data(as_text=True)
    assert "Allow" not in response.headers
    assert_security_headers(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/fhir/QuestionnaireResponse"),
        ("DELETE", "/fhir/metadata"),
        ("PUT", "/fhir/Questionnaire/screening"),
        ("PATCH", "/fhir/Bundle/KT-AAAA-AAAA"),
        ("POST", "/fhir/Questionnaire/screening/_history/4"),
    ],
)
def test_wrong_method_on_a_fhir_route_is_a_405_operation_outcome_with_allow(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(f"{path}?q={CANARY}", method=method)  # no body: the input edges refuse a JSON one (400)
    outcome(response, 405, "not-supported")
    assert {part.strip() for part in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
    text = response.get_data(as_text=True)
    assert method not in text and CANARY not in text
    assert_security_headers(response)


def test_fhir_routing_errors_get_hsts_on_https(client: FlaskClient) -> None:
    for response in (
        client.get("/fhir/nothing", base_url="https://localhost"),
        client.delete("/fhir/metadata", base_url="https://localhost"),
    ):
        assert response.mimetype == FHIR_JSON
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_head_of_an_unknown_fhir_path_is_a_404_without_a_body(client: FlaskClient) -> None:
    response = client.head("/fhir/nothing")
    assert response.status_code == 404
    assert response.mimetype == FHIR_JSON
    assert response.get_data() == b""


@pytest.mark.parametrize("path", ["/fhirx", "/fhir-nothing", "/no-such-page", "/staff/fhir/nothing"])
def test_other_unknown_paths_keep_the_html_404_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert [h1.clean_text() for h1 in Html(response.get_data(as_text=True)).find("h1")] == ["Page not found"]


def test_other_wrong_methods_keep_the_html_page(client: FlaskClient) -> None:
    response = client.put("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert "OperationOutcome" not in response.get_data(as_text=True)


def test_fhir_routes_still_answer(client: FlaskClient) -> None:
    assert client.get("/fhir/metadata").status_code == 200
    assert client.get("/fhir/Questionnaire/screening").status_code == 200
    assert client.options("/fhir/metadata").status_code == 200


# --- refused by the input edges, before routing ----------------------------------------------------------------------
BODIES = {
    "json": (f'{{"resourceType": "Patient", "id": "{CANARY}"}}'.encode(), "application/json"),
    "fhir-json": (f'{{"resourceType": "Bundle", "id": "{CANARY}"}}'.encode(), "application/fhir+json"),
    "form": (f"name={CANARY}".encode(), "application/x-www-form-urlencoded"),
    "form-not-utf8": (f"name={CANARY}\xff".encode("latin-1"), "application/x-www-form-urlencoded"),
    "binary": (CANARY.encode() + bytes(range(256)), "application/octet-stream"),
    "multipart-without-boundary": (CANARY.encode(), "multipart/form-data"),
}
ROUTED = ["/fhir/metadata", "/fhir/QuestionnaireResponse", "/fhir/Bundle/KT-AAAA-AAAA"]
UNKNOWN = f"/fhir/{CANARY}"


def assert_not_echoed(response: TestResponse) -> None:
    text = response.get_data(as_text=True) + json.dumps(dict(response.headers))
    assert CANARY not in text and "Patient" not in text


@pytest.mark.parametrize("body", list(BODIES))
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("path", [*ROUTED, UNKNOWN])
def test_a_body_on_a_fhir_address_gets_the_answer_routing_gives_without_one(
    client: FlaskClient, path: str, method: str, body: str
) -> None:
    data, content_type = BODIES[body]
    response = client.open(path, method=method, data=data, content_type=content_type)
    if path == UNKNOWN:
        outcome(response, 404, "not-found")
        assert "Allow" not in response.headers
    else:
        outcome(response, 405, "not-supported")
        assert {part.strip() for part in response.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}
        assert response.headers["Allow"] == client.open(path, method=method).headers["Allow"]  # as without a body
    assert_not_echoed(response)
    assert_security_headers(response)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("path", [*ROUTED, UNKNOWN])
def test_an_oversized_body_on_a_fhir_address_is_a_413_operation_outcome(
    app: Flask, client: FlaskClient, path: str, method: str
) -> None:
    data = (CANARY * (app.config["MAX_CONTENT_LENGTH"] // len(CANARY) + 1)).encode()
    response = client.open(path, method=method, data=data, content_type="application/json")
    body = outcome(response, 413, "invalid")
    assert "larger than this server accepts" in body["issue"][0]["diagnostics"]
    assert_not_echoed(response)
    assert_security_headers(response)


def test_a_chunked_body_over_the_limit_on_a_fhir_address_is_a_413_operation_outcome(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(
        "/fhir/QuestionnaireResponse",
        data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True},
    )
    outcome(response, 413, "invalid")


@pytest.mark.parametrize(
    ("status", "headers", "overrides"),
    [
        (411, {}, {"CONTENT_LENGTH": "", "wsgi.input_terminated": True}),
        (400, {"Transfer-Encoding": "chunked"}, {}),  # a length and a transfer coding: ambiguous framing
    ],
    ids=["no-length", "ambiguous-framing"],
)
def test_bad_framing_on_a_fhir_address_is_an_operation_outcome(
    client: FlaskClient, status: int, headers: dict[str, str], overrides: dict[str, object]
) -> None:
    response = client.post(
        "/fhir/metadata", data=CANARY, content_type="application/json", headers=headers, environ_overrides=overrides
    )
    outcome(response, status, "invalid")
    assert_not_echoed(response)


@pytest.mark.parametrize(
    "path", ["/fhir/metadata?_format=%00", f"/fhir/QuestionnaireResponse?{CANARY}=%1b", "/fhir/Bundle/KT-%00"]
)
def test_a_control_character_in_a_fhir_address_is_a_400_operation_outcome(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    outcome(response, 400, "invalid")
    assert_not_echoed(response)
    assert_security_headers(response)


def test_an_untrusted_host_on_a_fhir_address_is_a_400_operation_outcome(production: Flask) -> None:  # noqa: F811
    response = production.test_client().get(
        "/fhir/metadata", headers={"Host": f"{CANARY}.evil"}, base_url="https://localhost"
    )
    outcome(response, 400, "invalid")
    assert_not_echoed(response)


@pytest.mark.parametrize("path", ["/", "/fhirx", "/questionnaire/about_you", "/staff/login"])
def test_other_addresses_keep_the_html_pages_for_what_the_input_edges_refuse(
    app: Flask, client: FlaskClient, path: str
) -> None:
    unreadable = client.post(path, data=b'{"a": 1}', content_type="application/json")
    too_large = client.post(path, data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="text/plain")
    for response, status in ((unreadable, 400), (too_large, 413)):
        assert response.status_code == status
        assert response.mimetype == "text/html"
        assert "OperationOutcome" not in response.get_data(as_text=True)

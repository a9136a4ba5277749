"""``/fhir/Questionnaire/screening``: the public FHIR Questionnaire, its current version in ``_history``, and
FHIR-shaped 404s (OperationOutcome) for older versions and unknown paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire
from flask.testing import FlaskClient

from screening.clinical.fhir_questionnaire import questionnaire_resource
from screening.clinical.questionnaire import QUESTIONNAIRE_VERSION

URL = "/fhir/Questionnaire/screening"


def assert_outcome_404(response: Any) -> None:
    assert response.status_code == 404
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Cache-Control"] == "no-store"
    outcome = OperationOutcome.model_validate(json.loads(response.data))
    assert outcome.issue[0].code == "not-found"
    assert outcome.issue[0].severity == "error"


def test_questionnaire_is_public_fhir_json_equal_to_the_builders(client: FlaskClient) -> None:
    response = client.get(URL)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    assert response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["ETag"] == f'W/"{QUESTIONNAIRE_VERSION}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    body = json.loads(response.data)
    assert body == questionnaire_resource("en-GB")
    assert Questionnaire.model_validate(body).version == QUESTIONNAIRE_VERSION


def test_current_version_in_history_is_the_same_resource(client: FlaskClient) -> None:
    response = client.get(f"{URL}/_history/{QUESTIONNAIRE_VERSION}")
    assert response.status_code == 200
    assert response.data == client.get(URL).data


@pytest.mark.parametrize("version", ["1", str(int(QUESTIONNAIRE_VERSION) + 1), "latest"])
def test_other_versions_are_404_operation_outcomes(client: FlaskClient, version: str) -> None:
    response = client.get(f"{URL}/_history/{version}")
    assert_outcome_404(response)
    assert version not in json.loads(response.data)["issue"][0]["diagnostics"].replace(QUESTIONNAIRE_VERSION, "")


@pytest.mark.parametrize("version", ["a" * 65, "4_0", "4%2F0"])
def test_a_version_that_is_not_a_fhir_id_never_reaches_the_view(client: FlaskClient, version: str) -> None:
    """The converter refuses it, so the routing error answers (a 404 OperationOutcome, like any unknown FHIR path),
    not the view's "only the current version" outcome."""
    response = client.get(f"{URL}/_history/{version}")
    assert_outcome_404(response)
    assert "current version" not in json.loads(response.data)["issue"][0]["diagnostics"]


class TestUsLocale:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"LOCALE": "en-US"}

    def test_questionnaire_is_worded_for_the_clinics_locale(self, client: FlaskClient) -> None:
        body = json.loads(client.get(URL).data)
        assert body == questionnaire_resource("en-US")
        assert body["language"] == "en-US"
        assert body != questionnaire_resource("en-GB")

"""The FHIR ``CapabilityStatement`` of the read API (``GET /fhir/metadata``): what the server serves and how a
client proves who it is. ``INTERACTIONS`` is the one list of what is served (a test holds the routes to it).
Pure: standard library only; returns a plain JSON-ready dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from screening.clinical.fhir_codes import CANONICAL

FHIR_VERSION = "4.0.1"
#: Resource type -> the interactions served for it.
INTERACTIONS: Mapping[str, tuple[str, ...]] = {
    "QuestionnaireResponse": ("search-type",),
    "Bundle": ("read",),
    "Questionnaire": ("read", "vread"),
}
#: Resource type -> its search parameters: (name, FHIR type, what it does).
SEARCH_PARAMETERS: Mapping[str, tuple[tuple[str, str, str], ...]] = {
    "QuestionnaireResponse": (
        (
            "_lastUpdated",
            "date",
            "When the response was sent (answers never change after sending). Prefixes eq, ge, gt, le, lt; repeat "
            "the parameter to give a range, e.g. _lastUpdated=ge2026-12-01&_lastUpdated=lt2026-12-02.",
        ),
        ("_count", "number", "Responses per page: 50 unless given, at most 200. Follow Bundle.link next for more."),
    ),
}
_DOCUMENTATION: Mapping[str, str] = {
    "QuestionnaireResponse": (
        "Completed screening questionnaires, oldest first (then by arrival). Each carries the submission's reference "
        "as its identifier; read Bundle/<reference> for its Patient, flags (DetectedIssue) and scores (Observation)."
    ),
    "Bundle": "A submission's collection Bundle, by its reference: the same Bundle staff download.",
    "Questionnaire": "The screening questionnaire (id 'screening'), public; only the current version is served.",
}
SECURITY = (
    "Every interaction except this statement and the Questionnaire needs an API token issued by the clinic's "
    "administrator, sent as 'Authorization: Bearer <token>'. Tokens are read-only, can be revoked at any time and "
    "are rate limited; every read is audited with the token's name. Without a valid token: 401 with an "
    "OperationOutcome. A staff sign-in cookie does not authenticate this API."
)


def _resource(kind: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "type": kind,
        "documentation": _DOCUMENTATION[kind],
        "interaction": [{"code": code} for code in INTERACTIONS[kind]],
    }
    if kind in SEARCH_PARAMETERS:
        resource["searchParam"] = [
            {"name": name, "type": kind_, "documentation": words} for name, kind_, words in SEARCH_PARAMETERS[kind]
        ]
    return resource


def capability_statement(*, base_url: str, software: str, version: str, published: datetime) -> dict[str, Any]:
    """The statement of this server (an ``instance`` at ``base_url``, the FHIR base ending in ``/fhir``), JSON only,
    dated ``published`` (when the running software's capabilities were fixed: its start)."""
    return {
        "resourceType": "CapabilityStatement",
        "url": CANONICAL + "/CapabilityStatement/screening-read-api",
        "name": "ScreeningReadApi",
        "title": "Screening questionnaire read API",
        "status": "active",
        "date": published.astimezone(UTC).isoformat(timespec="seconds"),
        "publisher": software,
        "kind": "instance",
        "software": {"name": software, "version": version},
        "implementation": {"description": "Read API for integration engines", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Errors are OperationOutcomes.",
                "security": {
                    "cors": False,
                    # no code of FHIR's restful-security-service fits a static bearer token (it is not OAuth)
                    "service": [{"text": "Bearer token (RFC 6750) issued by the clinic's administrator"}],
                    "description": SECURITY,
                },
                "resource": [_resource(kind) for kind in INTERACTIONS],
            }
        ],
    }

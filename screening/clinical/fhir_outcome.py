"""FHIR ``OperationOutcome`` resources: how every ``/fhir/...`` error is told to a record system.

Owns the shape of an error answer (severity, issue type code from FHIR's ``IssueType`` value set, plain text).
The text never quotes the request (no patient data, nothing a caller typed). Pure: standard library only.
"""

from __future__ import annotations

from typing import Any, Literal

#: Codes of FHIR's ``IssueType`` value set that we use.
IssueCode = Literal["not-found", "not-supported", "invalid", "security", "login", "throttled", "exception"]


def operation_outcome(code: IssueCode, text: str, severity: str = "error") -> dict[str, Any]:
    """One issue: ``code`` for machines, ``text`` (``diagnostics``) for the person reading the integration log."""
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}

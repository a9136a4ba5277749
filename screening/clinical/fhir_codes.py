"""The stable FHIR identifiers of Screening: canonical base, code systems and the Questionnaire's url.

Owns the canonical URLs every FHIR resource we emit refers to (Questionnaire, QuestionnaireResponse,
flags). They are *canonical* identifiers, not addresses: they name our definitions and never change
with the clinic's own host name (a clinic serves the resource at its own ``/fhir/...`` address, but
the ``url`` inside it stays the same everywhere, so two clinics' responses compare).
Pure: no imports at all.
"""

from __future__ import annotations

#: Canonical base of every definition we publish (documented in docs/fhir.md; never change it).
CANONICAL = "https://fhir.screening.example/ketamine-prescreening"

#: Code system of the answer codes (``Option.code`` of the questionnaire definition).
ANSWER_SYSTEM = CANONICAL + "/CodeSystem/answer"

#: Code system of the flag rule ids (``rules`` of the clinical definition).
RULE_SYSTEM = CANONICAL + "/CodeSystem/rule"

#: Canonical url of the pre-screening Questionnaire (its version is ``QUESTIONNAIRE_VERSION``).
QUESTIONNAIRE_URL = CANONICAL + "/Questionnaire/screening"

#: Base of our own extensions (e.g. a condition FHIR's enableWhen cannot express exactly).
EXTENSION_BASE = CANONICAL + "/StructureDefinition"

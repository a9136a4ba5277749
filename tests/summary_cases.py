"""Submissions for the summary tests and the benchmark: a typical one (8 flags, 8 medicines), one with forty
medicines (issue 14), a maximal one (every rule of the catalogue as a stored flag, 20 medicines, every free-text answer
at its maximum length), and hostile text for every free-text field; plus ``pdf_pages``, the text of each page of a PDF
(Debian's ``pdftotext``), and ``pdf_page_size``."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from typing import Any

from screening import rules
from screening.clinical import questionnaire
from screening.extensions import db
from screening.models import FlagRecord, Submission
from tests.answer_sets import answers, auditc, born, gad7, phq9, submit_answers

TYPICAL_MEDICINES = [
    "Pregabalin 150mg twice a day",
    "co-codamol 30/500 two tablets qds",
    "amlodipine 5mg",
    "Atorvastatin 20 mg at night",
    "omeprazole 20mg od",
    "Sertraline 50mg mane",
    "Ramipril 5mg once a day",
    "fluffitol 10mg",
]
TYPICAL = answers(
    full_name="Sam Typical",
    date_of_birth=born(58),
    sex_at_birth="male",
    phone="01632 960 123",
    pain_conditions=["crps", "neuropathic"],
    pain_duration="gt_5y",
    heart_conditions=["high_blood_pressure"],
    bp_controlled="yes",
    bp_crisis_recent="no",
    bp_systolic=142,
    bp_diastolic=88,
    height_cm=178,
    weight_kg=96,
    snoring_loud="yes",
    **phq9(1, 1, 2, 1, 1, 1, 1, 0, 0),
    **gad7(1, 1, 1, 1, 0, 1, 0),
    **auditc(2, 1, 0),
    has_escort="no",
    medication_checklist=["opioid", "gabapentinoid"],
    opioid_daily="yes",
    medicines=TYPICAL_MEDICINES,
    pain_description="Burning pain down the left leg, worse at night and after sitting for long.",
)

#: Forty medicines, as in issue 14: lines 21-40 (morphine, tapentadol, warfarin, apixaban among them) are the ones the
#: old cap of 20 left off the doctor's paper.
FORTY_MEDICINES = [
    *TYPICAL_MEDICINES,
    "Lyrica 150mg twice a day",
    "zanax 0.5mg prn",
    "OxyContin 10mg MR bd",
    "Klaricid 500 bd",
    "paracetamol 1g qds",
    "lansoprazole 30mg",
    "metformin 500mg bd",
    "levothyroxine 100 micrograms",
    "bisoprolol 2.5mg",
    "furosemide 40mg mane",
    "Amitriptyline 10mg at night",
    "Duloxetine 60mg once a day",
    "Morphine sulfate MR 30mg twice a day",
    "tapentadol 50mg bd",
    "Warfarin 3mg as per INR clinic",
    "apixaban 5mg twice daily",
    "zopiclone 7.5mg at night",
    "diazepam 2mg prn",
    "naproxen 500mg bd",
    "gabapentin 300mg tds",
    "Tramadol 50mg up to four times a day",
    "codeine 30mg prn",
    "buprenorphine patch 10 micrograms/hour weekly",
    "fentanyl patch 25",
    "St John's wort (bought)",
    "melatonin 2mg",
    "mirtazapine 15mg nocte",
    "propranolol 40mg bd",
    "clopidogrel 75mg",
    "simvastatin 40mg",
    "vitamin D 1000 units",
    "folic acid 5mg",
]
assert len(FORTY_MEDICINES) == len(set(FORTY_MEDICINES)) == 40
MAX_MEDICINES = [f"medicine line {n:02d} " + "x" * 40 for n in range(1, 21)]
MAX_MEDICINES[:4] = ["Lyrica 150mg twice a day", "zanax 0.5mg prn", "OxyContin 10mg MR bd", "Klaricid 500 bd"]

HOSTILE_PIECES = (
    "<img src=file:///etc/passwd>",
    "<link rel=stylesheet href=http://127.0.0.1:9/>",
    "{{7*7}}",
    "\u202eevil\u202c",
    "\U0001f600",
)
HOSTILE = " ".join(HOSTILE_PIECES)

#: Free-text questions and the answers that make them shown.
FREE_TEXT = [
    question
    for question in questionnaire.QUESTIONS.values()
    if question.type in (questionnaire.QType.TEXT, questionnaire.QType.TEXTAREA)
]
SHOW_FREE_TEXT = {
    "referral_source": "primary_care",
    "pain_conditions": ["arthritis", "other"],
    "previous_ketamine": "yes",
    "previous_ketamine_effect": "helped_a_lot",
    "previous_ketamine_bad_reaction": "no",
}


def _filled(length_of: Any) -> dict[str, str]:
    return {
        question.id: length_of(question)
        for question in FREE_TEXT
        if question.id not in ("full_name", "current_medications")
    }


def maximal_answers() -> dict[str, Any]:
    """Every free-text answer at its maximum length (words, so the text can wrap), 20 medicine lines."""

    def words(question: questionnaire.Question) -> str:
        text = ("word " * 1000)[: (question.max_length or 200) - 4] + " END"
        return text

    return answers(**SHOW_FREE_TEXT, **_filled(words), full_name="Maxine " + "Longname " * 20, medicines=MAX_MEDICINES)


def hostile_answers() -> dict[str, Any]:
    """The hostile pieces in every free-text field (within each field's limit)."""
    return answers(
        **SHOW_FREE_TEXT,
        **_filled(lambda question: HOSTILE[: question.max_length]),
        full_name="Hostile " + HOSTILE,
        medicines=[HOSTILE, "paracetamol " + HOSTILE],
    )


def submit(values: dict[str, Any], *, today: date = date(2026, 11, 24)) -> Submission:
    """Submit ``values`` through the real path (inside an app context) on 24 Nov 2026; the stored submission."""
    return submit_answers(values, today=today, now=datetime(2026, 11, 24, 9, 30, tzinfo=UTC))


FORTY = {**TYPICAL, "full_name": "Forty Medicines", "current_medications": "\n".join(FORTY_MEDICINES)}


def rule_evidence(rule_id: str, length: int) -> str:
    """Evidence of ``length`` characters that names its rule, so a test can find each flag's evidence whole."""
    start = f"evidence of {rule_id}:"
    return (start + " word" * length)[: max(length, len(start) + 5) - 4] + " END"


def add_every_rule(submission: Submission, evidence_length: int = 400, *, named: bool = False) -> None:
    """Store a flag for every rule of the catalogue the submission lacks (the maximal summary), with long evidence
    (``named``: evidence that names its rule and ends in "END", ``rule_evidence``)."""
    have = {flag.rule_id for flag in submission.flags}
    position = len(submission.flags)
    for rule in rules.RULES:
        if rule.id in have:
            continue
        position += 1
        db.session.add(
            FlagRecord(
                submission=submission,
                position=position,
                rule_id=rule.id,
                severity=rule.severity.value,
                title=rule.title,
                evidence=rule_evidence(rule.id, evidence_length) if named else ("evidence " * 100)[:evidence_length],
                rationale=rule.rationale,
                source=", ".join(rule.sources),
                ruleset_version=rules.RULESET_VERSION,
            )
        )
    db.session.commit()


def pdf_page_size(pdf: bytes) -> str:
    """``pdfinfo``'s page size, e.g. "612 x 792 pts (letter)"."""
    tool = shutil.which("pdfinfo")
    assert tool, "pdfinfo is missing: apt-get install poppler-utils (scripts/ensure-browser.sh does)"
    done = subprocess.run([tool, "-"], input=pdf, capture_output=True, check=True)
    return next(
        line.split(":", 1)[1].strip() for line in done.stdout.decode().splitlines() if line.startswith("Page size:")
    )


def pdf_pages(pdf: bytes, *, mode: str = "-layout") -> list[str]:
    """The text of each page (``pdftotext -layout``: as laid out; ``mode="-raw"``: in the order the document wrote
    it, each column's lines whole); pages are separated by form feeds."""
    tool = shutil.which("pdftotext")
    assert tool, "pdftotext is missing: apt-get install poppler-utils (scripts/ensure-browser.sh does)"
    done = subprocess.run(
        [tool, mode, "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8").split("\f")[:-1]

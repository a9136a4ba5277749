"""Demo and test answer sets: the healthy baseline of clinical-rules.md, keyword-only builders, ``submit_answers``
(an answer set through the real submit path, as the demo data and the tests make submissions), and
``add_demo_submissions`` for a development database (``flask --app screening demo-data``), and the demo staff
accounts (``add_demo_staff``; ``reset_demo_staff`` for ``flask --app screening demo-accounts``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screening.models import Role, Submission

TODAY = date(2026, 11, 24)  # the day the vignettes of clinical-rules.md are evaluated on

_BASELINE: dict[str, Any] = {
    "consent_store": True,
    "full_name": "Alex Example",
    "date_of_birth": "1985-03-14",
    "sex_at_birth": "female",
    "email": "alex@example.org",
    "preferred_contact": "email",
    "referral_source": "self",
    "pain_conditions": ["arthritis"],
    "pain_locations": ["legs"],
    "pain_duration": "1_5y",
    "peg_pain": 6,
    "peg_enjoyment": 5,
    "peg_activity": 5,
    "treatments_tried": ["physio"],
    "previous_ketamine": "no",
    "no_medications": True,
    "medication_checklist": ["none"],
    "allergy_ketamine": "no",
    "heart_conditions": ["none"],
    "other_conditions": ["none"],
    "neck_large": "no",
    "snoring_loud": "no",
    "daytime_tiredness": "no",
    "observed_apnoea": "no",
    "pregnancy_status": "none",
    "mental_health_history": ["none"],
    "psychosis_ever": "no",
    "psychosis_family": "no",
    "mania_recent": "no",
    **{f"phq9_{n}": 0 for n in range(1, 10)},
    **{f"gad7_{n}": 0 for n in range(1, 8)},
    "auditc_1": "0",
    "drugs_past_year": ["none"],
    "prescribed_misuse": "no",
    "substance_treatment_ever": "no",
    "has_escort": "yes",
    "can_avoid_driving": "yes",
    "consent_not_decision": True,
}


def born(age: int, *, today: date = TODAY, birthday_passed: bool = True) -> str:
    """A date of birth (ISO) for someone who is ``age`` on ``today``; with ``birthday_passed`` False
    the next birthday is tomorrow (so they turn ``age + 1`` then)."""
    if birthday_passed:
        return today.replace(year=today.year - age).isoformat()
    tomorrow = date.fromordinal(today.toordinal() + 1)
    return tomorrow.replace(year=tomorrow.year - age - 1).isoformat()


def answers(**changes: Any) -> dict[str, Any]:
    """The healthy baseline with ``changes``; a value of None removes the answer. ``medicines``
    (a list of lines) replaces the "no medicines" tick; ``sex_at_birth="male"`` drops pregnancy."""
    result = dict(_BASELINE)
    medicines = changes.pop("medicines", None)
    if medicines is not None:
        result.pop("no_medications")
        result["current_medications"] = "\n".join(medicines)
    if changes.get("sex_at_birth") == "male":
        result.pop("pregnancy_status")
    result.update(changes)
    return {key: value for key, value in result.items() if value is not None}


def phq9(*items: int) -> dict[str, int]:
    """PHQ-9 answers from nine item scores."""
    assert len(items) == 9  # noqa: S101 (a check on a demo/test builder's arguments, never on input)
    return {f"phq9_{n}": value for n, value in enumerate(items, start=1)}


def gad7(*items: int) -> dict[str, int]:
    """GAD-7 answers from seven item scores."""
    assert len(items) == 7  # noqa: S101 (a check on a demo/test builder's arguments, never on input)
    return {f"gad7_{n}": value for n, value in enumerate(items, start=1)}


def auditc(*items: int) -> dict[str, str]:
    """AUDIT-C answers from item scores (items 2 and 3 only when drinking)."""
    return {f"auditc_{n}": str(value) for n, value in enumerate(items, start=1)}


#: Five different people (each their own date of birth and email), so none shows as a repeat of another.
DEMO_PATIENTS: tuple[dict[str, Any], ...] = (
    {
        "full_name": "Demo Patient One",
        "date_of_birth": "1979-06-21",
        "email": "one@example.org",
        "pain_conditions": ["crps"],
        "medicines": ["Lyrica 150mg twice a day"],
    },
    {
        "full_name": "Demo Patient Two",
        "email": "two@example.org",
        "sex_at_birth": "male",
        "date_of_birth": "1968-02-03",
        "heart_conditions": ["high_blood_pressure", "heart_attack"],
        "bp_controlled": "unsure",
        "bp_crisis_recent": "no",
        "heart_attack_recent": "yes",
        "chest_pain_since_mi": "no",
        "bp_systolic": 186,
        "bp_diastolic": 104,
        "pain_conditions": ["back_neck"],
        "medicines": ["amlodipine 5mg", "aspirin 75mg", "atorvastatin"],
    },
    {
        "full_name": "Demo Patient Three",
        "date_of_birth": "1991-11-02",
        "email": "three@example.org",
        "phq9_9": 1,
        "self_harm_intent": "no",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 001",
        "pain_conditions": ["fibromyalgia"],
    },
    {
        "full_name": "Demo Patient Four",
        "date_of_birth": "1988-04-30",
        "email": "four@example.org",
        "pregnancy_status": "breastfeeding",
        "mania_recent": "yes",
        "mental_health_history": ["bipolar"],
        "medicines": ["Lamictal 200", "Klonopin 0.5 at night"],
    },
    # urgent: shows the alert (make run: instance/alerts.log), the staff counter, and the escalation after 5 minutes
    {
        "full_name": "Demo Patient Five",
        "date_of_birth": "1972-09-09",
        "email": "five@example.org",
        "phq9_9": 2,
        "self_harm_intent": "yes",
        "self_harm_recent_attempt": "no",
        "phone": "01632 960 005",
        "pain_conditions": ["neuropathic"],
    },
)


def submit_answers(values: dict[str, Any], *, today: date | None = None, now: datetime | None = None) -> Submission:
    """Submit ``values`` as a patient who answered every page shown to them would, through the real path (draft,
    validation, rules, one transaction), inside an app context. ``today`` defaults to the real date, ``now`` (the
    submission time) to the real time."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    from screening import clock
    from screening.clinical import journey
    from screening.patient import drafts as services
    from screening.patient.article import load

    def clinic_today() -> date:
        return clock.today(ZoneInfo(current_app.config["SCREENING"]["TIMEZONE"]))

    draft, _token = services.start_draft(draft_days=1)
    draft.answers = values
    draft.completed_steps = ["start", *(step.id for step in journey.shown_steps(values))]
    return services.submit(draft, article=load(), today=today or clinic_today(), min_age=18, remote_addr=None, now=now)


def add_demo_submissions() -> list[tuple[str, int]]:
    """Submit each demo patient through the real path (draft, validation, rules). Returns (reference,
    number of flags) for each."""
    created = []
    for patient in DEMO_PATIENTS:
        submission = submit_answers(answers(**patient))
        created.append((submission.reference, len(submission.flags)))
    return created


DEMO_STAFF = (
    ("reception@demo.example", "Rae Reception", "reception"),
    ("clinician@demo.example", "Dr Cleo Clinician", "clinician"),
    ("admin@demo.example", "Ada Admin", "admin"),
)
#: Roles a demo account holds besides its own: the demo administrator is also a clinician, as in many small clinics.
DEMO_EXTRA_ROLES = {"admin@demo.example": ("clinician",)}


def _demo_roles(email: str, role: str) -> frozenset[Role]:
    from screening.models import Role

    return frozenset({Role(role), *(Role(extra) for extra in DEMO_EXTRA_ROLES.get(email, ()))})


def add_demo_staff() -> list[tuple[str, str, str]]:
    """Demo accounts with known passwords (development databases only). Returns (email, role, password)."""
    from screening.extensions import db
    from screening.staff import accounts, auth

    created = []
    for email, name, role in DEMO_STAFF:
        password = _demo_password(role)
        user, _ = accounts.create_staff(email=email, name=name, roles=_demo_roles(email, role))
        user.password_hash = auth.hash_password(password)
        user.must_change_password = False
        user.password_expires_at = None
        created.append((email, role, password))
    db.session.commit()
    return created


def _demo_password(role: str) -> str:
    return f"demo {role} screening 2026"


def reset_demo_staff() -> list[tuple[str, str, str]]:
    """Put the demo accounts back as ``add_demo_staff`` made them (development databases only): the known password
    again, no authenticator (each enrols again at its next sign-in), active, unlocked, every session ended. An
    account that is missing is created. Returns (email, role, password)."""
    from sqlalchemy import delete, select

    from screening.audit import audit
    from screening.extensions import db
    from screening.models import LoginFailure, StaffUser
    from screening.staff import accounts, auth

    result = []
    for email, name, role in DEMO_STAFF:
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if user is None:
            user, _ = accounts.create_staff(email=email, name=name, roles=_demo_roles(email, role))
        password = _demo_password(role)
        user.roles = _demo_roles(email, role)
        user.password_hash = auth.hash_password(password)
        user.must_change_password = False
        user.password_expires_at = None
        user.mfa_secret = None
        user.pending_mfa_secret = None
        user.mfa_last_step = 0
        user.active = True
        user.failed_logins = 0
        user.locked_until = None
        accounts.end_sessions(user)
        audit("staff.mfa_reset", staff_id=None, remote_addr=None, account=user.id)
        result.append((email, role, password))
    # this machine's sign-in throttle, so a newcomer who mistyped can sign in at once
    db.session.execute(delete(LoginFailure))
    db.session.commit()
    return result

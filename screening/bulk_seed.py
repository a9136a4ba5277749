"""A fast bulk loader of realistic submissions, for benchmarks and load tests on a development database:
``seed_submissions(count)`` (inside an app context).

Realistic: a few hundred varied answer sets (the clinical vignettes' patterns, mixed and with random scores) are
checked by the real validation and put through the real clinical core once (``rules.assess``), each made into a
``Submission`` with its ``FlagRecord`` rows by the submit service's own builder (``drafts._submission``), so answers,
scores, medicine matches, flags and priority are what the app would store. Fast: those templates are then
replicated with SQLAlchemy Core ``executemany`` inserts in batches, each copy with its own reference, submission
token, name, date of birth (the template's moved by up to ``DOB_SHIFT_DAYS``), email and phone, their search keys
(``search_keys``, as the insert hook sets them) and a submission time spread over ``days`` up to ``end``; statuses
are mixed as a clinic's would be (recent ones new, older ones mostly reviewed, old urgent ones picked up).

Not written: audit events and outbox notifications (the real submit writes one each), review events (unless
``reviewer_id`` is given: then every reviewed submission gets the status change that put it there). Works on SQLite
and PostgreSQL; refused in production (``SCREENING_ENV=production``).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Connection, func, select

from screening import rules, search_keys
from screening.clinical import dates, questionnaire, validation
from screening.demo import answers, auditc, born, gad7, phq9
from screening.extensions import db, utcnow
from screening.models import REFERENCE_ALPHABET, Draft, ReviewEvent, Submission, SubmissionStatus
from screening.models import FlagRecord as Flag
from screening.patient import drafts
from screening.patient.article import load as load_article
from screening.patient.fields import email_valid
from screening.patient.phones import phone_kind

TEMPLATES = 300
DOB_SHIFT_DAYS = 150

FIRST_NAMES = (
    "Alex Amara Aoife Ben Bronwen Chidi Chloe Dafydd Deepa Devendra Eilidh Elif Emma Farah Finn Gareth Grace Hamza "
    "Hannah Ifeoma Isla Jack Jasmine Joao Kai Kamal Laura Liam Lucia Mairead Marek Maya Mohammed Niamh Noah Olu "
    "Oskar Priya Rhys Ruth Saoirse Sam Sinead Siobhan Sophie Tariq Thomas Una Wei Yusuf Zara Zoe"
).split() + ["Zoë", "Siobhán", "José", "Łukasz", "Anne-Marie", "Mary Jane"]
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker "
    "White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris "
    "Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young "
    "Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Chen Nguyen Okafor Kowalski Murray"
).split() + ["O'Neill", "McDonald-Ross", "Ní Bhriain", "Müller", "Ødegård", "D'Souza", "Nguyễn"]

#: Groups of answer changes from the vignettes of clinical-rules.md; a template takes at most one from each group.
_GROUPS: tuple[tuple[dict[str, Any], ...], ...] = (
    (  # heart and blood pressure
        {"heart_conditions": ["high_blood_pressure"], "bp_controlled": "yes", "bp_crisis_recent": "no"},
        {
            "heart_conditions": ["high_blood_pressure", "heart_attack"],
            "bp_controlled": "unsure",
            "bp_crisis_recent": "no",
            "heart_attack_recent": "yes",
            "chest_pain_since_mi": "no",
        },
        {
            "heart_conditions": ["high_blood_pressure", "coronary_disease", "arrhythmia"],
            "bp_controlled": "yes",
            "bp_crisis_recent": "no",
            "angina_unstable": "no",
        },
    ),
    (  # other conditions
        {"other_conditions": ["sleep_apnoea"], "uses_cpap": "yes"},
        {"other_conditions": ["liver_disease"], "liver_severity": "moderate"},
        {"other_conditions": ["epilepsy"]},
        {"other_conditions": ["lung_disease", "porphyria"]},
    ),
    (  # mental health
        {"mental_health_history": ["bipolar"], "mania_recent": "yes"},
        {"mental_health_history": ["schizophrenia_psychosis"], "psychosis_current": "no"},
        {"psychosis_ever": "yes", "psychosis_current": "no"},
        {"phq9_9": 1, "self_harm_intent": "no", "self_harm_recent_attempt": "no", "phone": True},
        {"phq9_9": 3, "self_harm_intent": "yes", "self_harm_recent_attempt": "no", "phone": True},
    ),
    (  # substances, escort, allergy, ketamine before
        {"drugs_past_year": ["cannabis"]},
        {"drugs_past_year": ["ketamine", "mdma"], "ketamine_use_bad_reaction": "no"},
        {"has_escort": "no"},
        {"allergy_ketamine": "unsure"},
        {"previous_ketamine": "unsure", "previous_ketamine_unsure_reaction": "no"},
    ),
)
_MEDICINES = (
    "Pregabalin 150mg twice a day",
    "co-codamol 30/500 two tablets qds",
    "amlodipine 5mg",
    "Atorvastatin 20 mg at night",
    "omeprazole 20mg od",
    "Sertraline 50mg mane",
    "Lamictal 200",
    "Klonopin 0.5 at night",
    "Tramadol 50mg",
    "OxyContin 10mg MR bd",
    "levothyroxine 50mcg",
    "amitriptyline 10mg at night",
    "paracetamol 1g qds",
    "ibuprofen 400mg tds",
    "apixaban",
    "ramipril",
    "Uniphyllin Continus 400",
    "olanzapine 10mg",
    "zanax 0.5mg prn",
    "wibblezorp 5mg",
)
_PAIN_CONDITIONS = ("crps", "neuropathic", "fibromyalgia", "back_neck", "migraine", "arthritis", "post_herpetic")
_PAIN_LOCATIONS = ("head_face", "neck", "arms", "lower_back", "pelvis", "legs", "widespread")
_PAIN_DURATIONS = ("lt_3m", "6_12m", "1_5y", "gt_5y")
#: How statuses are mixed among submissions older than two days (the newer ones are all new).
_REVIEWED = (
    (SubmissionStatus.NEW, 5),
    (SubmissionStatus.IN_REVIEW, 15),
    (SubmissionStatus.AWAITING_PATIENT, 10),
    (SubmissionStatus.CONSULT_OFFERED, 45),
    (SubmissionStatus.NOT_SUITABLE, 15),
    (SubmissionStatus.WITHDRAWN, 10),
)


@dataclass(frozen=True)
class _Template:
    """One answer set as the submit service would store it: the submission's columns and its flags' rows."""

    row: dict[str, Any]
    flags: list[dict[str, Any]]
    has_phone: bool


def _phone(rng: random.Random) -> str:
    return f"07700 900{rng.randrange(1000):03d}" if rng.random() < 0.7 else f"01632 960{rng.randrange(1000):03d}"


def _answer_set(rng: random.Random, today: date) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for group in _GROUPS:
        if rng.random() < 0.4:  # most patients have none of a group's findings
            changes.update(rng.choice(group))
    wants_phone = changes.pop("phone", False) or rng.random() < 0.3
    sex = rng.choice(("female", "female", "male", "male", "intersex"))
    age = rng.randint(19, 86)
    # PHQ-9 and GAD-7 item scores: none, mild, moderate, severe
    mood = rng.choices(((0,), (0, 0, 0, 1), (0, 1, 1, 2), (1, 2, 2, 3)), (35, 35, 20, 10))[0]
    drinks = rng.choices((auditc(0), auditc(1, 0, 0), auditc(2, 1, 0), auditc(3, 2, 2)), (45, 25, 20, 10))[0]
    changes.update(
        date_of_birth=born(age, today=today),
        sex_at_birth=sex,
        pain_conditions=rng.sample(_PAIN_CONDITIONS, rng.randint(1, 2)),
        pain_locations=rng.sample(_PAIN_LOCATIONS, rng.randint(1, 3)),
        pain_duration=rng.choice(_PAIN_DURATIONS),
        peg_pain=rng.randint(3, 10),
        peg_enjoyment=rng.randint(2, 10),
        peg_activity=rng.randint(2, 10),
        **phq9(*(rng.choice(mood) for _ in range(8)), changes.pop("phq9_9", 0)),
        **gad7(*(rng.choice(mood) for _ in range(7))),
        **drinks,
    )
    if sex != "female":
        changes["pregnancy_status"] = None
    if rng.random() < 0.15:
        changes["pregnancy_status"] = "breastfeeding" if sex == "female" else None
    if rng.random() < 0.6:
        changes["medicines"] = rng.sample(_MEDICINES, rng.randint(1, 4))
    if rng.random() < 0.3:
        changes.update(height_cm=rng.randint(150, 195), weight_kg=rng.randint(50, 130))
    if rng.random() < 0.4:
        changes.update(bp_systolic=rng.randint(105, 190), bp_diastolic=rng.randint(65, 110))
    if wants_phone:
        changes["phone"] = _phone(rng)
        if rng.random() < 0.3:
            changes["preferred_contact"] = "phone"
    return answers(**changes)


def _templates(rng: random.Random, today: date, how_many: int) -> list[_Template]:
    """``how_many`` answer sets that pass validation, each through the real core and the submit service's builder."""
    locale = current_app.config["SCREENING"]["LOCALE"]
    article = load_article()
    now = utcnow()
    made: list[_Template] = []
    for _ in range(how_many * 20):
        if len(made) == how_many:
            break
        values = _answer_set(rng, today)
        if validation.first_invalid_step(
            values, today=today, min_age=18, email_valid=email_valid, phone_kind=phone_kind
        ):
            continue
        assessment = rules.assess(values, today=today, locale=locale)
        draft = Draft(consent_version=questionnaire.CONSENT_VERSION, consented_at=now, submission_token="")
        submission = drafts._submission(draft, assessment, article, now, [])  # noqa: SLF001 (the one row builder)
        row = {column.key: getattr(submission, column.key) for column in Submission.__table__.columns}
        row.update(version_id=1, skipped_steps=[])  # the column defaults the insert would apply
        flags = [
            {column.key: getattr(flag, column.key) for column in Flag.__table__.columns} for flag in submission.flags
        ]
        made.append(_Template(row, flags, isinstance(submission.answers.get("phone"), str)))
    if not made:  # pragma: no cover - the builders above always make valid answer sets
        raise RuntimeError("bulk_seed: no answer set passed validation")
    return made


def _reference(rng: random.Random, taken: set[str]) -> str:
    while True:
        chars = "".join(rng.choices(REFERENCE_ALPHABET, k=8))
        reference = f"KT-{chars[:4]}-{chars[4:]}"
        if reference not in taken:
            taken.add(reference)
            return reference


def _status(rng: random.Random, age: timedelta) -> SubmissionStatus:
    if age < timedelta(days=2):
        return SubmissionStatus.NEW
    statuses, weights = zip(*_REVIEWED, strict=True)
    status: SubmissionStatus = rng.choices(statuses, weights)[0]
    return status


def _marks(mark: str, columns: list[str] | tuple[str, ...]) -> str:
    return ", ".join([mark] * len(columns))


class _Writer:
    """Rows straight to the driver's ``executemany``: each value through its column type's own bind processor
    (the JSON encoding, UTC datetimes, enum values, as SQLAlchemy would send them), the columns every copy of a
    template shares processed once per template. Ids are given here (on PostgreSQL the sequence is moved after)."""

    VARYING = (
        "id",
        "reference",
        "submitted_at",
        "status",
        "consented_at",
        "answers",
        "full_name",
        "date_of_birth",
        "email",
        "submission_token",
        "picked_up_at",
        "picked_up_by_id",
        "name_key",
        "phone_key",
        "email_key",
    )

    def __init__(self, connection: Connection) -> None:
        self.dialect = connection.dialect
        mark = "?" if self.dialect.paramstyle == "qmark" else "%s"
        table = Submission.__table__
        self.fixed = [column.key for column in table.columns if column.key not in self.VARYING]
        self.submission_columns = [*self.VARYING, *self.fixed]
        self.flag_columns = [column.key for column in Flag.__table__.columns if column.key != "id"]
        self.event_columns = ["submission_id", "staff_id", "at", "from_status", "to_status"]
        self.processors = {
            name: {column.key: column.type._cached_bind_processor(self.dialect) for column in t.columns}
            for name, t in (("submission", table), ("flag", Flag.__table__), ("review_event", ReviewEvent.__table__))
        }
        self.sql = {  # table and column names from the models, never from input
            name: f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({_marks(mark, columns)})"  # noqa: S608 # nosec B608
            for name, columns in (
                ("submission", self.submission_columns),
                ("flag", self.flag_columns),
                ("review_event", self.event_columns),
            )
        }

    def values(self, table: str, row: dict[str, Any], columns: list[str] | tuple[str, ...]) -> list[Any]:
        processors = self.processors[table]
        result = []
        for column in columns:
            value = row.get(column)
            process = processors[column]
            result.append(value if process is None or value is None else process(value))
        return result

    def prepare(self, template: _Template) -> tuple[list[Any], list[list[Any]]]:
        """The template's shared submission values (in ``fixed`` order) and its flags' values (submission id first)."""
        flags = [self.values("flag", flag, self.flag_columns) for flag in template.flags]
        return self.values("submission", template.row, self.fixed), flags


_name_key = functools.lru_cache(maxsize=None)(search_keys.name_key)  # a few thousand names and phone numbers
_phone_key = functools.lru_cache(maxsize=None)(search_keys.phone_key)


def _copy(
    template: _Template, rng: random.Random, *, at: datetime, end: datetime, taken: set[str], region: str
) -> dict[str, Any]:
    """The varying columns of one copy of ``template``, submitted ``at``."""
    answers_ = dict(template.row["answers"])
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    full_name = f"{first} {last}"
    born_on = (dates.parse_date(answers_["date_of_birth"]) or date(1970, 1, 1)) + timedelta(
        days=rng.randint(-DOB_SHIFT_DAYS, DOB_SHIFT_DAYS)
    )
    reference = _reference(rng, taken)
    local = ".".join("".join(search_keys.name_tokens(name)) for name in (first, last))
    email = f"{local}.{reference[3:].replace('-', '').lower()}@example.org"
    answers_.update(full_name=full_name, date_of_birth=born_on.isoformat(), email=email)
    phone = None
    if template.has_phone:
        phone = answers_["phone"] = _phone(rng)
    urgent = template.row["priority"] == rules.Severity.URGENT.rank
    return {
        "reference": reference,
        "submitted_at": at,
        "status": _status(rng, end - at),
        "consented_at": at - timedelta(minutes=rng.randint(6, 45)),
        "answers": answers_,
        "full_name": full_name,
        "date_of_birth": born_on,
        "email": email,
        "submission_token": rng.randbytes(32).hex(),
        "picked_up_at": at + timedelta(minutes=rng.randint(3, 40)) if urgent and end - at > timedelta(days=1) else None,
        "name_key": _name_key(full_name),
        "phone_key": _phone_key(phone, region),
        "email_key": search_keys.email_key(email),
    }


def _write_batch(
    connection: Connection,
    writer: _Writer,
    chosen: list[tuple[_Template, tuple[list[Any], list[list[Any]]]]],
    times: list[datetime],
    *,
    first_id: int,
    reviewer_id: int | None,
    copy: Callable[[_Template, datetime], dict[str, Any]],
) -> None:
    """Insert one batch: a copy of each chosen template, submitted at the matching time, ids from ``first_id``."""
    submissions: list[tuple[Any, ...]] = []
    flags: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for offset, ((template, (shared, flag_values)), at) in enumerate(zip(chosen, times, strict=True)):
        row = copy(template, at)
        row["id"] = submission_id = first_id + offset
        row["picked_up_by_id"] = reviewer_id if row["picked_up_at"] is not None else None
        submissions.append((*writer.values("submission", row, writer.VARYING), *shared))
        flags.extend((submission_id, *values[1:]) for values in flag_values)  # submission_id is the first column
        if reviewer_id is not None and row["status"] is not SubmissionStatus.NEW:
            event = {"submission_id": submission_id, "staff_id": reviewer_id, "at": at + timedelta(days=1)}
            event.update(from_status=SubmissionStatus.NEW, to_status=row["status"])
            events.append(tuple(writer.values("review_event", event, writer.event_columns)))
    for table, rows in (("submission", submissions), ("flag", flags), ("review_event", events)):
        if rows:
            connection.exec_driver_sql(writer.sql[table], rows)
    connection.commit()


def seed_submissions(
    count: int,
    *,
    rng_seed: int = 0,
    end: datetime | None = None,
    days: int = 365,
    batch: int = 2000,
    reviewer_id: int | None = None,
) -> int:
    """Add ``count`` realistic submissions (with their flags) submitted over the ``days`` days up to ``end`` (default
    now), in batches of ``batch`` rows, each batch committed. The same ``rng_seed`` gives the same rows (references
    aside, when some are taken already). ``reviewer_id``: a staff account to record as having made each reviewed
    submission's status change and picked up each old urgent one; without it no review events are written. Returns
    how many were added. Refused in production."""
    if current_app.config["SCREENING"]["ENV"] == "production":
        raise RuntimeError("bulk_seed is for development and benchmark databases only")
    if count <= 0:
        return 0
    rng = random.Random(rng_seed)  # noqa: S311 (made-up data, repeatable: not a secret)
    end = end or utcnow()
    templates = _templates(rng, end.date(), min(TEMPLATES, count))
    region = search_keys.region_of(current_app.config["SCREENING"]["LOCALE"])
    taken = set(db.session.scalars(select(Submission.reference)))
    next_id = (db.session.scalar(select(func.max(Submission.id))) or 0) + 1
    db.session.commit()  # end the reads, so the inserts below take the write lock at once
    span = timedelta(days=days).total_seconds()
    times = sorted(end - timedelta(seconds=rng.uniform(0, span)) for _ in range(count))

    def copy(template: _Template, at: datetime) -> dict[str, Any]:
        return _copy(template, rng, at=at, end=end, taken=taken, region=region)

    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # room for the indexes' pages while they grow (this connection only; put back below)
            cache_size = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
            connection.exec_driver_sql("PRAGMA cache_size = -131072")  # 128 MiB
        writer = _Writer(connection)
        prepared = [(template, writer.prepare(template)) for template in templates]
        for start in range(0, count, batch):
            some = times[start : start + batch]
            chosen = [rng.choice(prepared) for _ in some]
            _write_batch(connection, writer, chosen, some, first_id=next_id + start, reviewer_id=reviewer_id, copy=copy)
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA cache_size = {cache_size}")
        else:  # PostgreSQL: the ids given here, past the sequence
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('submission', 'id'), (SELECT max(id) FROM submission))"
            )
            connection.commit()
    return count

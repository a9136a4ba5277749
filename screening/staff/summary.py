"""The consulting doctor's one-page summary as one view-model, built from a stored ``Submission`` and used by both
the print view and the PDF, so they never disagree.

It is faithful to what was submitted: the flags, scores and medicine matches stored at submission (never
re-derived), with one line when today's rule set would flag the answers differently. The order is the doctor's:
flags first (by severity, with evidence, a short source and any acknowledgement), then scores, medicines, the key
answers (the questions with a ``Topic``, worded by ``presenter`` as on every page) with the legend of the flags'
source keys (each key once, with its full citation from today's ``rules.SOURCES``), and staff notes. Questions the
patient was not asked are left out. Every medicine line and every flag is printed, however many there are (issue 14:
a medicine missing from the doctor's paper is a hazard, H47); a long list of medicines is laid out compactly by the
template. Only free text is clipped to the room it has on the page (a medicine line's text too, never the line); a
clipped text says the full text is on the staff page. A flag's evidence is printed whole: its room is a guard against
data no rule can produce (``EVIDENCE_ROOM``).

Pure: the standard library and the pure modules only; the submission is read through its attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from screening import rules
from screening.clinical import dates, presenter, scoring
from screening.clinical.presenter import AnswerRow
from screening.clinical.questionnaire import TEXT_TYPES, Topic
from screening.staff import display as staff_display
from screening.staff.display import RuleDifference, ScoreView, SourceEntry

#: Room for each kind of free text on the page, in characters; longer text is clipped with ``CLIPPED``.
ANSWER_ROOM = 280
#: A flag's evidence is printed whole. It is rule-generated words (at most about 230 characters, the pain conditions'
#: grades) plus, for the medicine rules, each of the patient's lines it names, so its length is bounded by the
#: 3000-character medicine list: the longest found is about 14,900 characters (676 distinct two-letter lines, none
#: recognised; tests/app/test_summary_medicines.py). This room is above that, a guard only against text no rule writes
#: (a value written into the database), which would otherwise make the PDF too long to render.
EVIDENCE_ROOM = 20_000
MEDICINE_LINE_ROOM = 90
NOTE_ROOM = 300
ACKNOWLEDGEMENT_NOTE_ROOM = 160
NAME_ROOM = 80
RUNNING_NAME_ROOM = 40
#: Every medicine line and every flag is printed. Staff notes are not the patient's answers: the newest
#: ``NOTES_SHOWN`` are printed and the rest counted ("2 earlier notes on the staff page").
NOTES_SHOWN = 4
#: A list of more medicines than ``MEDICINES_COMPACT_OVER`` is printed in slightly smaller type beside the scores; one
#: of more than ``MEDICINES_COLUMNS_OVER`` (about twice the scores table's height, where it starts to save room) goes
#: below the scores at full width, in two columns. A typical patient stays on one page and forty medicines fit on two
#: (tests/app/test_summary_medicines.py reads the pages back from the PDF).
MEDICINES_COMPACT_OVER = 8
MEDICINES_COLUMNS_OVER = 20
CLIPPED = "[continues on the staff page]"

#: The key answers are the questions with a ``topic`` (``questionnaire.Topic``: the headings, in the doctor's order;
#: ``CONTACT`` among the facts at the top), in the order of the definition, worded by ``presenter``. Every other
#: question is left out on purpose, for the reason given here: a test makes each question either have a topic or be
#: listed, so a new question is placed on the page or left off it deliberately. The page must stay one sheet for a
#: typical patient (tests/app/test_summary.py).
LEFT_OUT: Mapping[str, str] = {
    # consents every submission has (nothing can be sent without them)
    "consent_store": "a consent every submission gives",
    "consent_not_decision": "a consent every submission gives",
    # the header of the page
    "full_name": "in the heading and the running header",
    "date_of_birth": "among the facts at the top, with the age",
    "sex_at_birth": "its consequences are printed: the pregnancy answers, the STOP-Bang score and the flags",
    # administration, on the staff page
    "referral_source": "administrative; on the staff page",
    "referrer_name": "administrative; on the staff page",
    # the instruments' items: their scores are printed under Scores, and a flag names any item that fired one
    **dict.fromkeys(("peg_pain", "peg_enjoyment", "peg_activity"), "scored: PEG"),
    **dict.fromkeys((f"phq9_{item}" for item in range(1, 10)), "scored: PHQ-9 (item 9 brings the self-harm answers)"),
    **dict.fromkeys((f"gad7_{item}" for item in range(1, 8)), "scored: GAD-7"),
    **dict.fromkeys(("auditc_1", "auditc_2", "auditc_3"), "scored: AUDIT-C"),
    **dict.fromkeys(("height_cm", "weight_kg"), "scored: BMI"),
    **dict.fromkeys(
        ("neck_large", "neck_43cm", "snoring_loud", "daytime_tiredness", "observed_apnoea"), "scored: STOP-Bang"
    ),
    # the Medicines section prints every line of the list with what it matched
    "no_medications": "the Medicines section says when no medicines were listed",
    "current_medications": "the Medicines section prints each line with what it matched",
    # each option is a medicine class a rule looks at, so a tick that matters is a flag that names it (the line would
    # also cost a typical patient the one-page budget)
    "medication_checklist": "each option is a medicine class the rules look at: a tick raises a flag naming it",
}


@dataclass(frozen=True, slots=True)
class Clipped:
    """A piece of free text cut to its room: ``text`` ends where the room does, ``clipped`` says it was cut."""

    text: str
    clipped: bool


def clip(text: str, room: int) -> Clipped:
    """``text`` cut at the last space within ``room`` characters (or at ``room`` when there is none nearby)."""
    text = text.strip()
    if len(text) <= room:
        return Clipped(text, False)
    cut = text[:room]
    space = cut.rfind(" ")
    return Clipped((cut[:space] if space > room * 0.6 else cut).rstrip(" ,;.") + "…", True)


@dataclass(frozen=True, slots=True)
class SummaryFlag:
    severity: str
    title: str
    evidence: Clipped
    source: str  # the source keys, e.g. "ASRA2018, KETALAR"
    acknowledgement: str | None  # "Discussed by Dr Cleo Clinician, 24 Nov 2026, 14:05"
    acknowledgement_note: Clipped | None


@dataclass(frozen=True, slots=True)
class SummaryFlagGroup:
    severity: str
    label: str
    flags: tuple[SummaryFlag, ...]


@dataclass(frozen=True, slots=True)
class SummaryMedicine:
    line: Clipped
    matches: tuple[str, ...]  # "alprazolam (benzodiazepine)", "possibly ..."
    recognised: bool


@dataclass(frozen=True, slots=True)
class SummaryAnswer:
    label: str
    answer: Clipped
    answered: bool


@dataclass(frozen=True, slots=True)
class SummarySection:
    title: str
    answers: tuple[SummaryAnswer, ...]


@dataclass(frozen=True, slots=True)
class SummaryNote:
    who: str
    when: str
    text: Clipped


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the one-page summary prints, in reading order."""

    clinic_name: str
    reference: str
    name: Clipped
    date_of_birth: str
    age: int | None
    contact: tuple[SummaryAnswer, ...]
    submitted: str
    status_label: str
    questionnaire_version: str
    ruleset_version: str
    article_version: str
    flag_groups: tuple[SummaryFlagGroup, ...]
    rule_difference: RuleDifference
    scores: tuple[ScoreView, ...]
    medicines: tuple[SummaryMedicine, ...]  # every line, in the patient's order
    sections: tuple[SummarySection, ...]
    notes: tuple[SummaryNote, ...]
    notes_not_shown: int
    generated_by: str
    generated_at: str
    sent_early: str | None = None  # "Sent early from the support page: not answered: ..." (staff_display.sent_early)
    sources: tuple[SourceEntry, ...] = ()  # the legend: each source key of the flags once (staff_display.flags_legend)

    @property
    def flag_count(self) -> int:
        return sum(len(group.flags) for group in self.flag_groups)

    @property
    def medicines_compact(self) -> bool:
        """A long list: printed in slightly smaller type."""
        return len(self.medicines) > MEDICINES_COMPACT_OVER

    @property
    def medicines_in_columns(self) -> bool:
        """A very long list: printed below the scores instead of beside them, in two columns."""
        return len(self.medicines) > MEDICINES_COLUMNS_OVER

    @property
    def short_name(self) -> str:
        """The name as the running header of later pages has room for."""
        return clip(self.name.text, RUNNING_NAME_ROOM).text

    @property
    def rule_difference_line(self) -> str | None:
        """One line when today's rule set would flag the stored answers differently, else None."""
        difference = self.rule_difference
        if not difference.differs:
            return None
        parts = []
        if difference.added:
            parts.append("would add " + ", ".join(title for _rule, title in difference.added))
        if difference.removed:
            parts.append("would not raise " + ", ".join(title for _rule, title in difference.removed))
        return (
            f"Flags are as submitted (rule set {difference.submitted_version}). Today's rule set "
            f"{difference.current_version} " + "; ".join(parts) + "."
        )


# --- parts ---------------------------------------------------------------------------------------------------------
def _flag(view: staff_display.FlagView) -> SummaryFlag:
    acknowledgement = None
    if view.acknowledgement_label:
        acknowledgement = view.acknowledgement_label
        if view.acknowledged_by:
            acknowledgement += f" by {view.acknowledged_by}"
        if view.acknowledged_when:
            acknowledgement += f", {view.acknowledged_when}"
    note = clip(view.acknowledgement_note, ACKNOWLEDGEMENT_NOTE_ROOM) if view.acknowledgement_note else None
    return SummaryFlag(
        view.severity,
        view.title,
        clip(view.evidence, EVIDENCE_ROOM),
        ", ".join(key for key, _citation in view.sources),
        acknowledgement,
        note,
    )


def _medicine(line: staff_display.MedicineLine) -> SummaryMedicine:
    matches = tuple(match.wording for match in line.matches)
    return SummaryMedicine(clip(line.line, MEDICINE_LINE_ROOM), matches, line.recognised)


def _answers(rows: Iterable[AnswerRow], topic: Topic) -> tuple[SummaryAnswer, ...]:
    """The answers of ``topic`` to the questions the patient was asked (``rows``: hidden ones are not there), worded
    as on every other page; an optional free-text question left empty is left out (it says nothing)."""
    return tuple(
        SummaryAnswer(row.short, clip(row.text, ANSWER_ROOM), row.answered)
        for row in rows
        if row.question.topic is topic
        and (row.answered or row.question.type not in TEXT_TYPES or row.question.required)
    )


def _notes(events: Sequence[Any], zone: tzinfo) -> tuple[list[SummaryNote], int]:
    """Staff notes (and notes given with a status change), newest first; acknowledgement notes print with their
    flag."""
    notes = [
        SummaryNote(event.staff.name, dates.moment_words(event.at, zone), clip(event.note, NOTE_ROOM))
        for event in sorted(events, key=lambda event: event.at, reverse=True)
        if event.note and getattr(event, "flag_id", None) is None
    ]
    return notes[:NOTES_SHOWN], max(0, len(notes) - NOTES_SHOWN)


# --- the whole summary -----------------------------------------------------------------------------------------------
def build(
    submission: Any,
    *,
    clinic_name: str,
    generated_by: str,
    generated_at: datetime,
    zone: tzinfo,
    today: date,
    date_order: str = "dmy",
) -> Summary:
    """The summary of a stored submission, generated by ``generated_by`` at ``generated_at`` (UTC)."""
    raw = submission.answers if isinstance(submission.answers, Mapping) else {}
    rule_config = getattr(submission, "rule_config", None)
    rows = presenter.answer_rows(
        raw,
        locale=rules.stored_locale(rule_config),  # the words the patient was asked in (the AUDIT-C's UK or US ones)
        date_order=date_order,
        skipped=staff_display.skipped_steps(submission),
    ).values()
    submitted_on = submission.submitted_at.astimezone(zone).date()
    flag_views = staff_display.flag_groups(submission.flags, zone)
    groups = tuple(
        SummaryFlagGroup(group.severity, group.label, tuple(_flag(view) for view in group.flags))
        for group in flag_views
    )
    lines = tuple(_medicine(line) for line in staff_display.medicine_lines(submission.medicines or []))
    notes, notes_not_shown = _notes(submission.events, zone)
    sections = tuple(
        SummarySection(topic.value, answers)
        for topic in Topic
        if topic is not Topic.CONTACT and (answers := _answers(rows, topic))
    )
    return Summary(
        clinic_name=clinic_name,
        reference=submission.reference,
        name=clip(submission.full_name, NAME_ROOM),
        date_of_birth=dates.date_words(submission.date_of_birth, date_order),
        age=scoring.age_on(submission.date_of_birth, today),
        contact=_answers(rows, Topic.CONTACT),
        submitted=dates.moment_words(submission.submitted_at, zone),
        status_label=staff_display.STATUS_LABELS.get(getattr(submission.status, "value", submission.status), ""),
        questionnaire_version=submission.questionnaire_version,
        ruleset_version=submission.ruleset_version,
        article_version=submission.article_version,
        flag_groups=groups,
        rule_difference=staff_display.compare_with_current_rules(
            raw,
            submission.flags,
            submitted_on=submitted_on,
            submitted_version=submission.ruleset_version,
            rule_config=rule_config,
        ),  # re-evaluated in the locale it was scored in
        scores=tuple(staff_display.score_views(submission.scores or {})),
        medicines=lines,
        sections=sections,
        notes=tuple(notes),
        notes_not_shown=notes_not_shown,
        generated_by=generated_by,
        generated_at=dates.moment_words(generated_at, zone),
        sent_early=staff_display.sent_early(getattr(submission, "skipped_steps", None)),
        sources=staff_display.flags_legend(flag_views),
    )

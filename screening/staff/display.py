"""View-models of a stored submission for clinic staff, generated from the questionnaire definition: flags grouped
by severity (with their sources expanded), whether today's rules would flag it differently, scores with bands,
medicines with their classes, and every shown answer by step with its label (worded by ``clinical.presenter``, as on
every page that shows answers). Used by the staff submission page and the printable summary (``summary``). Pure: the
standard library and the pure modules only (models are read through their attributes, so a stored ``Submission`` or
any object shaped like it will do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from screening import rules
from screening.clinical import dates, medications, presenter, questionnaire, scoring
from screening.clinical.presenter import AnswerSection

STATUS_LABELS: Mapping[str, str] = {
    "new": "New",
    "in_review": "In review",
    "awaiting_patient": "Awaiting patient",
    "consult_offered": "Consultation offered",
    "not_suitable": "Not suitable",
    "withdrawn": "Withdrawn",
}
#: Queue priority (``Submission.priority``) -> severity value; -1 means no flags.
SEVERITY_BY_RANK: Mapping[int, str] = {severity.rank: severity.value for severity in rules.Severity}
SEVERITY_LABELS: Mapping[str, str] = {
    "urgent": "Urgent",
    "discuss": "Discuss",
    "caution": "Caution",
    "info": "Info",
    "none": "No flags",
}
ACKNOWLEDGEMENT_LABELS: Mapping[str, str] = {
    "discussed": "Discussed",
    "not_relevant": "Not relevant",
    "needs_follow_up": "Needs follow-up",
}


def severity_of_priority(priority: int) -> str:
    """``"urgent"`` ... ``"info"``, or ``"none"`` for a submission without flags."""
    return SEVERITY_BY_RANK.get(priority, "none")


# --- flags ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FlagView:
    """One stored flag as staff read it; ``sources`` are (key, citation) pairs from ``rules.SOURCES``."""

    rule_id: str
    severity: str
    title: str
    evidence: str
    rationale: str
    sources: tuple[tuple[str, str], ...]
    acknowledgement: str | None
    acknowledgement_label: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledged_when: str | None  # acknowledged_at in the clinic's time zone, in words
    acknowledgement_note: str | None


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    severity: str
    label: str
    flags: tuple[FlagView, ...]


#: What a source key prints when today's ``rules.SOURCES`` no longer has it (a renamed, split or removed source): the
#: stored flag keeps the key it was raised with, and the reader is told why there is no citation.
RETIRED_SOURCE = "(retired source key: no longer in the rule set's list of sources)"


@dataclass(frozen=True, slots=True)
class SourceEntry:
    """One line of a legend of source keys: the key, its full citation, and whether the key is retired (then
    ``citation`` is ``RETIRED_SOURCE``)."""

    key: str
    citation: str
    retired: bool


def source_keys(source: str | None) -> tuple[str, ...]:
    """A flag's stored ``source`` (keys joined by commas at submission, e.g. ``"ASRA2018, KETALAR"``) -> its keys, in
    order, each once; blanks dropped."""
    return tuple(dict.fromkeys(key.strip() for key in (source or "").split(",") if key.strip()))


def cite(key: str) -> SourceEntry:
    """The citation of ``key`` from ``rules.SOURCES`` as it is now (read at every call, never copied, so a renamed or
    split key shows at once); a key it no longer has is marked retired."""
    citation = rules.SOURCES.get(key)
    return SourceEntry(key, citation, False) if citation else SourceEntry(key, RETIRED_SOURCE, True)


def expand_sources(source: str | None) -> tuple[tuple[str, str], ...]:
    """``"ASRA2018, KETALAR"`` -> ((key, full citation), ...); a retired key gets ``RETIRED_SOURCE``."""
    return tuple((entry.key, entry.citation) for entry in map(cite, source_keys(source)))


def source_legend(keys: Iterable[str]) -> tuple[SourceEntry, ...]:
    """The legend of the source keys a page shows: each key once, in alphabetical order (case ignored), with its full
    citation (``cite``). Keys not given are never listed, so the legend is exactly the page's keys."""
    unique = {key.strip() for key in keys if key.strip()}
    return tuple(cite(key) for key in sorted(unique, key=lambda key: (key.casefold(), key)))


def flags_legend(groups: Iterable[SeverityGroup]) -> tuple[SourceEntry, ...]:
    """The legend of every source key cited by the flags of ``groups`` (``flag_groups``)."""
    return source_legend(key for group in groups for view in group.flags for key, _citation in view.sources)


def flag_view(flag: Any, zone: tzinfo = UTC) -> FlagView:
    kind = getattr(flag.acknowledgement, "value", flag.acknowledgement)
    by, at = flag.acknowledged_by, flag.acknowledged_at
    return FlagView(
        flag.rule_id,
        flag.severity,
        flag.title,
        flag.evidence,
        flag.rationale,
        expand_sources(flag.source),
        kind,
        ACKNOWLEDGEMENT_LABELS.get(kind) if kind else None,
        by.name if by is not None else None,
        at,
        dates.moment_words(at, zone) if at else None,
        flag.acknowledgement_note,
    )


def flag_groups(flags: Iterable[Any], zone: tzinfo = UTC) -> list[SeverityGroup]:
    """Stored flags grouped by severity, highest first (urgent, discuss, caution, info), each group in stored order.
    Empty groups are left out."""
    views = [flag_view(flag, zone) for flag in flags]
    groups = []
    for severity in rules.Severity:
        members = tuple(view for view in views if view.severity == severity.value)
        if members:
            groups.append(SeverityGroup(severity.value, SEVERITY_LABELS[severity.value], members))
    known = {severity.value for severity in rules.Severity}
    odd = tuple(view for view in views if view.severity not in known)
    if odd:  # never hide a flag, even one whose severity this version does not know
        groups.append(SeverityGroup("unknown", "Other", odd))
    return groups


@dataclass(frozen=True, slots=True)
class RuleDifference:
    """Whether today's rule set flags the stored answers differently: ``added`` fire now but did not then,
    ``removed`` fired then but not now; each a tuple of (rule id, title)."""

    added: tuple[tuple[str, str], ...]
    removed: tuple[tuple[str, str], ...]
    submitted_version: str
    current_version: str

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed)


def compare_with_current_rules(
    answers: Mapping[str, Any],
    flags: Iterable[Any],
    *,
    submitted_on: date,
    submitted_version: str,
    rule_config: Any = None,
) -> RuleDifference:
    """Re-evaluate the stored answers with today's catalogue and default thresholds, on the day of submission and in
    the locale the submission was scored with (``rules.stored_locale`` of its stored ``rule_config``: en-US for
    submissions stored without one, as their AUDIT-C was the US version), so only the rules, not the patient's age
    or the clinic's setting, can make a difference; and compare the sets of rule ids. Display only: nothing stored
    changes."""
    stored = {flag.rule_id: flag.title for flag in flags}
    locale = rules.stored_locale(rule_config)
    current = {flag.rule_id: flag.title for flag in rules.evaluate(answers, today=submitted_on, locale=locale)}
    added = tuple((rule_id, title) for rule_id, title in current.items() if rule_id not in stored)
    removed = tuple((rule_id, title) for rule_id, title in stored.items() if rule_id not in current)
    return RuleDifference(added, removed, submitted_version, rules.RULESET_VERSION)


# --- scores --------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScoreView:
    """``name`` is the stored score's version when it has one ("AUDIT-C (UK)", "AUDIT-C (US)"; scores stored before
    rule set 2026.3 have none and read "AUDIT-C"), else the instrument's; ``text`` is ``scoring.describe`` without
    the name: "12 (moderate)", "at least 3 (...)", "not scored ..."."""

    key: str
    name: str
    text: str
    band: str | None
    complete: bool


def _score(stored: Mapping[str, Any]) -> scoring.Score:
    version, routes = stored.get("version"), stored.get("routes")
    return scoring.Score(
        value=stored.get("value"),
        band=stored.get("band"),
        complete=bool(stored.get("complete")),
        lower_bound=bool(stored.get("lower_bound")),
        unknown=tuple(stored.get("unknown") or ()),
        cutoff=stored.get("cutoff"),
        version=version if isinstance(version, str) else None,
        routes=tuple(str(route) for route in routes) if isinstance(routes, list | tuple) else (),
    )


def score_views(scores: Mapping[str, Any]) -> list[ScoreView]:
    """The stored scores in ``scoring.SCORE_NAMES`` order (PEG, PHQ-9, GAD-7, AUDIT-C, STOP-Bang, age, BMI), each
    named by the version that scored it when it has one (``ScoreView``)."""
    views = []
    for key in scoring.SCORE_NAMES:
        stored = scores.get(key)
        if not isinstance(stored, Mapping):
            continue
        score = _score(stored)
        name = scoring.score_name(key, score)
        views.append(
            ScoreView(key, name, scoring.describe(key, score).removeprefix(name).strip(), score.band, score.complete)
        )
    return views


# --- medicines -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MedicineView:
    """One piece of a line that matched: ``wording`` as in flag evidence ("possibly alprazolam (benzodiazepine)")."""

    text: str
    wording: str
    generics: tuple[str, ...]
    classes: tuple[str, ...]
    confident: bool


@dataclass(frozen=True, slots=True)
class MedicineLine:
    """A line of the patient's medicine list as typed, with what it matched (none: unrecognised)."""

    line: str
    matches: tuple[MedicineView, ...]

    @property
    def recognised(self) -> bool:
        return bool(self.matches)


def _medicine(stored: Mapping[str, Any]) -> MedicineView:
    match = medications.Match(
        text=str(stored.get("text", "")),
        name=str(stored.get("name", "")),
        generics=tuple(stored.get("generics") or ()),
        classes=frozenset(stored.get("classes") or ()),
        confident=bool(stored.get("confident")),
        ambiguous=bool(stored.get("ambiguous")),
    )
    classes = tuple(label for key, label in medications.CLASS_LABELS.items() if key in match.classes)
    return MedicineView(match.text, match.describe(), match.generics, classes, match.confident)


def medicine_lines(medicines: Sequence[Any]) -> list[MedicineLine]:
    """The stored medicine matches (``[[line, [match, ...]], ...]``) as view-models."""
    lines = []
    for entry in medicines:
        if isinstance(entry, Sequence) and len(entry) == 2 and isinstance(entry[0], str):
            matches = tuple(_medicine(m) for m in entry[1] if isinstance(m, Mapping))
            lines.append(MedicineLine(entry[0], matches))
    return lines


# --- answers -------------------------------------------------------------------------------------------------------
def skipped_steps(submission: Any) -> tuple[str, ...]:
    """The pages a submission sent early from the support page skipped (none for most)."""
    skipped = getattr(submission, "skipped_steps", None)
    if not isinstance(skipped, list | tuple):
        return ()
    return tuple(step_id for step_id in skipped if isinstance(step_id, str))


def sent_early(skipped_steps: Any) -> str | None:
    """One line when the patient chose "Send my answers now" (the support page) and skipped pages, naming them by
    title; None for a submission with every page answered."""
    if not isinstance(skipped_steps, Sequence) or isinstance(skipped_steps, str):
        return None
    titles = [
        questionnaire.STEP_BY_ID[step_id].title if step_id in questionnaire.STEP_BY_ID else str(step_id)
        for step_id in skipped_steps
    ]
    return f"Sent early from the support page: not answered: {', '.join(titles)}" if titles else None


# --- history -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One line of the review timeline: a status change and/or note, a flag acknowledgement, or the submission."""

    at: datetime
    when: str  # ``at`` in the clinic's time zone, in words
    who: str | None
    kind: str  # "submitted", "status", "note", "acknowledgement"
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    flag_title: str | None = None
    acknowledgement: str | None = None


def history(submission: Any, zone: tzinfo = UTC) -> list[HistoryEntry]:
    """The review timeline, newest first: review events (status changes, notes, every flag acknowledgement) and
    the submission itself."""
    entries = [
        HistoryEntry(submission.submitted_at, dates.moment_words(submission.submitted_at, zone), None, "submitted")
    ]
    for event in submission.events:
        when, who = dates.moment_words(event.at, zone), event.staff.name
        if event.flag_id is not None:
            kind = getattr(event.acknowledgement, "value", event.acknowledgement)
            entries.append(
                HistoryEntry(
                    event.at,
                    when,
                    who,
                    "acknowledgement",
                    note=event.note,
                    flag_title=event.flag.title if event.flag is not None else None,
                    acknowledgement=ACKNOWLEDGEMENT_LABELS.get(kind or ""),
                )
            )
            continue
        status_change = event.to_status is not None
        entries.append(
            HistoryEntry(
                event.at,
                when,
                who,
                "status" if status_change else "note",
                STATUS_LABELS.get(getattr(event.from_status, "value", event.from_status) or "") or None,
                STATUS_LABELS.get(getattr(event.to_status, "value", event.to_status) or "") or None,
                event.note,
            )
        )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


# --- the whole page ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SubmissionView:
    """Everything the staff page (and the printable summary) shows about one submission, in reading order."""

    reference: str
    name: str
    date_of_birth: str
    age: int | None
    submitted: str
    status: str
    status_label: str
    severity: str
    flag_groups: list[SeverityGroup]
    rule_difference: RuleDifference
    scores: list[ScoreView]
    medicines: list[MedicineLine]
    answers: list[AnswerSection]
    history: list[HistoryEntry]
    questionnaire_version: str
    ruleset_version: str
    sent_early: str | None = None  # "Sent early from the support page: not answered: ..." (``sent_early``)
    sources: tuple[SourceEntry, ...] = ()  # the legend of the flags' source keys (``flags_legend``)

    @property
    def flag_count(self) -> int:
        return sum(len(group.flags) for group in self.flag_groups)


def submission_view(submission: Any, *, zone: tzinfo, today: date, date_order: str = "dmy") -> SubmissionView:
    """The view-model of a stored submission. ``zone`` is the clinic's time zone, ``today`` its date (for the age)."""
    status = getattr(submission.status, "value", submission.status)
    submitted_on = submission.submitted_at.astimezone(zone).date()
    groups = flag_groups(submission.flags, zone)
    rule_config = getattr(submission, "rule_config", None)  # its locale: the patient's wording, the re-evaluation
    return SubmissionView(
        reference=submission.reference,
        name=submission.full_name,
        date_of_birth=dates.date_words(submission.date_of_birth, date_order),
        age=scoring.age_on(submission.date_of_birth, today),
        submitted=dates.moment_words(submission.submitted_at, zone),
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        severity=severity_of_priority(submission.priority),
        flag_groups=groups,
        rule_difference=compare_with_current_rules(
            submission.answers,
            submission.flags,
            submitted_on=submitted_on,
            submitted_version=submission.ruleset_version,
            rule_config=rule_config,
        ),
        scores=score_views(submission.scores),
        medicines=medicine_lines(submission.medicines),
        answers=presenter.answer_sections(
            submission.answers,
            locale=rules.stored_locale(rule_config),
            date_order=date_order,
            skipped=skipped_steps(submission),
        ),
        history=history(submission, zone),
        questionnaire_version=submission.questionnaire_version,
        ruleset_version=submission.ruleset_version,
        sent_early=sent_early(getattr(submission, "skipped_steps", None)),
        sources=flags_legend(groups),
    )

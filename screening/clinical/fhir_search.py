"""FHIR search for the read API: the ``_lastUpdated`` and ``_count`` parameters, the paging cursor, and the
``searchset`` Bundle.

``_lastUpdated`` takes a FHIR date or dateTime (``2026``, ``2026-12``, ``2026-12-01``, ``2026-12-01T09:30``,
``2026-12-01T09:30:00Z``, ``...+01:00``) with an optional prefix ``eq`` (the default), ``ge``, ``gt``, ``le`` or
``lt``. A value stands for the whole period its precision names (a day, a second...), as FHIR search says: ``gt``
a day means after that day, ``le`` a day means up to its end. A date with no time is read in the clinic's time zone;
a time needs its offset. Each ``_lastUpdated`` narrows the search further (AND); a comma (OR) is not supported.
The cursor is opaque to callers: the (time, row id) of the last row of a page, as URL-safe base64 of two numbers,
never patient data. Errors raise ``SearchError`` with words for the OperationOutcome (they never quote the request).
Pure: standard library only.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

DEFAULT_COUNT = 50
MAX_COUNT = 200
PREFIXES = ("eq", "ge", "gt", "le", "lt")
#: The search parameters of ``QuestionnaireResponse`` we understand (``_format`` only as JSON).
PARAMETERS = frozenset({"_lastUpdated", "_count", "_cursor", "_format"})
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})

_MOMENT = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,6})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2}))?)?)?"
)
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")


class SearchError(ValueError):
    """A search the API cannot run: the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class Bound:
    """One ``_lastUpdated`` condition as a comparison with an aware UTC moment: ``op`` is ``>=``, ``<`` ..."""

    op: str
    moment: datetime


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search: the bounds (all must hold), the page size, and the cursor to read after (or None)."""

    bounds: tuple[Bound, ...] = ()
    count: int = DEFAULT_COUNT
    after: tuple[datetime, int] | None = None
    last_updated: tuple[str, ...] = field(default=())  # as given, to repeat in the paging links


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    return moment.replace(year=moment.year + month // 12, month=month % 12 + 1)


def _period(text: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The [start, end) in UTC of a FHIR date or dateTime at its own precision."""
    match = _MOMENT.fullmatch(text.replace(" ", "+"))  # an unencoded "+" in a URL arrives as a space
    if match is None:
        raise SearchError("_lastUpdated: give a date or dateTime such as ge2026-12-01 or lt2026-12-01T09:30:00Z")
    try:
        return _bounds_of(match.groupdict(), zone)
    except (ValueError, OverflowError):  # no such day or time, or beyond the years a datetime holds (1 to 9999)
        raise SearchError("_lastUpdated: that date or time does not exist") from None


def _bounds_of(part: dict[str, str | None], zone: tzinfo) -> tuple[datetime, datetime]:
    """The period of a matched value's parts (raises ValueError or OverflowError for one that cannot be)."""
    year, month, day = int(part["year"] or 0), int(part["month"] or 1), int(part["day"] or 1)
    if part["hour"] is None:
        start = datetime(year, month, day, tzinfo=zone)
        if part["day"]:
            end = (start.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=zone)  # a day of the clinic's clock
        else:
            end = _add_months(start, 1 if part["month"] else 12)
        return start.astimezone(UTC), end.astimezone(UTC)
    zone_text = part["zone"] or ""
    offset = UTC if zone_text == "Z" else datetime.strptime(zone_text.replace(":", ""), "%z").tzinfo
    digits = (part["fraction"] or ".")[1:]
    seconds = int(part["second"] or 0)
    moment = datetime(year, month, day, int(part["hour"] or 0), int(part["minute"] or 0), seconds, tzinfo=offset)
    start = moment.replace(microsecond=int((digits + "000000")[:6]))
    if digits:
        step = timedelta(microseconds=10 ** (6 - len(digits)))
    else:
        step = timedelta(seconds=1) if part["second"] else timedelta(minutes=1)
    return start.astimezone(UTC), (start + step).astimezone(UTC)


def last_updated_bounds(value: str, zone: tzinfo) -> tuple[Bound, ...]:
    """The condition(s) of one ``_lastUpdated`` value (``eq`` is a range: two bounds)."""
    if "," in value:
        raise SearchError("_lastUpdated: one value per parameter (repeat the parameter to combine conditions)")
    prefix, moment = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    if prefix not in PREFIXES:
        raise SearchError("_lastUpdated: the prefixes supported are eq, ge, gt, le and lt")
    start, end = _period(moment, zone)
    return {
        "eq": (Bound(">=", start), Bound("<", end)),
        "ge": (Bound(">=", start),),
        "gt": (Bound(">=", end),),
        "le": (Bound("<", end),),
        "lt": (Bound("<", start),),
    }[prefix]


def page_size(values: Sequence[str]) -> int:
    """``_count``: a whole number from 1 (``DEFAULT_COUNT`` if absent); more than ``MAX_COUNT`` gives ``MAX_COUNT``."""
    if not values:
        return DEFAULT_COUNT
    if len(values) > 1 or not values[0].isdigit() or int(values[0]) < 1:
        raise SearchError(f"_count: give one whole number from 1 to {MAX_COUNT}")
    return min(int(values[0]), MAX_COUNT)


def encode_cursor(moment: datetime, row_id: int) -> str:
    """The opaque cursor of a row: its time (microseconds since the epoch, UTC) and id."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}.{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) of a cursor made by ``encode_cursor``."""
    invalid = SearchError("_cursor: use the next link exactly as the previous page gave it")
    if not _CURSOR.fullmatch(cursor):
        raise invalid
    try:
        micros, _, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(".")
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
        return moment, int(row_id)
    except (ValueError, OverflowError):
        raise invalid from None


def parse_search(args: Mapping[str, Sequence[str]], zone: tzinfo) -> Search:
    """A ``QuestionnaireResponse`` search from its query parameters (each name with all its values)."""
    unknown = set(args) - PARAMETERS
    if unknown:
        raise SearchError("Unsupported search parameter: the parameters supported are _lastUpdated and _count")
    if any(value.strip().lower() not in JSON_FORMATS for value in args.get("_format", ())):
        raise SearchError("_format: only JSON is served")
    last_updated = tuple(args.get("_lastUpdated", ()))
    bounds = tuple(bound for value in last_updated for bound in last_updated_bounds(value.strip(), zone))
    cursors = args.get("_cursor", ())
    if len(cursors) > 1:
        raise SearchError("_cursor: use the next link exactly as the previous page gave it")
    after = decode_cursor(cursors[0]) if cursors else None
    return Search(bounds=bounds, count=page_size(args.get("_count", ())), after=after, last_updated=last_updated)


def query_string(search: Search, cursor: str | None = None) -> list[tuple[str, str]]:
    """The query parameters of a page of ``search`` (after ``cursor``), for its self and next links."""
    params = [("_lastUpdated", value) for value in search.last_updated]
    params.append(("_count", str(search.count)))
    if cursor is not None:
        params.append(("_cursor", cursor))
    return params


def searchset(
    resources: Sequence[Mapping[str, Any]], *, self_url: str, next_url: str | None, timestamp: datetime
) -> dict[str, Any]:
    """A ``searchset`` Bundle of ``resources`` (each a match, with its ``urn:uuid:`` fullUrl) and its links."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": timestamp.astimezone(UTC).isoformat(timespec="seconds")},
        "type": "searchset",
        "link": links,
        "entry": [
            {"fullUrl": "urn:uuid:" + resource["id"], "resource": dict(resource), "search": {"mode": "match"}}
            for resource in resources
        ],
    }

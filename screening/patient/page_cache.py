"""The rendered-fragment cache of the patient pages: the HTML of a question (``macros/questions.html``), kept per
app and reused when the same question is shown again in the same state, because rendering the GOV.UK Frontend macros
is most of a step page's time (docs/benchmarks.md); and blocks of a page that read only settings (``cached_fragment``:
the start page's introduction), keyed by the values they read.

A question's HTML is a pure function of what ``question_key`` puts in its key: the question and the names of its
field, the locale, the instrument stem it hangs under, which of its options are ticked, and the keys of the
follow-ups nested in its reveals. Only states drawn from a small, fixed set are cached: options ticked or not, and
text, number, date, height and weight boxes while they are empty. A question with an error or with anything typed
in it (or in a follow-up under it) is rendered afresh every time, so nothing a patient typed is ever kept
here, and the cache is bounded by the questionnaire, not by the number of patients. Its entries depend on nothing
an admin changes at runtime (question texts come from the code and the translations); a ``cached_fragment`` names
every setting it reads in its key, so a changed setting is a new entry at once. ``clear`` forgets them all
(``PATIENT_PAGE_CACHE = False`` turns the cache off, and the import hoisting of ``macro_imports``: the test that
pages are byte for byte equal either way uses it). Imports Flask, Flask-Babel (the locale) and the questionnaire's
types only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale

from screening.clinical.questionnaire import QType

__all__ = ["FragmentCache", "cached_fragment", "cached_question", "question_key", "register_page_cache"]

EXTENSION = "screening_page_cache"
#: Far more than the questionnaire's states seen in practice (a step of 16 likert items needs 80); a cap all the same.
MAX_ENTRIES = 4096
_TICKED = frozenset({QType.CHOICE, QType.YESNO, QType.YESNOUNSURE, QType.SCALE, QType.LIKERT4, QType.MULTI})
_TICK = frozenset({QType.CONSENT, QType.CHECKBOX})
_TYPED = frozenset({QType.TEXT, QType.TEXTAREA, QType.EMAIL, QType.TEL, QType.INT})


class FragmentCache:
    """Rendered HTML by key, at most ``max_entries`` of them (the oldest is forgotten first)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._html: dict[Hashable, Any] = {}
        self._writing = threading.Lock()  # a threaded worker: reads need none, changes one at a time

    def get_or_render(self, key: Hashable, render: Callable[[], Any]) -> Any:
        found = self._html.get(key)
        if found is None:
            found = render()
            with self._writing:
                if len(self._html) >= self.max_entries:
                    self._html.pop(next(iter(self._html)), None)
                self._html[key] = found
        return found

    def clear(self) -> None:
        with self._writing:
            self._html.clear()

    def __len__(self) -> int:
        return len(self._html)


def _state(field: Any, kind: QType, options: tuple[Any, ...], locale: str) -> Hashable | None:
    """What the question's HTML reads of its field, when that is one of a small fixed set of states; else None."""
    if kind in _TICKED:
        return tuple(field.is_checked(option.code) for option in options)
    if kind in _TICK:
        return field.data is True
    if kind in _TYPED:
        return "" if field.text() == "" else None
    if kind is QType.DATE:
        return "" if field.parts() == ("", "", "") else None
    if kind is QType.MEASURE:  # a height or weight: only while its boxes are empty
        units = field.unit_items(locale)
        values = tuple(tuple(box["value"] for box in unit["boxes"]) for unit in units)
        if any(value for boxes in values for value in boxes):
            return None
        return tuple((unit["code"], unit["checked"]) for unit in units), values
    return None


def question_key(form: Any, node: Any, locale: str, stem_id: str = "") -> tuple[Any, ...] | None:
    """The cache key of one question as ``render_question`` shows it (follow-ups included), or None when it must
    be rendered afresh (an error or something typed, here or in a follow-up)."""
    field = form[node.field_name]
    if field.errors:
        return None
    question = node.question
    state = _state(field, question.type, question.options, locale)
    if state is None:
        return None
    children = []
    for code, nodes in node.children.items():
        keys = tuple(question_key(form, child, locale) for child in nodes)
        if None in keys:
            return None
        children.append((code, keys))
    return (question.id, field.name, field.id, locale, stem_id, state, tuple(children))


def cached_question(form: Any, node: Any, locale: str, stem_id: str, render: Callable[..., Any]) -> Any:
    """``render(form, node, locale, stem_id)`` (the uncached macro), or the HTML it gave before for the same key."""
    cache: FragmentCache | None = current_app.extensions.get(EXTENSION)
    key = question_key(form, node, locale, stem_id) if cache is not None else None
    if cache is None or key is None:
        return render(form, node, locale, stem_id)
    return cache.get_or_render((str(get_locale()), *key), lambda: render(form, node, locale, stem_id))


def cached_fragment(*key: Hashable, caller: Callable[[], Any]) -> Any:
    """``{% call cached_fragment(name, value, ...) %}...{% endcall %}``: the block's HTML, reused while the values it
    reads (given as the key, after a name for the block) are the same: a setting changed at runtime is a new key."""
    cache: FragmentCache | None = current_app.extensions.get(EXTENSION)
    if cache is None:
        return caller()
    return cache.get_or_render(("fragment", str(get_locale()), *key), caller)


def register_page_cache(app: Flask) -> None:
    """The cache (unless ``PATIENT_PAGE_CACHE`` is False) and the ``cached_question`` template global."""
    app.config.setdefault("PATIENT_PAGE_CACHE", True)
    if app.config["PATIENT_PAGE_CACHE"]:
        app.extensions[EXTENSION] = FragmentCache()
    app.jinja_env.globals["cached_question"] = cached_question
    app.jinja_env.globals["cached_fragment"] = cached_fragment

"""A keyboard-only user: Tab, Space, Enter and the arrow keys, never the mouse and never a locator to act on. What
has focus is read as a screen reader would say it (label, legend, text), and every stop must show a visible focus
indicator: GOV.UK's yellow focus colour in an outline, box shadow or background, on the element or, for GOV.UK's
radios and checkboxes, on the label's pseudo-element that draws the control."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Page

from screening.clinical.dates import parse_date
from screening.clinical.questionnaire import STEP_BY_ID, QType, Question, Step

MAX_STOPS = 300
TEXT_INPUTS = frozenset({"text", "email", "tel", "number", "textarea"})

_FOCUSED = """() => {
    const el = document.activeElement
    if (!el || el === document.body || el === document.documentElement) {
        return null
    }
    const words = node => (node ? node.textContent : "").replace(/\\s+/g, " ").trim()
    // GOV.UK's focus style, kept in _settings.scss: a yellow (#ffdd00) outline, box shadow or background. It is
    // never used on anything unfocused, so finding it means the focus is shown (a plain box shadow is not enough:
    // buttons always have one).
    const yellow = "rgb(255, 221, 0)"
    const drawn = style => (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
            && style.outlineColor === yellow)
        || style.boxShadow.includes(yellow) || style.backgroundColor === yellow
    const label = el.labels && el.labels.length ? el.labels[0] : null
    const box = el.getBoundingClientRect()
    const fieldset = el.closest("fieldset")
    return {
        tag: el.tagName.toLowerCase(), type: (el.getAttribute("type") || "").toLowerCase(), id: el.id,
        label: words(label), legend: fieldset ? words(fieldset.querySelector("legend")) : "",
        text: words(el), checked: Boolean(el.checked), value: el.value === undefined ? "" : String(el.value),
        classes: String(el.className || ""), in_main: Boolean(el.closest("main")),
        indicator: drawn(getComputedStyle(el)) || Boolean(label
            && (drawn(getComputedStyle(label, "::before")) || drawn(getComputedStyle(label, "::after")))),
        on_screen: box.width > 1 && box.height > 1 && box.bottom > 0 && box.top < window.innerHeight,
    }
}"""


@dataclass(frozen=True)
class Focus:
    """The focused element, in words."""

    tag: str
    type: str
    id: str
    label: str
    legend: str
    text: str
    checked: bool
    value: str
    classes: str
    in_main: bool
    indicator: bool
    on_screen: bool

    def is_button(self, text: str) -> bool:
        return self.tag == "button" and self.text == text

    def is_link(self, text: str) -> bool:
        return self.tag == "a" and self.text == text

    @property
    def kind(self) -> str:
        return "textarea" if self.tag == "textarea" else self.type or self.tag


class KeyboardUser:
    def __init__(self, page: Page) -> None:
        self.page = page

    # --- where the focus is ----------------------------------------------------------------------------------
    def focused(self) -> Focus | None:
        found = self.page.evaluate(_FOCUSED)
        return Focus(**found) if found else None

    def tab(self) -> Focus:
        """Press Tab; the new stop must exist, be on screen and show a focus indicator."""
        self.page.keyboard.press("Tab")
        return self.expect_visible_focus()

    def expect_visible_focus(self) -> Focus:
        focus = self.focused()
        assert focus is not None, f"Tab left the page on {self.page.url}"
        assert focus.on_screen, f"the focused element is off screen: {focus}"
        assert focus.indicator, f"no visible focus indicator on {focus}"
        return focus

    def tab_to(self, wanted: Callable[[Focus], bool], what: str) -> Focus:
        for _ in range(MAX_STOPS):
            focus = self.tab()
            if wanted(focus):
                return focus
        raise AssertionError(f"{what} never got focus on {self.page.url}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def press_and_load(self, key: str = "Enter") -> None:
        """Press a key that loads a new page (Enter on a link or a submit button)."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)

    # --- answering -------------------------------------------------------------------------------------------
    def answer_page(self, given: Mapping[str, Any], *, from_focus: bool = False) -> str:
        """Tab through the current step, answering every question found in ``given``, and press Enter on
        "Continue". ``from_focus``: start on the element that has focus (after following an error link)."""
        step = STEP_BY_ID[urlparse(self.page.url).path.rsplit("/", 1)[-1]]
        focus = self.expect_visible_focus() if from_focus else self.tab()
        for _ in range(MAX_STOPS):
            if focus.is_button("Continue"):
                self.press_and_load("Enter")
                return step.id
            self._act(focus, step, given)
            focus = self.tab()
        raise AssertionError(f"never reached Continue on {self.page.url}")

    def _act(self, focus: Focus, step: Step, given: Mapping[str, Any]) -> None:
        question = _question_for(focus, step)
        if question is None or question.id not in given:
            return  # a link, a button, or a question this patient leaves empty
        value = given[question.id]
        if focus.kind == "radio":
            self._choose(focus, question.option_label(str(value)))
        elif focus.kind == "checkbox":
            wanted = (
                value is True
                if question.type in (QType.CONSENT, QType.CHECKBOX)
                else any(question.option_label(code) == focus.label for code in value)
            )
            if wanted != focus.checked:
                self.press("Space")
        elif focus.kind in TEXT_INPUTS:
            text = _date_part(value, focus.label) if question.type is QType.DATE else str(value)
            if focus.value != text:
                self.press("Control+A")
                self.page.keyboard.type(text)

    def _choose(self, focus: Focus, wanted: str) -> None:
        """In a radio group: Space on the wanted option, or the arrow keys (which move and select) until it."""
        for _ in range(20):
            if focus.label == wanted:
                if not focus.checked:
                    self.press("Space")
                return
            self.press("ArrowDown")
            focus = self.expect_visible_focus()
        raise AssertionError(f"no option {wanted!r} in the radio group {focus.legend!r}")


def _question_for(focus: Focus, step: Step) -> Question | None:
    """The question a focused control belongs to: a radio, an option tick box or a date part by its legend; a
    text box or a single tick box by its label."""
    for question in step:
        if focus.kind == "radio":
            found = bool(question.options) and question.type is not QType.MULTI and focus.legend == question.label
        elif focus.kind == "checkbox":
            found = (question.type is QType.MULTI and focus.legend == question.label) or (
                question.type in (QType.CONSENT, QType.CHECKBOX) and focus.label == question.label
            )
        elif focus.kind in TEXT_INPUTS and question.type is QType.DATE:
            found = focus.legend == question.label and focus.label in ("Day", "Month", "Year")
        else:
            found = focus.kind in TEXT_INPUTS and not question.options and focus.label == question.label
        if found:
            return question
    return None


def _date_part(value: str, part: str) -> str:
    day = parse_date(value)
    assert day is not None
    return str({"Day": day.day, "Month": day.month, "Year": day.year}[part])

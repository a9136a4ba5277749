"""Issue 13, item 8, in a real browser: the character counter counts characters (code points) as the server does, so
an emoji is one; the 0 to 10 scales sit on one row at desktop width and in tidy columns at 320 px; the medicines box
is as tall as the list in it, without JavaScript."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.answer_sets import answers
from tests.e2e.conftest import DESKTOP, NARROW, NewPage
from tests.e2e.patient import seed

MEDICINES = [f"Medicine number {n} 10mg twice a day" for n in range(1, 15)]


def _item_boxes(page: Page, question_id: str) -> list[dict[str, float]]:
    items = page.locator(f"input[name={question_id}]").locator("xpath=..")
    boxes = [items.nth(n).bounding_box() for n in range(items.count())]
    assert len(boxes) == 11 and all(boxes)
    return [box for box in boxes if box]


def test_character_counter_counts_an_emoji_as_one_character_like_the_server(new_page: NewPage) -> None:
    page = new_page(DESKTOP)
    seed(page, answers(), until="pain")
    page.goto("/questionnaire/pain")
    box = page.get_by_label("Tell us about your pain in your own words (optional)")
    status = page.locator(".govuk-character-count__status")  # the visible count (a twin speaks to screen readers)
    box.fill("Sore \N{GRINNING FACE}\N{FACE WITH MEDICAL MASK}")  # 7 characters, 9 UTF-16 units
    expect(status).to_have_text("You have 1,993 characters remaining")
    box.fill("a" * 1999 + "\N{GRINNING FACE}")  # exactly the 2,000 the server allows
    expect(status).to_have_text("You have 0 characters remaining")
    box.fill("a" * 2000 + "\N{GRINNING FACE}")
    expect(status).to_have_text("You have 1 character too many")


def test_scales_are_one_row_on_a_desktop_and_tidy_columns_on_a_phone(new_page: NewPage) -> None:
    wide = new_page(DESKTOP)
    seed(wide, answers(), until="pain")
    wide.goto("/questionnaire/pain")
    boxes = _item_boxes(wide, "peg_pain")
    assert len({round(box["y"]) for box in boxes}) == 1, "0 to 10 on one row"
    assert [box["x"] for box in boxes] == sorted(box["x"] for box in boxes)

    narrow = new_page(NARROW)
    seed(narrow, answers(), until="pain")
    narrow.goto("/questionnaire/pain")
    boxes = _item_boxes(narrow, "peg_pain")
    columns = sorted({round(box["x"]) for box in boxes})
    assert 3 <= len(columns) <= 4, columns
    assert len({round(box["y"]) for box in boxes}) == -(-11 // len(columns)), "full rows, the last one shorter"
    labels = narrow.locator("input[name=peg_pain] + label")
    tops = {round(labels.nth(n).bounding_box()["y"] - boxes[n]["y"]) for n in range(11)}  # type: ignore[index]
    assert len(tops) == 1, "every number level with its radio, the last row's too"
    assert narrow.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]


def test_medicines_box_is_as_tall_as_the_list_without_javascript(new_page: NewPage) -> None:
    page = new_page(DESKTOP, javascript=False)
    given = answers(medicines=MEDICINES)
    seed(page, given, until="check")
    page.goto("/questionnaire/medications")
    box = page.locator("textarea[name=current_medications]")
    assert int(box.get_attribute("rows") or 0) > len(MEDICINES)
    assert box.evaluate("element => element.scrollHeight <= element.clientHeight"), "no scroll bar inside the box"

"""One-line checks of a page in the browser, for every page now and later (staff pages, the summary):

    check_page(page, "about_you-error")

runs axe-core (WCAG 2.0/2.1/2.2 A and AA, and best practice) and fails on any violation, keeps the page's HTML for
the Nu HTML Checker (``validate_html``, one Java call per session), saves a full-page screenshot into
tests/e2e/.screenshots/ (git-ignored), and on a 320 px page fails if the page scrolls sideways. Each part is also a
helper of its own. Imports Playwright only.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from playwright.sync_api import Browser, Page, Response, Route
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = Path(__file__).resolve().parent / ".screenshots"
HTML = SCREENSHOTS / "html"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
NARROW = 320

#: name -> file of every page whose HTML this process recorded (what ``validate_html`` checks).
RECORDED: dict[str, Path] = {}
_documents: WeakKeyDictionary[Page, Response] = WeakKeyDictionary()
_twins: WeakKeyDictionary[Browser, Page] = WeakKeyDictionary()
_twin_documents: WeakKeyDictionary[Page, tuple[str, str]] = WeakKeyDictionary()
# GOV.UK Frontend's radios put aria-expanded on a radio that reveals a follow-up question. ARIA 1.2 allows it on
# checkboxes, not radios, but GOV.UK keeps it on purpose because screen readers announce it (their own axe tests
# ignore it: alphagov/govuk-frontend#979, w3c/aria#1404). Only that attribute on those radios is let through;
# any other attribute on them, or on anything else, still fails.
_KNOWN = """(rule, node) => {
        if (rule !== "aria-allowed-attr" || !node.element
            || !node.element.matches("input.govuk-radios__input[type=radio][aria-controls]")) {
            return false
        }
        const attributes = [...node.all, ...node.any, ...node.none]
            .flatMap(check => (check.data && check.data.values) || [])  // e.g. ['aria-expanded="false"']
        return attributes.length > 0 && attributes.every(attribute => String(attribute).startsWith("aria-expanded="))
    }"""
_RUN_AXE = f"""tags => {{
    const known = {_KNOWN}
    return axe.run(document, {{runOnly: {{type: "tag", values: tags}}, resultTypes: ["violations"], elementRef: true}})
        .then(result => result.violations
            .map(v => ({{id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.filter(n => !known(v.id, n))
                .map(n => ({{target: n.target.join(" "), html: n.html.slice(0, 200)}}))}}))
            .filter(v => v.nodes.length > 0))
}}"""


def check_page(page: Page, name: str) -> None:
    """Everything for one page in one state: screenshot, HTML for the Nu checker, no sideways scrolling on a
    320 px page, then zero axe violations. The screenshot comes first, so a failing page is still pictured."""
    save_screenshot(page, name)
    record_html(page, name)
    assert_no_horizontal_scroll(page, name)
    assert_accessible(page, name)


def assert_accessible(page: Page, name: str) -> None:
    """Run axe-core in the page (injected with ``page.evaluate``: the CSP blocks a script tag) and fail listing
    each violation's id, help and targets. A page whose JavaScript is off is checked in its twin (``_twin``)."""
    violations = _axe(page if _enhanced(page) else _twin(page))
    assert not violations, f"axe: {len(violations)} violation(s) on {name} ({page.url}):\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(f"    {n['target']}  {n['html']}" for n in v["nodes"])
        for v in violations
    )


def record_html(page: Page, name: str) -> Path:
    """Keep the page's HTML as the server sent it (the DOM's serialisation when that is gone) for
    ``validate_html``."""
    path = HTML / f"{_slug(name)}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_served_html(page), encoding="utf-8")
    RECORDED[name] = path
    return path


def save_screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot named after the page, its width and, when the page's JavaScript did not run, "-nojs"."""
    path = SCREENSHOTS / f"{_slug(name)}-{_width(page)}{'' if _enhanced(page) else '-nojs'}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if full_page:  # from the top, or the sticky article panel is pictured wherever the page was scrolled to
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


def assert_no_horizontal_scroll(page: Page, name: str) -> None:
    """On a page no wider than 320 px, nothing may make the page scroll sideways (WCAG 1.4.10 Reflow)."""
    if _width(page) > NARROW:
        return
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= _width(page), (
        f"{name} ({page.url}) scrolls sideways at {_width(page)} px: it is {scroll_width} px wide; widest: "
        + page.evaluate(_WIDEST, _width(page))
    )


def watch_documents(page: Page) -> None:
    """Remember the page's last document response, so ``record_html`` can keep the HTML as served."""

    def remember(response: Response) -> None:
        if response.request.resource_type == "document" and response.frame == page.main_frame:
            _documents[page] = response

    page.on("response", remember)


def validate_html(paths: list[Path]) -> list[str]:
    """Run the Nu HTML Checker once over ``paths``; its errors as "file:line: message" (empty when valid)."""
    java = shutil.which("java")
    assert java, "the Nu HTML Checker needs Java 11 or later: bash scripts/ensure-browser.sh installs it"
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError) as error:
        raise AssertionError(f"the Nu checker failed (exit {result.returncode}):\n{result.stderr}") from error
    return [
        f"{Path(m.get('url', '?')).name}:{m.get('lastLine', '?')}: {m['message']}\n    {m.get('extract', '')!r}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_AXE, list(AXE_TAGS))  # type: ignore[no-any-return]


def _twin(page: Page) -> Page:
    """Chromium runs no timers in a page with JavaScript off, so axe (which needs them) would wait for ever. The
    twin shows the same HTML at the same address and size with JavaScript on for axe alone: the site's own scripts
    are blocked, so the page is exactly what a browser without JavaScript shows. One twin per browser, reused."""
    browser = page.context.browser
    assert browser is not None
    twin = _twins.get(browser)
    if twin is None or twin.is_closed():
        twin = browser.new_context().new_page()
        twin.set_default_timeout(10_000)
        shown = twin

        def serve(route: Route) -> None:
            request, (target, html) = route.request, _twin_documents[shown]
            if request.resource_type == "script":
                route.abort()
            elif request.resource_type == "document" and request.url.split("#")[0] == target:
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            else:
                route.continue_()

        twin.route("**/*", serve)
        _twins[browser] = twin
    _twin_documents[twin] = (page.url.split("#")[0], _served_html(page))
    if page.viewport_size:
        twin.set_viewport_size(page.viewport_size)
    twin.goto(page.url)
    return twin


def _served_html(page: Page) -> str:
    response = _documents.get(page)
    if response is not None and response.url == page.url.split("#")[0]:
        try:
            return response.text()
        except PlaywrightError:  # Chromium may have dropped the body: fall back to the DOM
            pass
    return page.content()


def _width(page: Page) -> int:
    viewport = page.viewport_size
    return viewport["width"] if viewport else 0


def _enhanced(page: Page) -> bool:
    # base.html's app.js adds this class: False when JavaScript is off (or the script failed)
    return bool(page.evaluate("document.body.classList.contains('govuk-frontend-supported')"))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


_WIDEST = """width => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5)
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
        + ' right=' + Math.round(el.getBoundingClientRect().right))
    .join('; ')"""

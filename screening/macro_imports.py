"""A Jinja loader for GOV.UK Frontend's macro templates (govuk-frontend-jinja) that imports each component's own
components once per template instead of on every call.

Each of its macros starts with ``{% from ".../hint/macro.html" import govukHint %}`` and the like *inside* the macro,
which Jinja runs on every call: a template lookup and a module check per import, about a fifth of a step page's
render time when its questions are rendered afresh (docs/benchmarks.md). ``HoistedImports`` serves the same templates
with those imports moved to the top of the file (the names then resolve from the template's module, made once), and
each import tag left in place replaced by ``{% if false %}{% endif %}`` with the same whitespace control, so no
byte of output and no line number changes (the app's test renders every page with and without it). Jinja only.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from jinja2 import BaseLoader, Environment

__all__ = ["HoistedImports"]

_IMPORT = re.compile(r'\{%(-?)\s*from\s+"(govuk_frontend_jinja/[^"]+)"\s+import\s+([\w ,]+?)\s*(-?)%\}')


def hoist(source: str) -> str:
    """``source`` with every import of another govuk-frontend-jinja template made once, at its start."""
    imports = dict.fromkeys(f'{{% from "{found[2]}" import {found[3]} %}}' for found in _IMPORT.finditer(source))
    if not imports:
        return source
    body = _IMPORT.sub(lambda found: f"{{%{found[1]} if false %}}{{% endif {found[4]}%}}", source)
    return "".join(imports) + body  # on the first line: every line keeps its number


class HoistedImports(BaseLoader):
    """``inner``'s templates (govuk-frontend-jinja's package loader) with their imports hoisted (``hoist``)."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        return hoist(source), filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()

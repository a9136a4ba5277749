"""The educational article in the app: a clinic's own file (SCREENING_ARTICLE_PATH) is read and checked when the app
starts, so a bad file stops the start with a message naming the file and the line (never a 500 on every page); a good
one, plain Markdown or with front matter, is shown with its own title, its tables, and its version stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from screening import create_app
from screening.config import ConfigError
from screening.extensions import db
from tests.app.test_pages_structure import Html


def article_app(tmp_path: Path, article: Path) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'article.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            "ARTICLE_PATH": str(article),
        }
    )
    with app.app_context():
        db.create_all()
    return app


def aside(page: str) -> str:
    return page[page.index('<aside class="app-article"') : page.index("</aside>")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("---\ntitle: T\nversion: 1\nsummary S\n---\n\nBody.\n", "line 4: write front matter lines as 'key: value'"),
        ("---\ntitle: T\nauthor: Me\n---\n\nBody.\n", "line 3: unknown field 'author'"),
        ("---\ntitle: T\n\nBody.\n", "line 1: the front matter block opened here has no closing '---' line"),
        ("---\nreview-date: 1 May\n---\n# T\n\nBody.\n", "line 2: 'review-date' must be a date"),
        ("Just words, no heading.\n", "no title"),
        ("", "the file is empty"),
    ],
)
def test_bad_article_stops_the_start_naming_the_file_and_the_line(tmp_path: Path, text: str, problem: str) -> None:
    article = tmp_path / "article.md"
    article.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as raised:
        article_app(tmp_path, article)
    assert str(raised.value).startswith(f"SCREENING_ARTICLE_PATH: {article}: ")
    assert problem in str(raised.value)


def test_article_not_in_utf8_stops_the_start_naming_the_line(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_bytes("# Title\n\nCaf\xe9 au lait.\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=f"SCREENING_ARTICLE_PATH: {article}: line 3: the file is not UTF-8 text"):
        article_app(tmp_path, article)


def test_missing_article_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SCREENING_ARTICLE_PATH: .*no-article.md: cannot read the file"):
        article_app(tmp_path, tmp_path / "no-article.md")


def test_plain_markdown_article_is_shown_with_its_own_title_and_table(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text(
        "# Our guide to ketamine\n\nWhat we offer.\n\n## Costs\n\n| Session | Price |\n|---|---|\n| First | £100 |\n",
        "utf-8",
    )
    page = article_app(tmp_path, article).test_client().get("/").get_data(as_text=True)
    shown = aside(page)
    assert '<h2 class="govuk-heading-m app-article__title" id="app-article-heading">Our guide to ketamine</h2>' in shown
    assert shown.count("Our guide to ketamine") == 1  # the title is not repeated in the body
    assert "app-article__summary" not in shown  # no summary given: no empty paragraph
    assert '<table class="govuk-table">' in shown and '<td class="govuk-table__cell">£100</td>' in shown
    assert "#article-costs" in Html(shown).links() and 'id="article-costs">Costs</h2>' in shown


def test_article_with_front_matter_is_shown_with_its_summary(tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text(
        "---\ntitle: T\nversion: 1\nreviewed-by: Dr Jones\nreview-date: 2026-01-01\nsummary: Our own guide.\n---\n\n"
        "## Our words\n\nBody.\n",
        "utf-8",
    )
    page = article_app(tmp_path, article).test_client().get("/").get_data(as_text=True)
    assert "Our own guide." in aside(page) and "Our words</h2>" in aside(page)
    assert "Article version 1" in aside(page)

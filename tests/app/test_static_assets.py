"""screening/static_assets.py: pages link static/dist files under names carrying a hash of their content, served
with a year-long immutable cache; a changed file gets a new name; a stale or unknown fingerprint is 404; plain static
names keep a short cache. The app here serves a static folder of the test's own, so no built assets are needed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from flask import Flask, url_for

from screening import create_app, static_assets
from screening.static_assets import CACHE_FOR_A_YEAR, SHORT_CACHE, Manifest, fingerprinted_name

ASSETS = {
    "dist/app.css": b".app-header { color: #00625e }\n",
    "dist/print.css": b"@page { margin: 2cm }\n",
    "dist/app.js": b"import './govuk-frontend.min.js'\n",
    "dist/govuk-frontend.min.js": b"export const x = 1\n",
    "dist/favicon.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    "src/app.js": b"// source\n",
}


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


@pytest.fixture
def static(app: Flask, tmp_path: Path) -> Path:
    """The app serving a static folder of the test's own (as the app does ROOT/static at start)."""
    folder = tmp_path / "static"
    for name, content in ASSETS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    app.static_folder = str(folder)
    app.extensions[static_assets.EXTENSION] = Manifest.build(folder)
    return folder


def test_static_assets_page_links_fingerprinted_names(app: Flask, static: Path) -> None:
    page = app.test_client().get("/").get_data(as_text=True)

    assert f'href="/static/dist/app.{digest(ASSETS["dist/app.css"])}.css"' in page
    assert f'href="/static/dist/print.{digest(ASSETS["dist/print.css"])}.css" media="print"' in page
    assert f'src="/static/dist/app.{digest(ASSETS["dist/app.js"])}.js"' in page
    assert f'href="/static/dist/favicon.{digest(ASSETS["dist/favicon.svg"])}.svg"' in page
    assert not re.search(r'"/static/dist/(app|print)\.(css|js)"', page)


def test_static_assets_fingerprinted_url_serves_the_file_for_a_year(app: Flask, static: Path) -> None:
    response = app.test_client().get(f"/static/dist/app.{digest(ASSETS['dist/app.css'])}.css")

    assert response.status_code == 200
    assert response.get_data() == ASSETS["dist/app.css"]
    assert response.headers["Cache-Control"] == CACHE_FOR_A_YEAR == "public, max-age=31536000, immutable"
    assert response.mimetype == "text/css"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    response.close()


def test_static_assets_changed_file_gets_a_new_name(app: Flask, static: Path) -> None:
    old = f"/static/dist/app.{digest(ASSETS['dist/app.css'])}.css"
    changed = b".app-header { color: #1d70b8 }\n"
    (static / "dist/app.css").write_bytes(changed)
    app.extensions[static_assets.EXTENSION] = Manifest.build(static)  # as at the next start
    client = app.test_client()

    page = client.get("/").get_data(as_text=True)
    new = f"/static/dist/app.{digest(changed)}.css"
    assert new != old and f'href="{new}"' in page and old not in page
    response = client.get(new)
    assert response.get_data() == changed
    response.close()
    assert client.get(old).status_code == 404  # the old fingerprint is no longer served


@pytest.mark.parametrize(
    "url",
    [
        "/static/dist/app.000000000000.css",
        "/static/dist/app.0123456789ab.js",
        "/static/dist/nothing.0123456789ab.css",
        "/static/dist/app.css.0123456789ab",
    ],
)
def test_static_assets_unknown_fingerprint_404(app: Flask, static: Path, url: str) -> None:
    response = app.test_client().get(url)

    assert response.status_code == 404
    assert response.headers.get("Cache-Control") != CACHE_FOR_A_YEAR


@pytest.mark.parametrize("name", ["dist/app.css", "dist/govuk-frontend.min.js", "src/app.js"])
def test_static_assets_plain_names_keep_a_short_cache(app: Flask, static: Path, name: str) -> None:
    response = app.test_client().get(f"/static/{name}")  # e.g. app.js imports ./govuk-frontend.min.js by name

    assert response.status_code == 200
    assert response.get_data() == ASSETS[name]
    assert response.headers["Cache-Control"] == SHORT_CACHE
    response.close()


def test_static_assets_only_dist_is_fingerprinted(static: Path) -> None:
    manifest = Manifest.build(static)

    assert set(manifest.hashed) == {name for name in ASSETS if name.startswith("dist/")}
    assert manifest.original == {value: key for key, value in manifest.hashed.items()}
    assert Manifest.build(static / "missing") == Manifest()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dist/app.css", "dist/app.{}.css"),
        ("dist/govuk-frontend.min.js", "dist/govuk-frontend.min.{}.js"),
        ("dist/assets/images/x.png", "dist/assets/images/x.{}.png"),
        ("dist/LICENSE", "dist/LICENSE.{}"),
        ("dist/.hidden", "dist/.hidden.{}"),
    ],
)
def test_fingerprinted_name_puts_the_hash_before_the_suffix(name: str, expected: str) -> None:
    assert fingerprinted_name(name, b"x") == expected.format(digest(b"x"))


def test_static_assets_debug_mode_links_plain_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/d.sqlite3", "SECRET_KEY": "x"})

    assert app.debug and app.extensions[static_assets.EXTENSION] == Manifest()
    with app.test_request_context("/"):
        assert url_for("static", filename="dist/app.css") == "/static/dist/app.css"

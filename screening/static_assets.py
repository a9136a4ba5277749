"""Fingerprinted static assets: every file under ``static/dist/`` (the built CSS, JavaScript and icons,
scripts/build-assets.sh) is linked as ``dist/<name>.<hash>.<ext>``, the hash being the first 12 hex digits of the
SHA-256 of its content, and served under that name with ``Cache-Control: public, max-age=31536000, immutable``: a
browser keeps it for a year and never asks again, and a rebuilt file gets a new name, so a new deploy is seen at once.

The names are worked out once, when the app starts (``Manifest.build``), so the files must be built before it starts
(and the app restarted after a rebuild, as a deploy does); in debug mode nothing is fingerprinted, so a rebuild shows
on the next reload. ``url_for("static", filename="dist/app.css")`` gives the fingerprinted URL (a ``url_defaults``
hook), so templates link assets as before. A fingerprint that is not the current one (a stale page of an old deploy,
a guess) is 404, as is any file that is not there. Static files under their own names (``static/src``, ``static/
summary``, ``static/patient``, or a ``dist`` file asked for by its plain name, as ``app.js`` imports
``./govuk-frontend.min.js``) keep a short cache (``SHORT_CACHE``). Standard library and Flask only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask.typing import ResponseReturnValue

__all__ = ["CACHE_FOR_A_YEAR", "SHORT_CACHE", "Manifest", "register_static_assets"]

FINGERPRINTED = ("dist",)
DIGEST_LENGTH = 12
CACHE_FOR_A_YEAR = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"
EXTENSION = "screening_static_assets"


def fingerprinted_name(name: str, content: bytes) -> str:
    """``dist/app.css`` -> ``dist/app.<12 hex digits of the content's SHA-256>.css`` (the hash before the last
    suffix; a name without a suffix gets it at the end)."""
    digest = hashlib.sha256(content).hexdigest()[:DIGEST_LENGTH]
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


@dataclass(frozen=True)
class Manifest:
    """``hashed``: a static file's name (``dist/app.css``) -> its fingerprinted name; ``original``: the reverse."""

    hashed: Mapping[str, str] = field(default_factory=dict)
    original: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, static_folder: Path, folders: tuple[str, ...] = FINGERPRINTED) -> Manifest:
        """The names of every file under ``folders`` of ``static_folder`` (none when a folder is missing)."""
        hashed = {}
        for folder in folders:
            root = static_folder / folder
            for path in sorted(root.rglob("*")) if root.is_dir() else ():
                if path.is_file():
                    name = path.relative_to(static_folder).as_posix()
                    hashed[name] = fingerprinted_name(name, path.read_bytes())
        return cls(hashed, {value: key for key, value in hashed.items()})


def manifest() -> Manifest:
    found: Manifest = current_app.extensions[EXTENSION]
    return found


def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for("static", filename=...)``: the fingerprinted name of a file that has one."""
    if endpoint == "static":
        name = values.get("filename")
        hashed = manifest().hashed.get(name) if isinstance(name, str) else None
        if hashed is not None:
            values["filename"] = hashed


def serve_static(filename: str) -> ResponseReturnValue:
    """A fingerprinted name: its file, cached for a year. Any other name: Flask's static file (404 when there is no
    such file, as for a fingerprint that is not the current one), with a short cache."""
    original = manifest().original.get(filename)
    response = current_app.send_static_file(original or filename)
    response.headers["Cache-Control"] = CACHE_FOR_A_YEAR if original else SHORT_CACHE
    return response


def register_static_assets(app: Flask) -> None:
    """Work out the fingerprinted names (none in debug mode) and serve the static folder with them."""
    folder = Path(app.static_folder or "")
    app.extensions[EXTENSION] = Manifest() if app.debug else Manifest.build(folder)
    app.url_defaults(_fingerprint)
    app.view_functions["static"] = serve_static

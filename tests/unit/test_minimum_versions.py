"""Minimum versions (security-bar decision 12; issue 15 item 8). ``pip-audit`` needs the network, so the floors that
matter are written down here with the advisory each one answers, and checked twice: the installed version (what the
tests ran on) is at least the floor, and setup.cfg's lower bound does not allow anything older (so a fresh install
cannot fall below it). A package without a CVE listed has "the minimum we test" as its floor.

To raise a floor: change it here and in setup.cfg, then ``make lock``. ``docs/security.md`` has this table."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

SETUP_CFG = Path(__file__).resolve().parents[2] / "setup.cfg"


@dataclass(frozen=True)
class Floor:
    package: str
    minimum: str
    why: str
    declared: bool = True  # setup.cfg must state a lower bound at least this high (False: comes in through another)


FLOORS = (
    # web framework (decision 12)
    Floor(
        "flask",
        "3.1.3",
        "CVE-2026-27205 (Vary: Cookie missing: a shared cache could serve one user's page to "
        "another); also CVE-2025-47278 (3.1.1, SECRET_KEY_FALLBACKS)",
    ),
    Floor(
        "werkzeug",
        "3.1.9",
        "decision 12: the latest 3.1.x, the only line that gets fixes (3.1.9 is the newest "
        "we have tested); includes CVE-2024-34069 (debugger, 3.0.3) and CVE-2024-49767 (multipart memory, 3.0.6)",
    ),
    Floor("jinja2", "3.1.6", "CVE-2025-27516 (sandbox breakout through the |attr filter)"),
    # the PDF summary
    Floor(
        "weasyprint",
        "70",
        "decision 12: three advisories fixed in 68-70 (the renderer also gets no network or file access)",
    ),
    Floor(
        "pillow",
        "10.3.0",
        "CVE-2023-50447 (code execution in ImageMath.eval, 10.2.0) and CVE-2024-28219 "
        "(buffer overflow, 10.3.0); it reads uploaded logos through WeasyPrint",
        declared=False,
    ),
    Floor("fonttools", "4.43.0", "CVE-2023-45139 (XML external entities when subsetting fonts)", declared=False),
    Floor("brotli", "1.0.9", "CVE-2020-8927 (overflow decompressing; WeasyPrint's WOFF2 fonts)", declared=False),
    # serving, storage and sign-in
    Floor("gunicorn", "22.0.0", "CVE-2024-1135 (request smuggling through Transfer-Encoding)"),
    Floor("redis", "4.5.4", "CVE-2023-28858 and CVE-2023-28859 (a cancelled command could return another's reply)"),
    Floor(
        "mako", "1.2.2", "CVE-2022-40023 (regular-expression denial of service; Alembic's templates)", declared=False
    ),
    Floor("idna", "3.7", "CVE-2024-3651 (denial of service in idna.encode; email addresses)", declared=False),
    Floor("dnspython", "2.6.1", "CVE-2023-29483 (TuDoor: a spoofed reply could stop name lookups)", declared=False),
    Floor("sqlalchemy", "2.0", "the minimum we test"),
    Floor("psycopg", "3.1", "the minimum we test"),
    Floor("argon2-cffi", "23", "the minimum we test (argon2id, decision 3)"),
    Floor("flask-wtf", "1.2", "the minimum we test (CSRF)"),
    Floor("wtforms", "3.2", "the minimum we test"),
    Floor("flask-login", "0.6.3", "the minimum we test"),
    Floor("flask-limiter", "4.1", "the minimum we test (rate limits)"),
    Floor("nh3", "0.3", "the minimum we test (HTML sanitising)"),
)


def installed(package: str) -> Version:
    try:
        return Version(version(package))
    except PackageNotFoundError:
        pytest.fail(f"{package} is not installed")


def setup_cfg_lower_bounds() -> dict[str, Version | None]:
    """Each install_requires entry of setup.cfg: its lowest allowed version (None: no lower bound)."""
    parser = configparser.ConfigParser()
    parser.read(SETUP_CFG, encoding="utf-8")
    bounds: dict[str, Version | None] = {}
    for line in parser["options"]["install_requires"].strip().splitlines():
        requirement = Requirement(line.strip())
        lows = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=", ">")]
        bounds[canonicalize_name(requirement.name)] = min(lows) if lows else None
    return bounds


@pytest.mark.parametrize("floor", FLOORS, ids=lambda floor: floor.package)
def test_installed_version_is_at_least_the_floor(floor: Floor) -> None:
    assert installed(floor.package) >= Version(floor.minimum), f"{floor.package} < {floor.minimum}: {floor.why}"


@pytest.mark.parametrize("floor", [f for f in FLOORS if f.declared], ids=lambda floor: floor.package)
def test_setup_cfg_does_not_allow_below_the_floor(floor: Floor) -> None:
    bound = setup_cfg_lower_bounds().get(canonicalize_name(floor.package), None)
    assert bound is not None, f"setup.cfg: add {floor.package}>={floor.minimum} to install_requires ({floor.why})"
    assert bound >= Version(floor.minimum), f"setup.cfg: raise {floor.package} to >={floor.minimum} ({floor.why})"


def test_the_setup_cfg_reader_finds_the_bounds() -> None:
    bounds = setup_cfg_lower_bounds()
    assert bounds["psycopg"] is not None and bounds["psycopg"] >= Version("3.1")
    assert "flask" in bounds and "weasyprint" in bounds

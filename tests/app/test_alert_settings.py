"""Alert settings: production refuses to start without a route for urgent alerts unless the clinic switches them
off explicitly (then every start warns); mail, webhook and opening-hours settings are checked at start; the
configuration block of docs/deploy.md starts as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from screening import config, create_app
from screening.config import ConfigError
from tests.app.alert_helpers import ONCALL

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SCREENING_ENV": "production",
    "SCREENING_SECRET_KEY": "k" * 40,
    "SCREENING_CLINIC_NAME": "Clinic",
    "SCREENING_CLINIC_PHONE": "01632 960 000",
    "SCREENING_CLINIC_EMAIL": "clinic@example.org",
    "SCREENING_REPLY_TIME": "within 2 days",
    "SCREENING_URGENT_REPLY_TIME": "today if you can",
    "SCREENING_BASE_URL": "https://screening.clinic.example",
}
MAIL = {"SCREENING_ONCALL_EMAIL": ONCALL, "SCREENING_MAIL_FROM": "screening@clinic.example"}
HOOK = {"SCREENING_ALERT_WEBHOOK_URL": "https://pager.example.org/hooks/x", "SCREENING_ALERT_WEBHOOK_SECRET": "w" * 32}


def test_production_without_an_alert_route_refuses_to_start_and_says_how(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        config.build(tmp_path, PRODUCTION, None)
    for name in ("SCREENING_ONCALL_EMAIL", "SCREENING_ALERT_WEBHOOK_URL", "SCREENING_URGENT_ALERTS=off"):
        assert name in str(raised.value)


@pytest.mark.parametrize("route", [MAIL, HOOK, {**MAIL, **HOOK}], ids=["email", "webhook", "both"])
def test_production_with_a_route_starts(tmp_path: Path, route: dict[str, str]) -> None:
    assert config.build(tmp_path, {**PRODUCTION, **route}, None)["URGENT_ALERTS"] is True


def test_alerts_switched_off_start_with_a_warning_at_every_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        **PRODUCTION,
        "SCREENING_URGENT_ALERTS": "off",
        "SCREENING_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
    }.items():
        monkeypatch.setenv(name, value)
    for _ in range(2):
        app = create_app()
        assert app.config["SCREENING"]["URGENT_ALERTS"] is False
        assert config.ALERTS_OFF_WARNING in capsys.readouterr().err


def test_alerts_on_print_no_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}", "SECRET_KEY": "x"})
    assert "urgent alerts are switched off" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "environ",
    [
        {**PRODUCTION, **MAIL, "SCREENING_SMTP_PORT": "70000"},
        {**PRODUCTION, "SCREENING_ONCALL_EMAIL": ONCALL},  # no sender
        {**PRODUCTION, **MAIL, "SCREENING_BASE_URL": "http://screening.clinic.example"},
        {
            **PRODUCTION,
            **MAIL,
            "SCREENING_SMTP_HOST": "mail.example.org",
            "SCREENING_SMTP_USERNAME": "u",
            "SCREENING_SMTP_PASSWORD": "p",
        },  # a password in clear text to another machine
        {**PRODUCTION, **MAIL, "SCREENING_SMTP_USERNAME": "u"},
        {**PRODUCTION, **HOOK, "SCREENING_ALERT_WEBHOOK_URL": "http://pager.example.org/x"},
        {**PRODUCTION, **HOOK, "SCREENING_ALERT_WEBHOOK_SECRET": "short"},
        {**PRODUCTION, **HOOK, "SCREENING_ALERT_FILE": "/tmp/alerts.log"},  # a file reaches no one
        {**PRODUCTION, "SCREENING_ALERT_FILE": "/tmp/alerts.log"},
        {**PRODUCTION, **MAIL, "SCREENING_URGENT_ALERTS": "maybe"},
        {**PRODUCTION, **MAIL, "SCREENING_URGENT_ESCALATE_MINUTES": "0"},
        {**PRODUCTION, **MAIL, "SCREENING_OPENING_HOURS": "weekdays"},
        {"SCREENING_ALERT_WEBHOOK_URL": "ftp://pager.example.org/x", "SCREENING_ALERT_WEBHOOK_SECRET": "w" * 32},
        {"SCREENING_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/x"},  # development too: a webhook is always signed
    ],
)
def test_unusable_alert_settings_are_refused(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        config.build(tmp_path, environ, None)


@pytest.mark.parametrize(
    "environ",
    [
        {
            **PRODUCTION,
            **MAIL,
            "SCREENING_SMTP_HOST": "mail.example.org",
            "SCREENING_SMTP_USERNAME": "u",
            "SCREENING_SMTP_PASSWORD": "p",
            "SCREENING_SMTP_STARTTLS": "1",
        },
        {
            **PRODUCTION,
            **HOOK,
            "SCREENING_ESCALATION_EMAIL": "lead@clinic.example",
            "SCREENING_MAIL_FROM": "screening@clinic.example",
        },
        {**PRODUCTION, "SCREENING_URGENT_ALERTS": "off"},
        {"SCREENING_ALERT_FILE": "/tmp/alerts.log", "SCREENING_OPENING_HOURS": "always"},
    ],
)
def test_usable_alert_settings_are_accepted(tmp_path: Path, environ: dict[str, str]) -> None:
    assert config.build(tmp_path, environ, None)


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    settings = config.build(
        tmp_path,
        {
            **MAIL,
            "SCREENING_SMTP_PORT": "587",
            "SCREENING_SMTP_STARTTLS": "true",
            "SCREENING_URGENT_ESCALATE_MINUTES": "30",
            "SCREENING_OPENING_HOURS": "Mon-Sat 08:00-18:00",
        },
        None,
    )
    assert (settings["SMTP_PORT"], settings["SMTP_STARTTLS"]) == (587, True)
    assert (settings["URGENT_ESCALATE_MINUTES"], settings["OPENING_HOURS"]) == (30, "Mon-Sat 08:00-18:00")
    defaults = config.build(tmp_path, {}, None)
    assert (defaults["URGENT_ALERTS"], defaults["URGENT_ESCALATE_MINUTES"]) == (True, 60)
    assert defaults["OPENING_HOURS"] == "Mon-Fri 09:00-17:00"


def _deploy_environment() -> dict[str, str]:
    """The ``export`` lines of docs/deploy.md's first section, with ``$(...)`` and ``...`` filled in."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    block = re.search(r"## 1\. Configure.*?```sh\n(.*?)```", text, re.S)
    assert block, "docs/deploy.md has no configuration block"
    environ: dict[str, str] = {}
    for line in block.group(1).splitlines():
        line = re.sub(r'"\$\([^)]*\)"', "generated-" + "x" * 40, line.split("#")[0]).strip()
        if line.startswith("export "):
            for word in shlex.split(line.removeprefix("export ")):
                name, _, value = word.partition("=")
                environ[name] = "example-password" if value == "..." else value
    return environ


def test_the_documented_production_configuration_starts(tmp_path: Path) -> None:
    environ = _deploy_environment()
    assert environ["SCREENING_ENV"] == "production"
    settings = config.build(tmp_path, environ, None)
    assert settings["ONCALL_EMAIL"] and settings["ALERT_WEBHOOK_URL"] and settings["URGENT_REPLY_TIME"]

"""Fixtures shared by the app tests: a real SMTP server and a real webhook receiver on 127.0.0.1."""

from tests.app.alert_helpers import hook, inbox

__all__ = ["hook", "inbox"]

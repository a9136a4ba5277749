"""The signature check that docs/fhir.md ("Webhook") gives receivers, kept here as the one copy: the webhook tests
run exactly this text, and a test checks that docs/fhir.md shows it unchanged."""

RECIPE = '''\
import hashlib
import hmac
import time


def verify(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """True when the X-Screening-Signature ``header`` signs the raw request ``body`` with ``secret`` and its time
    is less than five minutes from ``now`` (default: this machine's clock)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs((time.time() if now is None else now) - int(fields["t"])) < 300
    return hmac.compare_digest(expected, fields["v1"]) and fresh
'''

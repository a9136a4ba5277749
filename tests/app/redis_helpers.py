"""The local Redis for the tests that share counts through it: reached, or the test is skipped — except on CI,
where Redis is part of the machine, so its absence fails the test instead of hiding it."""

from __future__ import annotations

import os

import pytest
import redis


def redis_or_skip(url: str, needed_by: str) -> redis.Redis:
    """A client for ``url`` that has answered a PING; else skip (fail on CI), naming ``needed_by`` (e.g. "the
    Redis rate-limit tests")."""
    server = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        server.ping()
    except redis.RedisError as error:
        reason = f"{needed_by} need Redis: none at {url} ({type(error).__name__})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}: CI must run them", pytrace=False)
        pytest.skip(reason)
    return server

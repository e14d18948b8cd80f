"""Loaded by pytest before Django (``-p tests.envdefaults``): development defaults for a
test run, so tests need no exported SECRET_KEY. Production settings are tested in a
subprocess with their own environment (tests/test_settings.py)."""

import os

import pytest

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only-" + "x" * 30)
os.environ.setdefault("RELWATCH_ALLOW_PRIVATE_FEEDS", "false")


def redis_url_for_worker(url: str, worker: str) -> str:
    """Give each pytest-xdist worker its own Redis database, as pytest-django gives each its
    own PostgreSQL database: the cache, the data version and the Celery queue are shared
    state that one worker's tests must not see from another's."""
    from relwatch.config import redis_database, with_redis_database

    offset = int(worker.removeprefix("gw")) + 1
    return with_redis_database(url, redis_database(url) + offset)


if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = redis_url_for_worker(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )

# The API's throttles are on (60 a minute per address by default); the suite asks the API far
# more often than that from one address. tests/security/test_throttling.py sets its own rates.
os.environ.setdefault("API_THROTTLE_ANON", "1000000/min")
os.environ.setdefault("API_THROTTLE_USER", "1000000/min")


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing():
    """PBKDF2's million rounds cost about half a second a password, and the suite makes users
    by the hundred: tests hash with MD5, as Django's documentation advises for test runs.
    Production keeps Django's default hashers; the processes tests start keep them too."""
    from django.conf import settings
    from django.contrib.auth import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    hashers.get_hashers.cache_clear()
    hashers.get_hashers_by_algorithm.cache_clear()

"""Small, tested functions that turn the environment into settings values."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from relwatch import services
from relwatch.env import envstr


def database_config() -> dict:
    url = envstr("DATABASE_URL") or services.embedded_database_url()
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
    # pgserver's URI carries the unix socket directory as ?host=...
    return config


def redis_url() -> str:
    return envstr("REDIS_URL") or services.embedded_redis_url()


def cache_location(broker_url: str) -> str:
    """The redis-py URL for the same server the broker uses (kombu and redis-py spell
    unix sockets differently)."""
    if broker_url.startswith("redis+socket://"):
        return "unix://" + broker_url.removeprefix("redis+socket://")
    return broker_url


def secret_key(debug: bool, key_file: Path) -> str:
    """SECRET_KEY from the environment; in DEBUG, a generated one kept under var/."""
    key = envstr("SECRET_KEY")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key

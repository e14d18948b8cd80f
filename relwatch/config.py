"""Small, tested functions that turn the environment into settings values."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

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
    # JIT compilation costs more than it saves on this workload: the planner overestimates
    # the recursive roll-up query and spends a second compiling a 25 ms execution.
    config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    return config


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a Django connection's settings, for a subprocess to reach the same
    database. The embedded server's unix socket directory travels in OPTIONS["host"] (as
    dj-database-url parses ``?host=``), not in HOST: dropping it would send the subprocess to
    whatever server listens on the default socket."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    name = quote(settings_dict["NAME"], safe="")
    host = settings_dict.get("HOST") or settings_dict.get("OPTIONS", {}).get("host") or ""
    if host.startswith("/"):
        return f"postgres://{credentials}@/{name}?host={quote(host, safe='')}"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def redis_url() -> str:
    return envstr("REDIS_URL") or services.embedded_redis_url()


def cache_location(broker_url: str) -> str:
    """The redis-py URL for the same server the broker uses (kombu and redis-py spell
    unix sockets differently)."""
    if broker_url.startswith("redis+socket://"):
        location = "unix://" + broker_url.removeprefix("redis+socket://")
        # kombu names the database `virtual_host`; redis-py calls it `db`.
        return location.replace("?virtual_host=", "?db=")
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
    return generated_secret_key(key_file)


def generated_secret_key(key_file: Path) -> str:
    """The key kept in ``key_file``, created (readable by its owner only) on first use.

    ``make run`` uses it when SECRET_KEY is unset, so sessions survive a restart.
    """
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when two processes race, one writes and the other reads what it wrote.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.1)
        return _read_key(key_file)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return _read_key(key_file)


def _read_key(key_file: Path) -> str:
    key = key_file.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(
            f"{key_file} holds no usable secret key; delete it to have a new one generated."
        )
    return key

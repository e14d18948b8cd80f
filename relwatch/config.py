"""Small, tested functions that turn the environment into settings values."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from relwatch import services
from relwatch.env import envstr


def _service_url(name: str, what: str) -> str:
    """``name`` from the environment, else the URL a running `make run` published under var/.
    Settings never start a service: that is the supervisor's job."""
    url = envstr(name) or services.published_url(name)
    if not url:
        raise ImproperlyConfigured(
            f"{name} is not set and no `make run` is serving from "
            f"{services.var_dir()}. Set {name} to your {what}, or start Relwatch with "
            "`make run`, or run this command through `python -m relwatch.supervisor exec -- "
            f"...`, which starts an embedded {what} under var/."
        )
    return url


def database_config() -> dict:
    url = _service_url("DATABASE_URL", "PostgreSQL")
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
    return _service_url("REDIS_URL", "Redis")


# Where each spelling of a Redis URL keeps the database number: kombu's unix socket URLs name
# it virtual_host, redis-py's db; TCP URLs carry it as the path.
_SOCKET_DATABASE_PARAMETER = {"redis+socket": "virtual_host", "unix": "db"}


def redis_database(url: str) -> int:
    """The database number a Redis URL names (0 when it names none)."""
    parts = urlsplit(url)
    parameter = _SOCKET_DATABASE_PARAMETER.get(parts.scheme)
    raw = dict(parse_qsl(parts.query)).get(parameter, "") if parameter else parts.path[1:]
    return int(raw or 0)


def with_redis_database(url: str, number: int) -> str:
    """The same Redis server's database ``number``, in the URL's own spelling: tests and
    benchmarks each take a database of their own, never a running instance's queue."""
    parts = urlsplit(url)
    parameter = _SOCKET_DATABASE_PARAMETER.get(parts.scheme)
    if parameter is None:
        return urlunsplit(parts._replace(path=f"/{number}"))
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != parameter]
    # Written out: urlunsplit would drop the empty host, leaving 'unix:/path'.
    return f"{parts.scheme}://{parts.path}?{urlencode([*query, (parameter, str(number))])}"


def cache_location(broker_url: str) -> str:
    """The redis-py URL for the same server the broker uses (kombu and redis-py spell
    unix sockets differently)."""
    if broker_url.startswith("redis+socket://"):
        location = "unix://" + broker_url.removeprefix("redis+socket://")
        # kombu names the database `virtual_host`; redis-py calls it `db`.
        return location.replace("?virtual_host=", "?db=")
    return broker_url


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def email_backend(host: str) -> str:
    """SMTP when EMAIL_HOST is set; otherwise mails are written as files under var/mail/
    (``make run`` says so at start), so alerts work on a machine without a mail server."""
    return SMTP_BACKEND if host else FILE_BACKEND


def email_security(use_tls: bool, use_ssl: bool) -> tuple[bool, bool]:
    """EMAIL_USE_TLS (STARTTLS, port 587) and EMAIL_USE_SSL (port 465) exclude each other."""
    if use_tls and use_ssl:
        raise ImproperlyConfigured(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: STARTTLS (usually port 587) or "
            "implicit TLS (usually port 465), not both."
        )
    return use_tls, use_ssl


def secret_key(debug: bool, key_file: Path) -> str:
    """SECRET_KEY from the environment; in DEBUG, the one `make run` keeps under var/, or one
    for this process alone. Settings write nothing: the supervisor generates the kept key."""
    key = envstr("SECRET_KEY")
    if key:
        return key
    if not debug:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        # Sessions signed with it end with the process; `make run` keeps one instead.
        return secrets.token_urlsafe(50)


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

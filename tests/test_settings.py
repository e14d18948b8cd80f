"""Settings as an operator meets them: each case imports relwatch.settings in a fresh
interpreter with exactly the environment given (the strict helpers themselves are in
tests/test_env.py)."""

import json
import os
import stat
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from relwatch import config, services

# Valid URLs of servers nothing connects to: importing settings must not need them.
UNUSED_DATABASE_URL = "postgres://relwatch@127.0.0.1:1/relwatch"
UNUSED_REDIS_URL = "redis://127.0.0.1:1/0"

SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "VAR_DIR": str(settings.VAR_DIR),
    "STATIC_ROOT": str(settings.STATIC_ROOT),
    "DATABASE_HOST": settings.DATABASES["default"]["HOST"],
    "BROKER": settings.CELERY_BROKER_URL,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "STATICFILES_BACKEND": settings.STORAGES["staticfiles"]["BACKEND"],
    "THROTTLE_CLASSES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"],
    "THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
}))
"""


def import_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "relwatch.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        env=clean,
        cwd=services.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start_saying_what_to_set(tmp_path):
    result = import_settings(
        {
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
        }
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr
    assert "Set SECRET_KEY to a long random string" in result.stderr
    # Production never invents a key of its own.
    assert not (tmp_path / "secret_key").exists()


def test_a_mistyped_boolean_stops_start_up_naming_the_variable(tmp_path):
    result = import_settings(
        {
            "DEBUG": "treu",
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
        }
    )

    assert result.returncode != 0
    assert "DEBUG='treu' is not a boolean" in result.stderr


def test_with_both_urls_set_nothing_embedded_starts(tmp_path):
    result = import_settings(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
        }
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["DATABASE_HOST"] == "127.0.0.1"
    assert shown["BROKER"] == UNUSED_REDIS_URL
    assert not services.pg_dir(tmp_path).exists()
    assert not services.redis_socket(tmp_path).exists()
    assert list(tmp_path.iterdir()) == []


def test_the_var_dir_follows_relwatch_var_dir(tmp_path):
    result = import_settings(
        {
            "DEBUG": "true",
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
        }
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["VAR_DIR"] == str(tmp_path)
    assert shown["STATIC_ROOT"] == str(tmp_path / "staticfiles")
    # DEBUG without SECRET_KEY reads the key `make run` keeps there; settings write nothing.
    assert list(tmp_path.iterdir()) == []


def _production(tmp_path, **env) -> subprocess.CompletedProcess:
    return import_settings(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
            **env,
        }
    )


def test_api_throttles_are_on_with_rates_from_the_environment(tmp_path):
    shown = json.loads(_production(tmp_path).stdout)
    assert shown["THROTTLE_CLASSES"] == [
        "relwatch.throttling.AnonThrottle",
        "relwatch.throttling.UserThrottle",
    ]
    assert shown["THROTTLE_RATES"] == {"anon": "60/min", "user": "600/min"}

    result = _production(tmp_path, API_THROTTLE_ANON="5/second", API_THROTTLE_USER="100/hour")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["THROTTLE_RATES"] == {"anon": "5/second", "user": "100/hour"}


@pytest.mark.parametrize("rate", ["60", "60/mn", "0/min", "sixty/min", "60/min/2"])
def test_a_mistyped_throttle_rate_stops_start_up_naming_the_variable(tmp_path, rate):
    result = _production(tmp_path, API_THROTTLE_ANON=rate)
    assert result.returncode != 0
    assert f"API_THROTTLE_ANON={rate!r} is not a rate" in result.stderr


def test_without_urls_settings_start_nothing_and_say_how_to_start(tmp_path):
    result = import_settings({"DEBUG": "true", "RELWATCH_VAR_DIR": str(tmp_path)})

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set and no `make run` is serving" in (
        result.stderr
    )
    assert "python -m relwatch.supervisor exec" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_settings_read_the_urls_a_running_supervisor_published(tmp_path):
    services.publish_urls(
        tmp_path, {"DATABASE_URL": UNUSED_DATABASE_URL, "REDIS_URL": UNUSED_REDIS_URL}
    )

    result = import_settings({"DEBUG": "true", "RELWATCH_VAR_DIR": str(tmp_path)})

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["DATABASE_HOST"] == "127.0.0.1"
    assert shown["BROKER"] == UNUSED_REDIS_URL
    assert sorted(path.name for path in tmp_path.iterdir()) == ["services.json"]


def test_urls_published_by_a_process_that_is_gone_are_ignored(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    services.published_urls_file(tmp_path).write_text(
        json.dumps({"pid": gone.pid, "DATABASE_URL": UNUSED_DATABASE_URL})
    )

    assert services.published_url("DATABASE_URL", tmp_path) == ""


def test_production_defaults_are_the_strict_ones(tmp_path):
    result = import_settings(
        {
            "SECRET_KEY": "k" * 50,
            "DATABASE_URL": UNUSED_DATABASE_URL,
            "REDIS_URL": UNUSED_REDIS_URL,
            "RELWATCH_VAR_DIR": str(tmp_path),
        }
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["STATICFILES_BACKEND"].endswith("IncrementalCompressedManifestStorage")


@pytest.mark.parametrize(
    "url",
    ["sqlite:///relwatch.sqlite3", "mysql://relwatch@127.0.0.1/relwatch"],
)
def test_database_config_refuses_anything_but_postgresql(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must point at PostgreSQL"):
        config.database_config()


def test_database_config_refuses_a_url_it_cannot_read(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "no-such-scheme://somewhere/db")

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL is not a database URL"):
        config.database_config()


def test_database_config_reads_the_embedded_servers_socket_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:@/relwatch?host=/srv/var/pgdata")

    db = config.database_config()

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "relwatch"
    assert db["OPTIONS"]["host"] == "/srv/var/pgdata"


def test_cache_location_spells_a_unix_socket_the_redis_py_way():
    assert config.cache_location("redis+socket:///srv/var/redis/redis.sock") == (
        "unix:///srv/var/redis/redis.sock"
    )
    assert config.cache_location("redis://cache:6379/2") == "redis://cache:6379/2"


def test_the_generated_secret_key_is_kept_and_readable_by_its_owner_only(tmp_path):
    key_file = tmp_path / "var" / "secret_key"

    first = config.generated_secret_key(key_file)
    second = config.generated_secret_key(key_file)

    assert first == second
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_truncated_secret_key_file_is_refused_not_used(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("short")

    with pytest.raises(ImproperlyConfigured, match="no usable secret key"):
        config.generated_secret_key(key_file)


def test_each_xdist_worker_gets_its_own_redis_database():
    from tests.envdefaults import redis_url_for_worker

    assert redis_url_for_worker("redis://127.0.0.1:6379/0", "gw0") == "redis://127.0.0.1:6379/1"
    assert redis_url_for_worker("redis://127.0.0.1:6379", "gw2") == "redis://127.0.0.1:6379/3"
    socket_url = redis_url_for_worker("redis+socket:///srv/redis.sock", "gw1")
    assert socket_url == "redis+socket:///srv/redis.sock?virtual_host=2"
    assert config.cache_location(socket_url) == "unix:///srv/redis.sock?db=2"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/14"),
        ("rediss://:secret@cache:6380", "rediss://:secret@cache:6380/14"),
        ("redis+socket:///srv/redis.sock", "redis+socket:///srv/redis.sock?virtual_host=14"),
        (
            "redis+socket:///srv/redis.sock?virtual_host=3",
            "redis+socket:///srv/redis.sock?virtual_host=14",
        ),
        ("unix:///srv/redis.sock?db=2", "unix:///srv/redis.sock?db=14"),
    ],
)
def test_a_redis_database_of_its_own_keeps_the_urls_spelling(url, expected):
    """The embedded Redis is reached by a kombu socket URL: benchmarks on a newcomer's
    machine failed when the number was written as a path there."""
    assert config.with_redis_database(url, 14) == expected
    assert config.redis_database(expected) == 14

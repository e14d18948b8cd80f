"""Fixtures that start dedicated services and Celery processes, and stop them all afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ingest import tasks
from relwatch.config import database_url
from tests.faults.services import CeleryProcess, PostgresCluster, RedisServer

BEAT_EVERY = 1  # seconds between the beat's polls, shortened from a minute for the tests


@pytest.fixture
def redis_server(tmp_path):
    """A running redis-server on a free port of its own; the test may kill and restart it."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_cluster():
    """A running PostgreSQL cluster on a free port of its own; the test may restart it."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """This test run's database (test_...) for subprocesses; committed data, so they see it."""
    return database_url(connection.settings_dict)


@pytest.fixture
def start_celery(tmp_path):
    """Start ``celery worker`` / ``celery beat`` subprocesses; all are stopped at teardown,
    before the database is flushed (a live worker would hold connections and locks)."""
    started: list[CeleryProcess] = []

    def start(kind: str, env: dict[str, str], *options: str) -> CeleryProcess:
        process = CeleryProcess(kind, env, tmp_path, *options)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


@pytest.fixture
def fast_beat(transactional_db) -> int:
    """The migration's "poll due feeds" schedule, every second instead of every minute
    (recreated: a transactional test starts from empty tables). Returns the interval."""
    every, _ = IntervalSchedule.objects.get_or_create(
        every=BEAT_EVERY, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name="poll due feeds",
        defaults={"task": tasks.poll_due_feeds.name, "interval": every, "enabled": True},
    )
    return BEAT_EVERY

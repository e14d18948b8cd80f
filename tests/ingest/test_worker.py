"""A real Celery worker with the real broker: it ingests a feed end to end, and a worker killed
mid-fetch loses nothing and duplicates nothing once another worker takes the task over.

The worker runs as a subprocess against this test run's database (committed data, hence
``transaction=True``) and Redis. It uses the solo pool so that SIGKILL stops the fetch itself,
not just a parent process whose child would carry on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from werkzeug import Response

from ingest.models import Article, Feed, FetchLog
from ingest.tasks import fetch_feed
from relwatch.config import cache_location, database_url
from tests.factories import FeedFactory
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENTRIES = 5
VISIBILITY_TIMEOUT = 2  # seconds before an unacknowledged task is delivered again
WAIT = 90  # seconds to wait for anything a worker does, generous for a loaded CI machine


def wait_for(condition, what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")


class Worker:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "RELWATCH_ALLOW_PRIVATE_FEEDS": "true",
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "DEBUG": "true",
        }
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "relwatch",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.ready, f"the worker to start (log: {log_path})")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited early:\n{self.output()}")
        return " ready." in self.output()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no clean-up of any kind."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


@pytest.fixture
def broker():
    client = redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL))
    keys = ("celery", "unacked", "unacked_index", "unacked_mutex")
    client.delete(*keys)
    yield client
    client.delete(*keys)


@pytest.fixture
def start_worker(transactional_db, broker, tmp_path):
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    # Before the database is flushed: a live worker would hold connections and locks.
    for worker in workers:
        worker.stop()


def test_a_worker_ingests_a_feed_end_to_end(start_worker, feed_server):
    feed_server.expect_request("/feed.xml").respond_with_data(
        stories(ENTRIES), content_type=RSS_TYPE
    )
    feed = FeedFactory(url=feed_server.url_for("/feed.xml"), title="")
    start_worker()

    fetch_feed.delay(feed.id)

    wait_for(lambda: FetchLog.objects.filter(feed=feed).exists(), "the fetch to be recorded")
    log = FetchLog.objects.get(feed=feed)
    assert (log.outcome, log.entries_new) == ("new", ENTRIES)
    assert Article.objects.filter(feed=feed).count() == ENTRIES
    feed.refresh_from_db()
    assert (feed.status, feed.title, feed.claimed_by) == (Feed.Status.OK, "Test feed", "")


def test_killing_a_worker_mid_fetch_neither_loses_nor_duplicates_articles(
    start_worker, feed_server
):
    body = stories(ENTRIES)
    requests = []
    arrived = threading.Event()
    release = threading.Event()

    def hold_the_first_request(request):
        requests.append(time.monotonic())
        if len(requests) == 1:
            arrived.set()
            release.wait(timeout=WAIT)
        return Response(body, content_type=RSS_TYPE)

    feed_server.expect_request("/feed.xml").respond_with_handler(hold_the_first_request)
    feed = FeedFactory(url=feed_server.url_for("/feed.xml"))
    first = start_worker()

    fetch_feed.delay(feed.id)
    assert arrived.wait(timeout=WAIT), f"the fetch never reached the server:\n{first.output()}"
    first.kill()
    release.set()
    assert not Article.objects.exists()
    assert not FetchLog.objects.exists()
    # Let the unacknowledged task become visible again; the next worker restores it at start.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = start_worker()

    wait_for(
        lambda: FetchLog.objects.filter(feed=feed).exists(),
        f"the task to be delivered again:\n{second.output()}",
    )
    assert len(requests) == 2
    assert FetchLog.objects.get(feed=feed).outcome == "new"
    # The count of a clean run (see above), each entry once.
    assert Article.objects.filter(feed=feed).count() == ENTRIES
    assert Article.objects.values("guid").distinct().count() == ENTRIES
    feed.refresh_from_db()
    assert (feed.claimed_until, feed.claimed_by) == (None, "")

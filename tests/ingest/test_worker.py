"""A real Celery worker with the real broker: it ingests a feed end to end, and a worker killed
mid-fetch loses nothing and duplicates nothing once another worker takes the task over.

The worker runs as a subprocess against this test run's database (committed data, hence
``transaction=True``) and Redis. It uses the solo pool so that SIGKILL stops the fetch itself,
not just a parent process whose child would carry on.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from werkzeug import Response

from ingest.models import Article, Feed, FetchLog
from ingest.tasks import fetch_feed
from tests.factories import FeedFactory
from tests.faults.services import WAIT, CeleryProcess, wait_for
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ENTRIES = 5
VISIBILITY_TIMEOUT = 2  # seconds before an unacknowledged task is delivered again
SHORT_VISIBILITY = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def kill(worker: CeleryProcess) -> None:
    """SIGKILL, as the OOM killer or a lost machine would: no clean-up of any kind."""
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)


def test_a_worker_ingests_a_feed_end_to_end(start_worker, feed_server):
    feed_server.expect_request("/feed.xml").respond_with_data(
        stories(ENTRIES), content_type=RSS_TYPE
    )
    feed = FeedFactory(url=feed_server.url_for("/feed.xml"), title="")
    start_worker(**SHORT_VISIBILITY)

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
    first = start_worker(**SHORT_VISIBILITY)

    fetch_feed.delay(feed.id)
    assert arrived.wait(timeout=WAIT), f"the fetch never reached the server:\n{first.output()}"
    kill(first)
    release.set()
    assert not Article.objects.exists()
    assert not FetchLog.objects.exists()
    # Let the unacknowledged task become visible again; the next worker restores it at start.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = start_worker(**SHORT_VISIBILITY)

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

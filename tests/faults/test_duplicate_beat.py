"""Two beat processes run by mistake (a second ``make run``, a stale deployment): both send
"poll due feeds" every tick, yet no feed is fetched twice in one interval.

The fan-out moves each due feed's next check an interval ahead in the same statement that picks
it (``SKIP LOCKED``), so the second beat's poll finds nothing left to enqueue.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from django.utils import timezone
from werkzeug import Response

from ingest.models import FetchLog
from tests.factories import FeedFactory
from tests.faults.services import django_env, wait_for
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = pytest.mark.slow

POLL_INTERVAL = dt.timedelta(seconds=2)
FEEDS = 3
ROUNDS = 3  # fetches of each feed to watch


def test_two_beats_never_fetch_a_feed_twice_in_one_interval(
    fast_beat, test_database_url, redis_server, feed_server, start_celery
):
    paths = [f"/feed-{number}.xml" for number in range(FEEDS)]
    hits = dict.fromkeys(paths, 0)
    lock = threading.Lock()

    def handler_for(path: str):
        body = stories(2, prefix=path.strip("/").removesuffix(".xml"))

        def respond(request):
            with lock:
                hits[path] += 1
            return Response(body, content_type=RSS_TYPE)

        return respond

    for path in paths:
        feed_server.expect_request(path).respond_with_handler(handler_for(path))
    feeds = {
        path: FeedFactory(
            url=feed_server.url_for(path),
            poll_interval=POLL_INTERVAL,
            next_check_at=timezone.now(),
        )
        for path in paths
    }
    env = django_env(test_database_url, redis_server.url)
    worker = start_celery("worker", env, "--concurrency=2")
    beats = [start_celery("beat", env), start_celery("beat", env)]

    def fetched_enough() -> bool:
        counts = [FetchLog.objects.filter(feed=feed).count() for feed in feeds.values()]
        return min(counts) >= ROUNDS

    wait_for(fetched_enough, f"each feed to be fetched {ROUNDS} times")
    for beat in beats:
        beat.stop()
    worker.stop()  # a warm shutdown: the fetch under way, if any, is recorded first

    sent = [beat.output().count("Sending due task poll due feeds") for beat in beats]
    assert min(sent) >= ROUNDS, f"both beats must have been polling: {sent}"
    for path, feed in feeds.items():
        starts = FetchLog.objects.filter(feed=feed).order_by("started_at")
        starts = list(starts.values_list("started_at", flat=True))
        gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
        assert all(gap >= POLL_INTERVAL for gap in gaps), f"feed {feed.pk} fetched after {gaps}"
        # Every request the server saw is one of those fetches.
        assert hits[path] == len(starts)
    # The fan-out enqueued each feed once per interval: no fetch had to stand down because
    # another one held the feed.
    assert "'skipped'" not in worker.output()

"""Redis stops: pages keep serving, /healthz says the broker is down, and ingestion (a real
worker and beat) resumes on its own once Redis is back on the same port, having lost no more
than the polls of the outage itself.

Redis here is a server of the test's own that keeps nothing on disk, so its restart also loses
every queued message, as a crashed production Redis without persistence would.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import threading
import time

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone
from werkzeug import Response

from ingest.models import Feed, FetchLog
from tests.factories import FeedFactory, MeetingFactory
from tests.faults.services import WAIT, django_env, wait_for
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = pytest.mark.slow

PAGES = ("/", "/timeline/", "/actors/", "/feeds/", "/api/events/", "/api/articles/")
POLL_INTERVAL = dt.timedelta(seconds=2)  # the feed's own interval
OUTAGE = 4  # seconds Redis stays down: several polls fall into it
RECONNECT = 15  # seconds allowed for the worker to reconnect once Redis is back


@pytest.fixture
def cache_on(settings, redis_server):
    """The cache and the broker on the dedicated Redis, which the test may stop."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = redis_server.url
    settings.CACHES = caches
    settings.CELERY_BROKER_URL = redis_server.url
    yield redis_server
    cache.close()


def test_pages_keep_serving_while_redis_is_down_and_healthz_says_so(cache_on, client, db):
    MeetingFactory(status="published", title="Lavrov met a Hamas delegation")
    FeedFactory()
    cache.set("faults:probe", "cached")
    assert redis.Redis.from_url(cache_on.url).keys("*faults:probe"), "cache not on the test Redis"
    assert client.get("/healthz").status_code == 200

    cache_on.kill()

    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, f"{page} answered {response.status_code}"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["broker"]["up"] is False
    assert body["database"] == {"up": True, "detail": "ok"}


def test_ingestion_resumes_on_its_own_when_redis_stops_mid_fetch_and_comes_back(
    fast_beat, test_database_url, redis_server, feed_server, start_celery
):
    hits: list[float] = []
    lock = threading.Lock()
    hold = threading.Event()  # set: the next request waits for `release`
    arrived = threading.Event()
    release = threading.Event()

    def respond(request):
        with lock:
            hits.append(time.monotonic())
            held = hold.is_set()
            hold.clear()
        if held:
            arrived.set()
            release.wait(timeout=WAIT)
        return Response(stories(3), content_type=RSS_TYPE)

    feed_server.expect_request("/feed.xml").respond_with_handler(respond)
    feed = FeedFactory(
        url=feed_server.url_for("/feed.xml"),
        poll_interval=POLL_INTERVAL,
        next_check_at=timezone.now(),
    )
    env = django_env(test_database_url, redis_server.url)
    worker = start_celery("worker", env, "--concurrency=2")
    beat = start_celery("beat", env)

    def fetches_since(moment: dt.datetime) -> int:
        return FetchLog.objects.filter(feed=feed, started_at__gt=moment).count()

    wait_for(lambda: fetches_since(dt.datetime.min.replace(tzinfo=dt.UTC)) >= 2, "polls to run")
    # Redis goes away while a fetch is under way: its task is not yet acknowledged.
    hold.set()
    assert arrived.wait(timeout=WAIT), f"no fetch came:\n{worker.output()}"
    redis_server.kill()
    release.set()
    time.sleep(OUTAGE)
    for process in (worker, beat):
        assert process.alive(), f"the {process.kind} gave up without Redis:\n{process.output()}"
    redis_server.start()
    up_at = timezone.now()

    try:
        wait_for(lambda: fetches_since(up_at) >= 3, "ingestion to resume", timeout=WAIT)
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\nworker log:\n{worker.output()}\nbeat log:\n{beat.output()}"
        ) from None
    # The worker reconnects on its own backoff (Celery waits 2, 4, 6 ... s between tries), so
    # ingestion may need a few seconds after Redis is back; past that, at most one interval.
    resumed = FetchLog.objects.filter(feed=feed, started_at__gt=up_at).earliest("started_at")
    assert resumed.started_at - up_at <= POLL_INTERVAL + dt.timedelta(seconds=fast_beat + RECONNECT)
    assert worker.alive() and beat.alive()
    beat.stop()
    worker.stop()  # a warm shutdown: the fetch under way, if any, is recorded first
    # The outage was the broker's, not the feed's: no failure recorded, no backoff.
    feed.refresh_from_db()
    assert (feed.status, feed.consecutive_failures) == (Feed.Status.OK, 0)
    assert not FetchLog.objects.filter(feed=feed, outcome=FetchLog.Outcome.ERROR).exists()
    # The polls that piled up in the queue while the worker reconnected enqueued the feed once:
    # one request per recorded fetch (the one cut off by the outage too: it stored while Redis
    # was down), never two fetches in one interval.
    assert len(hits) == FetchLog.objects.filter(feed=feed).count()
    starts = FetchLog.objects.filter(feed=feed).order_by("started_at")
    starts = list(starts.values_list("started_at", flat=True))
    assert all(later - earlier >= POLL_INTERVAL for earlier, later in itertools.pairwise(starts))

"""The Celery tasks with the real broker (Redis): the fan-out publishes one fetch per due feed,
once; a fetch task runs the pipeline under its task id."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import redis
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ingest import scheduling, tasks
from ingest.models import Article, Feed
from relwatch.celery import app
from relwatch.config import cache_location
from tests.factories import FeedFactory
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = pytest.mark.django_db

QUEUE = "celery"


@pytest.fixture
def broker():
    """The real Redis the tasks are published to, with the default queue emptied."""
    client = redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL))
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


def queued_fetches(client) -> list[tuple[str, list]]:
    """(task id, args) of every task message waiting in the queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(client.lrange(QUEUE, 0, -1))]
    found = []
    for message in messages:
        assert message["headers"]["task"] == "ingest.tasks.fetch_feed"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        found.append((message["headers"]["id"], args))
    return found


def due(**fields) -> Feed:
    return FeedFactory(next_check_at=timezone.now() - dt.timedelta(minutes=1), **fields)


def test_poll_enqueues_one_fetch_per_due_feed(broker):
    feeds = [due(), due(), due(status=Feed.Status.FAILING)]
    FeedFactory(next_check_at=timezone.now() + dt.timedelta(minutes=5))
    due(status=Feed.Status.GONE)
    due(status=Feed.Status.DISABLED)

    assert tasks.poll_due_feeds() == 3

    assert sorted(args for _id, args in queued_fetches(broker)) == sorted([f.id] for f in feeds)


def test_polling_again_within_the_interval_enqueues_nothing_more(broker):
    due()
    due()
    assert tasks.poll_due_feeds() == 2
    assert tasks.poll_due_feeds() == 0
    assert len(queued_fetches(broker)) == 2


def test_one_failed_publish_does_not_stop_the_fan_out(broker, monkeypatch):
    first, second, third = due(), due(), due()
    real_delay = tasks.fetch_feed.delay

    def flaky_delay(feed_id):
        if feed_id == second.id:
            raise ConnectionError("broker hiccup")
        return real_delay(feed_id)

    monkeypatch.setattr(tasks.fetch_feed, "delay", flaky_delay)

    assert tasks.poll_due_feeds() == 2
    assert sorted(args for _id, args in queued_fetches(broker)) == sorted([[first.id], [third.id]])


def test_queued_fetches_run_each_feed_alone_and_a_malformed_one_fails_alone(
    broker, httpserver, private_allowed
):
    good = due(url=httpserver.url_for("/good.xml"))
    bad = due(url=httpserver.url_for("/bad.xml"))
    other = due(url=httpserver.url_for("/other.xml"))
    httpserver.expect_request("/good.xml").respond_with_data(stories(2), content_type=RSS_TYPE)
    httpserver.expect_request("/bad.xml").respond_with_data(
        b"<rss><chan" + bytes(range(256)) * 4, content_type=RSS_TYPE
    )
    httpserver.expect_request("/other.xml").respond_with_data(
        stories(3, prefix="other"), content_type=RSS_TYPE
    )
    tasks.poll_due_feeds()

    outcomes = {}
    for task_id, args in queued_fetches(broker):
        outcomes[args[0]] = tasks.fetch_feed.apply(args=args, task_id=task_id).get()

    assert outcomes == {good.id: "new", bad.id: "error", other.id: "new"}
    assert Article.objects.filter(feed=good).count() == 2
    assert Article.objects.filter(feed=other).count() == 3
    assert Feed.objects.get(pk=bad.pk).status == Feed.Status.FAILING
    assert "not a feed" in Feed.objects.get(pk=bad.pk).last_error


def test_a_redelivered_task_takes_back_its_own_claim(httpserver, private_allowed):
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))
    httpserver.expect_request("/feed.xml").respond_with_data(stories(2), content_type=RSS_TYPE)
    # The first delivery's worker died holding the claim.
    assert scheduling.claim_feed(feed.id, "task-1")

    assert tasks.fetch_feed.apply(args=[feed.id], task_id="task-2").get() == "skipped"
    assert tasks.fetch_feed.apply(args=[feed.id], task_id="task-1").get() == "new"
    assert Article.objects.filter(feed=feed).count() == 2


def test_tasks_are_acknowledged_late_and_time_limited():
    conf = tasks.fetch_feed.app.conf
    for task in (tasks.poll_due_feeds, tasks.fetch_feed):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert task.ignore_result is True
        # The worker applies the app's limits to a task that sets none of its own.
        soft = task.soft_time_limit or conf.task_soft_time_limit
        hard = task.time_limit or conf.task_time_limit
        assert 0 < soft < hard
        assert hard <= scheduling.claim_lease().total_seconds()


def test_the_beat_schedule_polls_due_feeds_every_minute():
    periodic = PeriodicTask.objects.get(name="poll due feeds")
    assert periodic.enabled
    assert (periodic.interval.every, periodic.interval.period) == (1, "minutes")
    assert periodic.task == tasks.poll_due_feeds.name
    assert periodic.task in app.tasks

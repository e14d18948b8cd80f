"""Which feeds are due, who may fetch them, and when they are checked next."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from ingest import scheduling
from ingest.models import Feed
from tests.factories import FeedFactory

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
PAST = NOW - dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_due_feeds_are_the_active_pollable_unclaimed_ones_whose_time_has_come():
    due = FeedFactory(next_check_at=PAST)
    failing = FeedFactory(next_check_at=PAST, status=Feed.Status.FAILING)
    expired_claim = FeedFactory(next_check_at=PAST, claimed_until=NOW - dt.timedelta(seconds=1))
    FeedFactory(next_check_at=NOW + dt.timedelta(minutes=5))
    FeedFactory(next_check_at=PAST, status=Feed.Status.GONE)
    FeedFactory(next_check_at=PAST, status=Feed.Status.DISABLED)
    FeedFactory(next_check_at=PAST, active=False)
    FeedFactory(next_check_at=PAST, claimed_until=NOW + dt.timedelta(minutes=1))

    assert set(scheduling.due_feeds(NOW)) == {due, failing, expired_claim}


@pytest.mark.django_db
def test_a_claimed_feed_cannot_be_claimed_by_another_fetch():
    feed = FeedFactory()
    assert scheduling.claim_feed(feed.id, "task-1", now=NOW)
    assert not scheduling.claim_feed(feed.id, "task-2", now=NOW + dt.timedelta(seconds=30))
    feed.refresh_from_db()
    assert feed.claimed_by == "task-1"
    assert feed.claimed_until > NOW + dt.timedelta(minutes=3)


@pytest.mark.django_db
def test_the_same_task_delivered_again_takes_its_claim_back_at_once():
    feed = FeedFactory()
    assert scheduling.claim_feed(feed.id, "task-1", now=NOW)
    assert scheduling.claim_feed(feed.id, "task-1", now=NOW + dt.timedelta(seconds=5))


@pytest.mark.django_db
def test_a_dead_workers_claim_expires():
    feed = FeedFactory()
    assert scheduling.claim_feed(feed.id, "task-1", now=NOW)
    later = NOW + scheduling.claim_lease() + dt.timedelta(seconds=1)
    assert scheduling.claim_feed(feed.id, "task-2", now=later)


@pytest.mark.django_db
def test_a_released_claim_frees_the_feed_but_only_for_its_holder():
    feed = FeedFactory()
    scheduling.claim_feed(feed.id, "task-1", now=NOW)
    scheduling.release_claim(feed.id, "task-2")
    assert not scheduling.claim_feed(feed.id, "task-2", now=NOW)
    scheduling.release_claim(feed.id, "task-1")
    assert scheduling.claim_feed(feed.id, "task-2", now=NOW)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes", [{"status": "gone"}, {"status": "disabled"}, {"active": False}, {"id": 0}]
)
def test_feeds_that_are_not_pollable_cannot_be_claimed(changes):
    feed = FeedFactory(**{k: v for k, v in changes.items() if k != "id"})
    feed_id = 0 if "id" in changes else feed.id
    assert not scheduling.claim_feed(feed_id, "task-1", now=NOW)


@pytest.mark.django_db
def test_enqueueing_moves_the_next_check_so_a_feed_is_enqueued_once_per_interval():
    now = timezone.now()
    feeds = FeedFactory.create_batch(3, next_check_at=now - dt.timedelta(minutes=2))
    later = FeedFactory(next_check_at=now + dt.timedelta(minutes=10))

    assert sorted(scheduling.mark_due_feeds_enqueued(now)) == sorted(f.id for f in feeds)
    assert scheduling.mark_due_feeds_enqueued(now + dt.timedelta(minutes=1)) == []
    for feed in feeds:
        feed.refresh_from_db()
        assert feed.next_check_at == now + feed.poll_interval
    later.refresh_from_db()
    assert later.next_check_at == now + dt.timedelta(minutes=10)


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_the_same_moment_enqueue_each_feed_once():
    now = timezone.now()
    ids = {f.id for f in FeedFactory.create_batch(40, next_check_at=now - dt.timedelta(minutes=1))}
    results: list[list[int]] = []
    barrier = threading.Barrier(4)

    def beat():
        try:
            barrier.wait()
            results.append(scheduling.mark_due_feeds_enqueued(now))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    enqueued = [feed_id for batch in results for feed_id in batch]
    assert len(results) == 4
    assert sorted(enqueued) == sorted(ids)


def test_backoff_doubles_with_each_failure_and_stops_at_a_day():
    interval = dt.timedelta(minutes=30)
    rng = random.Random(3)
    delays = [scheduling.backoff_delay(interval, n, rng=rng) for n in range(1, 9)]
    assert dt.timedelta(minutes=48) <= delays[0] <= dt.timedelta(hours=1)
    assert dt.timedelta(minutes=96) <= delays[1] <= dt.timedelta(hours=2)
    assert all(delay <= dt.timedelta(hours=24) for delay in delays)
    assert delays[-1] >= dt.timedelta(hours=24) * scheduling.JITTER[0]
    assert scheduling.backoff_delay(interval, 10_000) <= dt.timedelta(hours=24)


def test_backoff_is_jittered():
    delays = {scheduling.backoff_delay(dt.timedelta(minutes=30), 2) for _ in range(20)}
    assert len(delays) > 1


@pytest.mark.parametrize(
    "header, expected",
    [
        ("120", NOW + dt.timedelta(seconds=120)),
        ("0", NOW),
        ("Fri, 01 Mar 2024 13:30:00 GMT", NOW + dt.timedelta(minutes=90)),
        ("Fri, 01 Mar 2024 11:00:00 GMT", NOW),  # in the past: no sooner than now
        ("999999999", NOW + scheduling.MAX_RETRY_AFTER),
        ("soon", None),
        ("", None),
        ("-5", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header, expected):
    assert scheduling.retry_after(header, NOW) == expected


def test_a_failed_feed_waits_at_least_as_long_as_the_server_asked():
    feed = Feed(poll_interval=dt.timedelta(minutes=5))
    asked = NOW + dt.timedelta(hours=6)
    assert scheduling.next_check_after_failure(feed, 1, NOW, not_before=asked) == asked
    assert scheduling.next_check_after_failure(feed, 1, NOW) <= NOW + dt.timedelta(minutes=10)

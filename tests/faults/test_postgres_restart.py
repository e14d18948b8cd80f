"""PostgreSQL restarts while a worker ingests: the fetch that meets the dead connection is
retried, and every feed ends with exactly the articles a clean run stores.

The worker, the broker and the database are all dedicated to the test: a PostgreSQL cluster of
its own (migrated first), so it can be stopped under the worker, and a redis-server of its own.
"""

from __future__ import annotations

import json
import threading

import psycopg2
import pytest
from celery import Celery
from django.db import OperationalError
from werkzeug import Response

from ingest import pipeline, storing, tasks
from ingest.models import Article, Feed, FetchLog
from tests.factories import FeedFactory
from tests.faults.services import WAIT, django_env, manage, wait_for
from tests.ingest.feedbodies import RSS_TYPE, stories

ENTRIES = 6
# Held open until the database is down: the fetch then stores while it is down.
STORE_WHILE_DOWN = "slow-down"
# Held open across the restart: the fetch then stores on a connection the restart cut.
STORE_AFTER_RESTART = "slow-restart"
STEADY = ("steady-a", "steady-b")
FEEDS = (STORE_WHILE_DOWN, STORE_AFTER_RESTART, *STEADY)

CREATE_FEEDS = """
import json
from ingest.models import Feed
ids = {{name: Feed.objects.create(url=url, title=name).pk for name, url in {urls!r}.items()}}
print(json.dumps(ids))
"""


class Cluster:
    """The dedicated cluster's database, queried over fresh connections (a restart cuts any
    connection held across it)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str, *params) -> list[tuple]:
        with psycopg2.connect(self.url) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


@pytest.fixture
def ingest_database(postgres_cluster):
    postgres_cluster.create_database("relwatch")
    return postgres_cluster


@pytest.mark.django_db
def test_a_lost_database_connection_is_raised_for_a_retry_not_charged_to_the_feed(
    httpserver, settings, monkeypatch
):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True
    httpserver.expect_request("/feed.xml").respond_with_data(stories(2), content_type=RSS_TYPE)
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))

    def connection_lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(storing, "store_entries", connection_lost)

    with pytest.raises(OperationalError):
        pipeline.fetch_feed(feed.id, claim_token="task-1")

    assert not FetchLog.objects.exists()
    assert not Article.objects.exists()
    feed.refresh_from_db()
    assert (feed.status, feed.consecutive_failures, feed.claimed_by) == (Feed.Status.OK, 0, "")
    assert set(tasks.fetch_feed.autoretry_for) >= set(pipeline.DATABASE_UNAVAILABLE)


@pytest.mark.slow
def test_a_fetch_cut_off_by_a_postgres_restart_is_retried_and_nothing_is_lost_or_doubled(
    ingest_database, redis_server, feed_server, start_celery
):
    cluster = ingest_database
    env = django_env(cluster.url("relwatch"), redis_server.url)
    manage(env, "migrate", "--noinput")
    db = Cluster(cluster.url("relwatch"))

    arrived = {name: threading.Event() for name in FEEDS}
    release = {name: threading.Event() for name in FEEDS}
    served = dict.fromkeys(FEEDS, 0)
    lock = threading.Lock()

    def handler_for(name: str, hold: bool):
        def respond(request):
            with lock:
                served[name] += 1
                first = served[name] == 1
            arrived[name].set()
            if hold and first:
                release[name].wait(timeout=WAIT)
            return Response(stories(ENTRIES, prefix=name), content_type=RSS_TYPE)

        return respond

    for name in FEEDS:
        feed_server.expect_request(f"/{name}.xml").respond_with_handler(
            handler_for(name, hold=name in (STORE_WHILE_DOWN, STORE_AFTER_RESTART))
        )
    urls = {name: feed_server.url_for(f"/{name}.xml") for name in FEEDS}
    created = manage(env, "shell", "-c", CREATE_FEEDS.format(urls=urls))
    ids = json.loads(created.strip().splitlines()[-1])

    worker = start_celery("worker", env, "--pool=prefork", "--concurrency=2")
    sender = Celery("faults-sender", broker=redis_server.url, set_as_current=False)
    try:
        # The two slow feeds first, so both are mid-fetch when the database goes down.
        for name in FEEDS:
            sender.send_task("ingest.tasks.fetch_feed", args=[ids[name]])
    finally:
        sender.close()
    for name in (STORE_WHILE_DOWN, STORE_AFTER_RESTART):
        assert arrived[name].wait(timeout=WAIT), f"{name} never fetched:\n{worker.output()}"

    cluster.stop(mode="fast")
    release[STORE_WHILE_DOWN].set()
    wait_for(
        lambda: "OperationalError" in worker.output() or "InterfaceError" in worker.output(),
        f"the worker to meet the stopped database:\n{worker.output()}",
    )
    cluster.start()
    release[STORE_AFTER_RESTART].set()

    def articles_per_feed() -> dict[int, int]:
        return dict(db.rows("SELECT feed_id, count(*) FROM ingest_article GROUP BY feed_id"))

    expected = {ids[name]: ENTRIES for name in FEEDS}
    try:
        wait_for(lambda: articles_per_feed() == expected, "every feed's articles to be stored")
        wait_for(
            lambda: not db.rows("SELECT id FROM ingest_feed WHERE claimed_by <> ''"),
            "every claim to be released",
        )
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\narticles per feed: {articles_per_feed()} (expected {expected})\n"
            f"feeds: {db.rows('SELECT id, status, last_error, claimed_by FROM ingest_feed')}\n"
            f"worker log:\n{worker.output()}"
        ) from None

    # A clean run's result: each entry of each feed once, under its own GUID.
    assert db.rows("SELECT count(*), count(DISTINCT (feed_id, guid)) FROM ingest_article") == [
        (len(FEEDS) * ENTRIES, len(FEEDS) * ENTRIES)
    ]
    # The restart was the database's fault, not the feeds': none is left failing or backed off.
    assert db.rows("SELECT status, consecutive_failures, last_error FROM ingest_feed") == [
        ("ok", 0, "")
    ] * len(FEEDS)
    assert db.rows("SELECT outcome, count(*) FROM ingest_fetchlog GROUP BY outcome") == [
        ("new", len(FEEDS))
    ]

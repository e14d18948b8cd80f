"""The stage behind the fetch path: feeds served by a real local HTTP server, stored by the real
pipeline, then coded at the end of ``manage.py ingest`` or queued from a worker's fetch."""

from __future__ import annotations

import base64
import io
import json

import pytest
import redis
from django.conf import settings
from django.core.management import call_command

from coding import stage
from coding.models import Story, Suggestion
from ingest import pipeline
from ingest.models import Article
from relwatch.config import cache_location
from tests.coding.stage_support import ScriptedCoder, actors, coded
from tests.factories import AliasFactory, FeedFactory
from tests.ingest.feedbodies import RSS_TYPE, rss

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "celery"


@pytest.fixture
def private_allowed(settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True


@pytest.fixture
def cast():
    cast = actors()
    AliasFactory(actor=cast["russia"], text="Lavrov")
    AliasFactory(actor=cast["russia"], text="Лавров", language="ru")
    AliasFactory(actor=cast["hamas"], text="ХАМАС", language="ru")
    return cast


@pytest.fixture
def coder(monkeypatch, cast):
    scripted = ScriptedCoder(
        {
            "Lavrov meets Hamas in Moscow": [coded(cast["russia"], cast["hamas"], "CONSULT")],
            "Лавров встретился с делегацией ХАМАС": [
                coded(cast["russia"], cast["hamas"], "CONSULT")
            ],
        }
    )
    monkeypatch.setattr(stage, "get_coder", lambda: scripted)
    return scripted


@pytest.fixture
def broker():
    client = redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL))
    client.delete(QUEUE)
    yield client
    client.delete(QUEUE)


def serve(httpserver, path, title, language, items):
    body = rss(items, title=title).replace(
        b"<language>en</language>", f"<language>{language}</language>".encode()
    )
    httpserver.expect_request(path).respond_with_data(body, content_type=RSS_TYPE)
    return FeedFactory(url=httpserver.url_for(path), language=language, title=title)


ENGLISH = [
    {
        "guid": "urn:en:1",
        "title": "Lavrov meets Hamas in Moscow",
        "description": "Lavrov met.",
        "link": "https://wire.example/en/1",
    },
    {
        "guid": "urn:en:2",
        "title": "Weather: storms expected",
        "description": "Rain.",
        "link": "https://wire.example/en/2",
    },
]
RUSSIAN = [
    {
        "guid": "urn:ru:1",
        "title": "Лавров встретился с делегацией ХАМАС",
        "description": "Лавров принял делегацию ХАМАС.",
        "date": "Fri, 27 Oct 2023 09:00:00 GMT",
        "link": "https://lenta.example/ru/1",
    }
]


def test_manage_py_ingest_codes_the_stored_articles_at_the_end(
    httpserver, private_allowed, cast, coder
):
    serve(httpserver, "/en.xml", "Wire EN", "en", ENGLISH)
    serve(httpserver, "/ru.xml", "Лента", "ru", RUSSIAN)
    out = io.StringIO()

    call_command("ingest", "--all", stdout=out)

    story = Story.objects.get()
    assert (story.article_count, story.outlet_count, story.languages) == (2, 2, ["en", "ru"])
    assert set(Suggestion.objects.values_list("article__guid", flat=True)) == {
        "urn:en:1",
        "urn:ru:1",
    }
    # The weather names nobody: never handed to the coder.
    assert sorted(title for title, *_ in coder.calls) == sorted(
        ["Lavrov meets Hamas in Moscow", "Лавров встретился с делегацией ХАМАС"]
    )
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("articles coded: 2, suggestions created: 2,")


def test_a_workers_fetch_queues_the_coding_of_what_it_stored(
    httpserver, private_allowed, cast, coder, broker
):
    feed = serve(httpserver, "/en.xml", "Wire EN", "en", ENGLISH)

    pipeline.fetch_feed(feed.pk)

    stored = Article.objects.get(guid="urn:en:1")
    queued = [json.loads(raw) for raw in broker.lrange(QUEUE, 0, -1)]
    assert [message["headers"]["task"] for message in queued] == ["coding.tasks.code_articles"]
    args, _kwargs, _embed = json.loads(base64.b64decode(queued[0]["body"]))
    assert args == [[stored.pk]]
    # Queued, not done: the fetch itself coded nothing.
    assert coder.calls == [] and not Suggestion.objects.exists()


def test_a_fetch_that_rolls_back_announces_nothing(
    httpserver, private_allowed, cast, coder, broker, monkeypatch
):
    feed = serve(httpserver, "/en.xml", "Wire EN", "en", ENGLISH)
    real_save = pipeline._save_with_feed_state
    calls = []

    def fail_once(*args, **kwargs):
        # After the entries are stored (and announced for the commit), before it.
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_save_with_feed_state", fail_once)

    log = pipeline.fetch_feed(feed.pk)

    assert log.error == "could not store the entries: RuntimeError: disk full"
    assert not Article.objects.exists()
    assert broker.llen(QUEUE) == 0

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

from coding.models import ArticleCoding, Story, Suggestion
from ingest import pipeline
from ingest.models import Article
from relwatch.config import cache_location
from tests.factories import FeedFactory
from tests.ingest.feedbodies import RSS_TYPE, rss

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE = "celery"


@pytest.fixture
def private_allowed(settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = True


@pytest.fixture
def seeds():
    """The seed actors, aliases, affiliations and cue lexicon: the real coder's data."""
    call_command("load_seeds", stdout=io.StringIO())


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
        "title": "Lavrov meets Hamas delegation in Moscow",
        "description": "Russian Foreign Minister Sergei Lavrov met a Hamas delegation in "
        "Moscow on Thursday.",
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
        "title": "Лавров принял делегацию ХАМАС",
        "description": "Министр иностранных дел России Сергей Лавров принял в Москве "
        "делегацию ХАМАС.",
        "date": "Fri, 27 Oct 2023 09:00:00 GMT",
        "link": "https://lenta.example/ru/1",
    }
]


def test_manage_py_ingest_codes_the_stored_articles_at_the_end(httpserver, private_allowed, seeds):
    english = serve(httpserver, "/en.xml", "Wire EN", "en", ENGLISH)
    russian = serve(httpserver, "/ru.xml", "Лента", "ru", RUSSIAN)
    out = io.StringIO()

    call_command("ingest", "--feed", str(english.pk), "--feed", str(russian.pk), stdout=out)

    story = Story.objects.get()
    assert (story.source.slug, story.target.slug, story.category) == ("russia", "hamas", "CONSULT")
    assert (story.article_count, story.outlet_count, story.languages) == (2, 2, ["en", "ru"])
    assert set(Suggestion.objects.values_list("article__guid", flat=True)) == {
        "urn:en:1",
        "urn:ru:1",
    }
    # The weather names nobody: never handed to the coder, never recorded.
    assert not ArticleCoding.objects.filter(article__guid="urn:en:2").exists()
    lines = out.getvalue().splitlines()
    assert lines[-2].startswith("feeds: 2, new: 3,")
    assert lines[-1].startswith("articles coded: 2, suggestions created: 2,")


def test_a_workers_fetch_queues_the_coding_of_what_it_stored(
    httpserver, private_allowed, seeds, broker
):
    feed = serve(httpserver, "/en.xml", "Wire EN", "en", ENGLISH)

    pipeline.fetch_feed(feed.pk)

    stored = Article.objects.get(guid="urn:en:1")
    queued = [json.loads(raw) for raw in broker.lrange(QUEUE, 0, -1)]
    assert [message["headers"]["task"] for message in queued] == ["coding.tasks.code_articles"]
    args, _kwargs, _embed = json.loads(base64.b64decode(queued[0]["body"]))
    assert args == [[stored.pk]]
    # Queued, not done: the fetch itself coded nothing.
    assert not Suggestion.objects.exists()


def test_a_fetch_that_rolls_back_announces_nothing(
    httpserver, private_allowed, seeds, broker, monkeypatch
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


def test_the_seed_samples_produce_stories_across_languages():
    call_command("load_seeds", "--with-samples", stdout=io.StringIO())

    assert Suggestion.objects.exists()
    multilingual = Story.objects.filter(outlet_count__gte=2)
    assert multilingual.exists()
    for story in multilingual:
        assert len(story.languages) >= 2
        assert story.article_count == story.suggestions.values("article").distinct().count()
    # Loading them again stores nothing new, so codes nothing new.
    before = Suggestion.objects.count(), Story.objects.count()
    call_command("load_seeds", "--with-samples", stdout=io.StringIO())
    assert (Suggestion.objects.count(), Story.objects.count()) == before

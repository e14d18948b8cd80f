"""A real Celery worker with the real broker: a fetch stores a feed's articles, queues their
coding, and the worker codes them into a story; delivered twice, the task writes nothing twice.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from coding.models import ArticleCoding, Story, Suggestion
from coding.tasks import code_articles
from ingest.models import Article
from ingest.tasks import fetch_feed
from tests.factories import FeedFactory
from tests.faults.services import wait_for
from tests.ingest.feedbodies import RSS_TYPE, rss

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ITEMS = [
    {
        "guid": "urn:wire:1",
        "title": "Israel strikes Hamas targets in Gaza",
        "description": "The Israeli army struck Hamas positions in Gaza overnight.",
        "link": "https://wire.example/1",
    },
    {
        "guid": "urn:wire:2",
        "title": "Zakharova accuses Israel of violating international law",
        "description": "Maria Zakharova accused Israel of violating international law.",
        "link": "https://wire.example/2",
    },
]


@pytest.fixture
def worker(transactional_db, start_worker):
    call_command("load_seeds", stdout=io.StringIO())  # the actors and aliases the coder finds
    return start_worker()


def test_a_worker_codes_what_its_fetch_stored(worker, feed_server):
    feed_server.expect_request("/feed.xml").respond_with_data(rss(ITEMS), content_type=RSS_TYPE)
    feed = FeedFactory(url=feed_server.url_for("/feed.xml"), language="en")

    fetch_feed.delay(feed.id)

    wait_for(
        lambda: ArticleCoding.objects.filter(article__feed=feed).count() == 2,
        f"the articles to be coded:\n{worker.output()}",
    )
    found = {
        (s.source.slug, s.target.slug, s.category)
        for s in Suggestion.objects.select_related("source", "target")
    }
    assert ("israel", "hamas", "ASSAULT") in found
    assert ("russia", "israel", "ACCUSE") in found
    assert Story.objects.count() == len(found)
    assert "coding.tasks.code_articles" in worker.output()

    # The same task delivered again (a lost acknowledgement): nothing is written twice.
    rows = list(Suggestion.objects.order_by("id").values())
    ids = list(Article.objects.values_list("id", flat=True))
    code_articles.delay(ids)
    wait_for(
        lambda: worker.output().count("succeeded") >= 3, f"the second task:\n{worker.output()}"
    )
    assert list(Suggestion.objects.order_by("id").values()) == rows

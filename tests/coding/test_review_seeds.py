"""The seed samples, coded by the real coder and grouped by the real stage, make stories an
editor can accept: each becomes an event of its kind with one source per article, and
re-coding afterwards leaves the reviewed stories and their events as they are."""

from __future__ import annotations

import pytest

from coding import review, stage
from coding.models import ArticleCoding, ReviewStatus, Story
from ingest.models import Article
from ingest.seeding import load_seeds
from relations.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded_samples(db):
    load_seeds(with_samples=True)
    ids = list(stage.codable_articles().values_list("pk", flat=True))
    stage.code_articles(ids)
    return ids


def test_every_story_of_the_seed_samples_can_be_accepted(coded_samples, editor):
    stories = list(Story.objects.filter(status=ReviewStatus.PENDING).order_by("pk"))
    assert stories, "the seed samples make no story"
    before = Event.objects.count()

    events = [review.accept(story, editor, publish=True) for story in stories]

    assert Event.objects.count() == before + len(stories)
    for story, event in zip(stories, events, strict=True):
        story.refresh_from_db()
        assert story.status == ReviewStatus.ACCEPTED
        assert event.kind == story.kind and event.category == story.category
        assert event.status == Event.Status.PUBLISHED
        cited = set(event.sources.values_list("url", flat=True))
        assert cited == set(
            Article.objects.filter(suggestions__story=story).values_list("url", flat=True)
        )


def test_re_coding_leaves_reviewed_stories_and_their_events_alone(coded_samples, editor):
    stories = list(Story.objects.filter(status=ReviewStatus.PENDING).order_by("pk"))
    assert len(stories) >= 2
    event = review.accept(stories[0], editor)
    review.reject(stories[1], editor, "not news")
    sources = set(event.sources.values_list("pk", "quote"))
    # Everything coded again from scratch, as after a lexicon edit.
    ArticleCoding.objects.all().delete()

    stage.code_articles(coded_samples)

    accepted, rejected = (Story.objects.get(pk=s.pk) for s in stories[:2])
    assert (accepted.status, accepted.event_id) == (ReviewStatus.ACCEPTED, event.pk)
    assert (rejected.status, rejected.reason) == (ReviewStatus.REJECTED, "not news")
    assert set(accepted.suggestions.values_list("status", flat=True)) == {ReviewStatus.ACCEPTED}
    assert set(Event.objects.get(pk=event.pk).sources.values_list("pk", "quote")) == sources

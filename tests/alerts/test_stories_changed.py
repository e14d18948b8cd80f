"""Stories the coding stage writes in bulk reach the watchlists: the stage writes them with SQL
(no post_save) and sends coding.stories.stories_changed once the batch commits;
alerts.signals.note_stories_changed queues alerts.tasks.stories_changed after the commit, one
task for up to STORIES_PER_TASK stories.

No worker: Celery runs a queued task at once in this process (``task_always_eager``), so the
test sees the notification the task writes. (The beat's sweep also finds such stories, but it
is not run here: only the hook can tell the watchlist.)"""

from __future__ import annotations

import base64
import json

import pytest
from django.utils import timezone

from alerts import signals
from alerts.forms import create_watchlist
from alerts.models import Notification
from coding import stories
from coding.models import Story
from coding.stage import code_articles
from relwatch import celery_app
from tests.coding.stage_support import ScriptedCoder, coded
from tests.factories import ArticleFactory, StoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks(settings):
    """A task queued with ``.delay`` runs at once, here, and raises what it raises (Celery
    reads its settings from Django's, so the override reaches it and is undone after)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    assert celery_app.conf.task_always_eager


@pytest.fixture
def pair_watchlist(owner, russia, israel):
    """A watchlist of Russia and Israel told of stories reported by a single outlet."""
    watchlist = create_watchlist(owner, "/relations/russia/israel/")
    watchlist.on_story = True
    watchlist.story_min_outlets = 1
    watchlist.save()
    return watchlist


def test_a_story_the_stage_writes_in_bulk_reaches_its_pairs_watchlist_after_the_commit(
    pair_watchlist, russia, israel, committed, eager_tasks
):
    # Published after the watchlist was made (a watchlist is told of what happens after it).
    report = ArticleFactory(title="Russia accuses Israel", published_at=timezone.now())
    coder = ScriptedCoder({report.title: [coded(russia, israel, "ACCUSE")]})

    with committed():
        code_articles([report.pk], coder=coder)
        assert Story.objects.exists()
        assert not Notification.objects.exists()  # not before the commit

    [notification] = Notification.objects.all()
    assert notification.trigger == "story"
    assert (notification.watchlist, notification.story) == (pair_watchlist, Story.objects.get())
    assert "Russia → Israel" in notification.title


def test_the_signal_tells_of_the_stories_it_names_and_of_no_other(
    pair_watchlist, russia, israel, committed, eager_tasks
):
    # Two stories of the pair, made outside the block: their post_save hooks wait for a
    # commit that never comes.
    named, _ = (
        StoryFactory(source=russia, target=israel, outlets=1, first_seen=timezone.now())
        for _ in range(2)
    )

    with committed():
        stories.stories_changed.send(sender=Story, story_ids=[named.pk])

    assert list(Notification.objects.values_list("story", flat=True)) == [named.pk]


def test_stories_announced_in_bulk_travel_several_to_a_message(
    pair_watchlist, russia, israel, committed, broker, monkeypatch
):
    # Through the real queue (no worker): one message per STORIES_PER_TASK stories, not one
    # per story; each message names its stories.
    monkeypatch.setattr(signals, "STORIES_PER_TASK", 2)
    ids = [StoryFactory(source=russia, target=israel, outlets=1).pk for _ in range(5)]
    broker.delete("celery")

    with committed():
        stories.stories_changed.send(sender=Story, story_ids=ids + ids[:2])

    messages = [json.loads(raw) for raw in broker.lrange("celery", 0, -1)]
    assert [m["headers"]["task"] for m in messages] == ["alerts.tasks.stories_changed"] * 3
    named = [id_ for m in messages for id_ in json.loads(base64.b64decode(m["body"]))[0][0]]
    assert sorted(named) == sorted(ids)

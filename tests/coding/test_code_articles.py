"""``manage.py code_articles``: which articles it takes, its summary line, its errors."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from coding import stage
from coding.models import Suggestion
from tests.coding.stage_support import ScriptedCoder, actors, article, coded
from tests.factories import FeedFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return actors()


@pytest.fixture
def scene(cast, monkeypatch):
    """Two feeds; articles naming actors on two days, and one naming nobody."""
    feeds = FeedFactory(), FeedFactory()
    old = article(
        "Old accusation", feed=feeds[0], day=dt.date(2024, 4, 1), mentions=[cast["russia"]]
    )
    new = article("New meeting", feed=feeds[1], day=dt.date(2024, 5, 6), mentions=[cast["iran"]])
    nobody = article("Weather", feed=feeds[1], day=dt.date(2024, 5, 6))
    coder = ScriptedCoder(
        {
            old.title: [coded(cast["russia"], cast["israel"], "ACCUSE")],
            new.title: [coded(cast["iran"], cast["russia"], "CONSULT")],
        }
    )
    monkeypatch.setattr(stage, "get_coder", lambda: coder)
    return {"feeds": feeds, "old": old, "new": new, "nobody": nobody, "coder": coder}


def run(*args) -> str:
    out = io.StringIO()
    call_command("code_articles", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_all_codes_every_article_that_names_an_actor_and_sums_up(scene):
    out = run("--all")

    assert out.strip() == (
        "articles coded: 2, suggestions created: 2, updated: 0, removed: 0, stories new: 2, "
        "joined: 0, skipped: 0"
    )
    assert sorted(title for title, *_ in scene["coder"].calls) == ["New meeting", "Old accusation"]


def test_a_second_run_skips_everything(scene):
    run("--all")

    out = run("--all")

    assert out.strip().endswith("stories new: 0, joined: 0, skipped: 2")
    assert "articles coded: 0" in out
    assert Suggestion.objects.count() == 2


def test_since_takes_the_articles_published_from_that_day(scene):
    run("--since", "2024-05-01")

    assert list(Suggestion.objects.values_list("article", flat=True)) == [scene["new"].pk]


def test_feed_takes_that_feeds_articles(scene):
    run("--feed", str(scene["feeds"][0].pk))

    assert list(Suggestion.objects.values_list("article", flat=True)) == [scene["old"].pk]


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "Give one of --all, --since DATE or --feed ID."),
        (("--all", "--since", "2024-05-01"), "Give one of --all"),
        (("--all", "--feed", "1"), "Give one of --all"),
        (("--since", "yesterday"), "--since takes a date as YYYY-MM-DD, not 'yesterday'."),
        (("--since", "2024-13-01"), "--since takes a date as YYYY-MM-DD"),
        (("--feed", "999999"), "No feed with id 999999."),
    ],
    ids=[
        "nothing",
        "all-and-since",
        "all-and-feed",
        "since-word",
        "since-month-13",
        "feed-unknown",
    ],
)
def test_bad_arguments_are_refused_clearly(scene, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
        run(*args)
    assert not Suggestion.objects.exists()


def test_a_non_number_feed_id_is_refused(scene):
    with pytest.raises(CommandError, match="invalid int value"):
        run("--feed", "abc")

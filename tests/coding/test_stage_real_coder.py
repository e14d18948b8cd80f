"""The stage with the real coder and the seed lexicon: a cue edit re-codes pending suggestions
only; articles with hundreds of actor mentions or a 5 MB body are coded, bounded."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from coding import stage
from coding.models import ReviewStatus, Story, Suggestion
from coding.stage import code_articles
from relations.models import Actor, Cue
from tests.coding.stage_support import article

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    call_command("load_seeds", stdout=io.StringIO())


def slugs(suggestion: Suggestion) -> tuple[str, str, str]:
    return suggestion.source.slug, suggestion.target.slug, suggestion.category


def test_a_cue_edit_recodes_pending_suggestions_and_leaves_reviewed_ones(seeds):
    meeting = article(
        "Lavrov meets Hamas delegation in Moscow",
        summary="Russian Foreign Minister Sergei Lavrov met a Hamas delegation in Moscow.",
    )
    strike = article(
        "Israel strikes Hamas targets in Gaza",
        summary="The Israeli army struck Hamas positions in Gaza overnight.",
    )
    code_articles([meeting.pk, strike.pk])
    assert slugs(Suggestion.objects.get(article=meeting)) == ("russia", "hamas", "CONSULT")
    accepted = Suggestion.objects.get(article=strike)
    assert slugs(accepted) == ("israel", "hamas", "ASSAULT")
    Story.objects.filter(pk=accepted.story_id).update(status=ReviewStatus.ACCEPTED)
    accepted_before = Suggestion.objects.filter(pk=accepted.pk).values().get()

    # An editor removes the English cues of meetings and strikes: the coder changes version.
    Cue.objects.filter(
        language="en", polarity=Cue.Polarity.ACT, category__in=["CONSULT", "ASSAULT"]
    ).delete()
    summary = code_articles([meeting.pk, strike.pk])

    assert summary.coded == 2
    assert not Suggestion.objects.filter(article=meeting, category="CONSULT").exists()
    assert Suggestion.objects.filter(pk=accepted.pk).values().get() == accepted_before
    assert Story.objects.get(pk=accepted.story_id).status == ReviewStatus.ACCEPTED
    # And a run with nothing changed since changes nothing.
    again = code_articles([meeting.pk, strike.pk])
    assert (again.coded, again.skipped) == (0, 2)


def test_an_article_with_500_actor_mentions_is_coded_within_bounds(seeds):
    names = [
        "Russia",
        "Israel",
        "Hamas",
        "Iran",
        "Syria",
        "Qatar",
        "Hezbollah",
        "Ukraine",
        "Netanyahu",
        "Lavrov",
    ]
    # One sentence naming 500 actors, then 50 sentences of 10 each.
    crowd = ", ".join(names * 50) + " met in Moscow."
    sentences = " ".join(f"{', '.join(names)} held talks on Monday." for _ in range(50))
    crowded = article("Summit of everyone", summary=f"{crowd} {sentences}")

    summary = code_articles([crowded.pk])

    actors = Actor.objects.count()
    assert summary.coded == 1
    # One row per pair and category at most, whatever the number of mentions.
    assert Suggestion.objects.filter(article=crowded).count() <= actors * actors
    assert Suggestion.objects.filter(article=crowded).exists()


def test_a_5_mb_article_is_coded_from_its_first_part(seeds):
    paragraph = "<p>Israeli jets struck Hamas positions in Gaza, the army said.</p>"
    huge = article(
        "Live: the war in Gaza",
        summary="",
        content=paragraph * (5_000_000 // len(paragraph) + 1),
    )

    summary = code_articles([huge.pk])

    assert len(huge.content) > 5_000_000
    assert summary.coded == 1
    assert ("israel", "hamas", "ASSAULT") in {
        slugs(s) for s in Suggestion.objects.filter(article=huge)
    }
    assert stage.MAX_HTML_CHARS < 5_000_000

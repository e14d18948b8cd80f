"""Stories and suggestions made directly in the database for the review tests (no coder runs):
``make_story`` builds one story reported by several outlets, each article with its evidence
sentence and the character spans of the actors and the cue."""

from __future__ import annotations

from coding.models import Story
from relations.models import Actor
from tests.factories import STORY_SEEN, StoryFactory, spans_of

__all__ = ["NOON", "make_story", "spans_of"]

NOON = STORY_SEEN


def make_story(
    source: Actor,
    target: Actor,
    *,
    reports: list[tuple[str, str, str, float]] | None = None,
    **fields,
) -> Story:
    """A story of ``source`` → ``target`` with one article per report: (outlet, language,
    evidence sentence, confidence); by default Reuters and TASS. The other keywords
    (``category``, ``kind``, ``cue``, ``claimant``, ``status``, ``first_seen``) are
    ``StoryFactory``'s."""
    if reports:
        fields["reports"] = reports
    return StoryFactory(source=source, target=target, **fields)

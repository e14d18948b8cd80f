"""Stories and suggestions made directly in the database for the review tests (no coder runs):
``make_story`` builds one story reported by several outlets, each article with its evidence
sentence and the character spans of the actors and the cue."""

from __future__ import annotations

import datetime as dt

from coding.models import Story, Suggestion
from relations.categories import default_score
from relations.models import Actor, Event
from tests import factories

NOON = dt.datetime(2026, 2, 17, 12, 0, tzinfo=dt.UTC)


def spans_of(quote: str, **words: str) -> dict[str, list[int]]:
    """{"source": [s, e], ...}: where each of ``words`` first occurs in ``quote`` (those
    that do)."""
    spans = {}
    for key, word in words.items():
        start = quote.find(word)
        if word and start >= 0:
            spans[key] = [start, start + len(word)]
    return spans


def make_story(
    source: Actor,
    target: Actor,
    *,
    category: str = "CONSULT",
    kind: str = Event.Kind.MEETING,
    reports: list[tuple[str, str, str, float]] | None = None,
    cue: str = "met",
    claimant: Actor | None = None,
    status: str = "pending",
    first_seen: dt.datetime = NOON,
) -> Story:
    """A story of ``source`` → ``target`` with one article per report: (outlet, language,
    evidence sentence, confidence). The spans mark the actors and the cue where the sentence names
    them; the article's title is the sentence."""
    reports = reports or [
        ("Reuters", "en", f"{source.name} {cue} {target.name} in Moscow.", 0.9),
        ("TASS", "ru", f"{source.name} {cue} {target.name}, said the ministry.", 0.7),
    ]
    story = Story.objects.create(
        source=source,
        target=target,
        category=category,
        family=category,
        kind=kind,
        first_seen=first_seen,
        last_seen=first_seen + dt.timedelta(hours=len(reports)),
        article_count=len(reports),
        outlet_count=len({outlet for outlet, *_ in reports}),
        languages=sorted({language for _, language, *_ in reports}),
        confidence=max(confidence for *_, confidence in reports),
        status=status,
    )
    for n, (outlet, language, quote, confidence) in enumerate(reports):
        feed = factories.FeedFactory(title=outlet, language=language)
        article = factories.ArticleFactory(
            feed=feed,
            title=quote,
            summary=f"{quote} More text follows.",
            language=language,
            published_at=first_seen + dt.timedelta(hours=n),
        )
        words = {"source": source.name, "target": target.name, "cue": cue}
        if claimant is not None:
            words["claimant"] = claimant.name
        Suggestion.objects.create(
            article=article,
            source=source,
            target=target,
            source_named=source,
            target_named=target,
            category=category,
            kind=kind,
            score=default_score(category),
            confidence=confidence,
            quote=quote,
            cue=cue,
            explanation=f"cue: «{cue}» → {category}; source: {source.name}",
            spans=spans_of(quote, **words),
            claimant=claimant,
            story=story,
            status=status,
        )
    return story

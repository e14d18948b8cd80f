"""Editors' triage of ingested articles: turn them into sources and events, or dismiss them.

Plain functions so the admin, the dashboard's inbox and the API share one behaviour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import QuerySet

from ingest.models import Article
from relations.categories import Category
from relations.models import Event, Language, Participant, Source

QUOTE_MAX_CHARS = 400

# A statement can praise or condemn, so its category (and default score) is left to the editor.
CATEGORY_BY_KIND: dict[str, str] = {
    Event.Kind.MEETING: Category.CONSULT,
    Event.Kind.ALLEGATION: Category.ACCUSE,
}

_SENTENCE_END = re.compile(r"[.!?…؟。]+[\"'”’»)\]]*\s+")
# Words that end in a full stop without ending the sentence ("Mr. Lavrov", "the U.S. envoy").
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "maj", "sgt", "capt", "prof", "sen"}
    | {"rep", "gov", "pres", "jr", "sr", "vs", "etc", "no", "approx", "jan", "feb", "mar"}
    | {"apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)
_INITIALISM = re.compile(r"(?:\b\w\.)*\b\w$")


def first_sentence(text: str, limit: int = QUOTE_MAX_CHARS) -> str:
    """The first sentence of ``text``, cut at a word boundary if it runs past ``limit``."""
    text = " ".join(text.split())
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()]
        last_word = before.rsplit(" ", 1)[-1]
        if last_word.casefold().rstrip(".") in _ABBREVIATIONS or _INITIALISM.search(last_word):
            continue
        text = text[: match.end()].rstrip()
        break
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def outlet_name(article: Article) -> str:
    feed = article.feed
    if feed.title:
        return feed.title[:200]
    host = urlsplit(feed.site_url or feed.url).hostname or feed.url
    return host.removeprefix("www.")[:200]


def source_from_article(article: Article) -> Source:
    """An unsaved Source citing ``article``: its URL, outlet (the feed), title, date and first
    sentence as the quote. Set ``event`` before saving."""
    return Source(
        url=article.url,
        outlet=outlet_name(article),
        title=article.title[:500],
        published_at=article.published_at,
        quote=first_sentence(article.summary) or first_sentence(article.title),
        language=article.language or article.feed.language or Language.ENGLISH,
    )


def _cites(event: Event, article: Article) -> bool:
    sources = event.sources.all()
    if article.url:
        return sources.filter(url=article.url).exists()
    return sources.filter(outlet=outlet_name(article), title=article.title[:500]).exists()


@transaction.atomic
def link_article(article: Article, event: Event, user=None) -> Source | None:
    """Link ``article`` to ``event`` and cite it there, unless the event cites it already.

    Returns the new Source, or None when there was one. The event's history records who linked
    it, so an event's evidence can be traced to the editor who added it."""
    source = None
    if not _cites(event, article):
        source = source_from_article(article)
        source.event = event
        source.full_clean()
        source.save()
    article.event = event
    article.review_status = Article.ReviewStatus.LINKED
    article.save(update_fields=["event", "review_status"])

    specific = event.specific()
    specific._history_user = user
    specific._change_reason = f"Linked article “{article.title[:200]}”"
    specific.save(update_fields=["updated_at"])
    return source


def dismiss_articles(articles: QuerySet[Article]) -> int:
    """Dismiss the given articles, leaving those already linked to an event alone.

    Returns how many were dismissed."""
    return articles.exclude(review_status=Article.ReviewStatus.LINKED).update(
        review_status=Article.ReviewStatus.DISMISSED
    )


def restore_articles(articles: QuerySet[Article]) -> int:
    """Put the dismissed ones among ``articles`` back in the inbox as new.

    Returns how many were restored."""
    return articles.filter(review_status=Article.ReviewStatus.DISMISSED).update(
        review_status=Article.ReviewStatus.NEW
    )


@dataclass
class EventDraft:
    """What an event form is prefilled with for an article (plain values, actor ids)."""

    kind: str
    initial: dict[str, Any] = field(default_factory=dict)
    participants: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)


def kind_for_article(article: Article) -> str:
    return article.candidate_kind or Event.Kind.STATEMENT


def draft_event(article: Article, kind: str | None = None) -> EventDraft:
    """A draft of the event ``article`` reports: the candidate kind (a statement when none),
    title, date, category default, one participant per mentioned actor (most mentioned first)
    and a source citing the article. The editor checks every guess before saving."""
    kind = kind or kind_for_article(article)
    actor_ids = list(
        article.mentions.order_by("-count", "actor__name").values_list("actor_id", flat=True)
    )
    draft = EventDraft(kind=kind)
    draft.initial = {
        "title": article.title[:300],
        "summary": article.summary,
        "date": article.published_at.date(),
        "date_precision": Event.Precision.DAY,
    }
    if kind in CATEGORY_BY_KIND:
        draft.initial["category"] = CATEGORY_BY_KIND[kind]

    roles = [Participant.Role.PARTICIPANT] * len(actor_ids)
    if kind == Event.Kind.STATEMENT and actor_ids:
        draft.initial["speaker"] = actor_ids[0]
        roles[0] = Participant.Role.SPEAKER
    elif kind == Event.Kind.ALLEGATION:
        draft.initial["claim"] = first_sentence(article.summary or article.title)
        if actor_ids:
            draft.initial["claimant"] = actor_ids[0]
            roles[0] = Participant.Role.CLAIMANT
        if len(actor_ids) > 1:
            draft.initial["accused"] = actor_ids[1]
            roles[1] = Participant.Role.ACCUSED
    draft.participants = [
        {"actor": actor_id, "role": role} for actor_id, role in zip(actor_ids, roles, strict=True)
    ]

    source = source_from_article(article)
    draft.sources = [
        {
            name: getattr(source, name)
            for name in ("url", "outlet", "title", "published_at", "quote", "language")
        }
    ]
    return draft

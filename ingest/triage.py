"""Editors' triage of ingested articles: turn them into sources and events, or dismiss them.

Plain functions so the admin, the dashboard's inbox and the API share one behaviour. Article
fields are longer than the event and source fields they prefill (a headline may run to 1000
characters, an event title to 300), so every copy goes through ``fit``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import strip_tags

from ingest.models import Article
from relations.categories import Category, default_score
from relations.cues import guess_category
from relations.models import Event, Language, Participant, Source

QUOTE_MAX_CHARS = 400
ELLIPSIS = "…"

# A statement can praise or condemn: its category is guessed from cue words (relations.cues).
CATEGORY_BY_KIND: dict[str, str] = {
    Event.Kind.MEETING: Category.CONSULT,
    Event.Kind.ALLEGATION: Category.ACCUSE,
}

# The inbox's order (new articles, most relevant first); "save and next" follows it too.
INBOX_ORDER = ("-relevance", "-published_at", "-id")

_SENTENCE_END = re.compile(r"[.!?…؟。]+[\"'”’»)\]]*\s+")
# Words that end in a full stop without ending the sentence ("Mr. Lavrov", "the U.S. envoy").
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "gen", "col", "lt", "maj", "sgt", "capt", "prof", "sen"}
    | {"rep", "gov", "pres", "jr", "sr", "vs", "etc", "no", "approx", "jan", "feb", "mar"}
    | {"apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)
_INITIALISM = re.compile(r"(?:\b\w\.)*\b\w$")


def fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary, ending in an ellipsis
    when anything was cut (a single word longer than ``limit`` is cut inside the word)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut.strip() and not text[len(cut)].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


def max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


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
    return fit(text, limit + len(ELLIPSIS))


# --- wire bylines and datelines --------------------------------------------------------------
# Forms met in the real-world corpus and in wire copy: "By Laila Bassam and Tala Ramadan DUBAI,
# Feb 17 (Reuters) - ", "MOSCOW, Oct 26 (AP) — ", "KYIV, Ukraine (AP) — ", "JERUSALEM (Reuters)
# - ", "(Reuters) - ", "Reuters - ", "GAZA — ", allAfrica's "[Capital FM] Nairobi -- ", and
# Russian agencies' "МОСКВА, 26 окт — РИА Новости. " and "МОСКВА, 26 октября. /ТАСС/. ".
# Not stripped: prose that merely starts with "By" ("By reaching back to Maoist tactics, ...")
# or a sentence with a dash in it.
_AGENCIES = (
    r"Reuters|AP|AFP|dpa|DPA|Xinhua|ANI|IANS|PTI|UPI|TASS|RIA Novosti|Interfax|Anadolu|WAFA"
    r"|Sputnik|CNN|JTA|Bloomberg|IRNA|SANA|AA|رويترز|أ ف ب|د ب أ|وفا|سانا|רויטרס"
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)"
_CITY = r"[A-Z][A-Z.'’-]+(?:[ /][A-Z][A-Z.'’-]+)*"
_REGION = r"[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}"
_DATELINE = rf"{_CITY}(?:,\s*{_REGION})?(?:,\s*{_DATE})?"
_BYLINE = r"By\s+[A-Z][\w'’.-]*(?:(?:,\s*|\s+and\s+|\s+)[A-Z][\w'’.-]*){0,15}\s+"
_DASH = r"\s*(?:--|[-–—])\s+"
_WIRE_LEADS = (
    # An agency, with or without a dateline and byline before it.
    re.compile(rf"(?:{_BYLINE})?(?:{_DATELINE}\s*)?(?:\((?:{_AGENCIES})\)|(?:{_AGENCIES})){_DASH}"),
    # An upper-case dateline and a dash, no agency.
    re.compile(rf"(?:{_BYLINE})?{_DATELINE}{_DASH}(?=\S)"),
    # A title-case place and a double hyphen (allAfrica's "Nairobi -- ").
    re.compile(r"(?:[A-Z][\w'’.]*\s+){0,3}--\s+"),
    re.compile(
        r"[А-ЯЁ][А-ЯЁ -]+[,.]\s*\d{1,2}\s+[а-яё]+\.?\s*(?:[-–—]\s*)?"
        r"(?:РИА Новости|/ТАСС/|ИНТЕРФАКС)\.?\s*[-–—]?\s*"
    ),
    re.compile(r"[\u0590-\u06FF ]{2,30}\s*\((?:" + _AGENCIES + r")\)\s*[-–—]\s*"),
)
# An aggregator's outlet tag before the story ("[Capital FM] ", "[allAfrica] "), not a time.
_OUTLET_TAG = re.compile(r"\[(?=[^\]]*[^\W\d_])[^\]:]{2,60}\]\s*")


def strip_wire_lead(text: str) -> str:
    """``text`` without a leading wire byline, dateline or outlet tag: what the story says,
    not who filed it from where."""
    text = " ".join(text.split())
    if tag := _OUTLET_TAG.match(text):
        text = text[tag.end() :]
    for pattern in _WIRE_LEADS:
        if lead := pattern.match(text):
            return text[lead.end() :]
    return text


def outlet_name(article: Article) -> str:
    feed = article.feed
    limit = max_length(Source, "outlet")
    if feed.title:
        return fit(feed.title, limit)
    host = urlsplit(feed.site_url or feed.url).hostname or feed.url
    return fit(host.removeprefix("www."), limit)


def article_text(article: Article) -> str:
    """What the article says, without the wire's byline and dateline: its summary, or else
    the text of its content."""
    return strip_wire_lead(article.summary or strip_tags(article.content))


def source_from_article(article: Article) -> Source:
    """An unsaved Source citing ``article``: its URL, outlet (the feed), title, date and first
    sentence as the quote. Set ``event`` before saving."""
    return Source(
        url=article.url,
        outlet=outlet_name(article),
        title=fit(article.title, max_length(Source, "title")),
        published_at=article.published_at,
        quote=first_sentence(article_text(article))
        or first_sentence(article.title)
        or article.url
        or outlet_name(article),
        language=article.language or article.feed.language or Language.ENGLISH,
    )


def _cites(event: Event, article: Article) -> bool:
    sources = event.sources.all()
    if article.url:
        return sources.filter(url=article.url).exists()
    title = fit(article.title, max_length(Source, "title"))
    return sources.filter(outlet=outlet_name(article), title=title).exists()


def change_reason(event: Event, reason: str) -> str:
    """``reason`` cut to what the event's history keeps (simple-history's 100 characters)."""
    return fit(reason, max_length(type(event).history.model, "history_change_reason"))


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
    specific._change_reason = change_reason(
        specific, f"Linked article “{article.title or article.url}”"
    )
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
    interactions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # The words a statement's category was guessed from, to tell the editor.
    category_cue: str = ""


def kind_for_article(article: Article) -> str:
    return article.candidate_kind or Event.Kind.STATEMENT


def create_event_url(article: Article, kind: str | None = None) -> str:
    """The add form of the event kind ``article`` suggests, prefilled from it."""
    kind = kind or kind_for_article(article)
    return reverse(f"admin:relations_{kind}_add") + "?" + urlencode({"from_article": article.pk})


def event_title(article: Article) -> str:
    title = (
        article.title
        or first_sentence(article_text(article))
        or article.url
        # A feed can send an entry with no text at all; the editor renames it.
        or f"Untitled article from {outlet_name(article)}, {article.published_at:%Y-%m-%d}"
    )
    return fit(title, max_length(Event, "title"))


# Who the interactions of a drafted event run from: the speaker, host or claimant.
_ACTING_ROLES = (Participant.Role.SPEAKER, Participant.Role.HOST, Participant.Role.CLAIMANT)


def interactions_from(participants: list[dict[str, Any]], category: str | None) -> list[dict]:
    """One interaction from the acting participant (speaker, host or claimant; else the first)
    to each other actor, scored with the category's default (empty without a category: the
    event's category fills it in on save)."""
    if len(participants) < 2:
        return []
    acting = next((p for p in participants if p["role"] in _ACTING_ROLES), participants[0])
    score = default_score(category) if category else None
    targets = dict.fromkeys(p["actor"] for p in participants if p["actor"] != acting["actor"])
    return [{"source": acting["actor"], "target": target, "score": score} for target in targets]


def draft_event(article: Article, kind: str | None = None) -> EventDraft:
    """A draft of the event ``article`` reports: the candidate kind (a statement when none),
    title, date, category (by kind, or guessed from a statement's cue words), one participant
    per mentioned actor (most mentioned first), interactions from the speaker, host or
    claimant to the others, and a source citing the article. The editor checks every guess."""
    kind = kind or kind_for_article(article)
    actor_ids = list(
        article.mentions.order_by("-count", "actor__name").values_list("actor_id", flat=True)
    )
    text = article_text(article)
    draft = EventDraft(kind=kind)
    draft.initial = {
        "title": event_title(article),
        "summary": text,
        "date": article.published_at.date(),
        "date_precision": Event.Precision.DAY,
    }
    category = CATEGORY_BY_KIND.get(kind)
    if category is None and (guess := guess_category(article.title, text)):
        category, draft.category_cue = guess
    if category:
        draft.initial["category"] = category

    roles = [Participant.Role.PARTICIPANT] * len(actor_ids)
    if kind == Event.Kind.STATEMENT and actor_ids:
        draft.initial["speaker"] = actor_ids[0]
        roles[0] = Participant.Role.SPEAKER
    elif kind == Event.Kind.ALLEGATION:
        draft.initial["claim"] = first_sentence(text) or draft.initial["title"]
        if actor_ids:
            draft.initial["claimant"] = actor_ids[0]
            roles[0] = Participant.Role.CLAIMANT
        if len(actor_ids) > 1:
            draft.initial["accused"] = actor_ids[1]
            roles[1] = Participant.Role.ACCUSED
    draft.participants = [
        {"actor": actor_id, "role": role} for actor_id, role in zip(actor_ids, roles, strict=True)
    ]
    draft.interactions = interactions_from(draft.participants, category)

    source = source_from_article(article)
    draft.sources = [
        {
            name: getattr(source, name)
            for name in ("url", "outlet", "title", "published_at", "quote", "language")
        }
    ]
    return draft


def next_article(after: Article | None = None) -> Article | None:
    """The next article of the inbox still to triage (new, no event), in the inbox's order."""
    articles = Article.objects.filter(review_status=Article.ReviewStatus.NEW, event__isnull=True)
    if after is not None:
        articles = articles.exclude(pk=after.pk)
    return articles.order_by(*INBOX_ORDER).first()

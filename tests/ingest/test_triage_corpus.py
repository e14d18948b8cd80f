"""Every triage path on the real world: the headlines and summaries of the 20 captured news
feeds in ../shared/corpus/realworld/ (long headlines, wire bylines, odd punctuation, Urdu,
Cyrillic), and articles with every field at its maximum length.

A headline over 83 characters used to overflow the event history's change reason (100
characters) when the article was linked, and the editor lost the form.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from ingest.models import Article, Feed, Mention
from ingest.parsing import parse_feed
from ingest.triage import (
    create_event_url,
    dismiss_articles,
    draft_event,
    link_article,
    max_length,
    restore_articles,
)
from relations.models import (
    EVENT_MODELS,
    Actor,
    Event,
    Interaction,
    Participant,
    Source,
    Statement,
)
from tests import factories
from tests.relations.pageforms import form_data
from tests.relations.test_admin import messages_of

REALWORLD = Path(settings.BASE_DIR).parent / "shared" / "corpus" / "realworld"
ARTICLES = "/admin/ingest/article/"
KINDS = ["", Event.Kind.MEETING, Event.Kind.STATEMENT, Event.Kind.ALLEGATION]
HTTP_SAMPLE = 50
# allAfrica's "[Capital FM] ", "[35Nord] " (a chat log's "[15:15:56] " is the text itself).
OUTLET_TAG = re.compile(r"\[[^\]:]+\] ")

pytestmark = pytest.mark.skipif(
    not REALWORLD.is_dir(), reason=f"the real-world corpus is not at {REALWORLD}"
)


@functools.cache
def parsed_feeds() -> list[tuple[str, list]]:
    feeds = []
    for path in sorted(p for p in REALWORLD.iterdir() if p.is_file()):
        content_type = "application/rdf+xml" if path.suffix == ".rdf" else "application/rss+xml"
        parsed = parse_feed(
            path.read_bytes(),
            content_type=content_type,
            url=f"https://feeds.example/{path.name}",
            fetched_at=timezone.now(),
            max_entries=10_000,
        )
        feeds.append((path.stem, parsed.entries))
    return feeds


@pytest.fixture
def actors(db) -> list[Actor]:
    return [
        factories.ActorFactory(name="Russia", slug="russia"),
        factories.ActorFactory(name="Hamas", slug="hamas", kind=Actor.Kind.ARMED_GROUP),
        factories.ActorFactory(name="Israel", slug="israel"),
    ]


@pytest.fixture
def corpus(actors) -> list[Article]:
    """The corpus's articles, one feed per file (its real name as the outlet), stored in bulk,
    each mentioning two or three actors (an allegation needs a claimant and an accused), with
    a candidate kind in turn."""
    articles = []
    for name, entries in parsed_feeds():
        feed = Feed.objects.create(url=f"https://feeds.example/{name}", title=name)
        unique = {entry.guid: entry for entry in entries}
        for entry in unique.values():
            index = len(articles)
            articles.append(
                Article(
                    feed=feed,
                    guid=entry.guid,
                    url=entry.url,
                    title=entry.title,
                    summary=entry.summary,
                    content=entry.content,
                    author=entry.author,
                    published_at=entry.published_at,
                    published_raw=entry.published_raw,
                    language=entry.language if entry.language in ("en", "ru", "he", "ar") else "",
                    content_hash=hashlib.sha256(entry.guid.encode()).hexdigest(),
                    relevance=(index % 10) / 10,
                    candidate_kind=KINDS[index % len(KINDS)],
                )
            )
    articles = Article.objects.bulk_create(articles)
    Mention.objects.bulk_create(
        Mention(article=article, actor=actor, count=3 - rank, alias=actor.name)
        for index, article in enumerate(articles)
        for rank, actor in enumerate(actors[: index % 2 + 2])
    )
    return articles


def event_from_draft(article: Article, kind: str) -> Event:
    """What the add form saves when the editor accepts the prefill (a category chosen where
    the guess found none, as the form would require)."""
    draft = draft_event(article, kind=kind)
    model = EVENT_MODELS[draft.kind]
    fields = {**draft.initial}
    fields.setdefault("category", "CONSULT")
    for name in ("speaker", "claimant", "accused"):
        if name in fields:
            fields[f"{name}_id"] = fields.pop(name)
    event = model(**fields)
    event.full_clean(exclude=["created_by"])
    event.save()
    Participant.objects.bulk_create(
        Participant(event=event, actor_id=row["actor"], role=row["role"])
        for row in draft.participants
    )
    for row in draft.interactions:
        Interaction(
            event=event, source_id=row["source"], target_id=row["target"], score=row["score"]
        ).save()
    for row in draft.sources:
        source = Source(event=event, **row)
        source.full_clean()
        source.save()
    return event


def test_every_real_headline_goes_through_every_triage_path(corpus, editor, actors):
    long_ones = [a for a in corpus if len(a.title) > 83]
    assert len(corpus) >= 600 and len(long_ones) >= 40
    started = time.perf_counter()
    everything = Article.objects.filter(pk__in=[a.pk for a in corpus])

    assert dismiss_articles(everything) == len(corpus)
    assert restore_articles(everything) == len(corpus)

    shared = factories.StatementFactory(speaker=actors[0], title="Everything, linked")
    for article in Article.objects.filter(pk__in=[a.pk for a in corpus]).select_related("feed"):
        kind = article.candidate_kind or Event.Kind.STATEMENT
        event = event_from_draft(article, kind)
        assert link_article(article, event, editor) is None  # the draft cites it already
        if len(article.title) > 83:
            # Linking to an event that does not cite it yet adds a source; the same code as
            # the draft's source, so only the headlines that overflowed go through it twice.
            assert link_article(article, shared, editor) is not None

    elapsed = time.perf_counter() - started
    print(f"\n{len(corpus)} headlines, {len(long_ones)} over 83 characters: {elapsed:.1f} s")
    assert Event.objects.count() == len(corpus) + 1
    assert shared.sources.count() == len(long_ones)
    assert not Article.objects.exclude(review_status="linked").exists()
    reasons = [r for r in shared.history.values_list("history_change_reason", flat=True) if r]
    # Each of these overflowed the 100-character column before; now each is cut to fit.
    assert len(reasons) == len(long_ones)
    assert all(len(reason) <= 100 and reason.endswith("…") for reason in reasons)
    # No wire lead in what the drafts prefilled.
    quotes = Source.objects.values_list("quote", flat=True)
    assert not any("(Reuters) -" in quote or OUTLET_TAG.match(quote) for quote in quotes)


def longest(corpus: list[Article], count: int) -> list[Article]:
    return sorted(corpus, key=lambda article: len(article.title), reverse=True)[:count]


def test_the_longest_headlines_through_the_admins_create_form(editor_client, corpus):
    for number, article in enumerate(longest(corpus, HTTP_SAMPLE)):
        url = create_event_url(article)
        page = editor_client.get(url)
        assert page.status_code == 200, article.title
        kind = url.split("/")[3]
        data = form_data(page.content.decode(), f"{kind}_form")
        if not data.get("category"):
            data["category"] = "REJECT"  # the one field the editor must choose
        data["_publish" if number % 2 else "_save"] = "Save"

        response = editor_client.post(url, data)

        assert response.status_code == 302, (
            article.title,
            response.context and response.context["adminform"].form.errors,
        )
        article.refresh_from_db()
        assert article.review_status == Article.ReviewStatus.LINKED
        event = article.event
        assert len(event.title) <= max_length(Event, "title")
        assert event.sources.get().url == article.url
        assert event.is_published == bool(number % 2)


def test_the_longest_headlines_through_the_inbox_actions(editor_client, corpus, actors):
    sample = longest(corpus, HTTP_SAMPLE)
    selected = [article.pk for article in sample]

    listing = editor_client.get(ARTICLES, {"q": sample[0].title[:40]})
    assert listing.status_code == 200

    dismissed = editor_client.post(ARTICLES, {"action": "dismiss", "_selected_action": selected})
    assert dismissed.status_code == 302
    assert Article.objects.filter(pk__in=selected, review_status="dismissed").count() == 50
    # The inbox opens on new articles; dismissed ones are restored from their own list.
    restored = editor_client.post(
        f"{ARTICLES}?review_status__exact=dismissed",
        {"action": "restore", "_selected_action": selected},
    )
    assert restored.status_code == 302
    assert Article.objects.filter(pk__in=selected, review_status="new").count() == 50

    create = editor_client.post(
        ARTICLES, {"action": "create_event_from_article", "_selected_action": selected[:1]}
    )
    assert create["Location"] == create_event_url(sample[0])

    event = factories.StatementFactory(speaker=actors[0])
    linked = editor_client.post(
        ARTICLES,
        {
            "action": "link_to_event",
            "_selected_action": selected,
            "apply": "Link articles",
            "event": event.pk,
        },
    )
    assert linked.status_code == 302
    assert any("added 50 source(s)" in message for message in messages_of(linked))
    assert event.sources.count() == 50
    assert Statement.objects.get(pk=event.pk).history.count() == 51

    # The article form's own event field links the same way.
    other = factories.StatementFactory(speaker=actors[0])
    article = sample[1]
    page = editor_client.get(f"{ARTICLES}{article.pk}/change/")
    data = form_data(page.content.decode(), "article_form")
    data["event"] = str(other.pk)
    response = editor_client.post(f"{ARTICLES}{article.pk}/change/", data)
    assert response.status_code == 302
    assert other.sources.get().url == article.url


@pytest.fixture
def longest_possible(actors) -> Article:
    """An article with every field as long as its column allows."""
    feed = factories.FeedFactory(
        title="F" * max_length(Feed, "title"),
        url="https://feeds.example/" + "f" * (max_length(Feed, "url") - 22),
    )
    words = ("Lavrov " * 200).strip()
    article = factories.ArticleFactory(
        feed=feed,
        guid="g" * max_length(Article, "guid"),
        url="https://news.example/" + "a" * (max_length(Article, "url") - 21),
        title=words[: max_length(Article, "title")],
        summary="By Jane Doe MOSCOW, Oct 26 (Reuters) - " + "Долгое заявление " * 6000,
        author="A" * max_length(Article, "author"),
        candidate_kind="allegation",
    )
    for rank, actor in enumerate(actors):
        factories.MentionFactory(article=article, actor=actor, count=3 - rank)
    return article


def test_fields_at_their_maximum_length_go_through_every_path(
    editor_client, editor, longest_possible, actors
):
    article = longest_possible
    for kind in EVENT_MODELS:
        event_from_draft(article, kind)

    url = create_event_url(article)
    data = form_data(editor_client.get(url).content.decode(), "allegation_form")
    data["_publish"] = "Save and publish"
    response = editor_client.post(url, data)
    assert response.status_code == 302
    article.refresh_from_db()
    allegation = article.event.specific()
    assert allegation.is_published
    assert max_length(Event, "title") - 10 < len(allegation.title) <= max_length(Event, "title")
    assert allegation.title.endswith("…")
    source = allegation.sources.get()
    assert len(source.title) <= max_length(Source, "title")
    assert len(source.outlet) <= max_length(Source, "outlet")
    assert source.quote.startswith("Долгое заявление")

    other = factories.StatementFactory(speaker=actors[0])
    assert link_article(article, other, editor) is not None
    assert len(other.history.latest().history_change_reason) <= 100
    assert dismiss_articles(Article.objects.filter(pk=article.pk)) == 0

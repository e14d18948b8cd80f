"""Parsed entries into Articles and Mentions: one transaction, a fixed number of queries per batch.

An entry is new (no article of this feed has its GUID), changed (its content hash differs) or
unchanged (skipped: nothing is written, so a re-poll of a feed whose body changed elsewhere costs
two reads). New and changed articles go in with one upsert on (feed, guid), which also makes a
task that runs twice after a worker died harmless. A new article whose canonical URL another feed
already brought in is kept, marked as a duplicate of the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min

from ingest.matching import classify, get_gazetteer
from ingest.models import Article, Feed, Mention
from ingest.parsing import ParsedEntry

# Fields an update rewrites; review status, linked event, duplicate mark and the first fetch
# time belong to the article, not to the feed's current copy of it.
UPDATED_FIELDS = [
    "url",
    "title",
    "summary",
    "content",
    "author",
    "published_at",
    "published_raw",
    "language",
    "content_hash",
    "relevance",
    "candidate_kind",
]


@dataclass
class StoreResult:
    seen: int  # entries handed in
    new: int  # articles created that are not another feed's story
    updated: int  # existing articles whose content changed
    duplicates: int  # articles created as duplicates of another feed's article


def content_hash(entry: ParsedEntry) -> str:
    """What makes an entry "changed". The feed's raw date is hashed, never published_at: a
    missing date falls back to the fetch time, which differs on every fetch."""
    digest = hashlib.sha256()
    for value in (
        entry.url,
        entry.title,
        entry.summary,
        entry.content,
        entry.author,
        entry.published_raw,
    ):
        digest.update(value.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


def store_entries(
    feed: Feed, entries: list[ParsedEntry], *, fetched_at: dt.datetime
) -> StoreResult:
    """Upsert a feed's entries. Queries: gazetteer check, existing hashes, cross-feed URLs, the
    upsert, and for mentions one delete and one insert, whatever the number of entries."""
    result = StoreResult(seen=len(entries), new=0, updated=0, duplicates=0)
    if not entries:
        return result
    unique: dict[str, ParsedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.guid, entry)  # parse_feed already did this; callers may not
    entries = list(unique.values())
    hashes = {entry.guid: content_hash(entry) for entry in entries}

    with transaction.atomic():
        existing = {
            guid: (article_id, stored_hash, published_at)
            for guid, article_id, stored_hash, published_at in Article.objects.filter(
                feed=feed, guid__in=list(hashes)
            ).values_list("guid", "id", "content_hash", "published_at")
        }
        to_write = [
            entry
            for entry in entries
            if entry.guid not in existing or existing[entry.guid][1] != hashes[entry.guid]
        ]
        if not to_write:
            return result
        new_urls = {entry.url for entry in to_write if entry.guid not in existing and entry.url}
        originals = _first_articles_elsewhere(feed, new_urls)

        gazetteer = get_gazetteer()
        articles: list[Article] = []
        mentions_by_guid = {}
        for entry in to_write:
            text = f"{entry.title}\n{entry.summary}"
            mentions = gazetteer.match(text)
            relevance, kind = classify(
                text,
                mentions,
                core_actor_ids=gazetteer.core_actor_ids,
                language=entry.language or feed.language,
            )
            mentions_by_guid[entry.guid] = mentions
            published_at = entry.published_at
            stored = existing.get(entry.guid)
            if stored is not None and published_at == fetched_at:
                # The feed still gives no usable date: keep the one the article first got, so
                # an edit does not move it to the top of the timeline.
                published_at = stored[2]
            articles.append(
                Article(
                    feed=feed,
                    guid=entry.guid,
                    url=entry.url,
                    title=entry.title,
                    summary=entry.summary,
                    content=entry.content,
                    author=entry.author,
                    published_at=published_at,
                    published_raw=entry.published_raw,
                    fetched_at=fetched_at,
                    language=entry.language or feed.language,
                    content_hash=hashes[entry.guid],
                    relevance=relevance,
                    candidate_kind=kind,
                    duplicate_of_id=(
                        originals.get(entry.url) if entry.guid not in existing else None
                    ),
                )
            )
            if stored is not None:
                result.updated += 1
            elif articles[-1].duplicate_of_id:
                result.duplicates += 1
            else:
                result.new += 1

        Article.objects.bulk_create(
            articles,
            update_conflicts=True,
            unique_fields=["feed", "guid"],
            update_fields=UPDATED_FIELDS,
        )
        updated_ids = [existing[a.guid][0] for a in articles if a.guid in existing]
        if updated_ids:
            Mention.objects.filter(article_id__in=updated_ids).delete()
        Mention.objects.bulk_create(
            [
                Mention(
                    article_id=article.pk,
                    actor_id=actor_id,
                    count=match.count,
                    alias=match.alias[:200],
                )
                for article in articles
                for actor_id, match in mentions_by_guid[article.guid].items()
            ]
        )
    return result


def _first_articles_elsewhere(feed: Feed, urls: set[str]) -> dict[str, int]:
    """Canonical URL → the first article with it from another feed, in one query."""
    if not urls:
        return {}
    return dict(
        Article.objects.filter(url__in=list(urls), duplicate_of__isnull=True)
        .exclude(feed=feed)
        .values("url")
        .annotate(first=Min("id"))
        .values_list("url", "first")
    )

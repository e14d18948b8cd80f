"""Parsed entries into Articles and Mentions: one transaction, a fixed number of queries per batch.

An entry is new (no article of this feed has its GUID), changed (its content hash differs) or
unchanged (skipped: nothing is written, so a re-poll of a feed whose body changed elsewhere costs
two reads). New and changed articles go in with one upsert on (feed, guid), which also makes a
task that runs twice after a worker died harmless. A new article whose canonical URL another feed
already brought in is kept, marked as a duplicate of the first. Feeds of long articles are
written in batches of bounded size (BATCH_TEXT_CHARS), so memory does not hold the whole feed as
SQL at once.

The result names the articles written that the coding stage may find an interaction in (see
``StoreResult.article_ids``): ``ingest`` hands them on with its ``articles_stored`` signal and
does none of that work here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.db import connection, transaction

from ingest.matching import classify, get_gazetteer
from ingest.models import Article, Feed, Mention
from ingest.parsing import ParsedEntry
from relwatch import sql

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
    # The articles written that are worth coding: new ones naming an actor (the matcher's
    # answer, already at hand; one that names nobody holds no interaction), and every changed
    # one, whose earlier codes may no longer hold. Left out of equality: counts describe a
    # result, ids are whatever the database gave.
    article_ids: list[int] = field(default_factory=list, compare=False)


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
    """Upsert a feed's entries. Queries: existing hashes, and when anything changed the
    gazetteer check, cross-feed URLs, the upsert, and for mentions (one delete when articles
    were updated) one insert, whatever the number of entries."""
    result = StoreResult(seen=len(entries), new=0, updated=0, duplicates=0)
    if not entries:
        return result
    unique: dict[str, ParsedEntry] = {}
    for entry in entries:
        unique.setdefault(entry.guid, entry)  # parse_feed already did this; callers may not
    hashes = {guid: content_hash(entry) for guid, entry in unique.items()}

    # No savepoint inside a caller's transaction (the fetch's): two round trips fewer, and an
    # error rolls the whole fetch back anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_EXISTING_SQL, [sql.array(hashes), feed.pk])
        existing = {
            guid: (article_id, stored_hash, date)
            for guid, article_id, stored_hash, date in cursor.fetchall()
        }
        to_write = [
            entry
            for guid, entry in unique.items()
            if guid not in existing or existing[guid][1] != hashes[guid]
        ]
        if not to_write:
            return result
        new_urls = {entry.url for entry in to_write if entry.guid not in existing and entry.url}
        originals = _first_articles_elsewhere(cursor, feed, new_urls)

        gazetteer = get_gazetteer()
        core_actor_ids = gazetteer.core_actor_ids
        rows: list[tuple] = []
        mentions_by_guid = {}
        for entry in to_write:
            guid = entry.guid
            language = entry.language or feed.language
            text = f"{entry.title}\n{entry.summary}"
            mentions = gazetteer.match(text)
            relevance, kind = classify(
                text, mentions, core_actor_ids=core_actor_ids, language=language
            )
            mentions_by_guid[guid] = mentions
            published_at = entry.published_at
            stored = existing.get(guid)
            duplicate_of = None
            if stored is not None:
                result.updated += 1
                if published_at == fetched_at:
                    # The feed still gives no usable date: keep the one the article first
                    # got, so an edit does not move it to the top of the timeline.
                    published_at = stored[2]
            else:
                duplicate_of = originals.get(entry.url) if entry.url else None
                if duplicate_of:
                    result.duplicates += 1
                else:
                    result.new += 1
            row = (
                feed.pk,
                guid,
                entry.url,
                entry.title,
                entry.summary,
                entry.content,
                entry.author,
                published_at,
                entry.published_raw,
                fetched_at,
                language,
                hashes[guid],
                relevance,
                kind,
                Article.ReviewStatus.NEW.value,
                duplicate_of,
            )
            rows.append(row)

        ids: dict[str, int] = {}  # guid → id, inserted or updated
        for batch in _batches(rows):
            cursor.execute(_UPSERT_SQL, sql.columns(batch, width=len(_ARTICLE_COLUMNS)))
            ids.update(cursor.fetchall())
        result.article_ids = [
            ids[guid] for guid, mentions in mentions_by_guid.items() if mentions or guid in existing
        ]
        updated_ids = [existing[entry.guid][0] for entry in to_write if entry.guid in existing]
        if updated_ids:
            cursor.execute(_DELETE_MENTIONS_SQL, [sql.array(updated_ids)])
        mention_columns: tuple[list, ...] = ([], [], [], [])
        for guid, mentions in mentions_by_guid.items():
            article_id = ids[guid]
            for actor_id, match in mentions.items():
                mention_columns[0].append(article_id)
                mention_columns[1].append(actor_id)
                mention_columns[2].append(match.count)
                mention_columns[3].append(match.alias[:200])
        if mention_columns[0]:
            cursor.execute(_INSERT_MENTIONS_SQL, [sql.array(column) for column in mention_columns])
    return result


# A statement carries its rows quoted in full; past this many characters of text a feed of long
# articles is written in several, so memory holds a few megabytes of SQL, not the whole feed
# twice over. A feed of ordinary entries fits in one.
BATCH_TEXT_CHARS = 2_000_000


def _batches(rows: list[tuple]):
    batch: list[tuple] = []
    size = 0
    for row in rows:
        row_size = sum(len(value) for value in row if isinstance(value, str))
        if batch and size + row_size > BATCH_TEXT_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row_size
    if batch:
        yield batch


def _first_articles_elsewhere(cursor, feed: Feed, urls: set[str]) -> dict[str, int]:
    """Canonical URL → the first article with it from another feed, in one query."""
    if not urls:
        return {}
    cursor.execute(_FIRST_ELSEWHERE_SQL, [feed.pk, sql.array(urls)])
    return {url: first for url, first in cursor.fetchall() if first is not None}


# The writes are plain SQL with one array per column, each sent as one array literal
# (relwatch.sql.array): this is the hot path of every fetch, and building a model instance per
# row and a placeholder (or a quoted value) per value cost more than the database work. Names
# come from the models, so a renamed table or column still lines up.
def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# (field, SQL array type) in the order of the rows built above.
_ARTICLE_COLUMNS = (
    ("feed", "bigint"),
    ("guid", "text"),
    ("url", "text"),
    ("title", "text"),
    ("summary", "text"),
    ("content", "text"),
    ("author", "text"),
    ("published_at", "timestamptz"),
    ("published_raw", "text"),
    ("fetched_at", "timestamptz"),
    ("language", "text"),
    ("content_hash", "text"),
    ("relevance", "double precision"),
    ("candidate_kind", "text"),
    ("review_status", "text"),
    ("duplicate_of", "bigint"),
)
_ARTICLE = _table(Article)
_MENTION = _table(Mention)
# One probe of the (feed, guid) unique index per GUID, whatever the statistics say: on a table
# not yet analysed, `guid = ANY(...)` is planned as a scan of every article of the feed.
_EXISTING_SQL = (
    f"SELECT wanted.guid, found.{_column(Article, 'id')}, "
    f"found.{_column(Article, 'content_hash')}, found.{_column(Article, 'published_at')} "
    f"FROM unnest(%s::text[]) AS wanted(guid) "
    f"CROSS JOIN LATERAL (SELECT {_column(Article, 'id')}, {_column(Article, 'content_hash')}, "
    f"{_column(Article, 'published_at')} FROM {_ARTICLE} "
    f"WHERE {_column(Article, 'feed')} = %s AND {_column(Article, 'guid')} = wanted.guid) AS found"
)
# One index probe per URL, whatever the statistics say: as `url = ANY(...)` with the conditions
# in WHERE, a table not yet analysed (a new installation, a server without autovacuum) gets a
# sequential scan per fetch, and the ingestion of a first large batch turns quadratic. The
# conditions sit in the aggregate's FILTER so the index on duplicate_of is never ANDed in.
_FIRST_ELSEWHERE_SQL = (
    f"SELECT wanted.url, (SELECT min(article.{_column(Article, 'id')}) FILTER ("
    f"WHERE article.{_column(Article, 'duplicate_of')} IS NULL "
    f"AND article.{_column(Article, 'feed')} <> %s) "
    f"FROM {_ARTICLE} AS article WHERE article.{_column(Article, 'url')} = wanted.url) "
    f"FROM unnest(%s::text[]) AS wanted(url)"
)
_UPSERT_SQL = (
    f"INSERT INTO {_ARTICLE} ({', '.join(_column(Article, name) for name, _ in _ARTICLE_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'%s::{kind}[]' for _, kind in _ARTICLE_COLUMNS)}) "
    f"ON CONFLICT ({_column(Article, 'feed')}, {_column(Article, 'guid')}) DO UPDATE SET "
    + ", ".join(
        f"{_column(Article, name)} = EXCLUDED.{_column(Article, name)}" for name in UPDATED_FIELDS
    )
    + f" RETURNING {_column(Article, 'guid')}, {_column(Article, 'id')}"
)
_DELETE_MENTIONS_SQL = (
    f"DELETE FROM {_MENTION} WHERE {_column(Mention, 'article')} = ANY(%s::bigint[])"
)
_INSERT_MENTIONS_SQL = (
    f"INSERT INTO {_MENTION} ({_column(Mention, 'article')}, {_column(Mention, 'actor')}, "
    f"{_column(Mention, 'count')}, {_column(Mention, 'alias')}) "
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::integer[], %s::text[])"
)

"""The post-store coding stage: stored articles → suggestions, each placed in a story.

``ingest`` announces committed articles (``ingest.signals.articles_stored``); the receivers in
``coding.signals`` call ``code_articles`` here, at once (``manage.py ingest``) or from a Celery
task (a worker's fetch). ``manage.py code_articles`` calls it for stored articles.

- Skipping: ``ArticleCoding`` records the coder version and content hash each article was
  coded with; an article coded with both unchanged is not coded again, so a second run with
  nothing changed changes nothing.
- Re-coding (a lexicon or gazetteer edit changes the coder's version, or the article changed):
  pending suggestions are updated, or removed when the coder no longer finds them; a
  suggestion that is not pending, or whose story an editor has reviewed, is never touched.
- Concurrency: suggestions are upserted on their unique key (article, source, target,
  category), so two workers coding one batch write each row once; stories are placed under an
  advisory lock per pair (``stories.lock_pairs``), taken before any row is written.
- Bounds: articles go through in batches of ``BATCH_SIZE``, and only the first
  ``MAX_HTML_CHARS`` of a body are read (a 5 MB body costs what 200 kB does); the coder caps
  the pairs per sentence.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Substr
from django.utils import timezone

from coding import stories
from coding.coder import Coded, Coder, get_coder
from coding.models import ArticleCoding, ReviewStatus, Story, Suggestion
from ingest.models import Article, Mention
from ingest.sanitising import plain_text

BATCH_SIZE = 200
# A news article's interactions are in its first screens; past this the body is not read.
MAX_HTML_CHARS = 200_000
MAX_TEXT_CHARS = 50_000


@dataclass
class CodingSummary:
    coded: int = 0  # articles run through the coder
    created: int = 0  # suggestions
    updated: int = 0
    removed: int = 0
    stories_new: int = 0
    joined: int = 0  # suggestions that joined a story already there
    skipped: int = 0  # articles coded before with the same coder and content

    def add(self, other: CodingSummary) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def __str__(self) -> str:
        return (
            f"articles coded: {self.coded}, suggestions created: {self.created}, "
            f"updated: {self.updated}, removed: {self.removed}, stories new: "
            f"{self.stories_new}, joined: {self.joined}, skipped: {self.skipped}"
        )


def codable_articles():
    """Articles worth coding: those naming an actor, and those coded before (whose codes a
    change may have to remove)."""
    return Article.objects.filter(
        Exists(Mention.objects.filter(article=OuterRef("pk")))
        | Exists(Suggestion.objects.filter(article=OuterRef("pk")))
    )


def code_articles(
    article_ids: Iterable[int],
    *,
    coder: Coder | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodingSummary:
    """Code the given articles (unknown ids are ignored), one transaction per batch.
    ``progress`` is called with the number of articles each batch handled."""
    coder = coder or get_coder()
    ids = sorted(set(article_ids))  # one order for every worker: locks never cross
    summary = CodingSummary()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        summary.add(_code_batch(batch, coder))
        if progress is not None:
            progress(len(batch))
    return summary


@dataclass(frozen=True)
class _Coded:
    """One coded interaction of one article, ready to write."""

    article: dict
    coded: Coded
    bands: list[int]

    @property
    def row_key(self) -> tuple[int, int, int, str]:
        return (self.article["id"], self.coded.source_id, self.coded.target_id, self.coded.category)


def _code_batch(batch: list[int], coder: Coder) -> CodingSummary:
    summary = CodingSummary()
    version = coder.version
    articles = list(
        Article.objects.filter(id__in=batch)
        .exclude(coding__coder_version=version, coding__content_hash=F("content_hash"))
        .annotate(content_head=Substr("content", 1, MAX_HTML_CHARS))
        .values(
            "id",
            "title",
            "summary",
            "content_head",
            "language",
            "feed__language",
            "published_at",
            "content_hash",
        )
        .order_by("id")
    )
    summary.skipped = len(batch) - len(articles)
    if not articles:
        return summary
    found: dict[tuple, _Coded] = {}
    for article in articles:
        for item in _code_article(article, coder):
            kept = found.get(item.row_key)
            if kept is None or item.coded.confidence > kept.coded.confidence:
                found[item.row_key] = item
    summary.coded = len(articles)
    with transaction.atomic(), connection.cursor() as cursor:
        # Every statement of the batch is written as index probes (by article, by story, the
        # story_assign range, the bands' GIN index). On tables not yet analysed (a new
        # installation, a bulk load) the planner would scan them instead, once per probe.
        cursor.execute("SET LOCAL enable_seqscan = off")
        ids = [article["id"] for article in articles]
        changed = _write(cursor, ids, list(found.values()), version, summary)
        _record_coded(cursor, articles, version)
        if changed:
            transaction.on_commit(
                functools.partial(
                    stories.stories_changed.send, sender=Story, story_ids=sorted(changed)
                ),
                robust=True,
            )
    return summary


def _code_article(article: dict, coder: Coder) -> list[_Coded]:
    text = article_text(article["summary"], article["content_head"])
    language = article["language"] or article["feed__language"]
    coded = coder.code(article["title"], text, language, article["published_at"].date())
    if not coded:
        return []
    bands = stories.text_bands(f"{article['title']} {text}")
    return [_Coded(article, item, bands) for item in coded]


def article_text(summary: str, content_html: str) -> str:
    """What the coder reads besides the title: the summary, then the body's text unless it
    merely repeats the summary (feeds often give the lead as both)."""
    body = plain_text(content_html, max_length=MAX_TEXT_CHARS) if content_html else ""
    summary = summary[:MAX_TEXT_CHARS]
    if not body or body.startswith(summary[:200]):
        return body or summary
    if summary and summary[:200] in body:
        return body
    return f"{summary}\n{body}" if summary else body


def _write(
    cursor, article_ids: list[int], found: list[_Coded], version: str, summary: CodingSummary
) -> set[int]:
    """Upsert the batch's suggestions, remove the pending ones no longer found, and place the
    new ones in stories, under the locks of every pair they touch. Returns the stories that
    changed (some may have been deleted, left empty)."""
    cursor.execute(_EXISTING_SQL, [article_ids])
    existing = cursor.fetchall()
    keys = {
        stories.pair_key(
            item.coded.source_id, item.coded.target_id, stories.family_of(item.coded.category)
        )
        for item in found
    }
    keys |= {
        stories.pair_key(source_id, target_id, stories.family_of(category))
        for source_id, target_id, category in existing
    }
    stories.lock_pairs(cursor, keys)

    touched: set[int] = set()
    placed: list[stories.Member] = []
    if found:
        by_key = {item.row_key: item for item in found}
        cursor.execute(_UPSERT_SQL, _upsert_params(found, version))
        for (
            suggestion_id,
            article_id,
            source_id,
            target_id,
            category,
            story_id,
            inserted,
        ) in cursor.fetchall():
            if inserted:
                summary.created += 1
            else:
                summary.updated += 1
            if story_id is not None:
                touched.add(story_id)
                continue
            item = by_key[(article_id, source_id, target_id, category)]
            placed.append(
                stories.Member(
                    suggestion_id=suggestion_id,
                    article_id=article_id,
                    source_id=source_id,
                    target_id=target_id,
                    category=category,
                    kind=item.coded.kind,
                    seen=item.article["published_at"],
                    bands=item.bands,
                )
            )
    cursor.execute(_REMOVE_SQL, [article_ids, *_key_columns(found)])
    removed = cursor.fetchall()
    summary.removed = len(removed)
    touched |= {story_id for (story_id,) in removed if story_id is not None}
    placement = stories.place(cursor, placed)
    summary.stories_new = placement.opened
    summary.joined = placement.joined
    changed = touched | placement.story_ids
    stories.refresh(cursor, changed)
    return changed


def _key_columns(found: list[_Coded]) -> list[list]:
    keys = [item.row_key for item in found]
    return [list(column) for column in zip(*keys, strict=True)] if keys else [[], [], [], []]


def _upsert_params(found: list[_Coded], version: str) -> list:
    rows = [
        (
            item.article["id"],
            c.source_id,
            c.target_id,
            c.source_named_id,
            c.target_named_id,
            c.category,
            c.kind,
            c.score,
            min(max(c.confidence, 0.0), 1.0),
            c.quote,
            c.cue[:CUE_MAX],
            c.explanation,
            json.dumps(c.spans),
            c.claimant_id,
            "{" + ",".join(map(str, item.bands)) + "}",
            ReviewStatus.PENDING.value,
        )
        for item in found
        for c in (item.coded,)
    ]
    return [version, *(list(column) for column in zip(*rows, strict=True)), timezone.now()]


def _record_coded(cursor, articles: list[dict], version: str) -> None:
    cursor.execute(
        _RECORD_SQL,
        [
            timezone.now(),
            [article["id"] for article in articles],
            [version] * len(articles),
            [article["content_hash"] for article in articles],
        ],
    )


CUE_MAX = Suggestion._meta.get_field("cue").max_length
_SUGGESTION = connection.ops.quote_name(Suggestion._meta.db_table)
_STORY = connection.ops.quote_name(Story._meta.db_table)
_CODING = connection.ops.quote_name(ArticleCoding._meta.db_table)

_EXISTING_SQL = (
    f"SELECT source_id, target_id, category FROM {_SUGGESTION} WHERE article_id = ANY(%s)"
)
# What the coder writes; the rest (status, story) belongs to review and placing.
_CODED_COLUMNS = (
    "source_named_id",
    "target_named_id",
    "kind",
    "score",
    "confidence",
    "quote",
    "cue",
    "explanation",
    "spans",
    "claimant_id",
    "bands",
)
# A suggestion an editor has reviewed (itself or its story) keeps what it says. An unchanged
# one is not rewritten (nor returned, nor counted), unless it has lost its story.
_PENDING = f"'{ReviewStatus.PENDING.value}'"
_FROZEN = (
    f"suggestion.status <> {_PENDING} OR EXISTS (SELECT 1 FROM {_STORY} AS story "
    f"WHERE story.id = suggestion.story_id AND story.status <> {_PENDING})"
)
_UPSERT_SQL = f"""
INSERT INTO {_SUGGESTION} AS suggestion (
    article_id, source_id, target_id, source_named_id, target_named_id, category, kind, score,
    confidence, quote, cue, explanation, spans, claimant_id, bands, status, coded_at,
    lexicon_version)
SELECT article_id, source_id, target_id, source_named_id, target_named_id, category, kind,
       score, confidence, quote, cue, explanation, spans::jsonb, claimant_id, bands::bigint[],
       status, coded_at, %s
FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],
            %s::text[], %s::double precision[], %s::double precision[], %s::text[], %s::text[],
            %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[])
     AS coded(article_id, source_id, target_id, source_named_id, target_named_id, category,
              kind, score, confidence, quote, cue, explanation, spans, claimant_id, bands,
              status),
     (SELECT %s::timestamptz) AS now(coded_at)
ON CONFLICT ON CONSTRAINT suggestion_unique DO UPDATE SET
    {", ".join(f"{column} = EXCLUDED.{column}" for column in _CODED_COLUMNS)},
    lexicon_version = EXCLUDED.lexicon_version, coded_at = EXCLUDED.coded_at
WHERE NOT ({_FROZEN})
  AND (suggestion.story_id IS NULL
       OR ({", ".join(f"suggestion.{column}" for column in _CODED_COLUMNS)})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{column}" for column in _CODED_COLUMNS)}))
RETURNING suggestion.id, suggestion.article_id, suggestion.source_id, suggestion.target_id,
          suggestion.category, suggestion.story_id, (suggestion.xmax = 0) AS inserted
"""
_REMOVE_SQL = f"""
DELETE FROM {_SUGGESTION} AS suggestion
WHERE suggestion.article_id = ANY(%s::bigint[])
  AND (suggestion.article_id, suggestion.source_id, suggestion.target_id, suggestion.category)
      NOT IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::text[]))
  AND NOT ({_FROZEN})
RETURNING suggestion.story_id
"""
_RECORD_SQL = f"""
INSERT INTO {_CODING} (article_id, coder_version, content_hash, coded_at)
SELECT article_id, coder_version, content_hash, %s
FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS coded(article_id, coder_version, content_hash)
ON CONFLICT (article_id) DO UPDATE SET
    coder_version = EXCLUDED.coder_version, content_hash = EXCLUDED.content_hash,
    coded_at = EXCLUDED.coded_at
"""

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
  ``MAX_HTML_CHARS`` of a body are read (a 5 MB body costs what 60 kB does); the coder caps
  the pairs per sentence.
- Durability: what the stage writes is derived from stored articles, so its commits do not
  wait for the disk (as ingest's bookkeeping commits do not). A database crash can lose the
  last fraction of a second of coding, never half a batch: those articles are left with no
  ``ArticleCoding`` row, like articles whose coding task a broker outage lost, and
  ``missed_articles`` finds both for the ``coding.tasks.code_missed`` sweep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import CharField, Exists, F, JSONField, OuterRef, TextField
from django.db.models.functions import Substr
from django.utils import timezone

from coding import stories
from coding.coder import MAX_INPUT_CHARS, Coded, Coder, get_coder
from coding.models import ArticleCoding, ReviewStatus, Story, Suggestion
from ingest.models import Article, Mention
from ingest.sanitising import plain_text
from relwatch import sql

# Per batch: a few statements, a commit, and a refresh of every story the batch touched (a
# story reported all day is refreshed once per batch that adds to it): 500 articles a batch
# coded the 50-feed bench in 0.65 of feedparser's time where 200 took 0.72. Memory is bounded
# by the read below: 500 heads of at most 60,000 characters, and the next batch's.
BATCH_SIZE = 500
# A news article's interactions are in its first screens: the coder reads no more than
# coder.MAX_INPUT_CHARS of a text, so the stage reads a body's head that can hold that much
# text, HTML markup included, and not the rest of a long body.
MAX_TEXT_CHARS = MAX_INPUT_CHARS
MAX_HTML_CHARS = 3 * MAX_TEXT_CHARS


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


# The sweep looks back this far, and leaves the latest articles to the tasks still queued.
MISSED_WINDOW = dt.timedelta(days=2)
MISSED_GRACE = dt.timedelta(minutes=5)


def missed_articles(now: dt.datetime | None = None) -> list[int]:
    """Codable articles first stored between ``MISSED_WINDOW`` and ``MISSED_GRACE`` ago that
    were never coded as they read now (a lost coding task, or a coding commit a database crash
    lost), oldest first."""
    now = now or timezone.now()
    return list(
        codable_articles()
        .filter(fetched_at__gte=now - MISSED_WINDOW, fetched_at__lt=now - MISSED_GRACE)
        .exclude(coding__content_hash=F("content_hash"))
        .order_by("id")
        .values_list("id", flat=True)
    )


def code_articles(
    article_ids: Iterable[int],
    *,
    coder: Coder | None = None,
    progress: Callable[[int], None] | None = None,
) -> CodingSummary:
    """Code the given articles (unknown ids are ignored), one transaction per batch.
    ``progress`` is called with the number of articles each batch handled.

    The stories the batches changed are announced (``stories.stories_changed``) once, after
    the last batch has committed (or one has failed: what committed is announced): a story
    that several batches changed is announced once, in its final state, rather than once per
    batch (each announcement queues a task per story)."""
    coder = coder or get_coder()
    ids = sorted(set(article_ids))  # one order for every worker: locks never cross
    batches = [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]
    summary = CodingSummary()
    changed: set[int] = set()
    # The coder (pure Python) runs one batch ahead in a thread of its own, while this thread
    # writes the batch before (waiting on the database, which frees the interpreter): the two
    # halves of the work overlap instead of taking turns. Only this thread uses the database.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="coder") as ahead:
        try:
            coding = None
            for number, batch in enumerate(batches):
                if coding is None:
                    coding = _start_coding(ahead, batch, coder)
                loaded, found = coding.result()
                # The next batch is read now, and coded while this one is written.
                coding = (
                    _start_coding(ahead, batches[number + 1], coder)
                    if number + 1 < len(batches)
                    else None
                )
                summary.add(_store_batch(batch, loaded, found, coder.version, changed))
                if progress is not None:
                    progress(len(batch))
        finally:
            if changed:
                # At once, unless the caller holds a transaction: then once it commits.
                transaction.on_commit(
                    functools.partial(
                        stories.stories_changed.send, sender=Story, story_ids=sorted(changed)
                    ),
                    robust=True,
                )
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


def _start_coding(ahead: ThreadPoolExecutor, batch: list[int], coder: Coder) -> Future:
    """Read the batch's articles that need coding, and code them in ``ahead``."""
    articles = list(
        Article.objects.filter(id__in=batch)
        .exclude(coding__coder_version=coder.version, coding__content_hash=F("content_hash"))
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
    return ahead.submit(_code_all, articles, coder)


def _code_all(articles: list[dict], coder: Coder) -> tuple[list[dict], list[_Coded]]:
    """The articles, and what the coder found in them: one interaction per suggestion key
    (the most confident)."""
    coded_articles = []  # (article, its text, what the coder found), for those it found
    for article in articles:
        text = article_text(article["summary"], article["content_head"])
        language = article["language"] or article["feed__language"]
        coded = coder.code(article["title"], text, language, article["published_at"].date())
        if coded:
            coded_articles.append((article, text, coded))
    # The texts' bands (for near-duplicates) are min-hashed together, for the coded only.
    bands = stories.texts_bands(
        [f"{article['title']} {text}" for article, text, _ in coded_articles]
    )
    found: dict[tuple, _Coded] = {}
    for (article, _, coded), article_bands in zip(coded_articles, bands, strict=True):
        for interaction in coded:
            item = _Coded(article, interaction, article_bands)
            kept = found.get(item.row_key)
            if kept is None or interaction.confidence > kept.coded.confidence:
                found[item.row_key] = item
    return articles, list(found.values())


def _store_batch(
    batch: list[int], articles: list[dict], found: list[_Coded], version: str, changed: set[int]
) -> CodingSummary:
    """Write one coded batch in one transaction; add the stories it changed to ``changed``
    once it has committed."""
    summary = CodingSummary(skipped=len(batch) - len(articles), coded=len(articles))
    if not articles:
        return summary
    # Every statement of the batch is written as index probes (by article, by story, the
    # story_assign range, the bands' GIN index). On tables not yet analysed (a new
    # installation, a bulk load) the planner would scan them instead, once per probe.
    settings = ["SET LOCAL enable_seqscan = off"]
    if not connection.in_atomic_block:  # else the caller's transaction decides how it commits
        settings.append("SET LOCAL synchronous_commit = off")  # see the module's docstring
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("; ".join(settings))
        ids = [article["id"] for article in articles]
        touched = _write(cursor, ids, found, version, summary)
        _record_coded(cursor, articles, version)
    changed |= touched
    return summary


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
    """Place the batch's new suggestions in stories, upsert every suggestion (a new one with
    its story), and remove the pending ones no longer found, under the locks of every pair
    they touch. Returns the stories that changed (some may have been deleted, left empty)."""
    cursor.execute(_EXISTING_SQL, [sql.array(article_ids)])
    existing = {(article_id, *key): story_id for article_id, *key, story_id in cursor.fetchall()}
    keys = {
        stories.pair_key(
            item.coded.source_id, item.coded.target_id, stories.family_of(item.coded.category)
        )
        for item in found
    }
    keys |= {
        stories.pair_key(source_id, target_id, stories.family_of(category))
        for _article_id, source_id, target_id, category in existing
    }
    stories.lock_pairs(cursor, keys)

    # What has no story yet (new rows; rows whose story was deleted) is placed before it is
    # written, so each row is written once. Should another worker have written one of these
    # rows meanwhile, the upsert keeps its story, and a story opened here for it alone is
    # left empty and deleted by the refresh.
    placement = stories.place(
        cursor,
        [
            stories.Member(
                ref=item.row_key,
                source_id=item.coded.source_id,
                target_id=item.coded.target_id,
                category=item.coded.category,
                kind=item.coded.kind,
                seen=item.article["published_at"],
                bands=item.bands,
            )
            for item in found
            if existing.get(item.row_key) is None
        ],
    )
    summary.stories_new = placement.opened
    summary.joined = placement.joined
    touched: set[int] = set()
    if found:
        cursor.execute(_UPSERT_SQL, _upsert_params(found, version, placement.assigned))
        for story_id, inserted in cursor.fetchall():
            if inserted:
                summary.created += 1
            else:
                summary.updated += 1
            touched.add(story_id)
    # Only articles coded before can have suggestions this coding no longer finds: a batch of
    # new articles (most of them) skips the statement.
    coded_before = sorted({article_id for article_id, *_ in existing})
    removed = []
    if coded_before:
        cursor.execute(_REMOVE_SQL, [sql.array(coded_before), *_key_columns(found)])
        removed = cursor.fetchall()
    summary.removed = len(removed)
    touched |= {story_id for (story_id,) in removed}
    changed = (touched | placement.story_ids) - {None}
    stories.refresh(cursor, changed)
    return changed


def _key_columns(found: list[_Coded]) -> list[str]:
    return sql.columns([item.row_key for item in found], width=4)


def _upsert_params(found: list[_Coded], version: str, assigned: dict[tuple, int]) -> list:
    """_UPSERT_SQL's parameters: one array literal per column of ``_COLUMNS``, a value per row.
    ``assigned``: the story each placed row's key was given."""
    batch = {
        "status": ReviewStatus.PENDING.value,
        "lexicon_version": version,
        "coded_at": timezone.now(),
    }
    columns = []
    for column in _COLUMNS:
        if column in batch:
            columns.append([batch[column]] * len(found))
        elif column == _STORY_COLUMN:
            columns.append([assigned.get(item.row_key) for item in found])
        elif column in _ROW_VALUES:
            columns.append([_ROW_VALUES[column](item) for item in found])
        else:
            columns.append([getattr(item.coded, column) for item in found])
    return [sql.array(column) for column in columns]


def _record_coded(cursor, articles: list[dict], version: str) -> None:
    cursor.execute(
        _RECORD_SQL,
        [
            timezone.now(),
            *sql.columns(
                [(article["id"], version, article["content_hash"]) for article in articles],
                width=3,
            ),
        ],
    )


CUE_MAX = Suggestion._meta.get_field("cue").max_length
_SUGGESTION = connection.ops.quote_name(Suggestion._meta.db_table)
_STORY = connection.ops.quote_name(Story._meta.db_table)
_CODING = connection.ops.quote_name(ArticleCoding._meta.db_table)

_EXISTING_SQL = (
    f"SELECT article_id, source_id, target_id, category, story_id FROM {_SUGGESTION} "
    "WHERE article_id = ANY(%s::bigint[])"
)

# The columns the stage writes: every concrete field of Suggestion but the row's id, so that a
# field added to the model is written here, or named here, rather than forgotten.
_NOT_WRITTEN = frozenset({"id"})
_COLUMNS = tuple(
    field.column for field in Suggestion._meta.concrete_fields if field.name not in _NOT_WRITTEN
)
# What a conflict is found by (the unique key), never rewritten.
_KEY_COLUMNS = tuple(
    Suggestion._meta.get_field(name).column
    for constraint in Suggestion._meta.constraints
    if constraint.name == "suggestion_unique"
    for name in constraint.fields
)
# Written when a row is made: a new suggestion is pending, and review changes it after.
_INSERTED_ONLY = ("status",)
# Rewritten with every change, and not a change by themselves.
_STAMPS = ("lexicon_version", "coded_at")
# Set by placing: a row keeps the story it has, and takes the one placing gave it if none.
_STORY_COLUMN = Suggestion._meta.get_field("story").column
# What the coder writes: the rest. (status and story belong to review and placing.)
_CODED_COLUMNS = tuple(
    column
    for column in _COLUMNS
    if column not in (*_KEY_COLUMNS, *_INSERTED_ONLY, *_STAMPS, _STORY_COLUMN)
)
# A row's value of a column, where it is not the coded interaction's attribute of that name
# (status and the stamps are the batch's).
_ROW_VALUES: dict[str, Callable[[_Coded], object]] = {
    "article_id": lambda item: item.article["id"],
    "confidence": lambda item: min(max(item.coded.confidence, 0.0), 1.0),
    "cue": lambda item: item.coded.cue[:CUE_MAX],
    "spans": lambda item: json.dumps(item.coded.spans),
    "bands": lambda item: sql.array(item.bands),
}


def check_columns(columns: Iterable[str]) -> None:
    """Refuse (at import) a Suggestion column the stage would not know how to fill."""
    coded = {field.name for field in dataclasses.fields(Coded)}
    unknown = set(columns) - set(_ROW_VALUES) - coded - {*_INSERTED_ONLY, *_STAMPS, _STORY_COLUMN}
    if unknown:
        raise ImproperlyConfigured(
            f"coding.stage does not know what to write in {Suggestion.__name__}'s "
            f"{', '.join(sorted(unknown))}: give a value in _ROW_VALUES, or name the field "
            "in _NOT_WRITTEN"
        )


check_columns(_COLUMNS)


def _unnest_type(column: str) -> tuple[str, str | None]:
    """How a column's values travel to the upsert: (the unnest array's element type, the cast
    back to the column's type if any). Arrays and JSON travel as text, one literal a row;
    strings as text, so that one too long is refused on insert, not cut by a cast."""
    field = next(f for f in Suggestion._meta.concrete_fields if f.column == column)
    if isinstance(field, ArrayField | JSONField):
        return "text", field.db_type(connection)
    if isinstance(field, CharField | TextField):
        return "text", None
    return field.db_type(connection), None


_TYPES = {column: _unnest_type(column) for column in _COLUMNS}

# A suggestion an editor has reviewed (itself or its story) keeps what it says. An unchanged
# one is not rewritten (nor returned, nor counted), unless it has lost its story.
_PENDING = f"'{ReviewStatus.PENDING.value}'"
_FROZEN = (
    f"suggestion.status <> {_PENDING} OR EXISTS (SELECT 1 FROM {_STORY} AS story "
    f"WHERE story.id = suggestion.story_id AND story.status <> {_PENDING})"
)
_UPSERT_SQL = f"""
INSERT INTO {_SUGGESTION} AS suggestion ({", ".join(_COLUMNS)})
SELECT {
    ", ".join(
        column if cast is None else f"{column}::{cast}" for column, (_, cast) in _TYPES.items()
    )
}
FROM unnest({", ".join(f"%s::{passed}[]" for passed, _ in _TYPES.values())})
     AS coded({", ".join(_COLUMNS)})
ON CONFLICT ON CONSTRAINT suggestion_unique DO UPDATE SET
    {", ".join(f"{column} = EXCLUDED.{column}" for column in (*_CODED_COLUMNS, *_STAMPS))},
    {_STORY_COLUMN} = coalesce(suggestion.{_STORY_COLUMN}, EXCLUDED.{_STORY_COLUMN})
WHERE NOT ({_FROZEN})
  AND (suggestion.story_id IS NULL
       OR ({", ".join(f"suggestion.{column}" for column in _CODED_COLUMNS)})
          IS DISTINCT FROM ({", ".join(f"EXCLUDED.{column}" for column in _CODED_COLUMNS)}))
RETURNING suggestion.story_id, (suggestion.xmax = 0) AS inserted
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

"""How fast is machine coding, and does placing an interaction in a story stay fast as the
archive grows?

- coding_us_per_article: the coder alone (``get_coder().code``) over real articles: the
  headlines and summaries of ../shared/corpus/realworld/ and the seed samples, parsed by the
  ingest parser, with the seed lexicon and 50,000 aliases in the gazetteer (the seed actors'
  plus synthetic ones, as bench/matching.py makes them). Median of several passes.
- stage_us_per_article: the whole coding stage over the same articles stored in the
  database (load, code, upsert, place in stories, record), per article; each pass starts from
  no suggestions.
- story_assign_scaling: the time to place one new interaction (its suggestion inserted, the
  story found by the story_assign index and the near-duplicate bands, joined, the story's
  aggregates refreshed) with 1,000,000 suggestions in 100,000 stories, over the same with
  10,000 in 1,000. The rows are made by SQL (generate_series); the new interaction joins a
  story of the same size at both scales. Target: at most 1.5.

Usage: python bench/coding.py [--runs N] [--full N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time

from common import (
    ROOT,
    drop_queued_tasks,
    median_seconds,
    report,
    setup_django,
    vacuum_analyze,
)
from corpus import content_type_for

CORPUS = ROOT.parent / "shared" / "corpus" / "realworld"
ALIASES = 50_000
SMALL = 10_000
PER_STORY = 10
PAIRS = 200
PER_ARTICLE = 20  # pairs an archive article reports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--full", type=int, default=1_000_000, help="suggestions at full size")
    options = parser.parse_args()

    setup_django("coding")
    from django.core.management import call_command

    call_command("load_seeds", verbosity=0)
    add_synthetic_aliases(ALIASES)
    articles = real_articles()
    report("articles", len(articles))
    coder_speed(articles, options.runs)
    stage_speed(articles, options.runs)
    assign_scaling(options.full, options.runs)
    report("queued_tasks_dropped", drop_queued_tasks())


def add_synthetic_aliases(total: int) -> None:
    """Top the gazetteer up to ``total`` aliases with synthetic actors (three aliases each)."""
    sys.path.insert(0, str(ROOT))
    from bench.matching import synthetic_aliases
    from relations.models import Actor, Alias

    missing = total - Alias.objects.count()
    entries = synthetic_aliases(missing, random.Random(20231026))
    actors = Actor.objects.bulk_create(
        Actor(name=f"Synthetic actor {n}", slug=f"synthetic-actor-{n}", kind=Actor.Kind.PERSON)
        for n in range(entries[-1].actor_id)
    )
    Alias.objects.bulk_create(
        Alias(actor=actors[entry.actor_id - 1], text=entry.text, language=entry.language)
        for entry in entries
    )
    report("aliases", Alias.objects.count())


def real_articles() -> list[dict]:
    """Every entry of the real-world corpus and the seed samples, as the parser gives it."""
    from django.conf import settings
    from django.utils import timezone

    from ingest.parsing import NotAFeed, parse_feed

    paths = sorted(CORPUS.iterdir()) + sorted((ROOT / "seeds" / "samples").glob("*.xml"))
    articles = []
    for path in paths:
        try:
            body = path.read_bytes()
            parsed = parse_feed(
                body,
                content_type=content_type_for(path, body),
                url=f"https://corpus.example/{path.name}",
                fetched_at=timezone.now(),
                max_entries=settings.INGEST_MAX_ENTRIES,
            )
        except NotAFeed:
            continue
        for entry in parsed.entries:
            articles.append(
                {
                    "entry": entry,
                    "language": entry.language or _language(parsed.language),
                    "path": path.name,
                }
            )
    return articles


def _language(tag: str) -> str:
    from ingest.pipeline import language_code

    return language_code(tag) if tag else "en"


def coder_speed(articles: list[dict], runs: int) -> None:
    from coding.coder import get_coder
    from coding.stage import article_text

    coder = get_coder()
    prepared = [
        (
            article["entry"].title,
            article_text(article["entry"].summary, article["entry"].content),
            article["language"],
            article["entry"].published_at.date(),
        )
        for article in articles
    ]
    found = [0]

    def code_all():
        found[0] = sum(len(coder.code(*args)) for args in prepared)

    seconds = median_seconds(code_all, runs=runs, warmup=1)
    report("coding_us_per_article", seconds / len(prepared) * 1e6)
    report("coded_interactions", found[0])


def stage_speed(articles: list[dict], runs: int) -> None:
    from django.db import connection

    from coding.models import Story, Suggestion
    from coding.stage import ArticleCoding, code_articles
    from ingest.models import Feed
    from ingest.storing import store_entries

    ids = []
    by_path: dict[str, list] = {}
    for article in articles:
        by_path.setdefault(article["path"], []).append(article)
    for path, group in by_path.items():
        language = group[0]["language"]
        feed = Feed.objects.create(url=f"https://corpus.example/{path}", language=language)
        entries = [article["entry"] for article in group]
        result = store_entries(feed, entries, fetched_at=entries[0].published_at)
        ids += result.article_ids

    def reset():
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {Suggestion._meta.db_table}, {Story._meta.db_table}, "
                f"{ArticleCoding._meta.db_table} CASCADE"
            )

    seconds = median_seconds(lambda: code_articles(ids), runs=runs, warmup=1, before=reset)
    report("stage_articles", len(ids))
    report("stage_us_per_article", seconds / max(len(ids), 1) * 1e6)
    report("stage_suggestions", Suggestion.objects.count())
    report("stage_stories", Story.objects.count())


def assign_scaling(full: int, runs: int) -> None:
    small = place_one_seconds(SMALL, runs)
    large = place_one_seconds(full, runs)
    report("story_assign_ms_10k", small * 1e3)
    report(f"story_assign_ms_{full // 1000}k", large * 1e3)
    report("story_assign_scaling", large / small)


def place_one_seconds(total: int, runs: int) -> float:
    """Grow the synthetic archive to ``total`` suggestions, then time placing one more."""
    from django.db import connection, transaction

    from coding import stories
    from coding.models import Story, Suggestion
    from ingest.models import Article, Feed
    from relations.models import Actor

    for n in range(PAIRS + 1):
        Actor.objects.get_or_create(slug=f"archive-actor-{n}", defaults={"name": f"Archive {n}"})
    actor_ids = list(
        Actor.objects.filter(slug__startswith="archive-actor-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    feed, _ = Feed.objects.get_or_create(url="https://archive.example/rss", language="en")
    have = Suggestion.objects.filter(article__feed=feed).count()
    grow_archive(feed.pk, actor_ids, have, total)
    vacuum_analyze(Article._meta.db_table, Suggestion._meta.db_table, Story._meta.db_table)

    # The newest day of pair 0's stories: the new interaction joins one of PER_STORY members.
    last_story = total // PER_STORY - 1
    last_pair0 = last_story - last_story % PAIRS
    seen = BASE + dt.timedelta(days=last_pair0 // PAIRS, hours=1)
    source_id, target_id = actor_ids[0], actor_ids[1]
    samples = []
    for run in range(runs * 10):
        # Timed inside a transaction that is then rolled back: the commit's disk flush costs
        # the same at any size (and on a shared machine is mostly noise), and the archive
        # stays as it was for the next run.
        with transaction.atomic(), connection.cursor() as cursor:
            article = Article.objects.create(
                feed=feed, guid=f"new-{total}-{run}", published_at=seen, content_hash="x"
            )
            started = time.perf_counter()
            bands = [random.getrandbits(63) for _ in range(stories.BANDS)]
            # As the stage does: placed first, then written once with its story.
            member = stories.Member(
                (article.pk,), source_id, target_id, "ACCUSE", "statement", seen, bands
            )
            stories.lock_pairs(cursor, [member.key])
            placement = stories.place(cursor, [member])
            Suggestion.objects.create(
                article=article,
                source_id=source_id,
                target_id=target_id,
                source_named_id=source_id,
                target_named_id=target_id,
                category="ACCUSE",
                kind="statement",
                score=-2.0,
                confidence=0.6,
                quote="New.",
                cue="accused",
                bands=bands,
                story_id=placement.assigned[member.ref],
            )
            stories.refresh(cursor, placement.story_ids)
            samples.append(time.perf_counter() - started)
            transaction.set_rollback(True)
        if placement.opened:
            raise SystemExit("benchmark is not measuring what it claims: a new story was opened")
    return statistics.median(samples[runs:])  # the first few warm the caches


BASE = dt.datetime(2023, 1, 1, 12, tzinfo=dt.UTC)


def grow_archive(feed_id: int, actor_ids: list[int], start: int, total: int) -> None:
    """Suggestions ``start``..``total`` - 1 (multiples of PAIRS * PER_STORY), PER_STORY to a
    story: story k (id k + 1) is pair k % PAIRS (the i-th actor to the next), dated k // PAIRS
    days after BASE, and its j-th suggestion comes from article (day, j, pair group): an
    article reports PER_ARTICLE pairs, and its suggestions share its text's bands, as the
    stage writes them. Foreign-key triggers are off while loading (the rows are made to fit)."""
    if total <= start:
        return
    from django.db import connection

    from coding.stories import BANDS

    groups = PAIRS // PER_ARTICLE
    params = {
        "actors": actor_ids,
        "pairs": PAIRS,
        "base": BASE,
        "per": PER_STORY,
        "per_article": PER_ARTICLE,
        "groups": groups,
        "first_story": start // PER_STORY,
        "last_story": total // PER_STORY,
        "first_article": start // PER_ARTICLE,
        "last_article": total // PER_ARTICLE,
        "feed": feed_id,
        "bands": BANDS,
    }
    with connection.cursor() as cursor:
        if start == 0:  # story ids are computed: start them at 1
            cursor.execute(
                "TRUNCATE coding_suggestion, coding_story, coding_articlecoding "
                "RESTART IDENTITY CASCADE"
            )
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO coding_story (id, source_id, target_id, category, family, kind,
                first_seen, last_seen, article_count, outlet_count, languages, confidence,
                status, reason, created_at)
            SELECT k + 1, (%(actors)s::bigint[])[1 + k %% %(pairs)s],
                   (%(actors)s::bigint[])[2 + k %% %(pairs)s], 'ACCUSE', 'criticise',
                   'statement', %(base)s + (k / %(pairs)s) * interval '1 day',
                   %(base)s + (k / %(pairs)s) * interval '1 day', %(per)s, 1, '{en}', 0.9,
                   'pending', '', now()
            FROM generate_series(%(first_story)s, %(last_story)s - 1) AS k
            """,
            params,
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('coding_story', 'id'), "
            "(SELECT max(id) FROM coding_story))"
        )
        # Article a: day a / (PER_STORY * groups), member (a / groups) %% PER_STORY, pair
        # group a %% groups.
        cursor.execute(
            """
            INSERT INTO ingest_article (feed_id, guid, url, title, summary, content, author,
                published_at, published_raw, fetched_at, language, content_hash, relevance,
                candidate_kind, review_status)
            SELECT %(feed)s, 'archive-' || a, '', 'Archive ' || a, '', '', '',
                   %(base)s + (a / (%(per)s * %(groups)s)) * interval '1 day', '', now(),
                   'en', md5(a::text), 0, '', 'new'
            FROM generate_series(%(first_article)s, %(last_article)s - 1) AS a
            ORDER BY a
            RETURNING id
            """,
            params,
        )
        article_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
            WITH article AS (
                SELECT a, (%(articles)s::bigint[])[1 + a - %(first_article)s] AS id,
                       ARRAY(SELECT (random() * 9e18)::bigint
                             FROM generate_series(1, %(bands)s) WHERE a >= 0) AS bands
                FROM generate_series(%(first_article)s, %(last_article)s - 1) AS a
            )
            INSERT INTO coding_suggestion (article_id, source_id, target_id, source_named_id,
                target_named_id, category, kind, score, confidence, quote, cue, explanation,
                spans, bands, story_id, status, lexicon_version, coded_at)
            SELECT article.id, story.source_id, story.target_id, story.source_id,
                   story.target_id, 'ACCUSE', 'statement', -2.0, 0.6, 'Archive quote.',
                   'accused', '', '{}', article.bands, story.id, 'pending', 'bench', now()
            FROM article
            CROSS JOIN generate_series(0, %(per_article)s - 1) AS slot
            JOIN coding_story AS story ON story.id = 1
                 + (article.a / (%(per)s * %(groups)s)) * %(pairs)s
                 + (article.a %% %(groups)s) * %(per_article)s + slot
            """,
            params | {"articles": article_ids},
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    report(f"archive_suggestions_{total}", total)


if __name__ == "__main__":
    main()

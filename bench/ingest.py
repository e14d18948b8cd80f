"""How close is the full ingestion path to bare feedparser, and to the `reader` library?

A loopback HTTP server serves N synthetic feeds of M entries (200 × 100 by default), with
ETags. In one process, on the same bytes and the same server:
- pipeline_vs_feedparser: fetch → parse → sanitise → match → store of every feed, over
  bare `feedparser.parse` of the same bytes;
- pipeline_with_coding_vs_feedparser: the same, then the coding stage on every stored article
  (as at the end of `manage.py ingest`: coder, suggestions, stories), over the same;
- pipeline_vs_reader: the same, over `reader`'s update of the same feeds from the same
  server, its own storage included;
- repoll_vs_http_get: a second poll of the unchanged feeds (all 304s) over a bare HTTP GET of
  each.
Measures run in interleaved rounds (one of each per round, A/B/A/B, so drifting load on a shared
machine hits all of them alike); each ratio is the median of its per-round ratios after a
warm-up, so a figure moves with the code and not with the neighbours. Both the pipeline and the
reader fetch one feed after another. Before each first poll, untimed, the article and coding
tables are emptied and the feeds' validators and hashes forgotten, so every first poll does the
full work; the benchmark stops if a first poll stores less than everything, the coding finds
nothing, or a repoll gets anything but 304s.

Usage: python bench/ingest.py [--feeds N] [--entries N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import tempfile
from pathlib import Path

from common import (
    drop_queued_tasks,
    interleaved_medians,
    report,
    setup_django,
    vacuum_analyze,
)
from feedserver import FeedServer, build_feed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    setup_django("ingest")
    import feedparser
    import httpx
    from django.core.management import call_command
    from django.db import connection
    from reader import make_reader

    from coding.models import Story
    from ingest.models import Article, Feed, FetchLog, Mention
    from ingest.pipeline import announce_stored, ingest_feeds

    # One INFO line per request from httpx (the pipeline's and the bare GET's alike) is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("reader").setLevel(logging.ERROR)  # a line per feed, and bozo notes

    call_command("load_seeds", verbosity=0)
    bodies = {f"/feed/{i}.xml": build_feed(i, options.entries) for i in range(options.feeds)}
    server = FeedServer(bodies)
    urls = [server.url(path) for path in bodies]
    feeds = [Feed.objects.create(url=url, title=f"Bench {i}") for i, url in enumerate(urls)]
    feed_ids = [feed.id for feed in feeds]

    def bare_feedparser():
        for body in bodies.values():
            feedparser.parse(
                io.BytesIO(body),
                response_headers={"content-type": "application/rss+xml; charset=utf-8"},
            )

    def reset():
        # Untimed: every first poll must do the full work again (no articles to compare
        # against, no validators to send, no body hash to match), on tables as clean as the
        # reader's new database: a DELETE would leave the dead rows of every earlier run.
        # CASCADE: the coding stage's rows (suggestions, what each article was coded with)
        # go with the articles; stories too, so each round places into the same empty set.
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {Mention._meta.db_table}, {Article._meta.db_table}, "
                f"{FetchLog._meta.db_table}, {Story._meta.db_table} CASCADE"
            )
        Feed.objects.filter(id__in=feed_ids).update(etag="", last_modified="", content_hash="")
        vacuum_feeds()

    def vacuum_feeds():
        # Untimed: every poll rewrites each feed's row twice (claim, record). A server with
        # autovacuum off (test servers often are) would otherwise make each run slower than
        # the last with dead rows that autovacuum clears in production.
        vacuum_analyze(Feed._meta.db_table)

    def pipeline_first_poll():
        summary = ingest_feeds(feed_ids)
        expect(summary.new == stored_target, f"first poll stored {summary.new} new articles")

    def pipeline_with_coding():
        summary = ingest_feeds(feed_ids)
        expect(summary.new == stored_target, f"first poll stored {summary.new} new articles")
        coded = announce_stored(summary.article_ids, inline=True)
        expect(bool(coded) and coded[0].created > 0, f"the coding stage found nothing: {coded}")
        suggestions[0] = coded[0].created

    def reader_update():
        with tempfile.TemporaryDirectory() as folder:
            feed_reader = make_reader(str(Path(folder) / "reader.sqlite"))
            for url in urls:
                feed_reader.add_feed(url)
            feed_reader.update_feeds(workers=1)  # one feed after another, as ingest_feeds
            counts = feed_reader.get_entry_counts()
            feed_reader.close()
        expect(counts.total == stored_target, f"reader stored {counts.total} entries")

    def pipeline_repoll():
        summary = ingest_feeds(feed_ids)
        expect(
            summary.not_modified == len(feed_ids) and not summary.new,
            f"the repoll was not all 304s: {summary}",
        )
        statuses = set(
            FetchLog.objects.filter(feed_id__in=feed_ids)
            .order_by("-id")[: len(feed_ids)]
            .values_list("http_status", flat=True)
        )
        expect(statuses == {304}, f"repoll answered {statuses}, not only 304")

    def bare_get():
        with httpx.Client() as client:
            for url in urls:
                client.get(url).read()

    stored_target = options.feeds * options.entries
    suggestions = [0]
    # One round runs every measure once, so all of them share the same moments of a machine
    # whose load drifts; the repoll follows the first poll it re-polls (and comes before the
    # coded poll, which empties the tables again).
    steps = [
        ("feedparser", bare_feedparser, None),
        ("pipeline", pipeline_first_poll, reset),
        ("repoll", pipeline_repoll, vacuum_feeds),
        ("http_get", bare_get, None),
        ("reader", reader_update, None),
        ("pipeline_with_coding", pipeline_with_coding, reset),
    ]
    interleaved_medians(steps, runs=1, warmup=0)  # a warm-up round, not counted
    rounds = [interleaved_medians(steps, runs=1, warmup=0) for _ in range(options.runs)]
    seconds = {name: statistics.median(r[name] for r in rounds) for name, _, _ in steps}

    def ratio(name: str, baseline: str) -> float:
        return statistics.median(r[name] / r[baseline] for r in rounds)

    stored = Article.objects.count()
    report("feeds", options.feeds)
    report("entries_per_feed", options.entries)
    report("articles_stored", stored)
    report("suggestions_coded", suggestions[0])
    report("rounds", len(rounds))
    for name, _, _ in steps:
        report(f"{name}_seconds", seconds[name])
    report("pipeline_vs_feedparser", ratio("pipeline", "feedparser"))
    report("pipeline_with_coding_vs_feedparser", ratio("pipeline_with_coding", "feedparser"))
    report("pipeline_vs_reader", ratio("pipeline", "reader"))
    report("repoll_vs_http_get", ratio("repoll", "http_get"))
    report("queued_tasks_dropped", drop_queued_tasks())


def expect(condition: bool, problem: str) -> None:
    """Stop rather than print a ratio of two different amounts of work."""
    if not condition:
        raise SystemExit(f"benchmark is not measuring what it claims: {problem}")


if __name__ == "__main__":
    main()

"""How close is the full ingestion path to bare feedparser, and to the `reader` library?

A loopback HTTP server serves N synthetic feeds of M entries (200 × 100 by default), with
ETags. In one process, on the same bytes and the same server:
- pipeline_vs_feedparser: fetch → parse → sanitise → match → store of every feed, over
  bare `feedparser.parse` of the same bytes;
- pipeline_vs_reader: the same, over `reader`'s update of the same feeds from the same
  server, its own storage included;
- repoll_vs_http_get: a second poll of the unchanged feeds over a bare HTTP GET of each.
Medians of several runs.

Usage: python bench/ingest.py [--feeds N] [--entries N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from common import median_seconds, report, setup_django
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
    from ingest.pipeline import ingest_feeds
    from reader import make_reader

    from ingest.models import Article, Feed

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
        Article.objects.all().delete()
        Feed.objects.filter(id__in=feed_ids).update(etag="", last_modified="", content_hash="")

    def pipeline_first_poll():
        reset()
        ingest_feeds(feed_ids)

    def reader_update():
        with tempfile.TemporaryDirectory() as folder:
            feed_reader = make_reader(str(Path(folder) / "reader.sqlite"))
            for url in urls:
                feed_reader.add_feed(url)
            feed_reader.update_feeds()
            feed_reader.close()

    def pipeline_repoll():
        ingest_feeds(feed_ids)

    def bare_get():
        with httpx.Client() as client:
            for url in urls:
                client.get(url).read()

    fp = median_seconds(bare_feedparser, runs=options.runs)
    pipeline = median_seconds(pipeline_first_poll, runs=options.runs, warmup=1)
    stored = Article.objects.count()
    rd = median_seconds(reader_update, runs=options.runs, warmup=0)
    pipeline_first_poll()
    repoll = median_seconds(pipeline_repoll, runs=options.runs, warmup=1)
    get = median_seconds(bare_get, runs=options.runs)

    report("feeds", options.feeds)
    report("entries_per_feed", options.entries)
    report("articles_stored", stored)
    report("feedparser_seconds", fp)
    report("pipeline_seconds", pipeline)
    report("reader_seconds", rd)
    report("repoll_seconds", repoll)
    report("http_get_seconds", get)
    report("pipeline_vs_feedparser", pipeline / fp)
    report("pipeline_vs_reader", pipeline / rd)
    report("repoll_vs_http_get", repoll / get)


if __name__ == "__main__":
    main()

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
import datetime as dt
import email.utils
import hashlib
import io
import random
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import median_seconds, report, setup_django

HEADLINES = [
    "Lavrov meets Hamas delegation in Moscow",
    "Israel condemns Russia over talks with Hamas",
    "Kremlin says it keeps ties with both sides",
    "Netanyahu speaks with Putin by phone",
    "Ukraine's intelligence chief alleges Russia armed Hamas",
    "Iran and Russia agree on drone deliveries, officials say",
    "Zakharova accuses Israel of violating international law",
    "Markets rally as oil prices fall",
    "Hezbollah and Israel exchange fire on the border",
    "UN Security Council rejects Russian draft resolution",
    "Weather: storms expected across the region",
    "Qatar hosts talks on hostage release",
]


def build_feed(index: int, entries: int, generation: int = 0) -> bytes:
    """An RSS document; a later generation shifts the window, as a live feed does."""
    rng = random.Random(index)
    items = []
    for number in range(generation, generation + entries):
        headline = rng.choice(HEADLINES)
        day = 1 + (number % 28)
        date = email.utils.format_datetime(dt.datetime(2024, 5, day, 8, number % 60, tzinfo=dt.UTC))
        items.append(
            f"""<item>
<title>{headline} ({index}-{number})</title>
<link>https://news.example/{index}/{number}?utm_source=rss</link>
<guid isPermaLink="false">feed{index}-item{number}</guid>
<pubDate>{date}</pubDate>
<description><![CDATA[<p>{headline}. <b>Officials</b> in Moscow and Jerusalem
reacted on Tuesday; <a href="https://news.example/{index}/{number}">read more</a>.</p>
<script>alert(1)</script>]]></description>
</item>"""
        )
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bench feed {index}</title>
<link>https://news.example/{index}/</link><description>Synthetic</description>
{"".join(items)}
</channel></rss>"""
    return body.encode()


class FeedServer:
    """A threaded loopback server for feeds, with ETags; `publish` swaps a feed's body."""

    def __init__(self, bodies: dict[str, bytes]):
        self.bodies: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        for path, body in bodies.items():
            self.publish(path, body)
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (http.server's naming)
                body = feeds.bodies.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = feeds.etags[self.path]
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, path: str, body: bytes) -> None:
        self.etags[path] = f'"{hashlib.sha1(body).hexdigest()}"'
        self.bodies[path] = body

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


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

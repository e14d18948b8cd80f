"""Synthetic news feeds and a loopback server for them, shared by the benchmarks."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
            disable_nagle_algorithm = True

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

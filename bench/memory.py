"""Peak memory of `manage.py ingest` on a feed of about 10 MB (just under INGEST_MAX_BYTES).

A loopback server serves one RSS document of long entries (full-text content in English and
Russian, as the feeds Relwatch reads carry); `manage.py ingest --feed ID` runs as a
subprocess against a throwaway database, and its peak resident set size is read when it
exits. The same command on a feed of one short entry gives the
baseline of Django and the libraries alone. Each run starts from an empty article table, so
every run parses and stores the whole feed.

Prints `ingest_peak_mb` (the largest of the runs), `ingest_baseline_mb` and `feed_bytes`.

Usage: python bench/memory.py [--runs N] [--megabytes N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import os
import subprocess
import sys
import tempfile

from common import ROOT, report, setup_django
from feedserver import FeedServer

PARAGRAPH_EN = (
    "Foreign Minister Sergei Lavrov met a Hamas delegation in Moscow on Thursday, the ministry "
    "said, while Israel condemned the visit and called on Russia to expel the group's leaders. "
)
PARAGRAPH_RU = (
    "Министр иностранных дел России Сергей Лавров встретился в Москве с делегацией ХАМАС, "
    "сообщили в министерстве; Израиль осудил визит и призвал Россию выслать лидеров группы. "
)


def build_large_feed(target_bytes: int, entries: int) -> bytes:
    """An RSS document of ``entries`` items whose content fills it to about ``target_bytes``."""
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Large feed</title><link>https://large.example/</link>"
        "<description>Full-text items</description>\n"
    )
    tail = "</channel></rss>\n"
    per_entry = (target_bytes - len(head) - len(tail)) // entries
    paragraph = f"<p>{PARAGRAPH_EN}</p><p>{PARAGRAPH_RU}</p>"
    items = []
    for number in range(entries):
        date = email.utils.format_datetime(
            dt.datetime(2024, 5, 1 + number % 28, 8, number % 60, tzinfo=dt.UTC)
        )
        shell = (
            f"<item><title>Lavrov meets Hamas delegation, part {number}</title>"
            f"<link>https://large.example/{number}</link>"
            f'<guid isPermaLink="false">large-{number}</guid><pubDate>{date}</pubDate>'
            f"<description><![CDATA[<p>{PARAGRAPH_EN}</p>]]></description>"
            "<content:encoded><![CDATA[{}]]></content:encoded></item>\n"
        )
        room = per_entry - len(shell.encode()) + 2
        repeats = max(1, room // len(paragraph.encode()))
        items.append(shell.replace("{}", paragraph * repeats))
    return (head + "".join(items) + tail).encode()


def peak_of_ingest(feed_id: int, environment: dict[str, str]) -> tuple[float, str]:
    """Run `manage.py ingest --feed ID`; its peak RSS in MB and its summary line.

    os.wait4 gives the resource usage of that one child (getrusage(RUSAGE_CHILDREN) would
    give the largest of all children so far)."""
    with tempfile.TemporaryFile("w+") as output, tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "ingest", "--feed", str(feed_id)],
            env=environment,
            stdout=output,
            stderr=errors,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"manage.py ingest failed:\n{errors.read()[-3000:]}")
        output.seek(0)
        summary = output.read().strip().splitlines()[-1]
    return usage.ru_maxrss / 1024, summary  # ru_maxrss is in kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--megabytes", type=float, default=9.5)
    parser.add_argument("--entries", type=int, default=200)
    options = parser.parse_args()

    setup_django("memory")
    from django.conf import settings
    from django.db import connection

    from ingest.models import Article, Feed, FetchLog, Mention
    from relwatch.config import database_url

    body = build_large_feed(int(options.megabytes * 1024 * 1024), options.entries)
    if len(body) > settings.INGEST_MAX_BYTES:
        raise SystemExit(f"the feed ({len(body)} bytes) is over INGEST_MAX_BYTES")
    small = build_large_feed(4096, 1)
    server = FeedServer({"/large.xml": body, "/small.xml": small})
    large_feed = Feed.objects.create(url=server.url("/large.xml"), title="Large")
    small_feed = Feed.objects.create(url=server.url("/small.xml"), title="Small")

    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=database_url(connection.settings_dict),
        RELWATCH_ALLOW_PRIVATE_FEEDS="true",
        DJANGO_SETTINGS_MODULE="relwatch.settings",
    )
    baseline, _ = peak_of_ingest(small_feed.id, environment)
    peaks = []
    for _ in range(options.runs):
        with connection.cursor() as cursor:
            cursor.execute(
                f"TRUNCATE {Mention._meta.db_table}, {Article._meta.db_table}, "
                f"{FetchLog._meta.db_table}"
            )
        Feed.objects.filter(pk=large_feed.pk).update(etag="", last_modified="", content_hash="")
        peak, summary = peak_of_ingest(large_feed.id, environment)
        stored = Article.objects.filter(feed=large_feed).count()
        expected = min(options.entries, settings.INGEST_MAX_ENTRIES)
        if stored != expected:
            raise SystemExit(f"ingest stored {stored} articles, not {expected}: {summary}")
        peaks.append(peak)

    report("feed_bytes", len(body))
    report("feed_entries", options.entries)
    report("ingest_baseline_mb", f"{baseline:.1f}")
    report("ingest_peak_mb", f"{max(peaks):.1f}")


if __name__ == "__main__":
    main()

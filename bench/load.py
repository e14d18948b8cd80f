"""`make load`: a fixed request rate on gunicorn for 60 s while ingestion runs.

Sets up a dedicated database with the seeds plus synthetic data, serves it with gunicorn on
loopback, and holds --rate requests per second with locust. Meanwhile ingestion runs as in
production: a Celery worker started as `make run` starts it (at lower CPU priority, nice 10)
polls a loopback feed server whose feeds change every two seconds, each round started
through the broker with the fan-out task beat would send. Prints requests per second,
p50/p99 latency, the error count and how much was ingested meanwhile.

Usage: python bench/load.py [--rate 10] [--seconds 60] [--articles 100000] [--events 20000]
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import ROOT, report, setup_django, vacuum_analyze
from feedserver import FeedServer, build_feed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=10, help="requests per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    options = parser.parse_args()

    # setup_django gives the load test a Redis database of its own: its worker must not take
    # the tasks of a running instance, nor that instance's worker the load test's.
    setup_django("load")
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from ingest.models import Article, Feed, FetchLog
    from ingest.tasks import poll_due_feeds
    from relations.models import Event
    from relwatch.config import database_url

    cache.clear()
    call_command("load_seeds", verbosity=0)
    call_command(
        "generate_synthetic", events=options.events, articles=options.articles, verbosity=0
    )
    vacuum_analyze()
    event_ids = list(
        Event.objects.filter(status="published").order_by("?").values_list("id", flat=True)[:200]
    )

    server = FeedServer({})
    generation = 0
    for index in range(options.feeds):
        path = f"/feed/{index}.xml"
        server.publish(path, build_feed(index, 50, generation))
        Feed.objects.create(url=server.url(path), title=f"Load feed {index}")

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "RELWATCH_ALLOW_PRIVATE_FEEDS": "true",
        "LOG_LEVEL": "WARNING",
        # Every request comes from one address: the API's throttles must not turn them away.
        "API_THROTTLE_ANON": "1000000/min",
        "API_THROTTLE_USER": "1000000/min",
        "LOAD_EVENT_IDS": ",".join(map(str, event_ids)),
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    web = subprocess.Popen(
        [
            python,
            "-m",
            "gunicorn",
            "relwatch.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(options.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    # The worker exactly as `make run` starts it (at its lower CPU priority), with one
    # process and only its warnings (the later --loglevel wins).
    from relwatch.supervisor import child_commands

    worker = next(child for child in child_commands("127.0.0.1", port, 1) if child.name == "worker")
    worker.argv += ["--concurrency", "1", "--loglevel", "WARNING"]
    worker.start(env)
    stop = threading.Event()
    ingest_rounds = 0

    def keep_ingesting():
        """Every two seconds: new entries in every feed, all feeds due, one fan-out task."""
        nonlocal generation, ingest_rounds
        while not stop.is_set():
            generation += 5
            for index in range(options.feeds):
                server.publish(f"/feed/{index}.xml", build_feed(index, 50, generation))
            Feed.objects.update(next_check_at=timezone.now())
            poll_due_feeds.delay()
            ingest_rounds += 1
            stop.wait(2)

    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        fetches_before, articles_before = FetchLog.objects.count(), Article.objects.count()
        ingester = threading.Thread(target=keep_ingesting, daemon=True)
        ingester.start()
        with tempfile.TemporaryDirectory() as folder:
            prefix = str(Path(folder) / "load")
            subprocess.run(
                [
                    python,
                    "-m",
                    "locust",
                    "-f",
                    str(ROOT / "bench/locustfile.py"),
                    "--headless",
                    "-u",
                    str(options.rate),
                    "-r",
                    str(options.rate),
                    "-t",
                    f"{options.seconds}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
                check=False,
            )
            stop.set()
            ingester.join(timeout=120)
            fetches = FetchLog.objects.count() - fetches_before
            articles = Article.objects.count() - articles_before
            totals = _aggregated(prefix + "_stats.csv")
    finally:
        stop.set()
        for process in (web, worker.process):
            os.killpg(process.pid, signal.SIGTERM)
        for process in (web, worker.process):
            process.wait(timeout=30)

    report("target_rate", options.rate)
    report("requests", int(totals["Request Count"]))
    report("requests_per_second", float(totals["Requests/s"]))
    report("p50_ms", float(totals["50%"]))
    report("p99_ms", float(totals["99%"]))
    report("errors", int(totals["Failure Count"]))
    report("ingest_rounds_during_load", ingest_rounds)
    report("feed_fetches_during_load", fetches)
    report("articles_ingested_during_load", articles)


def _aggregated(path: str) -> dict:
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return row
    raise SystemExit("locust wrote no aggregated row")


if __name__ == "__main__":
    main()

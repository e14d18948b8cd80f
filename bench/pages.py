"""Do pages stay fast as the archive grows?

For each page and API endpoint, on the same process and database:
- scale_<name>: server time at full size (1,000,000 articles, 200,000 events by default)
  over the time at 1% of that;
- overhead_<name>: server time over the time of the same SQL statements run alone;
- queries_<name>: the query count at both sizes (they must be equal);
- ms_<name>: the server times behind scale_<name>, and cold_ms_<name> the first request's,
  on emptied caches (one request, so only indicative).

Usage: python bench/pages.py [--full-articles N] [--full-events N] [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import time

from common import median_seconds, report, setup_django, vacuum_analyze


def pages(today: dt.date) -> dict[str, str]:
    year_ago = (today - dt.timedelta(days=365)).isoformat()
    five_years = (today - dt.timedelta(days=5 * 365)).isoformat()
    return {
        "overview": "/",
        "timeline_actor": "/timeline/?actor=russia",
        "timeline_search": "/timeline/?q=condemns",
        "relations_graph": f"/relations/?since={year_ago}&until={today}&rollup=1",
        "dyad_page": f"/relations/russia/hamas/?bucket=week&since={five_years}&until={today}",
        "article_inbox": "/articles/",
        "api_events": "/api/events/",
        "api_dyads": f"/api/dyads/?a=russia&b=hamas&bucket=week&since={five_years}&until={today}",
        "api_graph": f"/api/graph/?since={year_ago}&until={today}&rollup=1",
    }


def _figure(body: str, figure_id: str) -> dict:
    """The plotly figure a page embeds with json_script under this id ({} when absent)."""
    match = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', body)
    return json.loads(match.group(1)) if match else {}


def _points(figure: dict) -> int:
    return sum(len(trace.get("x") or ()) for trace in figure.get("data", ()))


# What each answer must hold at both sizes, so a page that got fast by showing nothing fails
# the benchmark instead of passing it: (what, test of the decoded body).
CONTENT_CHECKS = {
    "overview": ("a dyad chart", lambda body: _points(_figure(body, "dyad-russia-hamas"))),
    "timeline_actor": ("listed events", lambda body: 'class="event-item"' in body),
    "timeline_search": ("events found", lambda body: 'class="event-item"' in body),
    "relations_graph": ("a network", lambda body: _points(_figure(body, "network-figure")) > 40),
    "dyad_page": (
        "a chart and listed events",
        lambda body: _points(_figure(body, "pair-figure")) and 'class="event-item"' in body,
    ),
    "article_inbox": ("listed articles", lambda body: "article-item" in body),
    "api_events": ("results", lambda body: json.loads(body)["results"]),
    "api_dyads": ("points", lambda body: json.loads(body)["points"]),
    "api_graph": ("edges", lambda body: json.loads(body)["edges"]),
}


def check_content(client, name: str, url: str) -> float:
    """Fail unless the URL answers 200 with its content; the seconds it took, on cold caches
    (the first request after a change to the data pays for what the others read cached)."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    what, test = CONTENT_CHECKS[name]
    if not test(response.content.decode()):
        raise SystemExit(f"{url} answered 200 without {what}")
    return elapsed


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    """(server seconds, SQL-alone seconds, query count) for one URL: medians over ``runs``
    requests with warm caches, each followed by the same SQL replayed alone, so that both
    sides of the ratio run under the same load on a shared machine. The statements replayed
    are those a warm request sends (one served from a cache replays only what it still
    asks the database)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    get()  # warm-up
    with CaptureQueriesContext(connection) as captured:
        get()
    statements = [query["sql"] for query in captured.captured_queries]

    def sql_alone():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    server, alone = [], []
    for _ in range(runs):
        server.append(median_seconds(get, runs=1, warmup=0))
        alone.append(median_seconds(sql_alone, runs=1, warmup=0))
    return statistics.median(server), statistics.median(alone), len(statements)


def grow_to(articles: int, events: int, actors: int, seed: int) -> None:
    from django.core.management import call_command

    from ingest.models import Article
    from relations.models import Event

    missing_articles = max(0, articles - Article.objects.count())
    missing_events = max(0, events - Event.objects.count())
    started = time.perf_counter()
    call_command(
        "generate_synthetic",
        actors=actors,
        events=missing_events,
        articles=missing_articles,
        seed=seed,
        verbosity=0,
    )
    vacuum_analyze()
    report(f"generate_{articles}_articles_seconds", time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full-articles", type=int, default=1_000_000)
    parser.add_argument("--full-events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    setup_django("pages")
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    call_command("load_seeds", verbosity=0)
    client = Client()
    urls = pages(dt.date.today())

    small_articles = options.full_articles // 100
    small_events = options.full_events // 100
    grow_to(small_articles, small_events, actors=60, seed=1)
    for url in urls.values():  # the process's first requests load code and templates
        client.get(url)
    cache.clear()
    small_cold = {name: check_content(client, name, url) for name, url in urls.items()}
    small = {name: measure(client, url, options.runs) for name, url in urls.items()}

    grow_to(options.full_articles, options.full_events, actors=140, seed=2)
    cache.clear()
    full_cold = {name: check_content(client, name, url) for name, url in urls.items()}
    full = {name: measure(client, url, options.runs) for name, url in urls.items()}

    for name in urls:
        small_server, _, small_queries = small[name]
        full_server, full_sql, full_queries = full[name]
        report(f"scale_{name}", full_server / small_server)
        report(f"overhead_{name}", full_server / full_sql if full_sql else float("nan"))
        report(f"queries_{name}", f"{small_queries} -> {full_queries}")
        report(f"ms_{name}", f"{small_server * 1000:.1f} -> {full_server * 1000:.1f}")
        report(f"cold_ms_{name}", f"{small_cold[name] * 1000:.1f} -> {full_cold[name] * 1000:.1f}")


if __name__ == "__main__":
    main()

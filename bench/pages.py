"""Do pages stay fast as the archive grows?

For each page and API endpoint, on the same process and database:
- scale_<name>: server time at full size (1,000,000 articles, 200,000 events by default)
  over the time at 1% of that;
- overhead_<name>: server time over the time of the page's SQL run alone: the statements a
  request sends right after a change to the events, when every cached chart and count is
  computed again (those that compute the page);
- overhead_cold_<name>: the same with the data version bumped before each request (as after
  every change to the events): the cost of the framework over exactly the SQL it sent;
- overhead_warm_sql_<name>: server time over what a request with warm caches still sends to
  PostgreSQL (for a page served from the cache, little more than one version lookup);
- queries_<name>, cold_queries_<name>: the query counts at both sizes (they must be equal);
- ms_<name>, cold_ms_<name>, sql_ms_<name>: the times behind the ratios.

The pages named ``*_machine`` are the same pages with the machine-coded layer switched on
(``machine=1``), over machine-coded stories and suggestions in proportion to the articles
(one story per ``ARTICLES_PER_STORY`` articles, two suggestions each; most pending).

Usage: python bench/pages.py [--full-articles N] [--full-events N] [--runs N]
                            [--only NAME ...] [--redis-db N]
(``--only api_stories api_suggestions``: those pages' figures alone, the data grown all the same.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import time
from typing import NamedTuple

import common
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
        "overview_machine": "/?machine=1",
        "timeline_machine": "/timeline/?actor=russia&machine=1",
        "relations_machine": f"/relations/?since={year_ago}&until={today}&rollup=1&machine=1",
        "dyad_page_machine": (
            f"/relations/russia/hamas/?bucket=week&since={five_years}&until={today}&machine=1"
        ),
        "api_suggestions": "/api/suggestions/?actor=russia",
        "api_stories": "/api/stories/?status=pending",
    }


def _figure(body: str, figure_id: str) -> dict:
    """The plotly figure a page embeds with json_script under this id ({} when absent)."""
    match = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', body)
    return json.loads(match.group(1)) if match else {}


def _points(figure: dict) -> int:
    return sum(len(trace.get("x") or ()) for trace in figure.get("data", ()))


MACHINE_NAME = "machine-coded (unreviewed)"  # dashboard.figures.MACHINE_NAME


def _machine_points(figure: dict) -> int:
    return sum(
        len(trace.get("x") or ())
        for trace in figure.get("data", ())
        if trace.get("name") == MACHINE_NAME
    )


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
    "overview_machine": (
        "machine-coded points and rows",
        lambda body: _machine_points(_figure(body, "dyad-russia-hamas")) and "story-item" in body,
    ),
    "timeline_machine": (
        "events and machine-coded points and rows",
        lambda body: (
            'class="event-item"' in body
            and _machine_points(_figure(body, "timeline-figure"))
            and "story-item" in body
        ),
    ),
    "relations_machine": (
        "a network with machine-coded edges",
        lambda body: (
            _points(_figure(body, "network-figure")) > 40
            and _machine_points(_figure(body, "network-figure"))
            and "machine-pair-table" in body
        ),
    ),
    "dyad_page_machine": (
        "a chart with machine-coded points, events and the stories' list",
        lambda body: (
            _machine_points(_figure(body, "pair-figure"))
            and 'class="event-item"' in body
            and 'id="machine-stories"' in body
        ),
    ),
    "api_suggestions": ("results", lambda body: json.loads(body)["results"]),
    "api_stories": ("results with suggestions", lambda body: json.loads(body)["results"][0]),
}


def check_content(client, name: str, url: str) -> None:
    """Fail unless the URL answers 200 with its content."""
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    what, test = CONTENT_CHECKS[name]
    if not test(response.content.decode()):
        raise SystemExit(f"{url} answered 200 without {what}")


class Timing(NamedTuple):
    """One URL's medians, in seconds: server time warm and cold (after a change), the SQL of
    each replayed alone; the query counts of a warm and a cold request."""

    warm: float
    cold: float
    warm_sql: float
    cold_sql: float
    warm_queries: int
    cold_queries: int


def measure(client, url: str, runs: int) -> Timing:
    """Time ``url`` warm (caches filled by the request before) and cold (right after a
    change to the events: the data version bumped, so every cached chart, series and count is
    computed again), each request followed by the statements it sent replayed alone, so that
    both sides of a ratio run under the same load on a shared machine. The medians of
    ``runs`` rounds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from relwatch.caching import bump_data_version

    def get():
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    def statements(before=None) -> list[str]:
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            get()
        return [query["sql"] for query in captured.captured_queries]

    def replay(sqls: list[str]) -> None:
        with connection.cursor() as cursor:
            for sql in sqls:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    get()  # warm-up
    warm_statements = statements()
    cold_statements = statements(before=bump_data_version)
    samples: dict[str, list[float]] = {key: [] for key in ("warm", "cold", "wsql", "csql")}
    for _ in range(runs):
        samples["warm"].append(median_seconds(get, runs=1, warmup=0))
        samples["wsql"].append(median_seconds(lambda: replay(warm_statements), runs=1, warmup=0))
        samples["cold"].append(median_seconds(get, runs=1, warmup=0, before=bump_data_version))
        samples["csql"].append(median_seconds(lambda: replay(cold_statements), runs=1, warmup=0))
    medians = {key: statistics.median(values) for key, values in samples.items()}
    return Timing(
        medians["warm"],
        medians["cold"],
        medians["wsql"],
        medians["csql"],
        len(warm_statements),
        len(cold_statements),
    )


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


ARTICLES_PER_STORY = 20
# At least this many, so that the small size (and the tiny runs of tests/test_bench.py) still
# has machine-coded edges between the actors the relations page draws.
MIN_STORIES = 500

# Stories between random actors (one in four in the core triangle, whose pages the benchmark
# opens), dated over the articles' span, mostly pending; two suggestions each from random
# articles. setseed makes each size the same from run to run.
_GROW_STORIES = """
SELECT setseed(%(seed)s);
WITH actors AS (SELECT array_agg(id ORDER BY id) AS ids FROM relations_actor),
core AS (
    SELECT array_agg(id ORDER BY slug) AS ids FROM relations_actor
    WHERE slug IN ('russia', 'hamas', 'israel')
),
span AS (SELECT min(published_at) AS lo, max(published_at) AS hi FROM ingest_article),
categories AS (SELECT %(categories)s::text[] AS names),
drawn AS (
    SELECT n, random() AS pick, random() AS other, random() AS at, random() AS status_pick,
           1 + floor(random() * 16)::int AS category
    FROM generate_series(1, %(count)s) n
),
pairs AS (
    SELECT d.*,
           CASE WHEN n %% 4 = 0 THEN core.ids
                ELSE actors.ids END AS ids
    FROM drawn d, actors, core
),
chosen AS (
    SELECT p.*, cardinality(p.ids) AS size,
           floor(p.pick * cardinality(p.ids))::int AS s_index,
           1 + floor(p.other * (cardinality(p.ids) - 1))::int AS step
    FROM pairs p
)
INSERT INTO coding_story (source_id, target_id, category, family, kind, first_seen, last_seen,
                          article_count, outlet_count, languages, confidence, status, reason,
                          created_at)
SELECT c.ids[1 + c.s_index], c.ids[1 + (c.s_index + c.step) %% c.size],
       categories.names[c.category], categories.names[c.category],
       CASE WHEN categories.names[c.category] IN ('ASSAULT', 'AID', 'SANCTION', 'MOBILIZE',
                                                  'COERCE', 'RETREAT') THEN 'action'
            WHEN categories.names[c.category] = 'CONSULT' THEN 'meeting'
            WHEN categories.names[c.category] = 'ACCUSE' THEN 'allegation'
            ELSE 'statement' END,
       span.lo + (span.hi - span.lo) * c.at, span.lo + (span.hi - span.lo) * c.at
           + interval '6 hours',
       2, 2, ARRAY['en', 'ru'], 0.5 + c.pick / 2,
       CASE WHEN c.status_pick < 0.8 THEN 'pending' WHEN c.status_pick < 0.95 THEN 'accepted'
            ELSE 'rejected' END,
       '', now()
FROM chosen c, span, categories;
INSERT INTO coding_suggestion (article_id, source_id, target_id, source_named_id,
                               target_named_id, category, kind, score, confidence, quote, cue,
                               explanation, spans, bands, story_id, status, lexicon_version,
                               coded_at)
SELECT a.id, s.source_id, s.target_id, s.source_id, s.target_id, s.category, s.kind, 0,
       s.confidence, 'A synthetic evidence sentence.', 'met', '', '{}', '{}', s.id, s.status,
       'bench', now()
FROM (
    SELECT s.*, (SELECT min(id) FROM ingest_article)
           + floor(random() * ((SELECT max(id) - min(id) FROM ingest_article) + 1))::bigint
           AS wanted
    FROM coding_story s CROSS JOIN generate_series(1, 2) copy
    WHERE s.id > %(after)s
) s
JOIN LATERAL (
    SELECT id FROM ingest_article WHERE id >= s.wanted ORDER BY id LIMIT 1
) a ON true
ON CONFLICT DO NOTHING;
"""


def grow_stories(articles: int, seed: float) -> None:
    """Machine-coded stories and suggestions in proportion to ``articles``."""
    from django.db import connection

    from coding.models import Story
    from relations.categories import Category

    wanted = max(articles // ARTICLES_PER_STORY, MIN_STORIES)
    missing = max(0, wanted - Story.objects.count())
    after = Story.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            _GROW_STORIES,
            {
                "seed": seed,
                "count": missing,
                "after": after,
                "categories": [category.value for category in Category],
            },
        )
    vacuum_analyze()
    report(f"generate_{missing}_stories_seconds", time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full-articles", type=int, default=1_000_000)
    parser.add_argument("--full-events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="measure these pages alone")
    parser.add_argument(
        "--redis-db",
        type=int,
        default=common.BENCH_REDIS_DB,
        help="the Redis database to cache in (its own, when other benchmarks run at once: "
        "each clears its cache)",
    )
    options = parser.parse_args()
    common.BENCH_REDIS_DB = options.redis_db

    # Hundreds of API requests a minute from one address: the throttle still counts each
    # (its cost is measured) but never refuses one.
    os.environ.setdefault("API_THROTTLE_ANON", "1000000/min")
    setup_django("pages")
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    call_command("load_seeds", verbosity=0)
    client = Client()
    urls = pages(dt.date.today())
    if options.only:
        if unknown := set(options.only) - set(urls):
            parser.error(f"no pages named {sorted(unknown)}; the pages are {sorted(urls)}")
        urls = {name: url for name, url in urls.items() if name in options.only}

    small_articles = options.full_articles // 100
    small_events = options.full_events // 100
    grow_to(small_articles, small_events, actors=60, seed=1)
    grow_stories(small_articles, seed=0.1)
    for name, url in urls.items():  # the first requests load code and templates
        check_content(client, name, url)
    small = {name: measure(client, url, options.runs) for name, url in urls.items()}

    grow_to(options.full_articles, options.full_events, actors=140, seed=2)
    grow_stories(options.full_articles, seed=0.2)
    cache.clear()
    for name, url in urls.items():
        check_content(client, name, url)
    full = {name: measure(client, url, options.runs) for name, url in urls.items()}

    for name in urls:
        at_small, at_full = small[name], full[name]
        report(f"scale_{name}", at_full.warm / at_small.warm)
        # The page's SQL: what a request sends right after a change, the statements that compute
        # the page (a BI tool over the same database would run them for every view).
        report(f"overhead_{name}", at_full.warm / at_full.cold_sql)
        report(f"overhead_cold_{name}", at_full.cold / at_full.cold_sql)
        report(f"overhead_warm_sql_{name}", at_full.warm / at_full.warm_sql)
        report(f"queries_{name}", f"{at_small.warm_queries} -> {at_full.warm_queries}")
        report(f"cold_queries_{name}", f"{at_small.cold_queries} -> {at_full.cold_queries}")
        report(f"ms_{name}", f"{at_small.warm * 1000:.1f} -> {at_full.warm * 1000:.1f}")
        report(f"cold_ms_{name}", f"{at_small.cold * 1000:.1f} -> {at_full.cold * 1000:.1f}")
        report(
            f"sql_ms_{name}",
            f"cold {at_full.cold_sql * 1000:.1f}, warm {at_full.warm_sql * 1000:.1f}",
        )


if __name__ == "__main__":
    main()

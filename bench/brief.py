"""Does the monthly brief stay fast as the archive grows?

The same month's brief page (/brief/YYYY-MM/) on the same process and database, first with
2,000 events in the archive, then with 200,000 (the seeds plus synthetic events, loaded with
COPY: ingest.synthetic). Each request follows a bump of the data version, so the brief is
computed afresh every time, as after any change to the events; the cached page is timed too.

Prints:
- brief_ms: median server time of the brief, computed, at each size;
- brief_warm_ms: the same served from the cache;
- brief_queries: the queries of a computed brief at each size (they must be equal);
- brief_month_events: published events in the month at each size;
- brief_scaling: brief_ms at full size over brief_ms at the small size (≤ 3.0).

Usage: python bench/brief.py [--month YYYY-MM] [--small N] [--full N] [--runs N]
"""

from __future__ import annotations

import argparse
import time
from typing import NamedTuple

from common import median_seconds, report, setup_django, vacuum_analyze


class Timing(NamedTuple):
    cold: float
    warm: float
    queries: int
    month_events: int
    pairs: int


def grow_to(events: int, actors: int, seed: int) -> None:
    from django.core.management import call_command

    from relations.models import Event

    missing = max(0, events - Event.objects.count())
    started = time.perf_counter()
    call_command(
        "generate_synthetic", actors=actors, events=missing, articles=0, seed=seed, verbosity=0
    )
    vacuum_analyze()
    report(f"generate_{events}_events_seconds", time.perf_counter() - started)


def measure(client, month: str, runs: int) -> Timing:
    from django.db import connection

    from alerts.brief import month_end, parse_month
    from relations.models import Event
    from relwatch.caching import bump_data_version

    url = f"/brief/{month}/"

    def get() -> str:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return response.content.decode()

    body = get()  # loads code and templates
    # A brief that got fast by showing nothing must fail the benchmark, not pass it.
    if body.count('<svg class="sparkline"') < 3 or "What drove it" not in body:
        raise SystemExit(f"{url} answered without its triangle's sparklines and drivers")
    # Counted by a wrapper: the query log is emptied when a request starts.
    queries = []
    bump_data_version()
    with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
        get()
    first = parse_month(month)
    return Timing(
        cold=median_seconds(get, runs=runs, before=bump_data_version),
        warm=median_seconds(get, runs=runs),
        queries=len(queries),
        month_events=Event.objects.filter(
            status=Event.Status.PUBLISHED, date__gte=first, date__lte=month_end(first)
        ).count(),
        pairs=body.count('class="card brief-pair"'),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", default="2024-03")
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--full", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()

    setup_django("brief")
    from django.core.management import call_command
    from django.test import Client

    call_command("load_seeds", verbosity=0)
    client = Client()

    grow_to(options.small, actors=60, seed=1)
    small = measure(client, options.month, options.runs)
    grow_to(options.full, actors=140, seed=2)
    full = measure(client, options.month, options.runs)

    report("brief_month", options.month)
    report("brief_month_events", f"{small.month_events} -> {full.month_events}")
    report("brief_pairs_shown", f"{small.pairs} -> {full.pairs}")
    report("brief_queries", f"{small.queries} -> {full.queries}")
    report("brief_ms", f"{small.cold * 1000:.1f} -> {full.cold * 1000:.1f}")
    report("brief_warm_ms", f"{small.warm * 1000:.1f} -> {full.warm * 1000:.1f}")
    report("brief_scaling", full.cold / small.cold)


if __name__ == "__main__":
    main()

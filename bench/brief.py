"""Does the monthly brief stay fast as the archive grows?

The same month's brief page (/brief/YYYY-MM/) in one process against two copies of the
archive: 2,000 events, and a copy of it grown to 200,000 (the seeds plus synthetic events,
loaded with COPY: ingest.synthetic). Requests to the two alternate, so that a shared
machine's drifting load weighs on both alike. Each computed request follows a bump of the
data version, so the brief is computed afresh, as after any change to the events; the
cached page is timed too.

Prints:
- brief_ms: median server time of the brief, computed, at each size;
- brief_warm_ms, brief_warm_scaling: the same served from the cache, and their ratio;
- brief_queries: the queries of a computed brief at each size (equal but for a count that
  only a list longer than its limit needs);
- brief_month_events: published events in the month at each size;
- brief_scaling: brief_ms at full size over brief_ms at the small size (≤ 3.0).

Usage: python bench/brief.py [--month YYYY-MM] [--small N] [--full N] [--runs N]
"""

from __future__ import annotations

import argparse
import time
from typing import NamedTuple

from common import interleaved_medians, report, setup_django, vacuum_analyze


class Answer(NamedTuple):
    """What one size's brief shows, read once: its queries when computed, the month's
    published events, the pairs shown."""

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


def connection_to(name: str):
    """A connection of its own to the database ``name``."""
    from django.db import connections

    wrapper = connections.create_connection("default")
    wrapper.settings_dict = {**wrapper.settings_dict, "NAME": name}
    wrapper.ensure_connection()
    return wrapper


def use_connection(wrapper) -> None:
    """Serve the next requests from ``wrapper``: each size keeps its own open connection, as
    a server would (a new PostgreSQL session starts with cold catalog caches, a cost a
    benchmark of the brief must not measure)."""
    from django.db import connections

    connections["default"] = wrapper


def fetch(client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response.content.decode()


def inspect(client, month: str) -> Answer:
    from django.db import connection

    from alerts.brief import month_end, parse_month
    from relations.models import Event
    from relwatch.caching import bump_data_version

    url = f"/brief/{month}/"
    body = fetch(client, url)  # loads code and templates
    # A brief that got fast by showing nothing must fail the benchmark, not pass it.
    if body.count('<svg class="sparkline"') < 3 or "What drove it" not in body:
        raise SystemExit(f"{url} answered without its triangle's sparklines and drivers")
    # Counted by a wrapper: the query log is emptied when a request starts.
    queries = []
    bump_data_version()
    with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
        fetch(client, url)
    first = parse_month(month)
    return Answer(
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
    parser.add_argument("--runs", type=int, default=9)
    options = parser.parse_args()

    setup_django("brief")
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from relwatch.caching import bump_data_version

    call_command("load_seeds", verbosity=0)
    client = Client()
    url = f"/brief/{options.month}/"

    # The small archive, then a copy of it grown to full size: both stay, so that the
    # requests to each can alternate (see interleaved_medians).
    grow_to(options.small, actors=60, seed=1)
    small = connection.settings_dict["NAME"]
    connection.close()
    connection.creation.clone_test_db(suffix="full", verbosity=0, autoclobber=True)
    databases = {"small": connection_to(small), "full": connection_to(f"{small}_full")}
    use_connection(databases["full"])
    grow_to(options.full, actors=140, seed=2)

    answers = {}
    for size, wrapper in databases.items():
        use_connection(wrapper)
        answers[size] = inspect(client, options.month)

    def step(size: str, computed: bool):
        def before():
            use_connection(databases[size])
            if computed:
                bump_data_version()

        return (f"{size}_{'cold' if computed else 'warm'}", lambda: fetch(client, url), before)

    medians = interleaved_medians(
        [step(size, computed) for computed in (True, False) for size in databases],
        runs=options.runs,
    )

    def pair(what: str) -> str:
        return f"{getattr(answers['small'], what)} -> {getattr(answers['full'], what)}"

    def ms(kind: str) -> str:
        return f"{medians[f'small_{kind}'] * 1000:.1f} -> {medians[f'full_{kind}'] * 1000:.1f}"

    report("brief_month", options.month)
    report("brief_month_events", pair("month_events"))
    report("brief_pairs_shown", pair("pairs"))
    report("brief_queries", pair("queries"))
    report("brief_ms", ms("cold"))
    report("brief_warm_ms", ms("warm"))
    report("brief_warm_scaling", medians["full_warm"] / medians["small_warm"])
    report("brief_scaling", medians["full_cold"] / medians["small_cold"])


if __name__ == "__main__":
    main()

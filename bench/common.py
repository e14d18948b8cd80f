"""Shared set-up for the benchmarks: Django on a throwaway database, medians, output."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# The Redis database the benchmarks use (on REDIS_URL's server), so that clearing the cache
# or running a worker never touches a running instance's cache or task queue.
BENCH_REDIS_DB = 14


def setup_django(database_suffix: str) -> None:
    """Configure Django against a dedicated, freshly migrated bench database and a Redis
    database of its own.

    The database is named after DATABASE_URL's with a suffix, so a benchmark never touches
    the data of a running instance; Redis is REDIS_URL's server, database BENCH_REDIS_DB."""
    if "REDIS_URL" not in os.environ:
        raise SystemExit("REDIS_URL is not set (the make targets set it)")
    sys.path.insert(0, str(ROOT))
    from relwatch.config import with_redis_database

    os.environ["REDIS_URL"] = with_redis_database(os.environ["REDIS_URL"], BENCH_REDIS_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relwatch.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.setdefault("RELWATCH_ALLOW_PRIVATE_FEEDS", "true")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    from django.db import connection

    base = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"{base}_bench_{database_suffix}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def median_seconds(
    action: Callable[[], object],
    runs: int = 5,
    warmup: int = 1,
    before: Callable[[], object] | None = None,
) -> float:
    """The median wall time of ``action``; ``before`` (a reset, say) runs untimed before each
    call, warm-ups included."""
    samples = []
    for number in range(warmup + runs):
        if before is not None:
            before()
        started = time.perf_counter()
        action()
        if number >= warmup:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def interleaved_medians(
    steps: list[tuple[str, Callable[[], object], Callable[[], object] | None]],
    runs: int = 5,
    warmup: int = 1,
) -> dict[str, float]:
    """Median seconds of each named action, run in rounds of one call each, in order.

    ``(name, action, before)``: ``before`` runs untimed ahead of its action. On a shared
    machine the load drifts over minutes; rounds give every action the same share of it,
    where measuring one action after the other would not."""
    samples: dict[str, list[float]] = {name: [] for name, _, _ in steps}
    for number in range(warmup + runs):
        for name, action, before in steps:
            if before is not None:
                before()
            started = time.perf_counter()
            action()
            if number >= warmup:
                samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(name: str, value: float | int | str) -> None:
    if isinstance(value, float):
        print(f"{name}: {value:.3f}", flush=True)
    else:
        print(f"{name}: {value}", flush=True)


def vacuum_analyze(*tables: str) -> None:
    """VACUUM ANALYZE the tables (all when none are named), as autovacuum would on a live
    database soon after a bulk load: COPY leaves the visibility map unset, so every
    index-only scan would read the table too, and the planner would plan on empty statistics."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}" if tables else "VACUUM ANALYZE")


CELERY_QUEUE = "celery"  # Celery's default queue, a Redis list on the broker


def drop_queued_tasks() -> int:
    """Take back the tasks this process queued (the alerts' stories_changed, one per coding
    call that changed stories): no worker runs in a benchmark, and the benchmarks' Redis
    database is shared, so the worker of a later one (bench/load.py) would otherwise work
    through thousands of stale tasks before its own. Only this process's messages (their
    origin) are removed; returns how many."""
    import json

    import redis
    from celery.utils.nodenames import anon_nodename
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    origin = anon_nodename()
    dropped = 0
    for raw in client.lrange(CELERY_QUEUE, 0, -1):
        try:
            headers = json.loads(raw)["headers"]
        except (ValueError, KeyError, TypeError):
            continue
        if headers.get("origin") == origin:
            dropped += client.lrem(CELERY_QUEUE, 1, raw)
    return dropped

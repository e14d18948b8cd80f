"""Shared set-up for the benchmarks: Django on a throwaway database, medians, output."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_suffix: str) -> None:
    """Configure Django against a dedicated, freshly migrated bench database.

    The database is named after DATABASE_URL's with a suffix, so a benchmark never touches
    the data of a running instance."""
    sys.path.insert(0, str(ROOT))
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


def median_seconds(action: Callable[[], object], runs: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def report(name: str, value: float | int | str) -> None:
    if isinstance(value, float):
        print(f"{name}: {value:.3f}", flush=True)
    else:
        print(f"{name}: {value}", flush=True)

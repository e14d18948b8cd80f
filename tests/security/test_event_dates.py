"""Issue 10, point 12: one event dated 9999-12-31 made /relations/russia/hamas/?bucket=week
165 MB and 7 seconds, and the overview 35 MB.

Dates are bounded: validation allows 1900-01-01 to a year ahead of today, the database
refuses anything outside 1900-01-01..2199-12-31 whoever writes it. The series are bounded
in periods (relations.analytics.MAX_SERIES_PERIODS), so even the farthest date the
database accepts leaves the pages small.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from relations.analytics import rebuild_dyad_days
from relations.models import EARLIEST_EVENT_DATE, Event, latest_event_date
from relwatch.caching import bump_data_version
from tests.dashboard.world import build_world

MAX_BYTES = 2_000_000
MAX_SECONDS = 3.0


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize(
    "day,message",
    [
        (dt.date(9999, 12, 31), "at most a year ahead"),
        (dt.date(1899, 12, 31), "on or after 1900-01-01"),
    ],
)
def test_the_model_refuses_a_date_out_of_range(world, day, message):
    event = world.meeting
    event.date = day
    with pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert message in str(refused.value.message_dict["date"])


def test_the_model_accepts_the_edges_of_the_range(world):
    event = world.meeting
    for day in (EARLIEST_EVENT_DATE, latest_event_date()):
        event.date = day
        event.full_clean()


@pytest.mark.parametrize("day", [dt.date(9999, 12, 31), dt.date(2200, 1, 1), dt.date(1, 1, 1)])
def test_the_database_refuses_a_date_written_around_the_model(world, day):
    with pytest.raises(IntegrityError, match="event_date_in_range"), transaction.atomic():
        Event.objects.filter(pk=world.meeting.pk).update(date=day)


def _timed(client, url: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    return response.status_code, len(response.content), elapsed


def test_the_farthest_date_the_database_takes_leaves_the_pages_small(client, world):
    baseline = {url: _timed(client, url)[1] for url in ("/", "/relations/russia/hamas/")}
    # The world's Russia-Hamas meeting moved to the last day the database accepts, around
    # validation (as a bulk load or an SQL fix would write it).
    Event.objects.filter(pk=world.meeting.pk).update(date=dt.date(2199, 12, 31))
    rebuild_dyad_days()
    bump_data_version()

    for url in (
        "/relations/russia/hamas/?bucket=week",
        "/relations/russia/hamas/?bucket=month",
        "/relations/russia/hamas/",
        "/",
        "/relations/",
        "/api/dyads/?a=russia&b=hamas&bucket=week",
        "/timeline/",
    ):
        status, size, seconds = _timed(client, url)
        assert status == 200, url
        assert size < MAX_BYTES, f"{url}: {size} bytes"
        assert seconds < MAX_SECONDS, f"{url}: {seconds:.1f} s"
        print(f"{url}: {size} bytes, {seconds:.2f} s (before: {baseline.get(url)})")

"""The data version that keys every cached chart and count: new after each change, read once
per web request, never remembered outside one."""

from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from dashboard import summaries
from relations.models import Event
from relations.signals import (
    DATA_VERSION_KEY,
    bump_data_version,
    data_version,
    newest_id,
    request_memo,
)
from tests.factories import MeetingFactory


@contextmanager
def in_a_request():
    """request_started ... request_finished, as a web request sends them (without closing
    the test's database connection, as Django's test client does too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        request_started.send(sender=None)
        yield
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_a_bump_gives_a_new_version_outside_requests():
    assert request_memo() is None
    before = data_version()
    bump_data_version()
    assert data_version() != before


def test_a_request_reads_the_version_once_and_the_next_request_reads_it_again():
    with in_a_request():
        first = data_version()
        cache.set(DATA_VERSION_KEY, "changed-by-another-process", timeout=None)
        assert data_version() == first, "read from Redis twice in one request"
    assert request_memo() is None
    assert data_version() == "changed-by-another-process"


def test_a_change_inside_a_request_is_seen_by_the_rest_of_it():
    with in_a_request():
        first = data_version()
        bump_data_version()
        assert data_version() != first


@pytest.mark.django_db
def test_a_request_reads_the_newest_event_id_once():
    MeetingFactory()
    with in_a_request():
        with CaptureQueriesContext(connection) as captured:
            for name in ("one", "two", "three"):
                summaries.cached_by_data_version(name, (), lambda: 1)
        assert len(captured.captured_queries) == 1
        newest = MeetingFactory()
        assert newest_id(Event) < newest.pk  # this request's view of the table
    assert newest_id(Event) == newest.pk

"""relwatch.caching: the keys of cached answers, the versions that make them stale, the
request memo that reads those once per page, the outage policy, and the Redis backend."""

from __future__ import annotations

import copy
import logging
import socket
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from ingest.matching import get_gazetteer
from relations.models import Event
from relwatch import caching
from relwatch.caching import (
    DATA_VERSION_KEY,
    FORMAT,
    ReusingRedisCacheClient,
    bump_data_version,
    cache_key,
    data_version,
    newest_id,
    request_memo,
)
from tests.dashboard.world import build_world
from tests.factories import ActorFactory, AliasFactory, MeetingFactory


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


@contextmanager
def cache_at_a_closed_port(settings):
    """The cache pointed at a port where no Redis listens, as in an outage: every operation
    fails (connection refused) until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    live = settings.CACHES
    dead = copy.deepcopy(live)
    dead["default"]["LOCATION"] = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = dead
    try:
        yield
    finally:
        settings.CACHES = live


@pytest.fixture
def dead_cache(settings):
    # A live cache first: an earlier test's outage is over, so this one's is logged afresh.
    caching.tolerate_outage(lambda: cache.get("probe:alive"), fallback=None)
    with cache_at_a_closed_port(settings):
        yield


def outage_warnings(caplog) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "relwatch.caching" and record.levelno == logging.WARNING
    ]


# --- the backend ------------------------------------------------------------------------------


def test_the_cache_reads_and_writes_through_one_reused_client():
    assert isinstance(cache._cache, ReusingRedisCacheClient)
    cache.set("probe:reused-client", {"a": 1}, 30)
    assert cache.get("probe:reused-client") == {"a": 1}
    writer = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=False)
    cache.delete("probe:reused-client")
    assert cache.get("probe:reused-client") is None


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_names_the_answer_its_format_and_the_data_version():
    key = cache_key("probe", ("x",), newest_of=Event)
    assert key.startswith(f"probe:v{FORMAT}:{data_version()}:")
    assert cache_key("probe", ("x",), newest_of=Event) == key


@pytest.mark.django_db
def test_a_key_changes_with_the_question_the_data_version_and_a_new_row():
    key = cache_key("probe", ("x",), newest_of=Event)
    assert cache_key("probe", ("y",), newest_of=Event) != key
    assert cache_key("other", ("x",), newest_of=Event) != key

    bump_data_version()
    after_bump = cache_key("probe", ("x",), newest_of=Event)
    assert after_bump != key

    MeetingFactory()  # no commit, so no bump: the newest id alone tells
    assert cache_key("probe", ("x",), newest_of=Event) != after_bump


# --- versions ---------------------------------------------------------------------------------


def test_a_bump_gives_a_new_version_outside_requests():
    assert request_memo() is None
    before = data_version()
    bump_data_version()
    assert data_version() != before


@pytest.mark.django_db
def test_a_change_to_an_event_bumps_the_data_version_once_it_commits(
    django_capture_on_commit_callbacks,
):
    before = data_version()
    with django_capture_on_commit_callbacks() as callbacks:
        MeetingFactory(title="Lavrov met a Hamas delegation")
        assert data_version() == before, "bumped before the commit"
    for callback in callbacks:
        callback()
    assert data_version() != before


@pytest.mark.django_db
def test_a_renamed_actor_bumps_the_data_version_once_it_commits(
    django_capture_on_commit_callbacks,
):
    actor = ActorFactory(name="Hamas", slug="hamas")
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        actor.name = "Harakat al-Muqawama al-Islamiya"
        actor.save()
    assert data_version() != before


@pytest.mark.django_db
def test_a_rolled_back_change_keeps_the_data_version(django_capture_on_commit_callbacks):
    before = data_version()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        MeetingFactory()
        raise RuntimeError("the editor's save failed")
    assert data_version() == before


# --- the request memo -------------------------------------------------------------------------


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
                caching.cached(name, (), lambda: 1, newest_of=Event)
        assert len(captured.captured_queries) == 1
        newest = MeetingFactory()
        assert newest_id(Event) < newest.pk  # this request's view of the table
    assert newest_id(Event) == newest.pk


@pytest.mark.django_db
def test_a_page_served_by_django_keeps_a_memo_for_its_length_only(client):
    """The memo is hooked to Django's request signals (DashboardConfig.ready), not to a test
    helper: the overview asks for a dozen cached answers and reads the newest event once."""
    build_world()  # the core triangle, so the overview draws its three pairs
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    newest_reads = [q for q in captured.captured_queries if '"newest"' in q["sql"]]
    assert len(newest_reads) == 1, newest_reads
    assert request_memo() is None
    cache.set(DATA_VERSION_KEY, "set-between-requests", timeout=None)
    assert data_version() == "set-between-requests"


# --- cached answers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_answer_is_computed_once_until_the_data_version_changes():
    calls = []

    def compute():
        calls.append(1)
        return {"answer": 42, "names": ["Хамас"]}

    assert caching.cached("probe", ("x",), compute, newest_of=Event) == compute()
    calls.clear()
    assert caching.cached("probe", ("x",), compute, newest_of=Event)["names"] == ["Хамас"]
    assert calls == []
    bump_data_version()
    caching.cached("probe", ("x",), compute, newest_of=Event)
    assert calls == [1]


@pytest.mark.django_db
def test_the_json_text_of_an_answer_is_the_cached_text_itself():
    calls = []

    def compute():
        calls.append(1)
        return {"name": "Хамас"}

    value = caching.cached("probe", (), compute, newest_of=Event)
    text = caching.cached("probe", (), compute, newest_of=Event, as_json=True)
    assert text == '{"name":"Хамас"}' and value == {"name": "Хамас"}
    assert calls == [1], "the JSON text was computed again"


@pytest.mark.django_db
def test_an_unreadable_cached_answer_is_computed_again():
    calls = []

    def compute():
        calls.append(1)
        return {"answer": 42}

    assert caching.cached("probe", ("x",), compute, newest_of=Event) == {"answer": 42}
    # An older release cached the summary as a dict, not JSON text.
    cache.set(cache_key("probe", ("x",), newest_of=Event), {"old": "format"})
    assert caching.cached("probe", ("x",), compute, newest_of=Event) == {"answer": 42}
    assert len(calls) == 2


# --- the outage policy, against a cache that does not answer ----------------------------------


@pytest.mark.django_db
def test_a_dead_cache_costs_the_answer_nothing(dead_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"answer": 42}

    assert caching.cached("probe", ("x",), compute, newest_of=Event) == {"answer": 42}
    text = caching.cached("probe", ("x",), compute, newest_of=Event, as_json=True)
    assert text == '{"answer":42}'
    assert calls == [1, 1], "computed without the cache, every time"
    assert data_version() == "" and caching.gazetteer_version() == ""
    assert cache_key("probe", ("x",), newest_of=Event) is None
    bump_data_version()  # a commit during an outage still succeeds
    caching.bump_gazetteer_version()


def test_a_dead_cache_is_logged_once_per_outage(settings, caplog):
    caching.tolerate_outage(lambda: cache.get("probe:alive"), fallback=None)
    with caplog.at_level(logging.INFO, logger="relwatch.caching"):
        with cache_at_a_closed_port(settings):
            for _ in range(5):
                assert caching.tolerate_outage(lambda: cache.get("probe"), "fallback") == (
                    "fallback"
                )
        assert len(outage_warnings(caplog)) == 1
        assert "cache unreachable" in outage_warnings(caplog)[0].getMessage()

        assert caching.tolerate_outage(lambda: cache.get("probe:alive"), "fallback") is None
        assert "cache reachable again" in caplog.messages

        with cache_at_a_closed_port(settings):
            caching.tolerate_outage(lambda: cache.get("probe"), None)
        assert len(outage_warnings(caplog)) == 2, "a second outage went unreported"


def test_a_request_that_found_the_cache_dead_does_not_ask_it_again(settings):
    cache.delete("probe:asked")
    with in_a_request():
        with cache_at_a_closed_port(settings):
            assert data_version() == ""
        # The cache answers again, but this request already paid its timeout once.
        caching.tolerate_outage(lambda: cache.set("probe:asked", 1, 30), fallback=None)
        assert cache.get("probe:asked") is None
    caching.tolerate_outage(lambda: cache.set("probe:asked", 1, 30), fallback=None)
    assert cache.get("probe:asked") == 1


@pytest.mark.django_db
def test_pages_and_their_counts_are_served_with_a_dead_cache(client, dead_cache):
    for title in ("Lavrov met a Hamas delegation", "Putin spoke to Netanyahu"):
        MeetingFactory(status="published", title=title)
    for page in ("/", "/timeline/", "/relations/"):
        assert client.get(page).status_code == 200, page
    response = client.get("/api/events/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.django_db
def test_matching_follows_alias_changes_with_a_dead_cache(dead_cache):
    actor = ActorFactory(name="Ukraine", slug="ukraine")
    assert actor.pk not in get_gazetteer().match("Kyiv said so")
    AliasFactory(actor=actor, text="Kyiv")
    assert actor.pk in get_gazetteer().match("Kyiv said so")

"""One fetch end to end against PostgreSQL and a real loopback server: every HTTP outcome and
every bad input leaves the feed with a clear status and error, and the other feeds untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.db import connection
from django.utils import timezone
from werkzeug import Response

from ingest import parsing, pipeline, scheduling, storing
from ingest.models import Article, Feed, FetchLog
from tests.factories import FeedFactory
from tests.ingest import feedbodies
from tests.ingest.feedbodies import RSS_TYPE, endless_body, rss, stories, trickle

pytestmark = pytest.mark.django_db

HTML_PAGE = (
    b"<!doctype html><html><head><title>News</title>"
    b'<link rel="alternate" type="application/rss+xml" href="/rss.xml"></head>'
    b"<body><p>Welcome</p></body></html>"
)


@pytest.fixture
def feed_at(httpserver, private_allowed):
    """A feed whose URL is a path on the loopback server."""

    def make(path: str = "/feed.xml", **fields) -> Feed:
        return FeedFactory(url=httpserver.url_for(path), **fields)

    return make


def serve(httpserver, path: str, body: bytes = b"", **kwargs) -> None:
    kwargs.setdefault("content_type", RSS_TYPE)
    httpserver.expect_request(path).respond_with_data(body, **kwargs)


def state(feed: Feed) -> dict:
    feed.refresh_from_db()
    return {
        field.name: getattr(feed, field.name)
        for field in Feed._meta.concrete_fields
        if field.name != "id"
    }


# --- success ----------------------------------------------------------------------------------


def test_it_stores_new_entries_and_records_the_fetch(httpserver, feed_at):
    feed = feed_at(title="", language="", site_url="")
    body = stories(3)
    serve(
        httpserver,
        "/feed.xml",
        body,
        headers={"ETag": '"v1"', "Last-Modified": "Thu, 26 Oct 2023 12:00:00 GMT"},
    )
    before = timezone.now()

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.http_status, log.error) == ("new", 200, "")
    assert (log.entries_seen, log.entries_new, log.entries_duplicate) == (3, 3, 0)
    assert Article.objects.filter(feed=feed).count() == 3
    feed.refresh_from_db()
    assert feed.status == Feed.Status.OK
    assert (feed.etag, feed.last_modified) == ('"v1"', "Thu, 26 Oct 2023 12:00:00 GMT")
    assert feed.content_hash == hashlib.sha256(body).hexdigest()
    assert (feed.title, feed.site_url, feed.language) == (
        "Test feed",
        "https://news.example.com/",
        "en",
    )
    assert feed.last_checked_at >= before
    assert feed.next_check_at >= before + feed.poll_interval
    assert (feed.claimed_until, feed.claimed_by) == (None, "")


def test_it_keeps_the_title_an_editor_gave(httpserver, feed_at):
    feed = feed_at(title="Editor's name")
    serve(httpserver, "/feed.xml", stories(1))
    pipeline.fetch_feed(feed.id)
    feed.refresh_from_db()
    assert feed.title == "Editor's name"


def test_a_304_ends_the_fetch_without_parsing(httpserver, feed_at):
    feed = feed_at(
        etag='"v1"', status=Feed.Status.FAILING, consecutive_failures=2, last_error="HTTP 500"
    )
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304, headers={"ETag": '"v1"'}
    )

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.http_status, log.entries_seen) == ("not_modified", 304, 0)
    feed.refresh_from_db()
    assert (feed.status, feed.consecutive_failures, feed.last_error) == ("ok", 0, "")
    assert feed.etag == '"v1"'
    assert not Article.objects.exists()


def test_an_unchanged_body_is_not_parsed_again(httpserver, feed_at):
    # A body that would fail to parse proves the parser never saw it.
    feed = feed_at(content_hash=hashlib.sha256(HTML_PAGE).hexdigest())
    serve(httpserver, "/feed.xml", HTML_PAGE, content_type="text/html")

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.error) == ("unchanged", "")
    assert Feed.objects.get(pk=feed.pk).status == Feed.Status.OK


def test_fetching_the_same_entries_again_stores_nothing_twice(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(4))
    pipeline.fetch_feed(feed.id)
    # As after a worker died between storing and recording: the hash was never saved.
    Feed.objects.filter(pk=feed.pk).update(content_hash="")

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.entries_seen, log.entries_new) == ("unchanged", 4, 0)
    assert Article.objects.filter(feed=feed).count() == 4


def test_a_permanent_redirect_moves_the_feed_to_its_new_url(httpserver, feed_at):
    feed = feed_at("/old.xml")
    serve(httpserver, "/old.xml", status=301, headers={"Location": "/new.xml"})
    serve(httpserver, "/new.xml", stories(2))

    log = pipeline.fetch_feed(feed.id)

    feed.refresh_from_db()
    assert feed.url == httpserver.url_for("/new.xml")
    # The move came with new entries, so the outcome says so; the URL shows the move.
    assert (log.outcome, log.entries_new) == ("new", 2)


def test_a_move_with_nothing_new_is_recorded_as_moved(httpserver, feed_at):
    body = stories(2)
    feed = feed_at("/old.xml", content_hash=hashlib.sha256(body).hexdigest())
    serve(httpserver, "/old.xml", status=308, headers={"Location": "/new.xml"})
    serve(httpserver, "/new.xml", body)

    log = pipeline.fetch_feed(feed.id)

    assert log.outcome == "moved"
    assert Feed.objects.get(pk=feed.pk).url == httpserver.url_for("/new.xml")


def test_a_temporary_redirect_does_not_move_the_feed(httpserver, feed_at):
    feed = feed_at("/feed.xml")
    serve(httpserver, "/feed.xml", status=302, headers={"Location": "/today.xml"})
    serve(httpserver, "/today.xml", stories(1))

    assert pipeline.fetch_feed(feed.id).outcome == "new"
    assert Feed.objects.get(pk=feed.pk).url == httpserver.url_for("/feed.xml")


def test_a_move_onto_a_url_another_feed_polls_keeps_the_url_and_says_why(httpserver, feed_at):
    feed = feed_at("/old.xml")
    other = feed_at("/new.xml")
    serve(httpserver, "/old.xml", status=301, headers={"Location": "/new.xml"})
    serve(httpserver, "/new.xml", stories(1))

    log = pipeline.fetch_feed(feed.id)

    assert Feed.objects.get(pk=feed.pk).url == httpserver.url_for("/old.xml")
    assert f"feed #{other.pk} already polls" in log.error


# --- outcomes that are not errors ---------------------------------------------------------


def test_a_410_retires_the_feed(httpserver, feed_at):
    feed = feed_at()
    bystander = feed_at("/other.xml")
    serve(httpserver, "/feed.xml", b"gone", status=410)
    before = state(bystander)

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.http_status) == ("gone", 410)
    feed.refresh_from_db()
    assert (feed.status, feed.active) == (Feed.Status.GONE, True)
    assert "410" in feed.last_error
    Feed.objects.filter(pk=feed.pk).update(next_check_at=timezone.now() - dt.timedelta(hours=1))
    assert feed not in scheduling.due_feeds()
    assert pipeline.fetch_feed(feed.id) is None
    assert FetchLog.objects.filter(feed=feed).count() == 1
    assert state(bystander) == before


@pytest.mark.parametrize("status", [429, 503])
def test_a_rate_limit_is_honoured_in_seconds(httpserver, feed_at, status):
    feed = feed_at(poll_interval=dt.timedelta(minutes=1))
    serve(httpserver, "/feed.xml", b"slow down", status=status, headers={"Retry-After": "7200"})
    before = timezone.now()

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.http_status) == ("rate_limited", status)
    feed.refresh_from_db()
    assert feed.next_check_at >= before + dt.timedelta(seconds=7200)
    assert feed.status == Feed.Status.FAILING
    assert f"rate limited: HTTP {status}" in feed.last_error


def test_a_rate_limit_is_honoured_as_an_http_date(httpserver, feed_at):
    feed = feed_at(poll_interval=dt.timedelta(minutes=1))
    until = (timezone.now() + dt.timedelta(hours=3)).replace(microsecond=0)
    http_date = until.strftime("%a, %d %b %Y %H:%M:%S GMT")
    serve(httpserver, "/feed.xml", status=429, headers={"Retry-After": http_date})

    assert pipeline.fetch_feed(feed.id).outcome == "rate_limited"
    assert Feed.objects.get(pk=feed.pk).next_check_at >= until


def test_a_503_without_retry_after_is_an_error(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", b"down", status=503)
    log = pipeline.fetch_feed(feed.id)
    assert (log.outcome, log.error) == ("error", "HTTP 503 SERVICE UNAVAILABLE")


# --- bad input --------------------------------------------------------------------------------


def _html_page(httpserver):
    serve(httpserver, "/feed.xml", HTML_PAGE, content_type="text/html; charset=utf-8")


def _redirect_loop(httpserver):
    serve(httpserver, "/feed.xml", status=302, headers={"Location": "/again.xml"})
    serve(httpserver, "/again.xml", status=302, headers={"Location": "/feed.xml"})


def _metadata_redirect(httpserver):
    serve(httpserver, "/feed.xml", status=302, headers={"Location": "http://169.254.169.254/"})


def _huge(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_handler(
        lambda request: endless_body(80 * 1024 * 1024)
    )


def _gzip_bomb(httpserver):
    serve(httpserver, "/feed.xml", feedbodies.gzip_bomb(), headers={"Content-Encoding": "gzip"})


def _trickle(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_handler(lambda request: trickle(30))


def _truncated_xml(httpserver):
    serve(httpserver, "/feed.xml", b'<?xml version="1.0"?><rss version="2.0"><chan')


def _garbage(httpserver):
    serve(httpserver, "/feed.xml", bytes(range(256)) * 64, content_type="application/octet-stream")


BAD_INPUTS = {
    "500": (lambda s: serve(s, "/feed.xml", b"oops", status=500), r"HTTP 500"),
    "404": (lambda s: serve(s, "/feed.xml", b"no", status=404), r"HTTP 404"),
    "empty 200": (lambda s: serve(s, "/feed.xml", b""), r"empty response body"),
    "html page": (_html_page, r"not a feed.*rss\.xml"),
    "truncated xml": (_truncated_xml, r"not a feed"),
    "binary garbage": (_garbage, r"not a feed"),
    "80 MB body": (_huge, r"larger than the limit of \d+ bytes"),
    "gzip bomb": (_gzip_bomb, r"larger than the limit of \d+ bytes"),
    "trickle": (_trickle, r"timed out after 2 s"),
    "redirect loop": (_redirect_loop, r"redirect loop"),
    "redirect to metadata": (_metadata_redirect, r"169\.254\.169\.254: a cloud metadata"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_fails_the_feed_clearly_and_leaves_the_others_alone(
    httpserver, feed_at, private_allowed, case
):
    private_allowed.INGEST_TIMEOUT = 2
    arrange, error = BAD_INPUTS[case]
    arrange(httpserver)
    feed = feed_at("/feed.xml")
    bystander = feed_at("/other.xml", etag='"b"', content_hash="f" * 64)
    FeedFactory(url="https://elsewhere.example.com/rss")
    before = state(bystander)
    started = timezone.now()

    log = pipeline.fetch_feed(feed.id)

    assert log.outcome == "error"
    assert re.search(error, log.error), log.error
    feed.refresh_from_db()
    assert feed.status == Feed.Status.FAILING
    assert feed.last_error == log.error
    assert feed.consecutive_failures == 1
    assert feed.next_check_at > started + dt.timedelta(minutes=30)
    assert (feed.claimed_until, feed.content_hash) == (None, "")
    assert not Article.objects.exists()
    assert state(bystander) == before
    assert FetchLog.objects.count() == 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed.xml"])
def test_a_feed_stored_with_another_scheme_fails_without_a_request(url):
    # The guard refuses these when a feed is added; this one got in around it.
    feed = FeedFactory(url=url)
    log = pipeline.fetch_feed(feed.id)
    assert log.outcome == "error"
    assert "only http:// and https://" in Feed.objects.get(pk=feed.pk).last_error


def test_a_loopback_feed_is_refused_when_private_feeds_are_off(httpserver, settings):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    serve(httpserver, "/feed.xml", stories(1))
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))

    log = pipeline.fetch_feed(feed.id)

    assert "a loopback address" in log.error
    assert httpserver.log == []


def test_failures_back_off_further_each_time_and_a_success_resets_them(httpserver, feed_at):
    feed = feed_at(poll_interval=dt.timedelta(minutes=10))
    serve(httpserver, "/feed.xml", b"oops", status=500)
    delays = []
    for _ in range(3):
        started = timezone.now()
        pipeline.fetch_feed(feed.id)
        feed.refresh_from_db()
        delays.append(feed.next_check_at - started)
    assert feed.consecutive_failures == 3
    assert delays[0] < delays[1] < delays[2] <= dt.timedelta(hours=24)

    httpserver.clear()
    serve(httpserver, "/feed.xml", stories(1))
    pipeline.fetch_feed(feed.id)
    feed.refresh_from_db()
    assert (feed.status, feed.consecutive_failures, feed.last_error) == ("ok", 0, "")


def test_a_feed_claimed_by_another_fetch_is_skipped(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(1))
    assert scheduling.claim_feed(feed.id, "another-worker")

    assert pipeline.fetch_feed(feed.id) is None
    assert httpserver.log == []
    assert not FetchLog.objects.exists()
    assert Feed.objects.get(pk=feed.pk).claimed_by == "another-worker"


def test_an_expired_claim_of_a_dead_fetch_is_taken_over(httpserver, feed_at):
    feed = feed_at(claimed_by="dead-worker", claimed_until=timezone.now() - dt.timedelta(1))
    serve(httpserver, "/feed.xml", stories(1))

    log = pipeline.fetch_feed(feed.id)

    assert log.outcome == "new"
    assert Feed.objects.values_list("claimed_until", "claimed_by").get(pk=feed.pk) == (None, "")


@pytest.mark.parametrize(
    "changes", [{"active": False}, {"status": Feed.Status.GONE}, {"status": Feed.Status.DISABLED}]
)
def test_a_feed_that_is_not_pollable_is_not_fetched(httpserver, feed_at, changes):
    feed = feed_at(**changes)
    serve(httpserver, "/feed.xml", stories(1))

    assert pipeline.fetch_feed(feed.id) is None
    assert httpserver.log == []
    assert Feed.objects.get(pk=feed.pk).claimed_by == ""


def test_a_deleted_feed_is_skipped():
    assert pipeline.fetch_feed(987654) is None
    assert not FetchLog.objects.exists()


def test_a_failed_fetch_releases_its_claim_with_the_record(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", status=500)

    log = pipeline.fetch_feed(feed.id)

    assert log.outcome == "error"
    feed.refresh_from_db()
    assert (feed.status, feed.claimed_until, feed.claimed_by) == ("failing", None, "")


def test_a_claim_another_fetch_took_meanwhile_is_not_released(httpserver, feed_at, monkeypatch):
    # The lease ran out mid-fetch and another worker claimed the feed: finishing this fetch
    # must not free the feed under the other one.
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(1))
    real_parse = parsing.parse_feed

    def parse_while_claim_moves(*args, **kwargs):
        Feed.objects.filter(pk=feed.pk).update(
            claimed_by="other-worker", claimed_until=timezone.now() + dt.timedelta(minutes=5)
        )
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(parsing, "parse_feed", parse_while_claim_moves)

    log = pipeline.fetch_feed(feed.id)

    assert log.outcome == "new"
    feed.refresh_from_db()
    assert feed.claimed_by == "other-worker"
    assert feed.claimed_until is not None


def test_the_returned_log_is_the_saved_row(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", status=304)

    log = pipeline.fetch_feed(feed.id)

    assert FetchLog.objects.get(pk=log.pk).outcome == log.outcome == "not_modified"
    assert log.feed_id == feed.id


def test_an_unexpected_error_is_recorded_instead_of_raised(httpserver, feed_at, monkeypatch):
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(1))

    def broken_parser(*args, **kwargs):
        raise RuntimeError("parser exploded")

    monkeypatch.setattr(parsing, "parse_feed", broken_parser)

    log = pipeline.fetch_feed(feed.id)

    assert log.error == "unexpected error: RuntimeError: parser exploded"
    assert Feed.objects.get(pk=feed.pk).status == Feed.Status.FAILING


def test_a_storage_failure_rolls_back_every_write_of_the_fetch(httpserver, feed_at, monkeypatch):
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(2))
    real_store = storing.store_entries

    def store_then_fail(*args, **kwargs):
        real_store(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(storing, "store_entries", store_then_fail)

    log = pipeline.fetch_feed(feed.id)

    assert log.error == "could not store the entries: RuntimeError: disk full"
    assert not Article.objects.exists()
    feed.refresh_from_db()
    assert (feed.content_hash, feed.status) == ("", Feed.Status.FAILING)
    assert FetchLog.objects.count() == 1


# --- snapshots and batches ----------------------------------------------------------------


def test_import_snapshot_stores_a_saved_feed_through_the_same_path():
    feed = FeedFactory(url="https://example.org/rss.xml", title="", language="")

    result = pipeline.import_snapshot(feed, stories(3), "application/rss+xml")

    assert (result.seen, result.new) == (3, 3)
    assert Article.objects.filter(feed=feed).count() == 3
    feed.refresh_from_db()
    assert (feed.title, feed.language) == ("Test feed", "en")
    assert pipeline.import_snapshot(feed, stories(3), "application/rss+xml").new == 0


def test_import_snapshot_refuses_a_page_that_is_not_a_feed():
    feed = FeedFactory()
    with pytest.raises(parsing.NotAFeed):
        pipeline.import_snapshot(feed, HTML_PAGE, "text/html")


def test_ingest_feeds_runs_every_feed_and_sums_up(httpserver, feed_at):
    good = feed_at("/good.xml")
    copy = feed_at("/copy.xml")
    broken = feed_at("/broken.xml")
    quiet = feed_at("/quiet.xml", etag='"q"')
    gone = feed_at("/gone.xml", status=Feed.Status.GONE)
    serve(httpserver, "/good.xml", stories(3))
    # The same stories (same links) on a second feed: stored again, as duplicates.
    serve(httpserver, "/copy.xml", stories(3).replace(b"urn:story", b"urn:copy"))
    serve(httpserver, "/broken.xml", HTML_PAGE, content_type="text/html")
    serve(httpserver, "/quiet.xml", status=304)
    seen = []

    summary = pipeline.ingest_feeds(
        [good.id, copy.id, broken.id, quiet.id, gone.id], progress=seen.append
    )

    assert (summary.feeds, summary.new, summary.duplicates) == (5, 3, 3)
    assert (summary.not_modified, summary.failed, summary.skipped) == (1, 1, 1)
    assert str(summary) == (
        "feeds: 5, new: 3, duplicates: 3, not-modified: 1, failed: 1, skipped: 1"
    )
    assert len(seen) == 5
    assert Feed.objects.get(pk=good.pk).status == Feed.Status.OK
    assert Feed.objects.get(pk=broken.pk).status == Feed.Status.FAILING
    assert not Feed.objects.exclude(claimed_by="").exists()


def test_ingest_feeds_claims_each_next_feed_with_the_previous_record(
    httpserver, feed_at, django_assert_max_num_queries
):
    feeds = [feed_at(f"/quiet-{n}.xml") for n in range(4)]
    for n in range(4):
        serve(httpserver, f"/quiet-{n}.xml", status=304)

    # One claim for the first feed, then one statement per feed (its record, which also
    # claims the next one), and the commit setting around the run.
    with django_assert_max_num_queries(1 + 4 + 2):
        summary = pipeline.ingest_feeds([feed.id for feed in feeds])

    assert (summary.feeds, summary.not_modified) == (4, 4)
    assert FetchLog.objects.filter(outcome="not_modified").count() == 4
    assert not Feed.objects.exclude(claimed_by="").exists()


def test_a_next_feed_held_by_another_fetch_is_skipped_and_left_to_it(httpserver, feed_at):
    first, held, last = feed_at("/a.xml"), feed_at("/b.xml"), feed_at("/c.xml")
    for path in ("/a.xml", "/b.xml", "/c.xml"):
        serve(httpserver, path, status=304)
    assert scheduling.claim_feed(held.id, "another-worker")

    summary = pipeline.ingest_feeds([first.id, held.id, last.id])

    assert (summary.not_modified, summary.skipped) == (2, 1)
    assert Feed.objects.get(pk=held.pk).claimed_by == "another-worker"
    assert not FetchLog.objects.filter(feed=held).exists()


def test_a_feed_listed_twice_in_a_row_is_fetched_twice(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", stories(2))

    summary = pipeline.ingest_feeds([feed.id, feed.id])

    assert (summary.feeds, summary.new, summary.not_modified) == (2, 2, 1)
    assert FetchLog.objects.filter(feed=feed).count() == 2
    assert Feed.objects.get(pk=feed.pk).claimed_by == ""


def test_the_next_feed_is_fetched_after_a_storage_failure(httpserver, feed_at, monkeypatch):
    broken, after = feed_at("/broken.xml"), feed_at("/after.xml")
    serve(httpserver, "/broken.xml", stories(2))
    serve(httpserver, "/after.xml", stories(1).replace(b"urn:story", b"urn:after"))
    real_store = storing.store_entries

    def fail_for_the_first(feed, entries, **kwargs):
        if feed.pk == broken.pk:
            raise RuntimeError("disk full")
        return real_store(feed, entries, **kwargs)

    monkeypatch.setattr(storing, "store_entries", fail_for_the_first)

    summary = pipeline.ingest_feeds([broken.id, after.id])

    assert (summary.failed, summary.new) == (1, 1)
    assert Article.objects.filter(feed=after).count() == 1
    assert not Feed.objects.exclude(claimed_by="").exists()


def test_a_run_stopped_between_feeds_gives_back_the_claim_it_took_ahead(httpserver, feed_at):
    first, second = feed_at("/a.xml"), feed_at("/b.xml")
    serve(httpserver, "/a.xml", status=304)
    serve(httpserver, "/b.xml", status=304)

    def stop(log):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pipeline.ingest_feeds([first.id, second.id], progress=stop)

    assert not FetchLog.objects.filter(feed=second).exists()
    assert Feed.objects.get(pk=second.pk).claimed_by == ""


@pytest.mark.django_db(transaction=True)
def test_the_poll_statements_are_prepared_again_on_a_new_connection(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", status=304)

    pipeline.ingest_feeds([feed.id])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'ingest_%'")
        assert cursor.fetchone()[0] >= 2  # the claim and the record
    connection.close()  # a new connection knows none of them

    pipeline.ingest_feeds([feed.id])

    assert FetchLog.objects.filter(feed=feed, outcome="not_modified").count() == 2


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_only_bookkeeping_commits_skip_the_disk_flush(httpserver, feed_at, monkeypatch):
    # A 304's record may be lost in a database crash (it costs an early re-poll); stored
    # articles may not. Outside ingest_feeds the connection keeps its default.
    quiet = feed_at("/quiet.xml")
    news = feed_at("/news.xml")
    serve(httpserver, "/quiet.xml", status=304)
    serve(httpserver, "/news.xml", stories(2))
    seen = {}
    real_save = pipeline._save_with_feed_state

    def save_and_note(log, feed, updates, token, **options):
        next_feed = real_save(log, feed, updates, token, **options)
        seen[feed.pk] = synchronous_commit()  # what this fetch's commit will do
        return next_feed

    monkeypatch.setattr(pipeline, "_save_with_feed_state", save_and_note)

    pipeline.ingest_feeds([quiet.id, news.id])

    assert seen == {quiet.pk: "off", news.pk: "on"}
    assert synchronous_commit() == "on"
    assert Article.objects.filter(feed=news).count() == 2


@pytest.mark.parametrize(
    "tag, code", [("en-US", "en"), ("ru", "ru"), ("iw", "he"), ("ar_EG", "ar"), ("de", "xx")]
)
def test_a_feeds_language_tag_becomes_one_of_our_codes(tag, code):
    assert pipeline.language_code(tag) == code


def test_the_fetch_log_counts_updated_entries(httpserver, feed_at):
    feed = feed_at()
    serve(httpserver, "/feed.xml", rss([{"guid": "urn:a", "title": "First"}]))
    pipeline.fetch_feed(feed.id)
    httpserver.clear()
    serve(httpserver, "/feed.xml", rss([{"guid": "urn:a", "title": "First, corrected"}]))

    log = pipeline.fetch_feed(feed.id)

    assert (log.outcome, log.entries_new, log.entries_updated) == ("new", 0, 1)
    assert Article.objects.get(feed=feed).title == "First, corrected"


def test_a_slow_handler_response_is_cut_but_recorded(httpserver, feed_at, private_allowed):
    private_allowed.INGEST_TIMEOUT = 1

    def slow(request):
        import time

        time.sleep(2)
        return Response(stories(1), content_type=RSS_TYPE)

    httpserver.expect_request("/feed.xml").respond_with_handler(slow)
    feed = feed_at()
    log = pipeline.fetch_feed(feed.id)
    assert log.error == "timed out after 1 s (INGEST_TIMEOUT)"
    assert log.duration_ms >= 900

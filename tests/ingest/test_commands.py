"""`manage.py add_feed` and `manage.py ingest`, run as an operator would."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from ingest.models import Article, Feed
from tests.factories import FeedFactory
from tests.ingest.feedbodies import RSS_TYPE, stories

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_add_feed_validates_and_says_what_it_added(httpserver, private_allowed):
    out, _ = run("add_feed", httpserver.url_for("/feed.xml"), "--title", "Loopback news")
    feed = Feed.objects.get()
    assert (
        out.strip() == f"Added feed #{feed.pk}: {httpserver.url_for('/feed.xml')} — Loopback news"
    )
    assert (feed.url, feed.title, feed.status) == (
        httpserver.url_for("/feed.xml"),
        "Loopback news",
        Feed.Status.OK,
    )


@pytest.mark.parametrize(
    "url, message",
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://example.com/", "only http:// and https://"),
        ("http://127.0.0.1/rss", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[fd00::1]/rss", "a private address"),
        ("https://no-such-host.invalid/rss", "cannot resolve host"),
    ],
)
def test_add_feed_refuses_unsafe_urls(settings, url, message):
    settings.RELWATCH_ALLOW_PRIVATE_FEEDS = False
    with pytest.raises(CommandError, match=message):
        run("add_feed", url)
    assert not Feed.objects.exists()


def test_add_feed_refuses_a_feed_it_already_polls(httpserver, private_allowed):
    feed = FeedFactory(url=httpserver.url_for("/feed.xml"))
    with pytest.raises(CommandError, match=f"already being polled \\(feed #{feed.pk}"):
        run("add_feed", httpserver.url_for("/feed.xml"))


def test_ingest_fetches_the_given_feeds_synchronously_and_sums_up(httpserver, private_allowed):
    good = FeedFactory(url=httpserver.url_for("/good.xml"))
    broken = FeedFactory(url=httpserver.url_for("/broken.xml"))
    untouched = FeedFactory(url=httpserver.url_for("/untouched.xml"))
    httpserver.expect_request("/good.xml").respond_with_data(stories(3), content_type=RSS_TYPE)
    httpserver.expect_request("/broken.xml").respond_with_data("oops", status=500)

    out, err = run("ingest", "--feed", str(good.pk), "--feed", str(broken.pk))

    assert out.splitlines() == [
        f"failed: feed #{broken.pk} {broken.url}: error: HTTP 500 INTERNAL SERVER ERROR",
        "feeds: 2, new: 3, duplicates: 0, not-modified: 0, failed: 1",
    ]
    # Not a terminal: no progress bar in the output.
    assert err == ""
    assert Article.objects.filter(feed=good).count() == 3
    assert Feed.objects.get(pk=broken.pk).last_error == "HTTP 500 INTERNAL SERVER ERROR"
    assert Feed.objects.get(pk=untouched.pk).last_checked_at is None


def test_ingest_without_arguments_fetches_the_due_feeds(httpserver, private_allowed):
    now = timezone.now()
    due = FeedFactory(
        url=httpserver.url_for("/due.xml"), next_check_at=now - dt.timedelta(minutes=1)
    )
    later = FeedFactory(
        url=httpserver.url_for("/later.xml"), next_check_at=now + dt.timedelta(hours=1)
    )
    httpserver.expect_request("/due.xml").respond_with_data(stories(2), content_type=RSS_TYPE)

    out, _ = run("ingest")

    assert out.startswith("feeds: 1, new: 2,")
    assert Feed.objects.get(pk=due.pk).last_checked_at is not None
    assert Feed.objects.get(pk=later.pk).last_checked_at is None


def test_ingest_all_fetches_every_pollable_feed_due_or_not(httpserver, private_allowed):
    later = FeedFactory(
        url=httpserver.url_for("/later.xml"),
        next_check_at=timezone.now() + dt.timedelta(hours=1),
        etag='"x"',
    )
    FeedFactory(url=httpserver.url_for("/gone.xml"), status=Feed.Status.GONE)
    httpserver.expect_request("/later.xml").respond_with_data("", status=304)

    out, _ = run("ingest", "--all")

    assert out.strip() == "feeds: 1, new: 0, duplicates: 0, not-modified: 1, failed: 0"
    assert Feed.objects.get(pk=later.pk).last_checked_at is not None


def test_ingest_refuses_unknown_feed_ids():
    with pytest.raises(CommandError, match="No feed with id 999999"):
        run("ingest", "--feed", "999999")


def test_ingest_refuses_feed_and_all_together():
    with pytest.raises(CommandError, match="either --feed or --all"):
        run("ingest", "--feed", "1", "--all")

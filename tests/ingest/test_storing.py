"""store_entries: de-duplication, updates in place, cross-feed duplicates, mentions, queries."""

import datetime as dt

import pytest

from ingest import storing
from ingest.models import Article, Mention
from ingest.parsing import ParsedEntry, parse_feed
from ingest.storing import StoreResult, store_entries
from tests.factories import ActorFactory, AliasFactory, FeedFactory

FETCHED_AT = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
PUBLISHED = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def entry(n=1, **changes) -> ParsedEntry:
    values = {
        "guid": f"urn:story:{n}",
        "url": f"https://news.example.com/story-{n}",
        "title": f"Story {n}",
        "summary": "Nothing about anyone.",
        "content": "<p>Body</p>",
        "author": "Reporter",
        "published_at": PUBLISHED,
        "published_raw": "Fri, 01 Mar 2024 09:00:00 GMT",
        "language": "en",
    }
    return ParsedEntry(**(values | changes))


@pytest.fixture
def feed():
    return FeedFactory(language="en")


@pytest.fixture
def actors():
    russia = ActorFactory(name="Russia", slug="russia", is_core=True)
    hamas = ActorFactory(name="Hamas", slug="hamas", is_core=True)
    lavrov = ActorFactory(name="Sergei Lavrov", slug="sergei-lavrov")
    AliasFactory(actor=lavrov, text="Lavrov")
    AliasFactory(actor=russia, text="Moscow")
    return {"russia": russia, "hamas": hamas, "lavrov": lavrov}


def test_new_entries_are_stored_with_their_fields(feed):
    result = store_entries(feed, [entry(1), entry(2)], fetched_at=FETCHED_AT)

    assert result == StoreResult(seen=2, new=2, updated=0, duplicates=0)
    article = Article.objects.get(feed=feed, guid="urn:story:1")
    assert article.url == "https://news.example.com/story-1"
    assert article.title == "Story 1"
    assert article.content == "<p>Body</p>"
    assert article.published_at == PUBLISHED
    assert article.published_raw == "Fri, 01 Mar 2024 09:00:00 GMT"
    assert article.fetched_at == FETCHED_AT
    assert article.language == "en"
    assert len(article.content_hash) == 64
    assert article.review_status == Article.ReviewStatus.NEW


def test_storing_the_same_entries_again_changes_nothing(feed):
    store_entries(feed, [entry(1), entry(2)], fetched_at=FETCHED_AT)
    before = list(Article.objects.values_list("id", "fetched_at", "content_hash"))

    result = store_entries(
        feed, [entry(1), entry(2)], fetched_at=FETCHED_AT + dt.timedelta(hours=1)
    )

    assert result == StoreResult(seen=2, new=0, updated=0, duplicates=0)
    assert list(Article.objects.values_list("id", "fetched_at", "content_hash")) == before


def test_a_changed_entry_is_updated_in_place(feed):
    store_entries(feed, [entry(1)], fetched_at=FETCHED_AT)
    article = Article.objects.get()
    article.review_status = Article.ReviewStatus.DISMISSED
    article.save()

    result = store_entries(
        feed, [entry(1, title="Story 1 (updated)")], fetched_at=FETCHED_AT + dt.timedelta(hours=1)
    )

    assert result == StoreResult(seen=1, new=0, updated=1, duplicates=0)
    updated = Article.objects.get()
    assert updated.pk == article.pk
    assert updated.title == "Story 1 (updated)"
    assert updated.content_hash != article.content_hash
    # What belongs to the article, not the feed's copy, stays.
    assert updated.review_status == Article.ReviewStatus.DISMISSED
    assert updated.fetched_at == FETCHED_AT


def test_an_update_of_an_undated_entry_keeps_its_first_date(feed):
    store_entries(
        feed, [entry(1, published_at=FETCHED_AT, published_raw="")], fetched_at=FETCHED_AT
    )
    later = FETCHED_AT + dt.timedelta(hours=3)

    store_entries(
        feed, [entry(1, title="edited", published_at=later, published_raw="")], fetched_at=later
    )

    assert Article.objects.get().published_at == FETCHED_AT


def test_a_guid_repeated_in_one_batch_is_stored_once(feed):
    result = store_entries(
        feed, [entry(1, title="First"), entry(1, title="Second")], fetched_at=FETCHED_AT
    )

    assert result.new == 1
    assert list(Article.objects.values_list("title", flat=True)) == ["First"]


def test_the_same_guid_in_two_feeds_is_two_articles(feed):
    other = FeedFactory()

    store_entries(feed, [entry(1, url="")], fetched_at=FETCHED_AT)
    store_entries(other, [entry(1, url="")], fetched_at=FETCHED_AT)

    assert Article.objects.filter(guid="urn:story:1").count() == 2


def test_a_story_from_another_feed_is_stored_again_as_a_duplicate_of_the_first(feed):
    first_feed, second_feed = feed, FeedFactory()
    store_entries(first_feed, [entry(1, guid="a-1")], fetched_at=FETCHED_AT)
    original = Article.objects.get()

    result = store_entries(second_feed, [entry(1, guid="b-77")], fetched_at=FETCHED_AT)
    third = store_entries(FeedFactory(), [entry(1, guid="c-5")], fetched_at=FETCHED_AT)

    assert result == StoreResult(seen=1, new=0, updated=0, duplicates=1)
    assert third.duplicates == 1
    duplicates = Article.objects.exclude(pk=original.pk)
    assert {article.duplicate_of_id for article in duplicates} == {original.pk}
    assert original.duplicates.count() == 2


def test_the_same_url_twice_in_one_feed_is_not_a_cross_feed_duplicate(feed):
    store_entries(feed, [entry(1, guid="x")], fetched_at=FETCHED_AT)

    result = store_entries(feed, [entry(1, guid="y")], fetched_at=FETCHED_AT)

    assert result.new == 1
    assert not Article.objects.filter(duplicate_of__isnull=False).exists()


def test_mentions_relevance_and_kind_are_stored(feed, actors):
    store_entries(
        feed,
        [entry(1, title="Lavrov met a Hamas delegation in Moscow", summary="Lavrov said more.")],
        fetched_at=FETCHED_AT,
    )

    article = Article.objects.get()
    mentions = {m.actor.slug: (m.count, m.alias) for m in article.mentions.select_related("actor")}
    assert mentions == {
        "sergei-lavrov": (2, "Lavrov"),
        "hamas": (1, "Hamas"),
        "russia": (1, "Moscow"),
    }
    assert article.candidate_kind == Article.CandidateKind.MEETING
    assert 0.5 < article.relevance < 1


def test_an_article_about_one_actor_has_relevance_but_no_candidate_kind(feed, actors):
    store_entries(feed, [entry(1, title="Hamas said nothing new")], fetched_at=FETCHED_AT)

    article = Article.objects.get()
    assert article.relevance > 0
    assert article.candidate_kind == ""


def test_mentions_are_replaced_when_an_article_changes(feed, actors):
    store_entries(feed, [entry(1, title="Lavrov met Hamas")], fetched_at=FETCHED_AT)

    store_entries(feed, [entry(1, title="Hamas alone")], fetched_at=FETCHED_AT)

    article = Article.objects.get()
    assert set(article.mentions.values_list("actor__slug", flat=True)) == {"hamas"}
    assert article.candidate_kind == ""


def test_mentions_of_an_unchanged_article_are_left_alone(feed, actors):
    store_entries(feed, [entry(1, title="Lavrov met Hamas")], fetched_at=FETCHED_AT)
    ids = set(Mention.objects.values_list("id", flat=True))

    store_entries(feed, [entry(1, title="Lavrov met Hamas")], fetched_at=FETCHED_AT)

    assert set(Mention.objects.values_list("id", flat=True)) == ids


def test_an_empty_batch_stores_nothing_and_queries_nothing(feed, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert store_entries(feed, [], fetched_at=FETCHED_AT) == StoreResult(0, 0, 0, 0)


def test_a_hundred_entries_take_a_fixed_number_of_queries(
    feed, actors, django_assert_max_num_queries
):
    other_feed = FeedFactory()
    store_entries(other_feed, [entry(n) for n in range(0, 100, 10)], fetched_at=FETCHED_AT)
    store_entries(feed, [entry(n, guid=f"mine-{n}") for n in range(50)], fetched_at=FETCHED_AT)
    batch = [
        entry(n, guid=f"mine-{n}", title=f"Lavrov met Hamas, take {n}" if n % 2 else f"Story {n}")
        for n in range(100)
    ]

    with django_assert_max_num_queries(8):
        result = store_entries(feed, batch, fetched_at=FETCHED_AT)

    assert result == StoreResult(seen=100, new=45, updated=25, duplicates=5)
    assert Article.objects.filter(feed=feed).count() == 100
    assert Mention.objects.filter(article__feed=feed).count() == 50 * 2


def test_long_entries_are_written_in_several_statements_and_all_kept(
    feed, actors, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(storing, "BATCH_TEXT_CHARS", 5_000)
    long_body = "<p>" + "Lavrov met Hamas in Moscow. " * 100 + "</p>"  # about 2,800 characters
    batch = [entry(n, title=f"Lavrov met Hamas, part {n}", content=long_body) for n in range(10)]

    with django_assert_max_num_queries(8 + 10):
        result = store_entries(feed, batch, fetched_at=FETCHED_AT)

    assert result == StoreResult(seen=10, new=10, updated=0, duplicates=0)
    stored = Article.objects.filter(feed=feed)
    assert stored.count() == 10
    assert {article.content for article in stored} == {long_body}
    assert Mention.objects.filter(article__feed=feed).count() == 10 * 2


def test_a_changed_long_entry_is_updated_across_batches(feed, monkeypatch):
    monkeypatch.setattr(storing, "BATCH_TEXT_CHARS", 5_000)
    store_entries(feed, [entry(n, content="x" * 3000) for n in range(4)], fetched_at=FETCHED_AT)

    result = store_entries(
        feed, [entry(n, content="y" * 3000) for n in range(4)], fetched_at=FETCHED_AT
    )

    assert (result.new, result.updated) == (0, 4)
    assert set(Article.objects.filter(feed=feed).values_list("content", flat=True)) == {"y" * 3000}


def test_parsed_real_bytes_round_trip_into_the_database(feed):
    body = """<?xml version="1.0" encoding="windows-1251"?>
<rss version="2.0"><channel><title>Лента</title><language>ru</language>
<item><title>Лавров &amp; делегация ХАМАС</title><link>https://ru.example.com/1?utm_source=rss</link>
<description>&lt;p&gt;Встреча в Москве&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Thu, 26 Oct 2023 10:00:00 +0300</pubDate></item>
<item><title>Без даты</title></item>
</channel></rss>""".encode("cp1251")
    parsed = parse_feed(
        body, content_type="text/xml", url=feed.url, fetched_at=FETCHED_AT, max_entries=200
    )

    store_entries(feed, parsed.entries, fetched_at=FETCHED_AT)

    dated = Article.objects.get(url="https://ru.example.com/1")
    assert dated.title == "Лавров & делегация ХАМАС"
    assert dated.summary == "Встреча в Москве"
    assert "script" not in dated.content
    assert dated.published_at == dt.datetime(2023, 10, 26, 7, 0, tzinfo=dt.UTC)
    assert dated.language == "ru"
    undated = Article.objects.get(title="Без даты")
    assert undated.guid.startswith("sha256:")
    assert undated.published_at == FETCHED_AT

    again = parse_feed(
        body,
        content_type="text/xml",
        url=feed.url,
        fetched_at=FETCHED_AT + dt.timedelta(hours=1),
        max_entries=200,
    )
    result = store_entries(feed, again.entries, fetched_at=FETCHED_AT + dt.timedelta(hours=1))
    assert (result.new, result.updated) == (0, 0)

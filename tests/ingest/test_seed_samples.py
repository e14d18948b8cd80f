import datetime as dt
import shutil
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from ingest.models import Article, Feed, Mention
from ingest.seeding import load_seeds
from relations.models import Actor
from relations.seeding import SeedError, default_seed_dir

SEEDS = default_seed_dir()


def sample_index() -> list[dict]:
    return yaml.safe_load((SEEDS / "samples/index.yaml").read_text(encoding="utf-8"))["samples"]


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def with_samples(db):
    return load_seeds(with_samples=True)


def test_the_default_feeds_cover_the_four_languages(db):
    report = load_seeds()
    assert report.tallies["feeds"].created >= 15
    languages = set(Feed.objects.values_list("language", flat=True))
    assert {"en", "ru", "he", "ar"} <= languages
    assert not Article.objects.exists()  # samples only on request
    assert all(feed.url.startswith("https://") for feed in Feed.objects.all())


def test_the_samples_import_articles_matched_to_actors(with_samples):
    samples = sample_index()
    assert len(samples) >= 3
    assert {sample["language"] for sample in samples} == {"en", "ru", "he", "ar"}
    for sample in samples:
        feed = Feed.objects.get(url=sample["url"])
        assert not feed.active, "a sample's feed is never polled"
        assert 8 <= feed.articles.count() <= 15, sample["file"]
    assert with_samples.tallies["articles"].created == Article.objects.count()

    moscow = Article.objects.get(title="Богданов принял делегацию ХАМАС в Москве")
    assert {"russia", "hamas", "mikhail-bogdanov"} <= set(
        moscow.actors.values_list("slug", flat=True)
    )
    assert moscow.candidate_kind == "meeting"
    assert moscow.published_at == dt.datetime(2023, 10, 26, 13, 20, tzinfo=dt.UTC)
    claim = Article.objects.get(title__startswith="Ukraine's intelligence chief claims")
    assert claim.candidate_kind == "allegation"
    # "Hamasaki" is not Hamas: the irrelevant items stay unmatched.
    singer = Article.objects.get(title__contains="Hamasaki")
    assert not singer.mentions.exists() and singer.candidate_kind == ""
    assert Mention.objects.filter(actor__slug="hamas", article__language="ar").exists()
    assert Mention.objects.filter(actor__slug="hamas", article__language="he").exists()


def test_a_second_load_with_samples_changes_nothing(with_samples):
    articles = sorted(Article.objects.values_list("id", "content_hash"))
    again = load_seeds(with_samples=True)
    assert not again.changed, again.lines()
    assert again.tallies["articles"].unchanged == len(articles)
    assert sorted(Article.objects.values_list("id", "content_hash")) == articles


def test_a_reload_keeps_the_schedulers_state_of_a_feed(db):
    load_seeds()
    feed = Feed.objects.get(url="https://www.timesofisrael.com/feed/")
    Feed.objects.filter(pk=feed.pk).update(etag='"abc"', status=Feed.Status.FAILING)
    report = load_seeds()
    feed.refresh_from_db()
    assert (feed.etag, feed.status) == ('"abc"', Feed.Status.FAILING)
    assert not report.changed


def test_a_feed_is_updated_in_place_by_url(db, seed_copy):
    load_seeds()
    feed = Feed.objects.get(url="https://www.timesofisrael.com/feed/")
    path = seed_copy / "feeds.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "    title: The Times of Israel\n", "    title: Times of Israel (front page)\n"
        ),
        encoding="utf-8",
    )
    report = load_seeds(seed_copy)
    assert Feed.objects.get(pk=feed.pk).title == "Times of Israel (front page)"
    assert report.tallies["feeds"].updated == 1


def test_a_sample_that_is_not_a_feed_stops_the_load_and_changes_nothing(db, seed_copy):
    (seed_copy / "samples/hadashot-he.atom.xml").write_text(
        "<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>",
        encoding="utf-8",
    )
    with pytest.raises(SeedError) as caught:
        load_seeds(seed_copy, with_samples=True)
    assert "hadashot-he.atom.xml" in str(caught.value)
    assert "not a feed" in str(caught.value)
    assert not Actor.objects.exists()
    assert not Feed.objects.exists()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            "url: https://www.timesofisrael.com/feed/",
            "url: file:///etc/passwd",
            "only http:// and https:// feeds",
        ),
        ("    poll_minutes: 60\n", "    poll_minutes: soon\n", "poll_minutes 'soon'"),
        ("    language: he\n", "    language: hebrew\n", "language: Value 'hebrew' is not a valid"),
    ],
)
def test_a_bad_feed_entry_names_the_problem_and_changes_nothing(db, seed_copy, old, new, reason):
    path = seed_copy / "feeds.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SeedError) as caught:
        load_seeds(seed_copy)
    assert "feeds.yaml" in str(caught.value) and reason in str(caught.value)
    assert not Feed.objects.exists() and not Actor.objects.exists()


def test_a_sample_is_never_filed_under_a_real_outlets_feed(db, seed_copy):
    index = seed_copy / "samples/index.yaml"
    index.write_text(
        index.read_text(encoding="utf-8").replace(
            "url: https://samples.relwatch.example/levant-wire/rss.xml",
            "url: https://www.timesofisrael.com/feed/",
        ),
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match="one of the real feeds"):
        load_seeds(seed_copy, with_samples=True)


def test_the_command_with_samples_reports_articles_then_no_changes(db):
    out = StringIO()
    call_command("load_seeds", "--with-samples", stdout=out)
    assert "articles: " in out.getvalue()
    assert f"articles: {Article.objects.count()} created" in out.getvalue()
    out = StringIO()
    call_command("load_seeds", "--with-samples", stdout=out)
    assert out.getvalue().rstrip().endswith("No changes.")


def test_the_command_names_a_missing_directory(db, tmp_path):
    with pytest.raises(CommandError, match="feeds.yaml.*does not exist"):
        call_command("load_seeds", dir=tmp_path / "nowhere")

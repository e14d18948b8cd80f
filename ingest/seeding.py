"""Load the default feeds (seeds/feeds.yaml) and, on request, the offline sample of feed
snapshots (seeds/samples/), on top of the actors and events that relations.seeding loads.

The samples go through the same parse-and-store path as a fetch (``import_snapshot``), so a
fresh dashboard has matched, classified articles without a network. Everything runs in one
transaction: a bad feed entry or an unreadable sample leaves the database as it was. Feeds
are matched by URL and, like every seed record, checked by their model and never deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from django.db import transaction

from ingest import pipeline
from ingest.fetching import UnsafeURL, validate_feed_url
from ingest.models import Feed
from ingest.parsing import NotAFeed
from relations.importing import Report, merge, refuse_repeats
from relations.seeding import SeedError, default_seed_dir, load_relations_seeds, records

FEEDS_FILE = "feeds.yaml"
SAMPLES_DIR = "samples"
SAMPLES_INDEX = "index.yaml"
DEFAULT_POLL_MINUTES = 30
FEED_FIELDS = {"url", "title", "site_url", "language", "poll_minutes", "active"}


# A feed to load: its fields (url first) and where the seeds give it, for errors.
FeedSpec = tuple[dict[str, Any], str]


@dataclass
class SampleSpec:
    path: Path
    feed: FeedSpec
    content_type: str
    where: str


def load_seeds(directory: Path | str | None = None, *, with_samples: bool = False) -> Report:
    """Load every seed file in ``directory`` (default: seeds/) in one transaction.

    Raises SeedError, having changed nothing, when any file or record is wrong.
    """
    directory = Path(directory) if directory else default_seed_dir()
    feed_specs = read_feeds(directory / FEEDS_FILE)
    index = directory / SAMPLES_DIR / SAMPLES_INDEX
    sample_specs = read_samples(index, feed_specs) if with_samples else []
    with transaction.atomic():
        report = load_relations_seeds(directory)
        apply_feeds(feed_specs, report)
        import_samples(sample_specs, report)
    return report


# --- feeds -----------------------------------------------------------------------------


def _feed(item: dict[str, Any]) -> FeedSpec:
    """A feed from a seed mapping (with its ``where``) naming only feed fields."""
    where = item.pop("where")
    unknown = sorted(set(item) - FEED_FIELDS, key=str)
    if unknown:
        raise SeedError(where, f"unknown field(s) {', '.join(map(str, unknown))}")
    url = item.pop("url", None)
    if not isinstance(url, str):
        raise SeedError(where, "url is required")
    try:
        # No DNS lookup while seeding (it may run offline); every fetch checks addresses again.
        url = validate_feed_url(url.strip(), resolve=False)
    except UnsafeURL as exc:
        raise SeedError(where, f"url {url!r} cannot be a feed: {exc}") from None
    minutes = item.pop("poll_minutes", DEFAULT_POLL_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
        raise SeedError(where, f"poll_minutes {minutes!r} must be a whole number from 1 to 10080")
    return {"url": url, **item, "poll_interval": dt.timedelta(minutes=minutes)}, where


def read_feeds(path: Path) -> list[FeedSpec]:
    specs = [_feed(item) for item, _ in records(path, "feeds", "feed", "url")]
    refuse_repeats((values["url"], where, f"url {values['url']!r}") for values, where in specs)
    return specs


def apply_feeds(specs: list[FeedSpec], report: Report) -> dict[str, Feed]:
    """Create or update feeds by URL. Only the fields the seeds name are written: the fetch
    state (ETag, status, next check) belongs to the scheduler."""
    urls = [values["url"] for values, _ in specs]
    rows = Feed.objects.filter(url__in=urls)
    merge(report, "feeds", Feed, specs, rows, identity=attrgetter("url"))
    return Feed.objects.in_bulk(urls, field_name="url")


# --- samples ---------------------------------------------------------------------------


def read_samples(path: Path, real_feeds: list[FeedSpec]) -> list[SampleSpec]:
    real = {values["url"] for values, _ in real_feeds}
    specs: list[SampleSpec] = []
    for item, _ in records(path, "samples", "sample", "file"):
        where = item["where"]
        name = item.pop("file", None)
        content_type = item.pop("content_type", None)
        if not isinstance(name, str) or not isinstance(content_type, str):
            raise SeedError(where, "file and content_type are required")
        sample_path = (path.parent / name).resolve()
        if sample_path.parent != path.parent.resolve():
            raise SeedError(where, f"file {name!r} must be a file name in {path.parent}")
        if not sample_path.is_file():
            raise SeedError(where, f"file {name!r} does not exist in {path.parent}")
        feed = _feed(item)
        # A sample is written for the project, so it must never be filed under a real
        # outlet's feed.
        if feed[0]["url"] in real:
            raise SeedError(
                where,
                f"the sample's feed url {feed[0]['url']!r} is one of the real feeds in "
                f"{FEEDS_FILE}; give the sample a feed of its own",
            )
        specs.append(SampleSpec(sample_path, feed, content_type, where))
    return specs


def import_samples(specs: list[SampleSpec], report: Report) -> None:
    feeds = apply_feeds([spec.feed for spec in specs], report)
    for spec in specs:
        body = spec.path.read_bytes()
        try:
            result = pipeline.import_snapshot(feeds[spec.feed[0]["url"]], body, spec.content_type)
        except NotAFeed as exc:
            raise SeedError(spec.where, f"not a feed: {exc}") from None
        created = result.new + result.duplicates
        report.count("articles", "created", created)
        report.count("articles", "updated", result.updated)
        report.count("articles", "unchanged", result.seen - created - result.updated)

"""Load the default feeds (seeds/feeds.yaml) and, on request, the offline sample of feed
snapshots (seeds/samples/), on top of the actors and events that relations.seeding loads.

The samples go through the same parse-and-store path as a fetch (``import_snapshot``), so a
fresh dashboard has matched, classified articles without a network. Everything runs in one
transaction: a bad feed entry or an unreadable sample leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from ingest import pipeline
from ingest.fetching import UnsafeURL, validate_feed_url
from ingest.models import Feed
from ingest.parsing import NotAFeed
from relations.models import Language
from relations.seeding import (
    Record,
    RecordReader,
    SeedError,
    SeedReport,
    _model_checks,
    database_refusals,
    default_seed_dir,
    load_relations_seeds,
    read_seed_file,
)

FEEDS_FILE = "feeds.yaml"
SAMPLES_DIR = "samples"
SAMPLES_INDEX = "index.yaml"
LANGUAGES = [code for code, _ in Language.choices]
DEFAULT_POLL_MINUTES = 30


@dataclass
class FeedSpec:
    url: str
    fields: dict[str, Any]
    label: str


@dataclass
class SampleSpec:
    path: Path
    feed: FeedSpec
    content_type: str
    label: str


def load_seeds(directory: Path | str | None = None, *, with_samples: bool = False) -> SeedReport:
    """Load every seed file in ``directory`` (default: seeds/) in one transaction.

    Raises SeedError, having changed nothing, when any file or record is wrong.
    """
    directory = Path(directory) if directory else default_seed_dir()
    feeds_path = directory / FEEDS_FILE
    feed_specs = parse_feeds(feeds_path, read_seed_file(feeds_path))
    sample_specs: list[SampleSpec] = []
    if with_samples:
        index_path = directory / SAMPLES_DIR / SAMPLES_INDEX
        sample_specs = parse_samples(index_path, read_seed_file(index_path))
        _check_sample_feeds_are_distinct(index_path, feed_specs, sample_specs)

    report = SeedReport()
    index_path = directory / SAMPLES_DIR / SAMPLES_INDEX
    with transaction.atomic():
        load_relations_seeds(directory, report)
        with database_refusals(feeds_path):
            apply_feeds(feeds_path, feed_specs, report)
        if with_samples:
            with database_refusals(index_path):
                import_samples(index_path, sample_specs, report)
    return report


# --- feeds -----------------------------------------------------------------------------


FEED_FIELDS = {"url", "title", "site_url", "language", "poll_minutes", "active"}
SAMPLE_FIELDS = {"file", "content_type"}


def _parse_feed(path: Path, record: Any, label: str) -> FeedSpec:
    reader = RecordReader(path, record, label)
    reader.only(FEED_FIELDS)
    url = reader.text("url", required=True)
    try:
        # No DNS lookup while seeding (it may run offline); every fetch checks addresses again.
        url = validate_feed_url(url, resolve=False)
    except UnsafeURL as exc:
        raise reader.error(f"url {url!r} cannot be a feed: {exc}") from None
    minutes = reader.get("poll_minutes", DEFAULT_POLL_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
        raise reader.error(f"poll_minutes {minutes!r} must be a whole number from 1 to 10080")
    fields = {
        "title": reader.text("title", required=True),
        "site_url": reader.text("site_url"),
        "language": reader.choice("language", LANGUAGES),
        "poll_interval": dt.timedelta(minutes=minutes),
        "active": reader.boolean("active", default=True),
    }
    return FeedSpec(url=url, fields=fields, label=f"feed {url!r}")


def parse_feeds(path: Path, data: Any) -> list[FeedSpec]:
    top = RecordReader(path, data, "top level", line=1)
    top.only({"feeds"})
    specs: list[FeedSpec] = []
    seen: set[str] = set()
    for index, record in enumerate(top.items("feeds"), start=1):
        spec = _parse_feed(path, record, f"feed #{index}")
        if spec.url in seen:
            raise SeedError(path, f"url {spec.url!r} is listed twice", record=spec.label)
        seen.add(spec.url)
        specs.append(spec)
    return specs


def apply_feeds(path: Path, specs: list[FeedSpec], report: SeedReport) -> dict[str, Feed]:
    """Create or update feeds by URL. Only the fields the seeds name are written: the fetch
    state (ETag, status, next check) belongs to the scheduler."""
    existing = {feed.url: feed for feed in Feed.objects.filter(url__in=[s.url for s in specs])}
    feeds: dict[str, Feed] = {}
    for spec in specs:
        feed = existing.get(spec.url)
        created = feed is None
        feed = feed or Feed(url=spec.url)
        changed = False
        for name, value in spec.fields.items():
            if getattr(feed, name) != value:
                setattr(feed, name, value)
                changed = True
        if changed or created:
            _model_checks(feed, path, spec.label)
            feed.save()
            report.count("feeds", "created" if created else "updated")
        else:
            report.count("feeds", "unchanged")
        feeds[spec.url] = feed
    return feeds


# --- samples ---------------------------------------------------------------------------


def parse_samples(path: Path, data: Any) -> list[SampleSpec]:
    top = RecordReader(path, data, "top level", line=1)
    top.only({"samples"})
    specs: list[SampleSpec] = []
    for index, record in enumerate(top.items("samples"), start=1):
        label = f"sample #{index}"
        if isinstance(record, dict) and isinstance(record.get("file"), str):
            label = f"sample {record['file']!r}"
        reader = RecordReader(path, record, label)
        reader.only(FEED_FIELDS | SAMPLE_FIELDS)
        name = reader.text("file", required=True)
        sample_path = (path.parent / name).resolve()
        if sample_path.parent != path.parent.resolve():
            raise reader.error(f"file {name!r} must be a file name in {path.parent}")
        if not sample_path.is_file():
            raise reader.error(f"file {name!r} does not exist in {path.parent}")
        content_type = reader.text("content_type", required=True)
        feed_record = Record({k: v for k, v in record.items() if k not in SAMPLE_FIELDS})
        feed_record.line = reader.line
        feed = _parse_feed(path, feed_record, label)
        specs.append(SampleSpec(sample_path, feed, content_type, label))
    return specs


def _check_sample_feeds_are_distinct(
    path: Path, feeds: list[FeedSpec], samples: list[SampleSpec]
) -> None:
    # A sample is written for the project, so it must never be filed under a real outlet's feed.
    real = {feed.url for feed in feeds}
    for sample in samples:
        if sample.feed.url in real:
            raise SeedError(
                path,
                f"the sample's feed url {sample.feed.url!r} is one of the real feeds in "
                f"{FEEDS_FILE}; give the sample a feed of its own",
                record=sample.label,
            )


def import_samples(path: Path, specs: list[SampleSpec], report: SeedReport) -> None:
    feeds = apply_feeds(path, [spec.feed for spec in specs], report)
    for spec in specs:
        body = spec.path.read_bytes()
        try:
            result = pipeline.import_snapshot(feeds[spec.feed.url], body, spec.content_type)
        except NotAFeed as exc:
            raise SeedError(spec.path, f"not a feed: {exc}", record=spec.label) from None
        created = result.new + result.duplicates
        report.count("articles", "created", created)
        report.count("articles", "updated", result.updated)
        report.count("articles", "unchanged", result.seen - created - result.updated)

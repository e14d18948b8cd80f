"""Synthetic data at scale, for benchmarks and load tests.

Rows are generated in batches and streamed into PostgreSQL with COPY, so memory stays flat
whatever the size: one million articles and 200,000 events load in minutes. Activity
follows a power law over actors (a few dominate, as in real news), and dates cluster in
bursts around a handful of crises, as real coverage does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from ingest.models import Article, Feed, Mention
from relations.analytics import rebuild_dyad_days
from relations.categories import DEFAULT_INTENSITY, Category
from relations.models import (
    Actor,
    Affiliation,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
)
from relations.search import refresh_search_vectors
from relwatch.caching import bump_data_version

SYNTHETIC_PREFIX = "synthetic-"
START = dt.date(2019, 1, 1)
END = dt.date(2026, 11, 1)
KINDS = [Event.Kind.STATEMENT, Event.Kind.MEETING, Event.Kind.ALLEGATION]
KIND_WEIGHTS = [0.5, 0.25, 0.25]
ACTOR_KINDS = [kind for kind, _ in Actor.Kind.choices]
VERBS = {
    Event.Kind.MEETING: ["meets", "hosts talks with", "holds a phone call with", "visits"],
    Event.Kind.STATEMENT: ["condemns", "praises", "calls on", "warns"],
    Event.Kind.ALLEGATION: ["accuses", "alleges arms deliveries by", "claims interference by"],
}
OUTLETS = ["Reuters", "AP", "TASS", "Times of Israel", "Al Jazeera", "BBC", "Haaretz", "AFP"]


@dataclass
class SyntheticCounts:
    actors: int = 0
    events: int = 0
    interactions: int = 0
    articles: int = 0
    mentions: int = 0


class CopyWriter:
    """Stream rows into one model's table with COPY, in batches, ids chosen by us.

    The columns are the model's own: a row names its values by field (``event_id``, the
    fields' attnames), and a field it leaves out takes the model's default (a callable one
    called once per writer), blank text or NULL, as Django would write it. So a field added
    to a model needs no change here unless it has to be given."""

    def __init__(self, model: type[Model], batch_size: int = 20_000):
        fields = model._meta.local_concrete_fields
        self.table = model._meta.db_table
        self.columns = [field.column for field in fields]
        self.names = [field.attname for field in fields]
        self.defaults = {
            field.attname: field.get_default()
            for field in fields
            if not field.primary_key
            and (field.has_default() or field.null or field.empty_strings_allowed)
        }
        self.batch_size = batch_size
        self.buffer = io.StringIO()
        self.pending = 0

    def add(self, **values) -> None:
        try:
            row = [
                values.pop(name) if name in values else self.defaults[name] for name in self.names
            ]
        except KeyError as missing:
            raise TypeError(f"{self.table}: give {missing.args[0]}, it has no default") from None
        if values:
            raise TypeError(f"{self.table} has no fields {sorted(values)}")
        self.buffer.write("\t".join(map(_copy_value, row)))
        self.buffer.write("\n")
        self.pending += 1
        if self.pending >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", self.buffer
            )
        self.buffer = io.StringIO()
        self.pending = 0


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _next_id(model: type[Model]) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequence(model: type[Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))",
            [table],
        )


class Generator:
    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.bursts = sorted(
            START + dt.timedelta(days=self.random.randrange((END - START).days)) for _ in range(40)
        )

    def day(self) -> dt.date:
        if self.random.random() < 0.5:
            centre = self.random.choice(self.bursts)
            offset = int(self.random.gauss(0, 6))
            day = centre + dt.timedelta(days=offset)
            return min(max(day, START), END)
        return START + dt.timedelta(days=self.random.randrange((END - START).days))

    def actor_weights(self, count: int) -> list[float]:
        # Zipf-like: the actor ranked r is active in proportion to r^-1.1.
        return [1 / math.pow(rank, 1.1) for rank in range(1, count + 1)]

    def pick_pair(self, actor_ids: list[int], cumulative: list[float]) -> tuple[int, int]:
        first, second = self.random.choices(actor_ids, cum_weights=cumulative, k=2)
        while second == first:
            second = self.random.choices(actor_ids, cum_weights=cumulative, k=1)[0]
        return first, second


def generate(
    *,
    actors: int,
    events: int,
    articles: int,
    seed: int = 1,
    feeds: int = 50,
    progress: Callable[[str, int], None] | None = None,
) -> SyntheticCounts:
    """Add synthetic actors, events (all kinds, with parts) and articles with mentions."""
    gen = Generator(seed)
    counts = SyntheticCounts()
    tick = progress or (lambda stage, n: None)
    with transaction.atomic():
        actor_ids = _actors(gen, actors, counts, tick)
        cumulative = list(_accumulate(gen.actor_weights(len(actor_ids))))
        first_event_id = _next_id(Event)
        _events(gen, events, actor_ids, cumulative, counts, tick)
        feed_ids = _feeds(feeds)
        _articles(gen, articles, actor_ids, cumulative, feed_ids, counts, tick)
        loaded = (Actor, Event, Participant, Interaction, Source, Article, Mention)
        for model in loaded:
            _reset_sequence(model)
        # Fresh statistics before the derived data is computed from them: planned on a
        # freshly created database's empty statistics, the per-day rebuild of 20,000 events
        # took minutes instead of seconds.
        _analyze(*loaded, Affiliation)
        # COPY sends no signals: bring the derived data (search vectors, per-day dyad
        # scores, cached page counts) up to date in one pass each.
        if events:
            tick("search index", 0)
            refresh_search_vectors(range(first_event_id, first_event_id + events))
            tick("dyad days", 0)
            rebuild_dyad_days()
    bump_data_version()
    return counts


def _analyze(*models) -> None:
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _accumulate(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def _actors(gen, count, counts, tick) -> list[int]:
    # Real actors first: the core triangle stays the most active, as on the real dashboard.
    existing = list(Actor.objects.order_by("-is_core", "id").values_list("id", flat=True))
    start = _next_id(Actor)
    now = timezone.now()
    writer = CopyWriter(Actor)
    new_ids = []
    for offset in range(count):
        actor_id = start + offset
        writer.add(
            id=actor_id,
            name=f"Synthetic actor {actor_id}",
            slug=f"{SYNTHETIC_PREFIX}{actor_id}",
            kind=gen.random.choice(ACTOR_KINDS),
            created_at=now,
            updated_at=now,
        )
        new_ids.append(actor_id)
        tick("actors", 1)
    writer.flush()
    counts.actors = count
    return existing + new_ids


def _events(gen, count, actor_ids, cumulative, counts, tick) -> None:
    now = timezone.now()
    event_id = _next_id(Event)
    part_id = _next_id(Participant)
    inter_id = _next_id(Interaction)
    source_id = _next_id(Source)
    events, meetings, statements, allegations, participants, interactions, sources = (
        CopyWriter(model)
        for model in (Event, Meeting, Statement, Allegation, Participant, Interaction, Source)
    )
    categories = list(Category)
    evidence = [status for status, _ in Allegation.EvidenceStatus.choices]
    for _ in range(count):
        kind = gen.random.choices(KINDS, weights=KIND_WEIGHTS)[0]
        first, second = gen.pick_pair(actor_ids, cumulative)
        if kind == Event.Kind.MEETING:
            category = Category.CONSULT
        elif kind == Event.Kind.ALLEGATION:
            category = Category.ACCUSE
        else:
            category = gen.random.choice(categories)
        verb = gen.random.choice(VERBS[kind])
        title = f"Actor {first} {verb} actor {second}"
        day = gen.day()
        status = "published" if gen.random.random() < 0.95 else "draft"
        summary = f"Synthetic {kind} between actors {first} and {second} on {day:%d %B %Y}."
        events.add(
            id=event_id,
            kind=kind,
            title=title,
            summary=summary,
            date=day,
            category=category,
            status=status,
            created_at=now,
            updated_at=now,
        )
        if kind == Event.Kind.MEETING:
            meetings.add(event_ptr_id=event_id, format=Meeting.Format.HOSTED)
            roles = ("host", "guest")
        elif kind == Event.Kind.STATEMENT:
            statements.add(
                event_ptr_id=event_id,
                speaker_id=first,
                quote=f"“{title}.”",
                original_language="en",
                channel=Statement.Channel.OFFICIAL_STATEMENT,
            )
            roles = ("speaker", "target")
        else:
            allegations.add(
                event_ptr_id=event_id,
                claimant_id=first,
                accused_id=second,
                claim=title,
                evidence_status=gen.random.choice(evidence),
            )
            roles = ("claimant", "accused")
        for actor_id, role in ((first, roles[0]), (second, roles[1])):
            participants.add(id=part_id, event_id=event_id, actor_id=actor_id, role=role)
            part_id += 1
        base = DEFAULT_INTENSITY[category]
        score = max(-10.0, min(10.0, round(base + gen.random.gauss(0, 1.5), 1)))
        interactions.add(
            id=inter_id, event_id=event_id, source_id=first, target_id=second, score=score
        )
        inter_id += 1
        counts.interactions += 1
        if kind == Event.Kind.MEETING:
            interactions.add(
                id=inter_id, event_id=event_id, source_id=second, target_id=first, score=score
            )
            inter_id += 1
            counts.interactions += 1
        outlet = gen.random.choice(OUTLETS)
        sources.add(
            id=source_id,
            event_id=event_id,
            url=f"https://news.example/{event_id}",
            outlet=outlet,
            title=title,
            published_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
            quote=title,
            language="en",
        )
        source_id += 1
        event_id += 1
        counts.events += 1
        tick("events", 1)
    for writer in (events, meetings, statements, allegations, participants, interactions, sources):
        writer.flush()


def _feeds(count: int) -> list[int]:
    feeds = [
        Feed(
            url=f"https://feeds.example/{SYNTHETIC_PREFIX}{index}.xml",
            title=f"Synthetic feed {index}",
            language="en",
            active=False,
        )
        for index in range(count)
    ]
    Feed.objects.bulk_create(feeds, ignore_conflicts=True)
    return list(
        Feed.objects.filter(
            url__startswith=f"https://feeds.example/{SYNTHETIC_PREFIX}"
        ).values_list("id", flat=True)[:count]
    )


def _articles(gen, count, actor_ids, cumulative, feed_ids, counts, tick) -> None:
    if not count:
        return
    now = timezone.now()
    article_id = _next_id(Article)
    mention_id = _next_id(Mention)
    articles, mentions = CopyWriter(Article), CopyWriter(Mention)
    kinds = ["meeting", "statement", "allegation"]
    for _ in range(count):
        first, second = gen.pick_pair(actor_ids, cumulative)
        two = gen.random.random() < 0.6
        day = gen.day()
        published = dt.datetime.combine(
            day, dt.time(gen.random.randrange(24), gen.random.randrange(60)), tzinfo=dt.UTC
        )
        title = f"Actor {first} and actor {second}: report {article_id}"
        digest = hashlib.sha256(title.encode()).hexdigest()
        articles.add(
            id=article_id,
            feed_id=gen.random.choice(feed_ids),
            guid=f"synthetic:{article_id}",
            url=f"https://news.example/a/{article_id}",
            title=title,
            summary=f"Summary of {title}.",
            published_at=published,
            fetched_at=now,
            language="en",
            content_hash=digest,
            relevance=round(gen.random.uniform(0.5, 5.0), 2),
            candidate_kind=gen.random.choice(kinds) if two else "",
        )
        mentions.add(
            id=mention_id,
            article_id=article_id,
            actor_id=first,
            count=gen.random.randint(1, 4),
            alias="synthetic",
        )
        mention_id += 1
        if two:
            mentions.add(id=mention_id, article_id=article_id, actor_id=second, alias="synthetic")
            mention_id += 1
            counts.mentions += 1
        counts.mentions += 1
        article_id += 1
        counts.articles += 1
        tick("articles", 1)
    articles.flush()
    mentions.flush()

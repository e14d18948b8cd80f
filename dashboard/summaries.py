"""Small read-only summaries the dashboard pages show: allegations by evidence status,
ingestion health, articles per day, an event's edit history. Each costs a fixed number of
queries however many rows there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, Max, Q, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from coding import layer
from coding.models import Story
from dashboard.pagination import CachedCountPaginator
from ingest.models import Article, Feed
from relations import analytics
from relations.models import Actor, Allegation, DyadDay, Event, Participant
from relwatch import caching


def relations_graph(*, as_json: bool = False, **options) -> dict | str:
    """``relations.analytics.relations_graph(**options)``, cached until the next change to
    events: a year of a large archive holds tens of thousands of per-day pair rows, and the
    graph of a window is asked for again and again (the relations page, the API).
    ``as_json``: its JSON text, for the API."""
    return caching.cached(
        "relations-graph",
        sorted(options.items()),
        lambda: analytics.relations_graph(**options),
        newest_of=Event,
        as_json=as_json,
    )


def dyad_series(a: Actor, b: Actor, *, as_json: bool = False, **options) -> dict | str:
    """``relations.analytics.dyad_series(a, b, **options)``, cached until the next change to
    events: the overview draws three pairs on every visit, and a pair's page and the API ask
    for the same series again and again. ``as_json``: its JSON text, for the API."""
    return caching.cached(
        "dyad-series",
        (a.pk, b.pk, sorted(options.items())),
        lambda: analytics.dyad_series(a, b, **options),
        newest_of=Event,
        as_json=as_json,
    )


def heatmap(*, since: dt.date | None, until: dt.date | None, rollup: bool) -> dict:
    """``relations.analytics.heatmap`` of the most active actors in a window, cached until
    the next change to events."""
    return caching.cached(
        "heatmap",
        (since, until, rollup),
        lambda: analytics.heatmap(since=since, until=until, rollup=rollup),
        newest_of=Event,
    )


def net_score(a: Actor, b: Actor, **options) -> dict:
    """``relations.analytics.net_score(a, b, **options)``, cached until the next change to
    events (``today`` is part of the key, so a new day computes it afresh)."""
    return caching.cached(
        "net-score",
        (a.pk, b.pk, sorted((key, str(value)) for key, value in options.items())),
        lambda: analytics.net_score(a, b, **options),
        newest_of=Event,
    )


# --- The machine-coded layer ------------------------------------------------------------------

# A review (accept, reject) changes a story without a new row: the layer's answers follow it
# within a minute, as page counts do. A new story shows at once (the table's newest id).
MACHINE_SECONDS = caching.COUNT_SECONDS


def _machine_cached(name: str, parts: object, compute):
    return caching.cached(
        f"machine-{name}", parts, compute, newest_of=Story, timeout=MACHINE_SECONDS
    )


def machine_dyad_series(a: Actor, b: Actor, **options) -> dict:
    """``coding.layer.dyad_series`` of the pair, cached."""
    return _machine_cached(
        "dyad-series",
        (a.pk, b.pk, sorted(options.items())),
        lambda: layer.dyad_series(a.pk, b.pk, **options),
    )


def machine_net_score(a: Actor, b: Actor, *, days: int, today: dt.date) -> dict:
    """``coding.layer.net_score`` of the pair over the last ``days`` days, cached."""
    return _machine_cached(
        "net-score",
        (a.pk, b.pk, days, today.isoformat()),
        lambda: layer.net_score(a.pk, b.pk, days=days, today=today),
    )


def machine_graph(*, since: dt.date | None, until: dt.date | None, limit: int) -> dict:
    """``coding.layer.graph_edges`` of a window, cached."""
    return _machine_cached(
        "graph",
        (since, until, limit),
        lambda: layer.graph_edges(since=since, until=until, limit=limit),
    )


def machine_chart_rows(stories, *, limit: int) -> list[dict]:
    """The newest ``limit`` of these stories as a timeline chart draws them (plain rows:
    the day, kind, pair's names, outlets and score). The chart that draws them is cached."""
    rows = stories.values_list(
        "id", "first_seen", "kind", "category", "source__name", "target__name", "outlet_count"
    )[:limit]

    return [
        {
            "id": story_id,
            "day": seen.astimezone(dt.UTC).date().isoformat(),
            "kind": kind,
            "category": category,
            "source": source,
            "target": target,
            "outlets": outlets,
            "score": layer.story_score(category),
        }
        for story_id, seen, kind, category, source, target, outlets in rows
    ]


def machine_rows(stories, *, limit: int):
    """The newest ``limit`` of these stories with their actors and best evidence sentence
    (``story.evidence``), and how many there are: a fixed number of queries."""
    page = CachedCountPaginator(
        stories.select_related("source", "target").only(
            "id",
            "first_seen",
            "kind",
            "category",
            "outlet_count",
            "article_count",
            "languages",
            "source__name",
            "source__slug",
            "target__name",
            "target__slug",
        ),
        limit,
    ).page(1)
    listed = list(page.object_list)
    evidence = layer.best_evidence(story.pk for story in listed)
    for story in listed:
        story.evidence = evidence.get(story.pk)
        story.score = layer.story_score(story.category)
    return {"count": page.paginator.count, "stories": listed}


def allegations_by_status(events) -> list[dict[str, Any]]:
    """Every evidence status, in the model's order, with how many of ``events`` are
    allegations in it (zero included, so the list reads the same every day).

    Counting them reads every allegation of the archive, so the counts are cached until
    the next change to events."""
    # Grouped straight from the events (one join to their allegation rows), not from
    # allegations filtered by a subquery of events: a seventh of the time over 50,000.
    allegations = (
        events.filter(kind=Event.Kind.ALLEGATION)
        .order_by()
        .values_list("allegation__evidence_status")
        .annotate(n=Count("pk"))
        .values_list("allegation__evidence_status", "n")
    )
    counts = caching.cached(
        "allegations-by-status",
        allegations.query.sql_with_params(),
        lambda: dict(allegations),
        newest_of=Event,
    )
    return [
        {"status": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Allegation.EvidenceStatus.choices
    ]


@dataclass
class IngestionHealth:
    feeds_by_status: dict[str, int] = field(default_factory=dict)
    articles_today: int = 0
    last_fetch: dt.datetime | None = None

    @property
    def feeds_ok(self) -> int:
        return self.feeds_by_status.get(Feed.Status.OK, 0)

    @property
    def feeds_failing(self) -> int:
        return self.feeds_by_status.get(Feed.Status.FAILING, 0)

    @property
    def feeds_retired(self) -> int:
        return self.feeds_by_status.get(Feed.Status.GONE, 0) + self.feeds_by_status.get(
            Feed.Status.DISABLED, 0
        )


def ingestion_health(now: dt.datetime | None = None) -> IngestionHealth:
    """Feeds per status, articles published since midnight (UTC), and the last fetch.

    "Today" counts by publication time, which has an index; the feed table is small, so the
    last fetch is read from it rather than from the much longer fetch log.
    """
    now = now or timezone.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    feeds = Feed.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    return IngestionHealth(
        feeds_by_status=dict(feeds),
        articles_today=Article.objects.filter(published_at__gte=midnight, published_at__lte=now)
        .order_by()
        .count(),
        last_fetch=Feed.objects.aggregate(last=Max("last_checked_at"))["last"],
    )


def articles_per_day(days: int = 30, today: dt.date | None = None) -> dict[str, Any]:
    """New articles per feed and day over the last ``days`` days: the day each was first
    fetched, which is what tells whether a feed still brings news (an old story found
    today counts today)."""
    today = today or timezone.now().date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    rows = (
        Article.objects.filter(fetched_at__gte=start)
        .annotate(day=TruncDate("fetched_at", tzinfo=dt.UTC))
        .values("day", "feed_id", "feed__title", "feed__url")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        "days": [first + dt.timedelta(days=offset) for offset in range(days)],
        "rows": [
            {
                "day": row["day"],
                "feed_id": row["feed_id"],
                "feed_title": row["feed__title"] or row["feed__url"],
                "count": row["count"],
            }
            for row in rows
        ],
    }


def feeds_with_counts(per_day: dict[str, Any]) -> list[Feed]:
    """Every feed, each with ``recent_articles``: its new articles in ``per_day``'s window
    (summed from those rows, so the articles table is read once)."""
    totals: dict[int, int] = {}
    for row in per_day["rows"]:
        totals[row["feed_id"]] = totals.get(row["feed_id"], 0) + row["count"]
    feeds = list(Feed.objects.order_by("status", "title", "url"))
    for feed in feeds:
        feed.recent_articles = totals.get(feed.pk, 0)
    return feeds


def counterparts(actor: Actor, *, rollup: bool, limit: int) -> list[dict[str, Any]]:
    """The actors ``actor`` has the most interactions with (either way, all time), with the
    net score and count, from the pre-aggregated DyadDay rows of this actor alone."""
    other = Case(When(source=actor, then=F("target_id")), default=F("source_id"))
    rows = (
        DyadDay.objects.filter(Q(source=actor) | Q(target=actor), rollup=rollup)
        .annotate(other=other)
        .values("other")
        .annotate(net_score=Sum("score_sum"), count=Sum("interaction_count"))
        .order_by("-count", "other")[:limit]
    )
    rows = list(rows)
    actors = Actor.objects.in_bulk([row["other"] for row in rows])
    return [
        {"actor": actors[row["other"]], "net_score": row["net_score"], "count": row["count"]}
        for row in rows
        if row["other"] in actors
    ]


def actor_names(events) -> dict[int, list[str]]:
    """The names of each event's participants, sorted, read in one query of two columns."""
    names: dict[int, set[str]] = {}
    rows = Participant.objects.filter(event__in=[event.pk for event in events]).values_list(
        "event_id", "actor__name"
    )
    for event_id, name in rows:
        names.setdefault(event_id, set()).add(name)
    return {event_id: sorted(found) for event_id, found in names.items()}


def latest_periods_start(points, minimum: int) -> str | None:
    """The first day of the earliest of the latest periods of a dyad series that together
    hold at least ``minimum`` events (the first period when they never do; None when there
    are no periods)."""
    total = 0
    for point in reversed(points):
        total += int(point.get("events") or 0)
        if total >= minimum:
            return point["period"]
    return points[0]["period"] if points else None


# --- Edit history -----------------------------------------------------------------------------


@dataclass
class Change:
    when: dt.datetime
    who: Any
    kind: str  # "created", "changed" or "deleted"
    fields: list[str]


@dataclass
class StatusChange:
    when: dt.datetime
    who: Any
    status: str
    label: str


def edit_history(records: list) -> list[Change]:
    """Oldest first: who created and changed the event, and which fields each edit touched.

    ``records`` are simple_history records of one event, newest first, as
    ``event.history.select_related("history_user")`` gives them.
    """
    ordered = list(reversed(records))
    changes: list[Change] = []
    # Each record beside the one before it (the first beside None); no records, no rows.
    for previous, record in zip([None, *ordered], ordered, strict=False):
        kind = {"+": "created", "~": "changed", "-": "deleted"}.get(record.history_type, "changed")
        fields: list[str] = []
        if previous is not None and kind == "changed":
            delta = record.diff_against(previous)
            fields = sorted(
                str(record.instance_type._meta.get_field(change.field).verbose_name)
                for change in delta.changes
            )
        changes.append(Change(record.history_date, record.history_user, kind, fields))
    return changes


def evidence_status_history(records: list) -> list[StatusChange]:
    """Oldest first: each time an allegation's evidence status was set or changed."""
    labels = dict(Allegation.EvidenceStatus.choices)
    steps: list[StatusChange] = []
    for record in reversed(records):
        status = getattr(record, "evidence_status", None)
        if status is None or (steps and steps[-1].status == status):
            continue
        steps.append(
            StatusChange(
                record.history_date, record.history_user, status, labels.get(status, status)
            )
        )
    return steps

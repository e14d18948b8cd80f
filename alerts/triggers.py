"""The four triggers: a new published event, a new machine-coded story with enough independent
outlets, a change of an allegation's evidence status, and a shift in a pair.

Each is a plain function, run by a Celery task after the commit that caused it
(alerts.signals) and again by the beat's sweep as a safety net; each may run any number of
times: a notification is one row per (watchlist, thing), inserted ``ON CONFLICT DO NOTHING``
(alerts.matching). Only published events and allegations trigger anything, so a draft never
reaches a reader who may not see it; stories reach only owners allowed to see stories.

The shift rule, in the manner of ACLED's early-warning rules: a pair's net score over the last
7 days (both ways, from DyadDay) set against the mean week of the 4 weeks before, and of the
52 weeks before where the pair's series reaches that far. A shift is a departure from both
means, the same way, by more than the watchlist's threshold (DEFAULT_SHIFT_THRESHOLD score
points unless its owner sets another). It is told once per ISO week and direction.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils import timezone

from alerts import matching
from alerts.models import EVIDENCE_LABELS, Publication, Watchlist
from alerts.saved import UnreadableFilters, read_saved_url
from coding.models import ReviewStatus, Story
from relations import analytics
from relations.models import Actor, Allegation, Event

logger = logging.getLogger(__name__)

# How far back the sweep looks for what a lost task may have missed.
SWEEP_WINDOW = dt.timedelta(days=2)
SHIFT_EVENTS_SHOWN = 20
STORY_VIEW_PERMISSION = "coding.view_story"
# The backend that holds permissions (axes, the other one, only counts failed logins).
PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _event_summary(event: Event) -> str:
    actors = ", ".join(sorted({p.actor.name for p in event.participants.select_related("actor")}))
    parts = [event.get_kind_display(), event.date.isoformat(), actors]
    return " · ".join(part for part in parts if part)


def notify_new_event(event_id: int) -> list[int]:
    """Tell every matching watchlist of a published event; the watchlists newly told."""
    event = Event.objects.filter(pk=event_id, status=Event.Status.PUBLISHED).first()
    if event is None:
        return []
    Publication.objects.bulk_create(
        [Publication(event=event, published_at=timezone.now())], ignore_conflicts=True
    )
    published_at = Publication.objects.get(event=event).published_at
    statuses = []
    if event.kind == Event.Kind.ALLEGATION:
        statuses = [Allegation.objects.get(pk=event.pk).evidence_status]
    told = matching.notify_event_matches(
        event.pk,
        trigger="event",
        key=f"event:{event.pk}",
        title=event.title,
        body=_event_summary(event),
        data={"url": event.get_absolute_url()},
        happened_at=published_at,
        statuses=statuses,
    )
    Publication.objects.filter(event=event).update(matched_at=timezone.now())
    return told


# An allegation's history records with the status before each one, from the record before it
# (which may lie before the window).
_EVIDENCE_CHANGES = """
SELECT h.history_id, h.id, h.evidence_status, h.history_date, prev.evidence_status
FROM {table} h
CROSS JOIN LATERAL (
    SELECT p.evidence_status, p.status FROM {table} p
    WHERE p.id = h.id AND (p.history_date, p.history_id) < (h.history_date, h.history_id)
    ORDER BY p.history_date DESC, p.history_id DESC LIMIT 1
) prev
JOIN relations_event e ON e.id = h.id AND e.status = 'published'
WHERE h.history_date >= %(since)s AND h.status = 'published'
  AND prev.status = 'published' AND prev.evidence_status <> h.evidence_status {only}
ORDER BY h.history_date, h.history_id
"""


def notify_evidence_changes(
    allegation_id: int | None = None, *, since: dt.datetime | None = None
) -> list[int]:
    """Tell the watchlists matching a published allegation of each change of its evidence
    status (one notification per change: its history record); all allegations when no id."""
    since = since or timezone.now() - SWEEP_WINDOW
    params: dict = {"since": since}
    only = ""
    if allegation_id is not None:
        only = "AND h.id = %(allegation)s"
        params["allegation"] = allegation_id
    table = Allegation.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(_EVIDENCE_CHANGES.format(table=table, only=only), params)
        changes = cursor.fetchall()
    told: set[int] = set()
    for history_id, event_id, status, changed_at, previous in changes:
        event = Event.objects.get(pk=event_id)
        old, new = EVIDENCE_LABELS.get(previous, previous), EVIDENCE_LABELS.get(status, status)
        told.update(
            matching.notify_event_matches(
                event_id,
                trigger="evidence",
                key=f"evidence:{history_id}",
                title=f"Evidence {old.lower()} → {new.lower()}: {event.title}",
                body=_event_summary(event),
                data={"url": event.get_absolute_url(), "from": previous, "to": status},
                happened_at=changed_at,
                statuses=[previous, status],
                flag="on_evidence",
            )
        )
    return sorted(told)


def notify_story(story_id: int) -> list[int]:
    """Tell the watchlists matching a machine-coded story of it once it has as many
    independent outlets as each asks for."""
    story = Story.objects.select_related("source", "target").filter(pk=story_id).first()
    if story is None or story.status == ReviewStatus.REJECTED:
        return []
    owners = list(
        get_user_model()
        .objects.with_perm(STORY_VIEW_PERMISSION, backend=PERMISSION_BACKEND)
        .values_list("pk", flat=True)
    )
    if not owners:
        return []
    return matching.notify_story_matches(
        story.pk,
        key=f"story:{story.pk}",
        title=(
            f"Machine-coded story: {story.source.name} → {story.target.name}, "
            f"{story.get_category_display()} ({story.outlet_count} outlets)"
        ),
        body=f"{story.get_kind_display()} · first seen {story.first_seen:%Y-%m-%d}",
        data={"outlets": story.outlet_count, "articles": story.article_count},
        happened_at=story.last_seen,
        owner_ids=owners,
    )


def _shift_key(today: dt.date, direction: str) -> str:
    year, week, _ = today.isocalendar()
    return f"shift:{year}-W{week:02d}:{direction}"


def notify_shifts(
    pairs: list[tuple[int, int]] | None = None, *, today: dt.date | None = None
) -> list[int]:
    """Tell pair watchlists of a shift in their pair (all watched pairs, or these)."""
    today = today or timezone.localdate()
    week_start = today - dt.timedelta(days=6)
    told: set[int] = set()
    for low, high, rollup, week, month_mean, year_mean in matching.pair_shifts(today, pairs):
        actors = Actor.objects.in_bulk([low, high])
        if len(actors) < 2:
            continue
        a, b = actors[low], actors[high]
        direction = "up" if week > month_mean else "down"
        events = list(
            analytics.events_between(
                a, b, period_start=week_start, period_end=today, rollup=rollup
            ).values_list("pk", "title", "date")[:SHIFT_EVENTS_SHOWN]
        )
        usual = f"{month_mean:+.1f} a week over the previous 4 weeks"
        if year_mean is not None:
            usual += f", {year_mean:+.1f} over the previous year"
        told.update(
            matching.notify_shift(
                low,
                high,
                rollup,
                week=week,
                month_mean=month_mean,
                year_mean=year_mean,
                key=_shift_key(today, direction),
                title=(
                    f"{a.name} ↔ {b.name}: relations "
                    f"{'improved' if direction == 'up' else 'deteriorated'} "
                    f"(net {week:+.1f} in 7 days)"
                ),
                body=f"Net score {week:+.1f} from {week_start} to {today}; usually {usual}.",
                data={
                    "direction": direction,
                    "net": round(week, 3),
                    "usual_4_weeks": round(month_mean, 3),
                    "usual_year": None if year_mean is None else round(year_mean, 3),
                    "since": week_start.isoformat(),
                    "until": today.isoformat(),
                    "events": [
                        {"id": pk, "title": title, "date": date.isoformat()}
                        for pk, title, date in events
                    ],
                },
                event_id=events[0][0] if events else None,
            )
        )
    return sorted(told)


def revalidate_watchlists(
    actor_ids: list[int] | None = None, *, watchlist_ids: list[int] | None = None
) -> list[int]:
    """Read each watchlist's saved page again (those naming these actors, these watchlists,
    or all): one whose filters no longer read (an actor deleted or renamed) is paused with
    the reason, one that reads differently (an actor's new slug taken by another) takes the
    new columns. Returns the watchlists it paused."""
    watchlists = Watchlist.objects.all()
    if watchlist_ids is not None:
        watchlists = watchlists.filter(pk__in=watchlist_ids)
    if actor_ids is not None:
        watchlists = watchlists.filter(
            Q(actor_ids__overlap=actor_ids)
            | Q(pair_low__in=actor_ids)
            | Q(pair_high__in=actor_ids)
            | Q(scope=Watchlist.Scope.PAIR, pair_low__isnull=True)
            | Q(scope=Watchlist.Scope.PAIR, pair_high__isnull=True)
        )
    paused = []
    for watchlist in watchlists.iterator():
        try:
            columns = read_saved_url(watchlist.saved_url).columns()
        except UnreadableFilters as exc:
            reason = f"{exc} Change the watched page or delete this watchlist."
            if not watchlist.paused or watchlist.paused_reason != reason:
                Watchlist.objects.filter(pk=watchlist.pk).update(paused=True, paused_reason=reason)
                paused.append(watchlist.pk)
            continue
        Watchlist.objects.filter(pk=watchlist.pk).update(**columns)
    return paused


def dangling_watchlists() -> list[int]:
    """Active watchlists naming an actor that no longer exists (deleted without the signal
    reaching us: a raw SQL delete, a lost task)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.id FROM alerts_watchlist w
            WHERE NOT w.paused AND (
                EXISTS (SELECT 1 FROM unnest(w.actor_ids) AS named(id)
                        WHERE NOT EXISTS (SELECT 1 FROM relations_actor a WHERE a.id = named.id))
                OR (w.scope = 'pair' AND (w.pair_low_id IS NULL OR w.pair_high_id IS NULL)))
            """
        )
        return [row[0] for row in cursor.fetchall()]


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """The safety net the beat runs: whatever a lost task would have told, told now."""
    now = now or timezone.now()
    since = now - SWEEP_WINDOW
    counts = {"events": 0, "evidence": 0, "stories": 0, "shifts": 0}
    dangling = dangling_watchlists()
    counts["paused"] = len(revalidate_watchlists(watchlist_ids=dangling)) if dangling else 0
    # Published lately and never matched: a lost task's, or one written without signals.
    missed = Event.objects.filter(
        Q(publication__isnull=True) | Q(publication__matched_at__isnull=True),
        status=Event.Status.PUBLISHED,
        updated_at__gte=since,
    )
    for event_id in missed.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            counts["events"] += len(notify_new_event(event_id))
    counts["evidence"] = len(notify_evidence_changes(since=since))
    fewest = Watchlist.objects.filter(on_story=True, paused=False).aggregate(
        fewest=Min("story_min_outlets")
    )["fewest"]
    if fewest is not None:
        stories = Story.objects.filter(last_seen__gte=since, outlet_count__gte=fewest)
        for story_id in stories.values_list("pk", flat=True):
            counts["stories"] += len(notify_story(story_id))
    counts["shifts"] = len(notify_shifts(today=now.date()))
    return counts

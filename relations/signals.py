"""Keep the derived data (DyadDay rows, search vectors, the data version that keys cached
charts and counts: relwatch.caching) current when the domain changes.

Handlers only note what changed; the recomputation runs once per transaction, after it
commits (``transaction.on_commit``), so an admin save with a dozen inlines refreshes each
affected day once, from the final state. Connected in RelationsConfig.ready().
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from relations import analytics, search
from relations.models import (
    Action,
    Actor,
    Affiliation,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Source,
    Statement,
)
from relwatch.caching import bump_data_version

EVENT_CLASSES = (Event, Meeting, Statement, Allegation, Action)


@dataclass
class PendingRefresh:
    days: set[dt.date] = field(default_factory=set)
    dyad_events: set[int] = field(default_factory=set)
    affiliation_actors: set[int] = field(default_factory=set)
    search_events: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.days or self.dyad_events or self.affiliation_actors or self.search_events)


def _pending() -> PendingRefresh:
    """The changes noted on this connection and not yet refreshed.

    Each note also registers a flush; the first flush after a commit takes everything, the
    others find nothing. A flush lost with a rolled-back savepoint costs nothing: what it
    would have refreshed waits for the next commit.
    """
    conn = transaction.get_connection()
    pending = getattr(conn, "relwatch_pending_refresh", None)
    if pending is None:
        pending = conn.relwatch_pending_refresh = PendingRefresh()
    # robust: the change itself is committed; a failed refresh is logged, not a 500.
    transaction.on_commit(flush_pending, robust=True)
    return pending


def flush_pending() -> None:
    conn = transaction.get_connection()
    pending = getattr(conn, "relwatch_pending_refresh", None)
    if not pending:
        return
    conn.relwatch_pending_refresh = PendingRefresh()
    try:
        with transaction.atomic():
            days = set(pending.days) | set(analytics.event_days(pending.dyad_events))
            affiliation_days = set(
                analytics.days_affected_by_affiliations(pending.affiliation_actors)
            )
            analytics.refresh_dyad_days(days)
            analytics.refresh_dyad_days(affiliation_days - days, rollup_only=True)
            search.refresh_search_vectors(pending.search_events)
    except Exception:
        # Keep the work for the next commit rather than lose it.
        retry = conn.relwatch_pending_refresh
        retry.days |= pending.days
        retry.dyad_events |= pending.dyad_events
        retry.affiliation_actors |= pending.affiliation_actors
        retry.search_events |= pending.search_events
        raise
    bump_data_version()


def refresh_after_commit(*, event_ids=(), days=()) -> None:
    """For code that changes events without signals (QuerySet.update, bulk_create): refresh
    these events' dyad days and search vectors after the commit."""
    pending = _pending()
    pending.days.update(days)
    pending.dyad_events.update(event_ids)
    pending.search_events.update(event_ids)


def note_event_before_save(sender, instance: Event, raw=False, **kwargs) -> None:
    # The day an event leaves must be refreshed too when its date changes.
    if raw or instance.pk is None:
        return
    old = Event.objects.filter(pk=instance.pk).values_list("date", flat=True).first()
    if old is not None and old != instance.date:
        _pending().days.add(old)


def note_event_saved(sender, instance: Event, raw=False, **kwargs) -> None:
    pending = _pending()
    pending.days.add(instance.date)
    pending.search_events.add(instance.pk)


def note_event_deleted(sender, instance: Event, **kwargs) -> None:
    _pending().days.add(instance.date)


def note_interaction_changed(sender, instance: Interaction, **kwargs) -> None:
    _pending().dyad_events.add(instance.event_id)


def note_source_changed(sender, instance: Source, **kwargs) -> None:
    _pending().search_events.add(instance.event_id)


def note_affiliation_before_save(sender, instance: Affiliation, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    old = Affiliation.objects.filter(pk=instance.pk).values_list("actor_id", flat=True).first()
    if old is not None and old != instance.actor_id:
        _pending().affiliation_actors.add(old)


def note_affiliation_changed(sender, instance: Affiliation, **kwargs) -> None:
    _pending().affiliation_actors.add(instance.actor_id)


def note_actor_before_save(sender, instance: Actor, raw=False, **kwargs) -> None:
    # Only persons and government bodies roll up: a change of kind changes the roll-up.
    if raw or instance.pk is None:
        return
    old = Actor.objects.filter(pk=instance.pk).values_list("kind", flat=True).first()
    if old is not None and old != instance.kind:
        _pending().affiliation_actors.add(instance.pk)


def note_actor_changed(sender, instance: Actor, raw=False, **kwargs) -> None:
    # Cached charts show actors' names, slugs and colours: a renamed actor must show at once.
    if not raw:
        transaction.on_commit(bump_data_version, robust=True)


def connect() -> None:
    uid = "relations.signals"
    for event_class in EVENT_CLASSES:
        pre_save.connect(note_event_before_save, sender=event_class, dispatch_uid=f"{uid}.pre")
        post_save.connect(note_event_saved, sender=event_class, dispatch_uid=f"{uid}.save")
        post_delete.connect(note_event_deleted, sender=event_class, dispatch_uid=f"{uid}.del")
    post_save.connect(note_interaction_changed, sender=Interaction, dispatch_uid=uid)
    post_delete.connect(note_interaction_changed, sender=Interaction, dispatch_uid=uid)
    post_save.connect(note_source_changed, sender=Source, dispatch_uid=uid)
    post_delete.connect(note_source_changed, sender=Source, dispatch_uid=uid)
    pre_save.connect(note_affiliation_before_save, sender=Affiliation, dispatch_uid=uid)
    post_save.connect(note_affiliation_changed, sender=Affiliation, dispatch_uid=uid)
    post_delete.connect(note_affiliation_changed, sender=Affiliation, dispatch_uid=uid)
    pre_save.connect(note_actor_before_save, sender=Actor, dispatch_uid=uid)
    post_save.connect(note_actor_changed, sender=Actor, dispatch_uid=uid)
    post_delete.connect(note_actor_changed, sender=Actor, dispatch_uid=uid)

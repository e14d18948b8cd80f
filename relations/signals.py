"""Keep the derived data (DyadDay rows, search vectors, the data version that keys cached
charts and counts) current when the domain changes.

Handlers only note what changed; the recomputation runs once per transaction, after it
commits (``transaction.on_commit``), so an admin save with a dozen inlines refreshes each
affected day once, from the final state. Connected in RelationsConfig.ready().
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from asgiref.local import Local
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import Max
from django.db.models.signals import post_delete, post_save, pre_save

from relations import analytics, search
from relations.models import (
    Actor,
    Affiliation,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Source,
    Statement,
)

EVENT_CLASSES = (Event, Meeting, Statement, Allegation)
DATA_VERSION_KEY = "relations:data-version"
logger = logging.getLogger(__name__)


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


# What one web request has read of the data version and the like: a page asks for a dozen
# cached summaries, and each would read the version from Redis again. Set for the length of a
# request (request_started to request_finished) only; None elsewhere (tasks, commands).
_request = Local()


def request_memo() -> dict | None:
    """The current request's memo of derived-cache keys, or None outside a request."""
    return getattr(_request, "memo", None)


def _start_request_memo(**kwargs) -> None:
    _request.memo = {}


def _end_request_memo(**kwargs) -> None:
    _request.memo = None


def data_version() -> str:
    """Changes whenever events, their parts or affiliations change (after the commit), so
    caches of anything derived from them can key on it. "" when the cache is unreachable.
    Read once per web request."""
    memo = request_memo()
    if memo is not None and "data_version" in memo:
        return memo["data_version"]
    try:
        version = cache.get_or_set(DATA_VERSION_KEY, _new_version, timeout=None) or ""
    except Exception:  # a cache outage must not break reads
        logger.warning("cache unreachable while reading the data version", exc_info=True)
        return ""
    if memo is not None:
        memo["data_version"] = version
    return version


def newest_id(model) -> int | None:
    """The table's highest id, a cheap index lookup that keys derived caches next to the
    data version (rows added without signals, by a bulk load or ingestion, change it).
    Read once per web request."""
    memo = request_memo()
    key = f"newest:{model._meta.label}"
    if memo is not None and key in memo:
        return memo[key]
    newest = model._base_manager.aggregate(newest=Max("pk"))["newest"]
    if memo is not None:
        memo[key] = newest
    return newest


def bump_data_version() -> None:
    memo = request_memo()
    if memo is not None:
        memo.clear()  # what this request read before the change is stale now
    try:
        cache.set(DATA_VERSION_KEY, _new_version(), timeout=None)
    except Exception:
        logger.warning("cache unreachable: derived caches may lag until they expire")


def _new_version() -> str:
    return uuid.uuid4().hex


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
    request_started.connect(_start_request_memo, dispatch_uid=uid)
    request_finished.connect(_end_request_memo, dispatch_uid=uid)
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

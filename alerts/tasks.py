"""Celery tasks: thin wrappers that take ids and call alerts.triggers and alerts.delivery.

Every task may run twice (late acknowledgement, a second beat, the sweep behind a lost
message): notifications are unique per watchlist and thing, and a delivery is sent under a
row lock and never again once sent.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from alerts import delivery, triggers

logger = logging.getLogger(__name__)


def _enqueue_deliveries(delivery_ids) -> None:
    for delivery_id in delivery_ids:
        try:
            send_delivery.delay(delivery_id)
        except Exception:
            # The beat's "deliver due alerts" picks it up.
            logger.exception("could not enqueue delivery %s", delivery_id)


def _deliver(watchlist_ids) -> None:
    _enqueue_deliveries(delivery.plan(watchlist_ids))


@shared_task(name="alerts.tasks.event_published")
def event_published(event_id: int) -> int:
    """A published event: tell the watchlists it matches, and check the pairs for a shift."""
    told = set(triggers.notify_new_event(event_id))
    told.update(triggers.notify_shifts())
    _deliver(told)
    return len(told)


@shared_task(name="alerts.tasks.evidence_changed")
def evidence_changed(allegation_id: int) -> int:
    told = triggers.notify_evidence_changes(allegation_id)
    _deliver(told)
    return len(told)


@shared_task(name="alerts.tasks.story_changed")
def story_changed(story_id: int) -> int:
    told = triggers.notify_story(story_id)
    _deliver(told)
    return len(told)


@shared_task(name="alerts.tasks.stories_changed")
def stories_changed(story_ids: list[int]) -> int:
    """Stories the coding stage wrote in bulk, told as story_changed tells one, with one
    delivery plan for all of them."""
    told = {watchlist for story_id in story_ids for watchlist in triggers.notify_story(story_id)}
    _deliver(told)
    return len(told)


@shared_task(name="alerts.tasks.actors_changed")
def actors_changed(actor_ids: list[int]) -> int:
    """Actors deleted or renamed: pause the watchlists whose saved pages no longer read."""
    return len(triggers.revalidate_watchlists(actor_ids))


@shared_task(
    name="alerts.tasks.send_delivery",
    bind=True,
)
def send_delivery(self, delivery_id: int) -> str:
    status = delivery.send_delivery(delivery_id)
    if status == "retrying":
        # Backoff as the delivery recorded it; the beat's sweep re-sends it should this
        # message be lost.
        wait = delivery.retry_seconds(delivery.Delivery.objects.get(pk=delivery_id).attempts)
        send_delivery.apply_async((delivery_id,), countdown=wait)
    return status


@shared_task(name="alerts.tasks.sweep")
def sweep() -> dict:
    """Run by beat every minute: what lost tasks missed, the pairs' shifts, due retries."""
    counts = triggers.sweep()
    _deliver(delivery.watchlists_with_unsent())
    due = delivery.due_deliveries()
    _enqueue_deliveries(due)
    counts["due"] = len(due)
    return counts


@shared_task(name="alerts.tasks.send_digests")
def send_digests(frequency: str) -> int:
    """Run by beat: "daily" every morning, "weekly" on Monday mornings."""
    planned = delivery.plan(delivery.watchlists_with_unsent(frequency), digest=frequency)
    _enqueue_deliveries(planned)
    return len(planned)


@shared_task(name="alerts.tasks.send_monthly_briefs")
def send_monthly_briefs() -> int:
    """Run by beat on the first of the month: last month's brief to those who asked."""
    first = timezone.localdate().replace(day=1)
    month = (first - dt.timedelta(days=1)).replace(day=1)
    planned = delivery.plan_briefs(month)
    _enqueue_deliveries(planned)
    return len(planned)

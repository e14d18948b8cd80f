"""Celery tasks: thin wrappers that take ids and call the pipeline.

Both are acknowledged late, so a task whose worker dies is delivered again; both are
idempotent (the fan-out marks the feeds it enqueues, a fetch stores entries once per GUID).
"""

from __future__ import annotations

import logging

from celery import shared_task

from ingest import pipeline, scheduling

logger = logging.getLogger(__name__)

# Time limits, late acknowledgement, redelivery on a lost worker and ignored results are the
# app's defaults for every task (CELERY_TASK_* in relwatch/settings.py), written once there.


@shared_task(name="ingest.tasks.poll_due_feeds")
def poll_due_feeds() -> int:
    """Enqueue one fetch per due feed (run by beat every minute). Returns how many."""
    enqueued = 0
    for feed_id in scheduling.mark_due_feeds_enqueued():
        try:
            fetch_feed.delay(feed_id)
        except Exception:
            # One failed publish (a broker hiccup) must not stop the rest; the feed comes due
            # again one poll interval later.
            logger.exception("could not enqueue feed %s", feed_id)
        else:
            enqueued += 1
    return enqueued


@shared_task(
    name="ingest.tasks.fetch_feed",
    bind=True,
    # The database restarting mid-fetch: try again under the same task id, which may take
    # back the claim it still holds, with a jittered backoff of 1, 2, 4 ... 60 s.
    autoretry_for=pipeline.DATABASE_UNAVAILABLE,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=8,
)
def fetch_feed(self, feed_id: int) -> str:
    """Fetch one feed; the outcome, or "skipped" when another fetch holds it."""
    log = pipeline.fetch_feed(feed_id, claim_token=self.request.id)
    return log.outcome if log is not None else "skipped"

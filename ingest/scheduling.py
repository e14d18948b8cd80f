"""When a feed is fetched next, and who may fetch it now.

Two mechanisms keep fetches from overlapping:

* ``mark_due_feeds_enqueued`` (the beat's fan-out) pushes ``next_check_at`` one poll interval
  forward in the same statement that picks the due feeds, with ``SKIP LOCKED``; a second beat
  running at the same moment neither waits nor picks the same feeds.
* ``claim_feed`` (the worker) takes a lease on the feed with a conditional UPDATE. A lease
  expires on its own, so a worker that died mid-fetch does not hold the feed forever; and the
  same token (the Celery task id) may take it again at once, so a task that the broker delivers
  again after its worker was killed can finish the job without waiting for the lease.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import random

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ingest.models import Feed

MAX_BACKOFF = dt.timedelta(hours=24)
# A server may ask for a pause; past a week it is more likely a broken header than a plan.
MAX_RETRY_AFTER = dt.timedelta(days=7)
# Backoff is multiplied by a random factor in this range, so feeds that failed together (one
# host down) do not all come back in the same minute.
JITTER = (0.8, 1.0)
POLLABLE_STATUSES = (Feed.Status.OK, Feed.Status.FAILING)


def claim_lease() -> dt.timedelta:
    """Longer than a fetch task may ever run (its hard time limit), so a live fetch never
    loses its claim; short enough that a dead worker's claim is gone within minutes."""
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def pollable_feeds() -> QuerySet[Feed]:
    """Feeds the scheduler may fetch at all: gone and disabled ones are never polled."""
    return Feed.objects.filter(active=True, status__in=POLLABLE_STATUSES)


def due_feeds(now: dt.datetime | None = None) -> QuerySet[Feed]:
    now = now or timezone.now()
    return (
        pollable_feeds()
        .filter(next_check_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_check_at", "id")
    )


def mark_due_feeds_enqueued(now: dt.datetime | None = None, *, limit: int = 1000) -> list[int]:
    """Pick the due feeds and move each one's next check a poll interval ahead, atomically.

    The fetch sets the real next check when it runs; if the task is lost, the feed simply
    comes due again an interval later."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            due_feeds(now)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Feed.objects.filter(id__in=ids).update(next_check_at=now + F("poll_interval"))
    return ids


def claim_feed(feed_id: int, token: str, *, now: dt.datetime | None = None) -> bool:
    """Take the feed for one fetch; False when someone else holds it or it is not pollable."""
    with connection.cursor() as cursor:
        cursor.execute(claim_sql(), claim_params(feed_id, token, now or timezone.now()))
        return cursor.fetchone() is not None


@functools.cache
def claim_sql() -> str:
    """The claim, the one place its rule is written: an active, pollable feed whose claim is
    free, expired or already this token's takes a lease for the token. An UPDATE returning the
    claimed feed's columns (no row: not claimed), so that the pipeline claims and reads a
    feed in one statement, or claims the next feed inside the statement recording the last
    fetch. Parameters: ``claim_params``."""
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in Feed._meta.concrete_fields}
    statuses = ", ".join(["%s"] * len(POLLABLE_STATUSES))
    return (
        f"UPDATE {quote(Feed._meta.db_table)} "
        f"SET {column['claimed_until']} = %s, {column['claimed_by']} = %s "
        f"WHERE {column['id']} = %s AND {column['active']} "
        f"AND {column['status']} IN ({statuses}) "
        f"AND ({column['claimed_until']} IS NULL OR {column['claimed_until']} < %s "
        f"OR {column['claimed_by']} = %s) "
        f"RETURNING {', '.join(column[field.name] for field in Feed._meta.concrete_fields)}"
    )


def claim_params(feed_id: int, token: str, now: dt.datetime) -> list:
    """The parameters of ``claim_sql`` for one feed and token at ``now``."""
    return [now + claim_lease(), token, feed_id, *POLLABLE_STATUSES, now, token]


def release_claim(feed_id: int, token: str) -> None:
    Feed.objects.filter(id=feed_id, claimed_by=token).update(claimed_until=None, claimed_by="")


def backoff_delay(
    poll_interval: dt.timedelta, failures: int, *, rng: random.Random | None = None
) -> dt.timedelta:
    """Poll interval doubled per consecutive failure, capped at 24 h, then jittered down."""
    failures = max(failures, 1)
    # Cap the exponent first: 2**failures for a feed failing for months would overflow.
    delay = min(poll_interval * (2 ** min(failures, 20)), MAX_BACKOFF)
    return delay * (rng or random).uniform(*JITTER)


def retry_after(value: str, now: dt.datetime) -> dt.datetime | None:
    """The time a Retry-After header (seconds or an HTTP date) points to; None if unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        moment = now + dt.timedelta(seconds=int(value[:9]))
    else:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    return min(max(moment, now), now + MAX_RETRY_AFTER)


def next_check_after_success(feed: Feed, now: dt.datetime) -> dt.datetime:
    return now + feed.poll_interval


def next_check_after_failure(
    feed: Feed, failures: int, now: dt.datetime, *, not_before: dt.datetime | None = None
) -> dt.datetime:
    """Backoff from the poll interval; never sooner than a server-given Retry-After."""
    moment = now + backoff_delay(feed.poll_interval, failures)
    if not_before is not None:
        moment = max(moment, not_before)
    return moment

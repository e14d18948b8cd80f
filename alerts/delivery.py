"""Delivery: notifications gathered into deliveries (a mail, a webhook POST, a monthly brief)
and each delivery sent once, retried with backoff until it goes or gives up.

Two steps, each safe to repeat:

1. ``plan``: under a lock on the watchlist's row, the notifications no delivery of that
   channel carries yet are attached to a new Delivery (at once for immediate mail and
   webhooks; by the beat's daily or weekly run for digests). Two planners never take the
   same notification.
2. ``send_delivery``: under a lock on the delivery's row (``NOWAIT``: a second worker finds it
   busy and leaves it), send, then record the outcome in the same transaction. A sent
   delivery is never sent again; a failed one is retried after RETRY_SECONDS × 2^(attempts−1)
   (capped at an hour) until MAX_ATTEMPTS, then marked failed with the reason, which the
   owner reads in the delivery log (and, for a webhook, on the watchlist's page).

What stays possible, as with any mail or HTTP delivery, is a crash between the remote side
accepting and the commit: the retry then sends again, with the same Message-ID and
``Relwatch-Delivery`` id, so the receiver can tell it is a repeat.

Notifications are shown as they stand at sending time: one whose event went back to draft is
left out for an owner who may not see drafts (relations.visibility).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from alerts import webhooks
from alerts.models import BriefSubscription, Delivery, Notification, Watchlist
from relations.models import Event
from relations.visibility import can_see_drafts

logger = logging.getLogger(__name__)

MAX_PER_DELIVERY = 200
MAX_RETRY_SECONDS = 3600
LOCK_NOT_AVAILABLE = "55P03"


def max_attempts() -> int:
    return int(settings.ALERTS_MAX_ATTEMPTS)


def retry_seconds(attempts: int) -> float:
    base = float(settings.ALERTS_RETRY_SECONDS)
    return min(base * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- planning ------------------------------------------------------------------------------

_CARRIER = {Delivery.Channel.EMAIL: "email_delivery", Delivery.Channel.WEBHOOK: "webhook_delivery"}


def _plan(watchlist: Watchlist, channel: str, recipient: str) -> Delivery | None:
    """Attach the watchlist's unsent notifications of ``channel`` to a new delivery (the
    caller holds the watchlist's row lock)."""
    carrier = _CARRIER[channel]
    pending = Notification.objects.filter(watchlist=watchlist, **{f"{carrier}__isnull": True})
    ids = list(pending.order_by("created_at", "id").values_list("pk", flat=True)[:MAX_PER_DELIVERY])
    if not ids:
        return None
    delivery = Delivery.objects.create(
        owner_id=watchlist.owner_id,
        watchlist=watchlist,
        channel=channel,
        recipient=recipient,
        next_attempt_at=timezone.now(),
    )
    Notification.objects.filter(pk__in=ids).update(**{carrier: delivery})
    return delivery


def plan(watchlist_ids, *, digest: str | None = None) -> list[int]:
    """New deliveries for these watchlists: immediate mail and webhooks, or (``digest`` =
    "daily" or "weekly") the digests of that frequency. Returns the deliveries' ids."""
    planned = []
    for watchlist_id in sorted(set(watchlist_ids)):
        with transaction.atomic():
            watchlist = (
                Watchlist.objects.select_for_update(of=("self",))
                .select_related("owner")
                .filter(pk=watchlist_id, paused=False)
                .first()
            )
            if watchlist is None:
                continue
            wanted_mail = digest or Watchlist.EmailFrequency.IMMEDIATE
            if watchlist.email == wanted_mail and watchlist.owner.email:
                delivery = _plan(watchlist, Delivery.Channel.EMAIL, watchlist.owner.email)
                if delivery:
                    planned.append(delivery.pk)
            if digest is None and watchlist.webhook_url:
                delivery = _plan(watchlist, Delivery.Channel.WEBHOOK, watchlist.webhook_url)
                if delivery:
                    planned.append(delivery.pk)
    return planned


def watchlists_with_unsent(digest: str | None = None) -> list[int]:
    """Watchlists with notifications their mail (of this frequency) or webhook has not
    carried yet: the beat plans these, so nothing waits on a lost task."""
    mail = Q(
        email=digest or Watchlist.EmailFrequency.IMMEDIATE,
        notifications__email_delivery__isnull=True,
    ) & ~Q(owner__email="")
    webhook = Q(notifications__webhook_delivery__isnull=True) & ~Q(webhook_url="")
    wanted = mail if digest else mail | webhook
    return list(
        Watchlist.objects.filter(wanted, paused=False).values_list("pk", flat=True).distinct()
    )


def plan_briefs(month: dt.date) -> list[int]:
    """One brief delivery for ``month`` per subscribed owner with an address (once, however
    often this runs: a unique constraint); the ids of those not sent yet."""
    subscriptions = BriefSubscription.objects.select_related("owner").exclude(owner__email="")
    Delivery.objects.bulk_create(
        [
            Delivery(
                owner=subscription.owner,
                channel=Delivery.Channel.BRIEF,
                month=month,
                recipient=subscription.owner.email,
                next_attempt_at=timezone.now(),
            )
            for subscription in subscriptions
        ],
        ignore_conflicts=True,
    )
    return list(
        Delivery.objects.filter(
            channel=Delivery.Channel.BRIEF,
            month=month,
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
        ).values_list("pk", flat=True)
    )


def due_deliveries(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status__in=[Delivery.Status.PENDING, Delivery.Status.RETRYING],
            next_attempt_at__lte=now,
        ).values_list("pk", flat=True)
    )


# --- what a delivery carries ---------------------------------------------------------------


def visible_notifications(delivery: Delivery) -> list[Notification]:
    carrier = _CARRIER[delivery.channel]
    notifications = Notification.objects.filter(**{carrier: delivery}).select_related("event")
    return visible_to(delivery.owner, notifications)


def visible_to(owner, notifications) -> list[Notification]:
    """The notifications ``owner`` may read now: none about an event that is a draft again
    (unless they see drafts) or that is gone."""
    drafts_ok = can_see_drafts(owner)
    kept = []
    for notification in notifications:
        event = notification.event
        if notification.trigger in ("event", "evidence") and event is None:
            continue
        if event is not None and event.status != Event.Status.PUBLISHED and not drafts_ok:
            continue
        kept.append(notification)
    return kept


def notification_json(notification: Notification) -> dict:
    url = notification.data.get("url")
    return {
        "id": notification.pk,
        "trigger": notification.trigger,
        "title": notification.title,
        "summary": notification.body,
        "url": site_url(url) if url else None,
        "created_at": notification.created_at.isoformat(),
        "data": notification.data,
    }


def webhook_body(delivery: Delivery, notifications: list[Notification]) -> bytes:
    watchlist = delivery.watchlist
    payload = {
        "delivery": delivery.pk,
        "watchlist": {
            "id": watchlist.pk,
            "name": watchlist.name,
            "url": site_url(watchlist.get_absolute_url()),
        },
        "notifications": [notification_json(n) for n in notifications],
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _mail_subject(watchlist: Watchlist, notifications: list[Notification]) -> str:
    digest = {"daily": "Daily digest", "weekly": "Weekly digest"}.get(watchlist.email)
    if digest:
        return f"[Relwatch] {digest}: {watchlist.name} ({len(notifications)})"
    if len(notifications) == 1:
        return f"[Relwatch] {watchlist.name}: {notifications[0].title}"[:300]
    return f"[Relwatch] {watchlist.name}: {len(notifications)} new alerts"


def _message_id(delivery: Delivery) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "relwatch"
    return f"<relwatch-delivery-{delivery.pk}@{domain}>"


def _send_mail(delivery: Delivery, subject: str, text: str, html: str | None) -> None:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers={"Message-ID": _message_id(delivery)},
        connection=get_connection(fail_silently=False),
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


class DeliveryError(Exception):
    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


def _send(delivery: Delivery) -> bool:
    """Send the delivery; False when nothing is left to send. Raises DeliveryError."""
    if delivery.channel == Delivery.Channel.BRIEF:
        from alerts import brief

        subject, text, html = brief.brief_email(delivery.month, base_url=settings.SITE_URL)
        return _mail_or_error(delivery, subject, text, html)
    notifications = visible_notifications(delivery)
    if not notifications:
        return False
    watchlist = delivery.watchlist
    if delivery.channel == Delivery.Channel.WEBHOOK:
        try:
            webhooks.post(
                delivery.recipient,
                webhook_body(delivery, notifications),
                secret=watchlist.webhook_secret,
                delivery_id=delivery.pk,
            )
        except webhooks.WebhookError as exc:
            raise DeliveryError(str(exc), http_status=exc.http_status) from None
        return True
    context = {
        "watchlist": watchlist,
        "notifications": [
            {"notification": n, "url": site_url(n.data["url"]) if n.data.get("url") else ""}
            for n in notifications
        ],
        "watchlist_url": site_url(watchlist.get_absolute_url()),
    }
    text = render_to_string("alerts/email/notifications.txt", context)
    html = render_to_string("alerts/email/notifications.html", context)
    return _mail_or_error(delivery, _mail_subject(watchlist, notifications), text, html)


def _mail_or_error(delivery: Delivery, subject: str, text: str, html: str | None) -> bool:
    try:
        _send_mail(delivery, subject, text, html)
    except smtplib.SMTPResponseException as exc:
        reason = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise DeliveryError(f"the mail server refused: {exc.smtp_code} {reason}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"the mail server is unreachable: {exc}") from None
    return True


def send_delivery(delivery_id: int) -> str:
    """Send one delivery if it is due; its status afterwards, or "busy" when another worker
    holds it."""
    try:
        with transaction.atomic():
            return _send_locked(delivery_id)
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) == LOCK_NOT_AVAILABLE:
            return "busy"
        raise


def _send_locked(delivery_id: int) -> str:
    delivery = (
        Delivery.objects.select_for_update(nowait=True, of=("self",))
        .select_related("owner", "watchlist")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "gone"
    if delivery.status not in (Delivery.Status.PENDING, Delivery.Status.RETRYING):
        return delivery.status
    now = timezone.now()
    delivery.attempts += 1
    try:
        sent = _send(delivery)
    except DeliveryError as exc:
        delivery.last_error = str(exc)
        delivery.http_status = exc.http_status
        if delivery.attempts >= max_attempts():
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
            _note_webhook_problem(delivery, f"{exc} (gave up after {delivery.attempts} attempts)")
        else:
            delivery.status = Delivery.Status.RETRYING
            delivery.next_attempt_at = now + dt.timedelta(seconds=retry_seconds(delivery.attempts))
        delivery.save()
        logger.warning("delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, exc)
        return delivery.status
    delivery.status = Delivery.Status.SENT if sent else Delivery.Status.WITHDRAWN
    delivery.sent_at = now if sent else None
    delivery.next_attempt_at = None
    delivery.last_error = ""
    delivery.save()
    if sent:
        _note_webhook_problem(delivery, "")
    return delivery.status


def _note_webhook_problem(delivery: Delivery, problem: str) -> None:
    if delivery.channel == Delivery.Channel.WEBHOOK and delivery.watchlist_id:
        Watchlist.objects.filter(pk=delivery.watchlist_id).update(webhook_problem=problem)

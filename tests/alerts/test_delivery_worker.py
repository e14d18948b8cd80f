"""Real Celery workers and beat deliver alerts: an editor's publication reaches the owner's
mailbox (a real SMTP server) and webhook receiver once, through a refusing mail server, a
mail server that is down until later, a lost task (the beat's sweep finds it), and two
workers handed the same event six times.

Subprocesses against this run's database and Redis; their settings (tests.alerts.
worker_settings) only shorten the retry delay."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from werkzeug import Response

from alerts import tasks, triggers
from alerts.forms import create_watchlist
from alerts.models import Delivery, Notification, Watchlist
from relwatch.config import cache_location
from tests.alerts.support import publish_event, signature_ok
from tests.faults.services import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver(feed_server):
    """The webhook receiver: keeps the delivery ids of the POSTs whose signature checks."""
    received: list[str] = []
    lock = threading.Lock()
    feed_server.secret = ""

    def receive(request):
        if not signature_ok(
            feed_server.secret, request.headers["Relwatch-Signature"], request.get_data()
        ):
            return Response("bad signature", status=401)
        with lock:
            received.append(request.headers["Relwatch-Delivery"])
        return Response("ok")

    feed_server.expect_request("/hook", method="POST").respond_with_handler(receive)
    feed_server.received = received
    return feed_server


@pytest.fixture
def watched(owner, russia, israel, receiver):
    watchlist = create_watchlist(owner, "/relations/russia/israel/")
    Watchlist.objects.filter(pk=watchlist.pk).update(webhook_url=receiver.url_for("/hook"))
    receiver.secret = watchlist.webhook_secret
    return watchlist


def _sent(channel: str) -> int:
    return Delivery.objects.filter(channel=channel, status="sent").count()


def test_a_publication_reaches_mail_and_webhook_once_through_a_refusing_server(
    start_celery, env, mailbox, receiver, watched, russia, israel
):
    mailbox.handler.refuse = 2
    start_celery("worker", env, "--pool=solo")

    event = publish_event(russia, israel, title="Putin hosts Herzog")  # commits: the signal fires

    wait_for(lambda: _sent("email") == 1 and _sent("webhook") == 1, "mail and webhook sent")
    assert mailbox.handler.refused == 2
    assert len(mailbox.messages) == 1
    assert "Putin hosts Herzog" in mailbox.subjects()[0]
    assert len(receiver.received) == 1
    assert Notification.objects.get().event_id == event.pk
    assert Delivery.objects.get(channel="email").attempts == 3


@pytest.fixture
def fast_sweep(transactional_db):
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name="alerts sweep",
        defaults={"task": tasks.sweep.name, "interval": every, "enabled": True},
    )


def test_the_beat_delivers_what_a_lost_task_left_once_the_mail_server_is_back(
    start_celery, env, mailbox, receiver, watched, fast_sweep, russia, israel
):
    mailbox.stop()
    # Told, but never planned nor sent: as if the task's message had been lost.
    event = publish_event(russia, israel, title="Lost meeting")
    triggers.notify_new_event(event.pk)
    start_celery("worker", env, "--pool=solo")
    start_celery("beat", env)

    wait_for(lambda: _sent("webhook") == 1, "the sweep to send the webhook")
    wait_for(
        lambda: Delivery.objects.filter(channel="email", attempts__gte=2).exists(),
        "the mail to be tried while the server is down",
    )
    mailbox.start()
    wait_for(lambda: _sent("email") == 1, "the mail to go once the server is back")
    wait_for(lambda: len(mailbox.messages) >= 1, "the mail to arrive")
    assert len(mailbox.messages) == 1
    assert "Lost meeting" in mailbox.subjects()[0]
    assert len(receiver.received) == 1


def test_two_workers_given_the_same_event_six_times_tell_it_once(
    start_celery, env, mailbox, receiver, watched, russia, israel
):
    start_celery("worker", env, "--pool=solo")
    start_celery("worker", env, "--pool=solo")
    event = publish_event(russia, israel, title="Twice sent meeting")
    for _ in range(6):
        tasks.event_published.delay(event.pk)

    wait_for(lambda: _sent("email") == 1 and _sent("webhook") == 1, "mail and webhook sent")
    wait_for(
        lambda: not redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL)).llen("celery"),
        "the queue to drain",
    )
    assert Notification.objects.count() == 1
    assert Delivery.objects.count() == 2
    assert len(mailbox.messages) == 1
    assert len(receiver.received) == 1

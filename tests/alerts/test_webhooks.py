"""Webhooks against a real HTTP receiver that checks the signature: signed once per delivery,
and every fault bounded — a hanging endpoint, a 500, a redirect to a private address, a 50 MB
answer, a private address without the switch — retried, then marked failing with the reason
the owner reads."""

from __future__ import annotations

import json
import threading
import time

import pytest
from werkzeug import Response

from alerts import delivery, triggers, webhooks
from alerts.forms import create_watchlist
from alerts.models import Delivery, Watchlist
from tests.alerts.support import publish_event, signature_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(owner, russia, israel, feed_server):
    """A watchlist that posts to the test receiver (and sends no mail)."""
    watchlist = create_watchlist(owner, "/actors/russia/")
    Watchlist.objects.filter(pk=watchlist.pk).update(
        email="off", webhook_url=feed_server.url_for("/hook")
    )
    watchlist.refresh_from_db()
    return watchlist


def _planned(russia, israel, **fields) -> int:
    [planned] = delivery.plan(triggers.notify_new_event(publish_event(russia, israel, **fields).pk))
    return planned


def test_a_signed_post_reaches_the_receiver_once(
    private_allowed, hooked, feed_server, russia, israel
):
    received = []

    def receive(request):
        body = request.get_data()
        assert signature_ok(hooked.webhook_secret, request.headers[webhooks.SIGNATURE_HEADER], body)
        received.append((request.headers[webhooks.DELIVERY_HEADER], json.loads(body)))
        return Response("ok")

    feed_server.expect_request("/hook", method="POST").respond_with_handler(receive)
    planned = _planned(russia, israel, title="Hook meeting")

    assert delivery.send_delivery(planned) == "sent"
    assert delivery.send_delivery(planned) == "sent"
    [(delivery_id, payload)] = received
    assert delivery_id == str(planned)
    assert payload["watchlist"]["id"] == hooked.pk
    [notification] = payload["notifications"]
    assert notification["title"] == "Hook meeting"
    assert notification["url"].startswith("http://127.0.0.1:8000/events/")


def test_a_signature_is_refused_when_forged_or_replayed():
    body = b'{"x":1}'
    header = webhooks.sign("secret", int(time.time()), body)
    assert webhooks.verify_signature("secret", header, body)
    assert not webhooks.verify_signature("other", header, body)
    assert not webhooks.verify_signature("secret", header, b'{"x":2}')
    old = webhooks.sign("secret", int(time.time()) - 3600, body)
    assert not webhooks.verify_signature("secret", old, body)
    assert not webhooks.verify_signature("secret", "garbage", body)


def test_a_500_is_retried_then_marked_failing_for_the_owner(
    private_allowed, fast_retries, client, owner, hooked, feed_server, russia, israel
):
    feed_server.expect_request("/hook").respond_with_data("database down", status=500)
    planned = _planned(russia, israel)

    assert [delivery.send_delivery(planned) for _ in range(3)] == ["retrying", "retrying", "failed"]
    failed = Delivery.objects.get(pk=planned)
    assert (failed.http_status, failed.attempts) == (500, 3)
    assert "HTTP 500" in failed.last_error and "database down" in failed.last_error
    client.force_login(owner)
    page = client.get(f"/watch/{hooked.pk}/").content.decode()
    assert "The webhook is failing: HTTP 500" in page
    assert "HTTP 500" in client.get(f"/watch/{hooked.pk}/deliveries/").content.decode()


def test_a_success_clears_the_failing_mark(
    private_allowed, fast_retries, hooked, feed_server, russia, israel
):
    Watchlist.objects.filter(pk=hooked.pk).update(webhook_problem="HTTP 500 (gave up)")
    feed_server.expect_request("/hook").respond_with_data("ok")
    delivery.send_delivery(_planned(russia, israel))
    hooked.refresh_from_db()
    assert hooked.webhook_problem == ""


def test_a_hanging_endpoint_is_cut_at_the_deadline(
    private_allowed, settings, hooked, feed_server, russia, israel
):
    settings.ALERTS_WEBHOOK_TIMEOUT = 1
    release = threading.Event()

    def hang(request):
        release.wait(30)
        return Response("late")

    feed_server.expect_request("/hook").respond_with_handler(hang)
    planned = _planned(russia, israel)
    try:
        assert delivery.send_delivery(planned) == "retrying"
    finally:
        release.set()
    assert "no answer within 1 s" in Delivery.objects.get(pk=planned).last_error


def test_a_redirect_to_a_private_address_is_not_followed(
    private_allowed, hooked, feed_server, russia, israel
):
    feed_server.expect_request("/hook").respond_with_data(
        "", status=307, headers={"Location": "http://10.0.0.1/admin"}
    )
    planned = _planned(russia, israel)
    assert delivery.send_delivery(planned) == "retrying"
    failed = Delivery.objects.get(pk=planned)
    assert failed.http_status == 307
    assert "redirects to http://10.0.0.1/admin" in failed.last_error


def test_a_50_mb_answer_is_cut_at_the_byte_limit(
    private_allowed, hooked, feed_server, russia, israel
):
    sent = []

    def flood():
        for _ in range(50 * 16):
            sent.append(64 * 1024)
            yield b"x" * (64 * 1024)

    feed_server.expect_request("/hook").respond_with_handler(
        lambda request: Response(flood(), content_type="text/plain")
    )
    planned = _planned(russia, israel)
    assert delivery.send_delivery(planned) == "retrying"
    assert "longer than the limit of 65536 bytes" in Delivery.objects.get(pk=planned).last_error
    assert sum(sent) < 50 * 1024 * 1024


def test_a_private_address_is_refused_without_the_switch(hooked, feed_server, russia, israel):
    planned = _planned(russia, israel)
    assert delivery.send_delivery(planned) == "retrying"
    assert "a loopback address" in Delivery.objects.get(pk=planned).last_error
    assert feed_server.log == []


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/", "http://[::1]/", "ftp://example.org/x"],
    ids=["metadata", "loopback-v6", "ftp"],
)
def test_the_form_refuses_addresses_the_guard_refuses(url):
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.validate_webhook_url(url)

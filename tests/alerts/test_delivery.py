"""Mail through a real SMTP server on loopback: sent once, at once or as a digest; retried
while the server is down or refusing, and delivered once when it returns; the file backend
when no SMTP host is set; an event that went back to draft is left out."""

from __future__ import annotations

import json

import pytest
from django.core.mail import get_connection

from alerts import delivery, triggers
from alerts.forms import create_watchlist
from alerts.models import Delivery, Notification, Watchlist
from tests.alerts.support import body_text, publish_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def watchlist(owner, russia, israel):
    return create_watchlist(owner, "/actors/russia/")


def _told_and_planned(event) -> list[int]:
    return delivery.plan(triggers.notify_new_event(event.pk))


def test_an_alert_is_mailed_once(smtp, watchlist, russia, israel):
    event = publish_event(russia, israel, title="Lavrov receives Cohen in Moscow")
    [mail] = _told_and_planned(event)
    assert delivery.plan([watchlist.pk]) == []  # nothing left to plan

    assert delivery.send_delivery(mail) == "sent"
    assert delivery.send_delivery(mail) == "sent"  # a second worker, a retry: not again
    [message] = smtp.messages
    assert message["To"] == "olga@example.org"
    assert "Lavrov receives Cohen in Moscow" in smtp.subjects()[0]
    assert f"/events/{event.pk}/" in body_text(message)
    assert message["Message-ID"] == f"<relwatch-delivery-{mail}@localhost>"
    assert Delivery.objects.get(pk=mail).status == "sent"


def test_a_refusing_server_is_retried_and_the_mail_arrives_once(
    smtp, fast_retries, watchlist, russia, israel
):
    smtp.handler.refuse = 2
    [mail] = _told_and_planned(publish_event(russia, israel))

    assert delivery.send_delivery(mail) == "retrying"
    assert "451" in Delivery.objects.get(pk=mail).last_error
    assert delivery.send_delivery(mail) == "retrying"
    assert delivery.send_delivery(mail) == "sent"
    assert delivery.send_delivery(mail) == "sent"
    assert len(smtp.messages) == 1
    assert smtp.handler.refused == 2
    assert Delivery.objects.get(pk=mail).attempts == 3


def test_a_server_that_is_down_gets_the_mail_when_it_returns(
    smtp, fast_retries, watchlist, russia, israel
):
    smtp.stop()
    [mail] = _told_and_planned(publish_event(russia, israel))

    assert delivery.send_delivery(mail) == "retrying"
    assert "unreachable" in Delivery.objects.get(pk=mail).last_error
    smtp.start()
    assert delivery.due_deliveries() == [mail]
    assert delivery.send_delivery(mail) == "sent"
    assert len(smtp.messages) == 1


def test_backoff_doubles_and_then_gives_up_with_the_reason(
    smtp, settings, watchlist, russia, israel
):
    settings.ALERTS_RETRY_SECONDS = 30
    settings.ALERTS_MAX_ATTEMPTS = 2
    smtp.stop()
    [mail] = _told_and_planned(publish_event(russia, israel))

    delivery.send_delivery(mail)
    first = Delivery.objects.get(pk=mail)
    assert 29 <= (first.next_attempt_at - first.created_at).total_seconds() <= 60
    assert delivery.retry_seconds(2) == 60 and delivery.retry_seconds(3) == 120
    assert delivery.due_deliveries() == []  # not before its time
    Delivery.objects.filter(pk=mail).update(next_attempt_at=first.created_at)
    assert delivery.send_delivery(mail) == "failed"
    failed = Delivery.objects.get(pk=mail)
    assert failed.attempts == 2
    assert "unreachable" in failed.last_error


def test_a_daily_digest_gathers_the_days_alerts_in_one_mail(smtp, watchlist, russia, israel):
    Watchlist.objects.filter(pk=watchlist.pk).update(email="daily")
    titles = [f"Meeting number {n}" for n in range(3)]
    for title in titles:
        assert _told_and_planned(publish_event(russia, israel, title=title)) == []

    assert delivery.watchlists_with_unsent("weekly") == []
    [digest] = delivery.plan(delivery.watchlists_with_unsent("daily"), digest="daily")
    assert delivery.plan([watchlist.pk], digest="daily") == []
    delivery.send_delivery(digest)
    [message] = smtp.messages
    assert smtp.subjects() == ["[Relwatch] Daily digest: Russia (3)"]
    assert all(title in body_text(message) for title in titles)


def test_an_event_back_in_draft_is_not_mailed(smtp, watchlist, russia, israel):
    event = publish_event(russia, israel)
    [mail] = _told_and_planned(event)
    event.status = "draft"
    event.save()

    assert delivery.send_delivery(mail) == "withdrawn"
    assert smtp.messages == []


def test_without_an_smtp_host_mails_are_files_under_var_mail(
    settings, tmp_path, watchlist, russia, israel
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    [mail] = _told_and_planned(publish_event(russia, israel, title="Filed meeting"))

    assert delivery.send_delivery(mail) == "sent"
    [written] = list((tmp_path / "mail").iterdir())
    assert "Filed meeting" in written.read_text()


def test_an_owner_without_an_address_gets_no_mail_but_the_feed(owner, watchlist, russia, israel):
    owner.email = ""
    owner.save()
    assert _told_and_planned(publish_event(russia, israel)) == []
    assert Notification.objects.filter(watchlist=watchlist).count() == 1


def test_the_monthly_brief_goes_once_to_subscribers(smtp, owner, client):
    import datetime as dt

    from alerts.models import BriefSubscription

    BriefSubscription.objects.create(owner=owner)
    month = dt.date(2026, 10, 1)
    [brief] = delivery.plan_briefs(month)
    assert delivery.plan_briefs(month) == [brief]  # the same one, still unsent
    assert delivery.send_delivery(brief) == "sent"
    assert delivery.plan_briefs(month) == []
    [message] = smtp.messages
    assert "October 2026" in smtp.subjects()[0]
    assert message["To"] == "olga@example.org"


def test_settings_name_the_file_backend_when_no_host_is_set():
    from relwatch.config import FILE_BACKEND, SMTP_BACKEND, email_backend

    assert email_backend("") == FILE_BACKEND
    assert email_backend("smtp.example.org") == SMTP_BACKEND
    assert get_connection(backend=FILE_BACKEND, file_path="/tmp") is not None


def test_real_headlines_reach_the_digest_the_feed_and_the_webhook_intact(
    smtp, client, watchlist, russia, israel
):
    import feedparser

    from tests.browser.test_inbox import longest_real_entries

    Watchlist.objects.filter(pk=watchlist.pk).update(email="weekly")
    headlines = [headline[:300] for _outlet, headline, _summary, _link in longest_real_entries(20)]
    for headline in headlines:
        triggers.notify_new_event(publish_event(russia, israel, title=headline).pk)
    [digest] = delivery.plan([watchlist.pk], digest="weekly")

    assert delivery.send_delivery(digest) == "sent"
    text = body_text(smtp.messages[0])
    assert smtp.subjects() == ["[Relwatch] Weekly digest: Russia (20)"]
    feed = feedparser.parse(client.get(f"/watch/feed/{watchlist.atom_token}/").content)
    assert not feed.bozo
    for headline in headlines:
        assert headline in text
        assert headline in {entry.title for entry in feed.entries}
    notifications = list(Notification.objects.filter(watchlist=watchlist))
    payload = delivery.webhook_body(Delivery(pk=1, watchlist=watchlist), notifications)
    assert {n["title"] for n in json.loads(payload)["notifications"]} == set(headlines)


def test_make_run_says_where_mail_goes(monkeypatch, tmp_path):
    from relwatch.supervisor import mail_notice

    monkeypatch.delenv("EMAIL_HOST", raising=False)
    assert f"written to {tmp_path / 'mail'}/" in mail_notice(tmp_path)
    monkeypatch.setenv("EMAIL_HOST", "smtp.example.org")
    monkeypatch.setenv("EMAIL_PORT", "587")
    assert mail_notice(tmp_path) == "mail: alerts are sent through smtp.example.org:587"


def test_tls_and_ssl_together_are_refused():
    from django.core.exceptions import ImproperlyConfigured

    from relwatch.config import email_security

    assert email_security(True, False) == (True, False)
    with pytest.raises(ImproperlyConfigured, match="not both"):
        email_security(True, True)

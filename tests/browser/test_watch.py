"""An analyst clicks "Watch this" on a pair page; an editor publishes an event between the pair
in the admin; a real Celery worker tells the watchlist, and the analyst sees the alert on the
watchlist's page and in their mailbox (a real SMTP server). Saves screenshots/watchlist.png."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, User

from alerts.models import Notification, Watchlist
from relations.models import Event
from relwatch.config import cache_location
from tests.alerts.support import SmtpServer
from tests.browser.support import screenshot
from tests.browser.test_inbox import editor, log_in  # noqa: F401 (a fixture)
from tests.factories import InteractionFactory, MeetingFactory, ParticipantFactory, SourceFactory
from tests.faults.conftest import start_celery, test_database_url  # noqa: F401 (fixtures)
from tests.faults.services import django_env, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def analyst(transactional_db) -> User:
    user = User.objects.create_user(
        "anna", email="anna@example.org", password="analyst-pass-123", is_staff=True
    )
    user.groups.add(Group.objects.get_or_create(name="analysts")[0])
    return user


@pytest.fixture
def mailbox():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(start_celery, test_database_url, mailbox):  # noqa: F811
    queue = redis.Redis.from_url(cache_location(settings.CELERY_BROKER_URL))
    queue.delete("celery", "unacked", "unacked_index", "unacked_mutex")
    env = django_env(
        test_database_url,
        settings.CELERY_BROKER_URL,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(mailbox.port),
    )
    return start_celery("worker", env, "--pool=solo")


def test_watch_a_pair_and_see_the_alert_once_an_editor_publishes(
    page,
    browser,
    live_server,
    world,
    analyst,
    editor,  # noqa: F811
    worker,
    mailbox,  # noqa: F811
):
    page.goto("/")
    log_in(page, analyst)
    page.goto("/relations/russia/israel/")
    page.get_by_role("button", name="Watch this").click()
    page.wait_for_url("**/watch/*/")
    watchlist = Watchlist.objects.get(owner=analyst)
    assert page.locator("h1").inner_text() == "Russia ↔ Israel"
    assert watchlist.scope == "pair"

    draft = MeetingFactory(title="Netanyahu flies to Moscow", status=Event.Status.DRAFT)
    for actor in (world.russia, world.israel):
        ParticipantFactory(event=draft, actor=actor)
    InteractionFactory(event=draft, source=world.israel, target=world.russia)
    SourceFactory(event=draft)
    desk = browser.new_context(base_url=live_server.url).new_page()
    desk.goto("/")
    log_in(desk, editor)
    desk.goto(f"/admin/relations/meeting/{draft.pk}/change/")
    desk.locator("input[name=_publish]").first.click()
    desk.wait_for_load_state()
    desk.context.close()

    wait_for(
        lambda: Notification.objects.filter(watchlist=watchlist).exists(),
        f"the worker to tell the watchlist:\n{worker.output()}",
    )
    page.reload()
    alert = page.locator("#notifications li").first
    assert "Netanyahu flies to Moscow" in alert.inner_text()
    wait_for(lambda: mailbox.messages, f"the alert mail:\n{worker.output()}")
    assert "Netanyahu flies to Moscow" in mailbox.subjects()[0]
    screenshot(page, "watchlist")

"""The watchlist pages: "Watch this" on the three watchable pages, /watch/ and what hangs off
it, the private feed, and that a user reaches only their own watchlists (every URL, as the
roles walk does)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts import triggers
from alerts.forms import create_watchlist
from alerts.models import Watchlist
from tests.alerts.support import publish_event

pytestmark = pytest.mark.django_db


def form_data(saved_url: str, **fields) -> dict:
    """What the watchlist page's form posts: new events on, three outlets, and ``fields``."""
    return {"saved_url": saved_url, "on_new_event": "on", "story_min_outlets": 3, **fields}


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.mark.parametrize(
    "path",
    ["/timeline/?actor=russia&kind=meeting", "/relations/russia/israel/", "/actors/russia/"],
    ids=["timeline", "pair", "actor"],
)
def test_watchable_pages_offer_watch_this_to_a_logged_in_reader(
    owner_client, client, path, russia, israel
):
    page = owner_client.get(path)
    assert 'action="/watch/this/"' in page.content.decode()
    assert f'value="{path.replace("&", "&amp;")}"' in page.content.decode()
    client.logout()
    assert 'action="/watch/this/"' not in client.get(path).content.decode()


def test_other_pages_do_not_offer_it(owner_client, russia):
    assert 'action="/watch/this/"' not in owner_client.get("/").content.decode()


def test_watch_this_saves_the_timeline_filters_as_they_are(owner_client, owner, russia, israel):
    path = "/timeline/?actor=russia&actor=israel&match=all&kind=meeting&since=2026-01-01&q=talks"
    response = owner_client.post("/watch/this/", {"path": path})

    watchlist = Watchlist.objects.get(owner=owner)
    assert response.status_code == 302
    assert response["Location"] == f"/watch/{watchlist.pk}/"
    assert watchlist.saved_url == path
    assert watchlist.scope == "timeline"
    assert sorted(watchlist.actor_ids) == sorted([russia.pk, israel.pk])
    assert watchlist.match_all
    assert watchlist.kinds == ["meeting"]
    assert str(watchlist.since) == "2026-01-01"
    assert watchlist.search == "talks"
    assert watchlist.name == "Timeline: Russia, Israel"


def test_watching_the_same_page_again_opens_the_watchlist(owner_client, owner, russia):
    first = owner_client.post("/watch/this/", {"path": "/actors/russia/"})
    second = owner_client.post("/watch/this/", {"path": "/actors/russia/"})
    assert first["Location"] == second["Location"]
    assert Watchlist.objects.filter(owner=owner).count() == 1


def test_watch_this_on_a_pair_keeps_the_roll_up_and_watches_shifts(
    owner_client, owner, russia, israel
):
    owner_client.post("/watch/this/", {"path": "/relations/russia/israel/?rollup=0&bucket=week"})

    watchlist = Watchlist.objects.get(owner=owner)
    assert (watchlist.scope, watchlist.rollup, watchlist.on_shift) == ("pair", False, True)
    assert {watchlist.pair_low, watchlist.pair_high} == {russia, israel}
    assert watchlist.name == "Russia ↔ Israel"


@pytest.mark.parametrize(
    "path,message",
    [
        ("/feeds/", "Only the timeline, a pair page or an actor page can be watched."),
        ("https://evil.example/timeline/", "Only a page of this site can be watched."),
        ("/timeline/?since=not-a-date", "Enter a valid date."),
        ("/timeline/?actor=nobody", "No actor “nobody” exists any more"),
        ("/timeline/?status=draft", "Drafts are never alerted"),
        ("/relations/russia/russia/", "A pair needs two different actors."),
        ("/nowhere/", "There is no such page to watch."),
    ],
    ids=["feeds", "other-site", "bad-date", "no-actor", "drafts", "same-pair", "no-page"],
)
def test_an_unwatchable_page_is_refused_with_a_reason(owner_client, path, message, russia):
    response = owner_client.post("/watch/this/", {"path": path})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Watchlist.objects.exists()


def test_anonymous_readers_are_sent_to_log_in(client):
    response = client.get("/watch/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_list_shows_only_ones_own(owner_client, owner, stranger, russia, israel):
    create_watchlist(owner, "/actors/russia/")
    create_watchlist(stranger, "/actors/israel/")
    page = owner_client.get("/watch/").content.decode()
    assert "Russia" in page
    assert "Israel" not in page


def test_editing_rereads_the_filters_and_guards_the_webhook(owner_client, owner, russia, israel):
    watchlist = create_watchlist(owner, "/actors/russia/")
    data = form_data(
        "/actors/israel/",
        name="Israel now",
        shift_threshold=5,
        email="daily",
        webhook_url="http://127.0.0.1:9/hook",
    )
    refused = owner_client.post(f"/watch/{watchlist.pk}/", data)
    assert refused.status_code == 400
    assert "Webhooks cannot be sent there" in refused.content.decode()
    assert "loopback" in refused.content.decode()

    data["webhook_url"] = ""
    assert owner_client.post(f"/watch/{watchlist.pk}/", data).status_code == 302
    watchlist.refresh_from_db()
    assert (watchlist.name, watchlist.actor_ids, watchlist.email) == (
        "Israel now",
        [israel.pk],
        "daily",
    )


def test_pause_and_resume(owner_client, owner, russia):
    watchlist = create_watchlist(owner, "/actors/russia/")
    owner_client.post(f"/watch/{watchlist.pk}/pause/")
    watchlist.refresh_from_db()
    assert watchlist.paused
    owner_client.post(f"/watch/{watchlist.pk}/pause/")
    watchlist.refresh_from_db()
    assert not watchlist.paused


def test_a_system_pause_shows_its_reason(owner_client, owner, russia):
    watchlist = create_watchlist(owner, "/actors/russia/")
    Watchlist.objects.filter(pk=watchlist.pk).update(
        paused=True, paused_reason="No actor “russia” exists any more."
    )
    page = owner_client.get(f"/watch/{watchlist.pk}/").content.decode()
    assert "No actor “russia” exists any more." in page


def test_the_private_feed_lists_alerts_and_a_new_address_revokes_the_old(
    owner_client, client, owner, russia, israel
):
    watchlist = create_watchlist(owner, "/actors/russia/")
    event = publish_event(russia, israel, title="Putin calls Netanyahu")
    triggers.notify_new_event(event.pk)
    old = reverse("alerts:watchlist_feed", args=[watchlist.atom_token])

    client.logout()
    feed = client.get(old)
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert feed["Cache-Control"] == "private, no-store"
    assert "Putin calls Netanyahu" in feed.content.decode()

    owner_client.force_login(owner)
    owner_client.post(f"/watch/{watchlist.pk}/renew/token/")
    watchlist.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(f"/watch/feed/{watchlist.atom_token}/").status_code == 200


def test_the_feed_leaves_out_an_event_that_went_back_to_draft(client, owner, russia, israel):
    watchlist = create_watchlist(owner, "/actors/russia/")
    event = publish_event(russia, israel, title="Withdrawn meeting")
    triggers.notify_new_event(event.pk)
    event.status = "draft"
    event.save()

    feed = client.get(f"/watch/feed/{watchlist.atom_token}/").content.decode()
    assert "Withdrawn meeting" not in feed


# Every watchlist URL, as another user: 404, and nothing changes.
OTHERS_URLS = [
    ("get", "alerts:watchlist", {}),
    ("post", "alerts:watchlist", {"name": "mine now", "saved_url": "/actors/russia/"}),
    ("post", "alerts:watchlist_pause", {}),
    ("get", "alerts:watchlist_delete", {}),
    ("post", "alerts:watchlist_delete", {}),
    ("get", "alerts:watchlist_deliveries", {}),
]


@pytest.mark.parametrize(
    "method,name,data", OTHERS_URLS, ids=[f"{m}-{n.split(':')[1]}" for m, n, _ in OTHERS_URLS]
)
def test_another_users_watchlist_is_not_found(owner_client, stranger, method, name, data, russia):
    theirs = create_watchlist(stranger, "/actors/russia/")
    before = Watchlist.objects.values().get(pk=theirs.pk)
    response = getattr(owner_client, method)(reverse(name, args=[theirs.pk]), data)
    assert response.status_code == 404
    assert Watchlist.objects.values().get(pk=theirs.pk) == before


@pytest.mark.parametrize("what", ["secret", "token"])
def test_another_users_secret_and_feed_address_cannot_be_renewed(
    owner_client, stranger, what, russia
):
    theirs = create_watchlist(stranger, "/actors/russia/")
    before = Watchlist.objects.values().get(pk=theirs.pk)
    response = owner_client.post(reverse("alerts:watchlist_rotate", args=[theirs.pk, what]))
    assert response.status_code == 404
    assert Watchlist.objects.values().get(pk=theirs.pk) == before


def test_another_users_secret_is_never_shown(owner_client, stranger, russia):
    theirs = create_watchlist(stranger, "/actors/russia/")
    Watchlist.objects.filter(pk=theirs.pk).update(webhook_url="https://hooks.example.com/x")
    for url in ("/watch/", f"/watch/{theirs.pk}/", f"/watch/{theirs.pk}/deliveries/"):
        assert theirs.webhook_secret not in owner_client.get(url).content.decode()


def test_the_monthly_brief_is_opt_in(owner_client, owner):
    owner_client.post("/watch/brief/", {"subscribe": "1"})
    assert owner.brief_subscription
    owner_client.post("/watch/brief/", {"subscribe": "0"})
    owner.refresh_from_db()
    from alerts.models import BriefSubscription

    assert not BriefSubscription.objects.filter(owner=owner).exists()


def test_a_watchlist_of_another_scope_saves_without_the_hidden_shift_settings(
    owner_client, owner, russia, israel
):
    # The page shows the shift settings only for pairs, so an actor watchlist's form posts
    # without them; moving it to a pair must still save, keeping the stored threshold.
    watchlist = create_watchlist(owner, "/actors/russia/")
    page = owner_client.get(f"/watch/{watchlist.pk}/").content.decode()
    assert 'name="shift_threshold"' not in page
    data = form_data(
        "/relations/russia/israel/", name="The pair", email="daily", address=owner.email
    )
    response = owner_client.post(f"/watch/{watchlist.pk}/", data)
    assert response.status_code == 302, response.content.decode()
    watchlist.refresh_from_db()
    assert watchlist.is_pair
    assert watchlist.shift_threshold == Watchlist._meta.get_field("shift_threshold").default
    assert 'name="shift_threshold"' in owner_client.get(f"/watch/{watchlist.pk}/").content.decode()


def test_the_owner_sets_the_mail_address_on_the_watchlist_page(owner_client, owner, russia):
    owner.email = ""
    owner.save(update_fields=["email"])
    watchlist = create_watchlist(owner, "/actors/russia/")
    data = form_data("/actors/russia/", name="Russia", email="immediate", address="")
    refused = owner_client.post(f"/watch/{watchlist.pk}/", data)
    assert refused.status_code == 400
    assert "Give an address for the mail" in refused.content.decode()

    data["address"] = "not an address"
    assert owner_client.post(f"/watch/{watchlist.pk}/", data).status_code == 400

    data["address"] = "olga.new@example.org"
    assert owner_client.post(f"/watch/{watchlist.pk}/", data).status_code == 302
    owner.refresh_from_db()
    assert owner.email == "olga.new@example.org"
    page = owner_client.get(f"/watch/{watchlist.pk}/").content.decode()
    assert 'value="olga.new@example.org"' in page

    # No mail needs no address.
    data.update(email="off", address="")
    assert owner_client.post(f"/watch/{watchlist.pk}/", data).status_code == 302


def test_subscribing_to_the_brief_asks_for_an_address_when_the_account_has_none(
    owner_client, owner
):
    owner.email = ""
    owner.save(update_fields=["email"])
    assert 'name="address"' in owner_client.get("/watch/").content.decode()

    owner_client.post("/watch/brief/", {"subscribe": "1", "address": "not an address"})
    from alerts.models import BriefSubscription

    assert not BriefSubscription.objects.filter(owner=owner).exists()

    page = owner_client.post(
        "/watch/brief/", {"subscribe": "1", "address": "olga@example.org"}, follow=True
    )
    assert "You will get the monthly brief by e-mail." in page.content.decode()
    owner.refresh_from_db()
    assert owner.email == "olga@example.org"
    assert BriefSubscription.objects.filter(owner=owner).exists()
